// Accepting comes before draining. A burst of queued webhooks is answered once its jobs are in
// JetStream; storing them is the partition drains' work, on the same event loop. While jobs are
// published at a high rate (a burst is being accepted) and the event loop is saturated, the drains
// hold their next fetch back (for a bounded time, then take a small one), so a burst is
// acknowledged at close to the broker's speed and stored right behind it — in larger per-guest
// batches, which cost less per message. Outside a burst nothing waits, and a burst that goes on
// past maxBurstMs is load to share, not to defer: from then on until it calms down, the drains
// may take sharePerAccepted jobs for every job accepted. Unrestricted drains took the loop (a
// burst of 100,000 was accepted at about 18,000/s for 5 s, then at about 1,000/s); with an
// equal share the backlog stops growing and neither side starves.
//
// The verdict must not flicker. The publish rate is read from the publishes themselves (a run of
// them that fits in one window), not from whenever a drain happens to ask; and one window that does
// not look like a burst (a collection, a drain's own batch, the loop waiting on acks) does not end
// it: the drains keep giving way for holdMs after the last window that did. Measured on two shared
// cores, single windows of a burst's first second read "not a burst" often enough that all the
// drains fetched at once several times in it, and the burst was accepted at a third of its speed.
import { performance } from 'node:perf_hooks';

/** The time and the event loop's busy and idle time so far (ms): performance's, or a test's own. */
export interface LoopClock {
  now(): number;
  loop(): { active: number; idle: number };
}

export const LOOP_CLOCK: LoopClock = {
  now: () => performance.now(),
  loop: () => performance.eventLoopUtilization(),
};

export interface IngressPriorityOptions {
  /** Span over which the publish rate and the event loop's utilization are judged. */
  windowMs: number;
  /** Publishes per second at or above which the node counts as accepting a burst. */
  publishesPerSecond: number;
  /** Event-loop utilization (0–1) at or above which the loop counts as saturated. */
  utilization: number;
  /** The drains keep giving way this long after the last window judged a burst. */
  holdMs: number;
  /** A burst lasts until this long after its last sign: the drains keep their fetches small. */
  calmMs: number;
  /** Longest the drains give way in one burst. */
  maxBurstMs: number;
  /** Past maxBurstMs: jobs the drains may take per job accepted. */
  sharePerAccepted: number;
  /** Most jobs the drains may have in hand from accepts they have not used yet. */
  shareBurst: number;
}

export const INGRESS_DEFAULTS: IngressPriorityOptions = {
  windowMs: 50,
  publishesPerSecond: 500,
  utilization: 0.7,
  holdMs: 250,
  calmMs: 1000,
  maxBurstMs: 5000,
  sharePerAccepted: 1,
  shareBurst: 512,
};

/**
 * A drain's place in line for shared credit (see IngressPriority.claim). One per partition drain,
 * reused from fetch to fetch.
 */
export interface ShareTurn {
  /** Jobs handed to it while it waited, not yet taken by a claim. */
  granted: number;
  /** The sharing period `granted` belongs to: credit of a period that ended is void. */
  period: number;
  /** Most it asked for. */
  want: number;
  queued: boolean;
  wake: (() => void) | null;
}

export class IngressPriority {
  private mark: { active: number; idle: number };
  private markAt: number;
  private saturated = false;
  /** Publishes in the current run, when the run started, and when a run last fitted in a window. */
  private run = 0;
  private runStart = -Infinity;
  private fastAt = -Infinity;
  private readonly perWindow: number;
  private busyAt = -Infinity;
  private burstStart = -Infinity;
  /** Every job published so far, and the drains' credit of jobs while they share the loop. */
  private accepted = 0;
  private shared = false;
  private credit = 0;
  private creditedUpTo = 0;
  /** Drains waiting for credit, served in the order they began to wait. */
  private line: ShareTurn[] = [];
  /** Counts sharing periods, so credit handed out in one is never spent in the next. */
  private period = 0;

  constructor(
    private readonly opts: IngressPriorityOptions = INGRESS_DEFAULTS,
    private readonly clock: LoopClock = LOOP_CLOCK,
  ) {
    this.mark = clock.loop();
    this.markAt = clock.now();
    this.perWindow = Math.max(1, Math.ceil((opts.publishesPerSecond * opts.windowMs) / 1000));
  }

  /** A job was published (a webhook accepted). One clock read per run of publishes. */
  published(): void {
    this.accepted++;
    // Credit reaches waiting drains as it is earned, in order: none waits on a poll for it.
    if (this.line.length > 0) this.serveLine();
    if (++this.run < this.perWindow) return;
    const now = this.clock.now();
    if (now - this.runStart <= this.opts.windowMs) {
      if (now - this.fastAt >= this.opts.windowMs) this.startWindow(now);
      this.fastAt = now;
    }
    this.run = 0;
    this.runStart = now;
    this.measure(now);
  }

  /**
   * Publishes just turned fast: the loop counts as saturated until a window of the burst itself is
   * measured. A window that began before the burst would average its quiet start in, and let every
   * drain fetch while the burst's first jobs arrive.
   */
  private startWindow(now: number): void {
    this.saturated = true;
    this.mark = this.clock.loop();
    this.markAt = now;
  }

  /** True while the drains should hold back: this node accepts a burst on a saturated event loop. */
  pressed(): boolean {
    return (this.sample() || this.clock.now() - this.busyAt < this.opts.holdMs) && !this.sustained();
  }

  /** In a burst, pressed now or within calmMs: the drains keep their fetches small. */
  inBurst(): boolean {
    return (this.sample() || this.clock.now() - this.busyAt < this.opts.calmMs) && !this.sustained();
  }

  /**
   * How many jobs a drain may fetch now, at most `max`. Outside a shared burst: `max`. In a burst
   * that went on past maxBurstMs, also at most `sharedMax` and the drains' credit —
   * sharePerAccepted for each job this node accepted since the sharing began, less what they
   * claimed — so 0 means: wait for more to be accepted. What is returned is claimed (taken off the
   * credit) at once, so concurrent drains cannot each spend the same credit; what a fetch did not
   * take goes back with refund().
   *
   * With a `turn`, a drain that gets 0 joins a line: credit earned later goes to the drains in the
   * order they began to wait, as it is earned (their `wake` is called), and the next claim with
   * that turn returns it. A drain that stops waiting must leave() the line. Without a line, the
   * drain back first from its fetch took the credit and a partition could keep losing.
   */
  claim(max: number, sharedMax: number, turn?: ShareTurn): number {
    const shared = (this.sample() || this.clock.now() - this.busyAt < this.opts.holdMs) && this.sustained();
    if (!shared) {
      if (this.shared) this.endSharing();
      if (turn) this.leave(turn);
      return max;
    }
    if (!this.shared) {
      this.shared = true;
      this.period++;
      this.credit = 0;
      this.creditedUpTo = this.accepted;
    }
    // Waiting drains are served first: after this the line is empty, or its first waits for more.
    this.serveLine(turn);
    const want = Math.max(0, Math.min(max, sharedMax));
    if (turn && turn.period !== this.period) turn.granted = 0;
    if (turn && turn.granted > 0) {
      // Handed out while it waited; what it no longer asks for goes back.
      const given = turn.granted;
      turn.granted = 0;
      const n = Math.min(given, want);
      this.refund(given - n);
      return n;
    }
    if (this.line.length === 0) {
      const n = Math.min(want, Math.floor(this.credit));
      if (n > 0) {
        this.credit -= n;
        return n;
      }
    }
    if (turn && !turn.queued && want > 0) {
      turn.want = want;
      turn.queued = true;
      this.line.push(turn);
    }
    return 0;
  }

  /** A fresh place in line for one drain. */
  newTurn(): ShareTurn {
    return { granted: 0, period: 0, want: 0, queued: false, wake: null };
  }

  /** Resolves once credit was handed to `turn`, or after `ms`. One wait per turn at a time (its drain's). */
  granted(turn: ShareTurn, ms: number): Promise<void> {
    return new Promise((resolve) => {
      // Unreferenced: a drain waiting in line does not keep the process alive by itself.
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        turn.wake = null;
        resolve();
      }
      if (turn.granted > 0) done();
      else turn.wake = done;
    });
  }

  /** `turn` stops waiting (it fetches without credit, lost its lease, stops): out of line, credit handed to it goes back. */
  leave(turn: ShareTurn): void {
    if (turn.queued) this.dequeue(turn);
    if (turn.granted > 0 && this.shared && turn.period === this.period) this.credit = Math.min(this.credit + turn.granted, this.opts.shareBurst);
    turn.granted = 0;
    turn.wake = null;
    // Whoever is first in line now may have been waiting behind it.
    this.serveLine();
  }

  /** True while the last claim was made from the shared credit. */
  get sharing(): boolean {
    return this.shared;
  }

  /** Drains waiting in line for shared credit. */
  get waiting(): number {
    return this.line.length;
  }

  /** Gives back credit a drain claimed and did not use (a short fetch, a lost lease); none once the sharing is over. */
  refund(n: number): void {
    if (this.shared && n > 0) {
      this.credit = Math.min(this.credit + n, this.opts.shareBurst);
      this.serveLine();
    }
  }

  private accrue(): void {
    this.credit = Math.min(this.credit + (this.accepted - this.creditedUpTo) * this.opts.sharePerAccepted, this.opts.shareBurst);
    this.creditedUpTo = this.accepted;
  }

  /**
   * Hands credit to the drains in line, first come first served, each what it asked for: a fetch of
   * one job at a time would cost more than it stores. The first in line also gets less than that
   * when it asks itself (`head`: its poll, every windowMs while it waits).
   */
  private serveLine(head?: ShareTurn): void {
    if (!this.shared) return;
    this.accrue();
    while (this.line.length > 0 && (this.credit >= this.line[0]!.want || (this.line[0] === head && this.credit >= 1))) {
      const turn = this.line.shift()!;
      turn.queued = false;
      turn.granted = Math.min(turn.want, Math.floor(this.credit));
      turn.period = this.period;
      this.credit -= turn.granted;
      turn.wake?.();
    }
  }

  private dequeue(turn: ShareTurn): void {
    const i = this.line.indexOf(turn);
    if (i >= 0) this.line.splice(i, 1);
    turn.queued = false;
  }

  /** The burst calmed: every drain takes what it asks again; those in line are woken to ask. */
  private endSharing(): void {
    this.shared = false;
    this.credit = 0;
    for (const turn of this.line.splice(0)) {
      turn.queued = false;
      turn.granted = 0;
      turn.wake?.();
    }
  }

  private sustained(): boolean {
    return this.clock.now() - this.burstStart > this.opts.maxBurstMs;
  }

  /** Judges the load now; true while fast publishes meet a saturated loop. */
  private sample(): boolean {
    const now = this.clock.now();
    this.measure(now);
    const busy = this.saturated && now - this.fastAt < this.opts.windowMs;
    if (busy) {
      if (now - this.busyAt >= this.opts.calmMs) this.burstStart = now;
      this.busyAt = now;
    }
    return busy;
  }

  /** Rolls the utilization window once it is a window long (from the publishes or a drain's question). */
  private measure(now: number): void {
    if (now - this.markAt < this.opts.windowMs) return;
    const elu = this.clock.loop();
    const active = elu.active - this.mark.active;
    const span = active + elu.idle - this.mark.idle;
    this.saturated = span > 0 && active / span >= this.opts.utilization;
    this.mark = elu;
    this.markAt = now;
  }
}
