// Accepting comes before draining. A burst of queued webhooks is answered once its jobs are in
// JetStream; storing them is the partition drains' work, on the same event loop. While jobs are
// published at a high rate (a burst is being accepted) and the event loop is saturated, the drains
// hold their next fetch back (for a bounded time, then take a small one), so a burst is
// acknowledged at close to the broker's speed and stored right behind it — in larger per-guest
// batches, which cost less per message. Outside a burst nothing waits, and a burst that goes on
// past maxBurstMs is load to share, not to defer: the drains stop giving way until it calms down.
import { performance } from 'node:perf_hooks';

export interface IngressPriorityOptions {
  /** Span over which the publish rate and the event loop's utilization are judged. */
  windowMs: number;
  /** Publishes per second at or above which the node counts as accepting a burst. */
  publishesPerSecond: number;
  /** Event-loop utilization (0–1) at or above which the loop counts as saturated. */
  utilization: number;
  /** A burst lasts until this long after its last sign (one quiet window is not its end). */
  calmMs: number;
  /** Longest the drains give way in one burst. */
  maxBurstMs: number;
}

export const INGRESS_DEFAULTS: IngressPriorityOptions = { windowMs: 50, publishesPerSecond: 500, utilization: 0.7, calmMs: 1000, maxBurstMs: 5000 };

export class IngressPriority {
  private mark = performance.eventLoopUtilization();
  private markAt = performance.now();
  private count = 0;
  private busy = false;
  private busyAt = -Infinity;
  private burstStart = -Infinity;

  constructor(private readonly opts: IngressPriorityOptions = INGRESS_DEFAULTS) {}

  /** A job was published (a webhook accepted). */
  published(): void {
    this.count++;
  }

  /** True while the drains should hold back: this node accepts a burst on a saturated event loop. */
  pressed(): boolean {
    return this.sample() && !this.sustained();
  }

  /** In a burst, pressed now or within calmMs: the drains keep their fetches small. */
  inBurst(): boolean {
    return (this.sample() || performance.now() - this.busyAt < this.opts.calmMs) && !this.sustained();
  }

  private sustained(): boolean {
    return performance.now() - this.burstStart > this.opts.maxBurstMs;
  }

  /** Judges the load; true while fast publishes meet a saturated loop. */
  private sample(): boolean {
    const now = performance.now();
    const span = now - this.markAt;
    const fast = (this.count * 1000) / Math.max(span, 1) >= this.opts.publishesPerSecond;
    if (span < this.opts.windowMs) {
      // Within a window the last verdict holds, except at the start of a burst after a quiet
      // spell: publishes already arriving fast count as a burst until the window is measured,
      // so that idle drains do not take its start away from accepting it.
      if (!this.busy && fast && this.count >= (this.opts.publishesPerSecond * this.opts.windowMs) / 4000) this.busy = true;
    } else {
      const elu = performance.eventLoopUtilization();
      this.busy = fast && performance.eventLoopUtilization(elu, this.mark).utilization >= this.opts.utilization;
      this.mark = elu;
      this.markAt = now;
      this.count = 0;
    }
    if (this.busy) {
      if (now - this.busyAt >= this.opts.calmMs) this.burstStart = now;
      this.busyAt = now;
    }
    return this.busy;
  }
}
