// Accepting comes before draining. A burst of queued webhooks is answered once its jobs are in
// JetStream; storing them is the partition drains' work, on the same event loop. While jobs are
// published at a high rate (a burst is being accepted) and the event loop is saturated, the drains
// hold their next fetch back (for a bounded time, then take a small one), so a burst is
// acknowledged at close to the broker's speed and stored right behind it — in larger per-guest
// batches, which cost less per message. Outside such a burst nothing waits.
import { performance } from 'node:perf_hooks';

export interface IngressPriorityOptions {
  /** Span over which the publish rate and the event loop's utilization are judged. */
  windowMs: number;
  /** Publishes per second at or above which the node counts as accepting a burst. */
  publishesPerSecond: number;
  /** Event-loop utilization (0–1) at or above which the loop counts as saturated. */
  utilization: number;
}

export const INGRESS_DEFAULTS: IngressPriorityOptions = { windowMs: 50, publishesPerSecond: 500, utilization: 0.7 };

export class IngressPriority {
  private mark = performance.eventLoopUtilization();
  private markAt = performance.now();
  private count = 0;
  private busy = false;
  private busyAt = -Infinity;

  constructor(private readonly opts: IngressPriorityOptions = INGRESS_DEFAULTS) {}

  /** A job was published (a webhook accepted). */
  published(): void {
    this.count++;
  }

  /** True while this node accepts a burst and its event loop is saturated. */
  pressed(): boolean {
    const now = performance.now();
    const span = now - this.markAt;
    const fast = (this.count * 1000) / Math.max(span, 1) >= this.opts.publishesPerSecond;
    if (span < this.opts.windowMs) {
      // Within a window the last verdict holds, except at the start of a burst after a quiet
      // spell: publishes already arriving fast count as a burst until the window is measured,
      // so that idle drains do not take its start away from accepting it.
      if (!this.busy && fast && this.count >= (this.opts.publishesPerSecond * this.opts.windowMs) / 4000) this.busy = true;
      if (this.busy) this.busyAt = now;
      return this.busy;
    }
    const elu = performance.eventLoopUtilization();
    const used = performance.eventLoopUtilization(elu, this.mark).utilization;
    this.busy = fast && used >= this.opts.utilization;
    this.mark = elu;
    this.markAt = now;
    this.count = 0;
    if (this.busy) this.busyAt = now;
    return this.busy;
  }

  /** Pressed now or within the last `ms`: a burst may still be going on (one quiet window is not its end). */
  pressedWithin(ms: number): boolean {
    return this.pressed() || performance.now() - this.busyAt < ms;
  }
}
