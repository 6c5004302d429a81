// Shared worker loop of both queue implementations: bounded concurrency, per-key ordering, and
// the outcome of a handler turned into ack / retry-with-backoff / dead letter.
import type { Logger } from '../obs/log.js';
import type { Counter } from '../obs/metrics.js';
import { PermanentJobError, RetryLaterError, retryDelay, type DeadLetterSink, type Job, type JobHandler, type WorkerOptions } from './queue.js';

export interface Delivery<P> {
  job: Job<P>;
  ack(): void;
  retry(delayMs: number): void;
  /** Stop redelivering (after the dead letter was recorded). */
  term(): void;
  /** Tells the queue the job is still being worked on (extends its redelivery deadline). */
  working?(): void;
  /** Where the delivery came from (a partition), so abort() can pick its waits. */
  group?: string;
  /** True when the job must not start here any more (its partition moved to another node). */
  stale?(): boolean;
  /** Lets go of a stale delivery without an outcome: it is redelivered after the ack wait. */
  abandon?(): void;
}

export interface DispatchDeps {
  log: Logger;
  deadLetter: DeadLetterSink;
  outcomes: Counter;
  /** How often held deliveries report they are still in progress (0: never). */
  heartbeatMs?: number;
  /** Deliveries that are not the first, by kind. */
  redelivered?: Counter;
}

export interface DispatchOptions {
  /**
   * A keyed job that fails waits for its retry here, holding its key, instead of going back to
   * the queue: where many jobs of a partition are in flight, the queue would hand the key's next
   * jobs out before the retry. Other keys go on meanwhile.
   */
  retryInPlace?: boolean;
}

export class Dispatcher<P> {
  private active = 0;
  private waiters: Array<() => void> = [];
  /** Ordering keys with a running job, and the jobs waiting behind it. */
  private keys = new Map<string, Delivery<P>[]>();
  private idle: Array<() => void> = [];
  /** Deliveries taken and not yet settled: running, or waiting behind their ordering key. */
  private held = new Map<Delivery<P>, number>();
  private heartbeat: NodeJS.Timeout | null = null;
  /** Keyed jobs waiting in place for their retry, and how to end the wait early. */
  private pauses = new Map<Delivery<P>, () => void>();
  /** Groups whose in-place waits end at once, now and until resumed (undefined: every group). */
  private aborted = new Set<string | undefined>();

  constructor(
    private readonly kind: string,
    private readonly handler: JobHandler<P>,
    private readonly opts: WorkerOptions,
    private readonly deps: DispatchDeps,
    private readonly options: DispatchOptions = {},
  ) {}

  /**
   * From now on, keyed jobs of `group` (every group when omitted) do not wait in place for a
   * retry: the waits end at once and later failures go straight back to the queue, with what is
   * left of their delay (the node stops, or gives the partition away). resume() undoes it.
   */
  abort(group?: string): void {
    this.aborted.add(group);
    for (const [d, wake] of this.pauses) if (group === undefined || d.group === group) wake();
  }

  resume(group: string): void {
    this.aborted.delete(group);
  }

  /** A job of `group` is waiting in place for its retry (it holds the group's progress back). */
  pausing(group: string): boolean {
    for (const d of this.pauses.keys()) if (d.group === group) return true;
    return false;
  }

  private waitsInPlace(d: Delivery<P>): boolean {
    return !!this.options.retryInPlace && d.job.key !== undefined && !this.aborted.has(undefined) && !this.aborted.has(d.group);
  }

  /** Jobs running or waiting behind their ordering key. */
  get inFlight(): number {
    let waiting = 0;
    for (const q of this.keys.values()) waiting += q.length;
    return this.active + waiting;
  }

  /** Waits for a free slot; the caller then hands over one delivery with run(). */
  async acquire(): Promise<void> {
    if (this.active < this.opts.concurrency && this.waiters.length === 0) {
      this.active++;
      return;
    }
    // The slot is taken when it is handed over, so nobody slips in before this caller resumes.
    await new Promise<void>((r) =>
      this.waiters.push(() => {
        this.active++;
        r();
      }),
    );
  }

  /**
   * Hands a delivery over without waiting: it is held (and heartbeated) from now on, and runs as
   * run() would once a slot is free, in the order submitted. For a caller that must not wait
   * between taking deliveries (all of a fetched batch then come due together if the node dies).
   */
  submit(d: Delivery<P>): void {
    this.hold(d);
    if (this.active < this.opts.concurrency && this.waiters.length === 0) {
      this.active++;
      this.run(d);
      return;
    }
    this.waiters.push(() => {
      this.active++;
      this.run(d);
    });
  }

  /** Gives back a slot taken with acquire() that found nothing to run. */
  cancel(): void {
    this.release();
  }

  private release(): void {
    this.active--;
    const next = this.waiters.shift();
    if (next) next();
    else if (this.active === 0) for (const r of this.idle.splice(0)) r();
  }

  /** Resolves when no handler is running. */
  drained(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /**
   * Runs one delivery in an acquired slot. A job whose ordering key is busy waits in that key's
   * queue without holding a slot (so one hot key cannot block the others); when the running job
   * of the key finishes, the next one of the key runs in the slot it frees.
   */
  run(d: Delivery<P>): void {
    this.hold(d);
    const key = d.job.key;
    if (key === undefined) {
      void this.handle(d).finally(() => this.release());
      return;
    }
    const waiting = this.keys.get(key);
    if (waiting) {
      waiting.push(d);
      this.release();
      return;
    }
    this.keys.set(key, []);
    void this.runKey(key, d);
  }

  private async runKey(key: string, first: Delivery<P>): Promise<void> {
    const waiting = this.keys.get(key)!;
    let d: Delivery<P> | undefined = first;
    while (d) {
      const many = this.handler.many;
      const batch = many && waiting.length > 0 && this.batchable(d) ? this.takeBatch(d, waiting, many.max) : null;
      if (batch) await this.handleMany(batch, waiting);
      else await this.handle(d);
      d = waiting.shift();
    }
    this.keys.delete(key);
    this.release();
  }

  /** A delivery the single path would run at once: its own, and not out of deliveries. */
  private batchable(d: Delivery<P>): boolean {
    return !d.stale?.() && d.job.deliveries <= this.opts.maxDeliveries;
  }

  /** `first` and the deliveries right behind it that can go with it (taken off `waiting`). */
  private takeBatch(first: Delivery<P>, waiting: Delivery<P>[], max: number): Delivery<P>[] | null {
    let n = 0;
    while (n < waiting.length && n + 1 < max && this.batchable(waiting[n]!)) n++;
    return n === 0 ? null : [first, ...waiting.splice(0, n)];
  }

  /**
   * Runs several deliveries of one key through handler.many: the done prefix is acknowledged;
   * the first one not done goes through the single path (retries, dead letter) and the rest wait
   * behind it again, in order.
   */
  private async handleMany(batch: Delivery<P>[], waiting: Delivery<P>[]): Promise<void> {
    let done = 0;
    try {
      const n = await this.handler.many!.run(batch.map((d) => d.job));
      done = Number.isInteger(n) ? Math.min(Math.max(n, 0), batch.length) : 0;
    } catch (err) {
      this.deps.log.warn({ kind: this.kind, jobs: batch.length, err: err instanceof Error ? err.message : String(err) }, 'job batch failed; running its jobs one at a time');
    }
    for (const d of batch.slice(0, done)) {
      if (d.job.deliveries > 1) this.deps.redelivered?.inc({ kind: this.kind });
      d.ack();
      this.held.delete(d);
    }
    if (done > 0) this.deps.outcomes.inc({ kind: this.kind, outcome: 'done' }, done);
    if (done === batch.length) return;
    waiting.unshift(...batch.slice(done + 1));
    await this.handle(batch[done]!);
  }

  /**
   * Keeps held deliveries alive: a job waiting behind a busy ordering key, or a long handler,
   * must not be redelivered to another node while this one still has it.
   */
  private hold(d: Delivery<P>): void {
    if (this.held.has(d)) return;
    const every = this.deps.heartbeatMs ?? 0;
    // When it last reported (being taken counts): only deliveries held for half a period or more
    // report, so a backlog of short jobs costs no heartbeat traffic. The first report comes within
    // 1.5 periods of being taken — 2.5 since a consume loop's own last report while it waited for
    // a slot — inside the ack wait (three periods).
    this.held.set(d, Date.now());
    if (every > 0 && !this.heartbeat) {
      this.heartbeat = setInterval(() => {
        const now = Date.now();
        for (const [h, at] of this.held) {
          if (now - at < every / 2) continue;
          h.working?.();
          this.held.set(h, now);
        }
        if (this.held.size === 0 && this.heartbeat) {
          clearInterval(this.heartbeat);
          this.heartbeat = null;
        }
      }, every);
      this.heartbeat.unref();
    }
  }

  private async handle(d: Delivery<P>): Promise<void> {
    try {
      await this.settle(d);
    } finally {
      this.held.delete(d);
    }
  }

  private async settle(d: Delivery<P>): Promise<void> {
    let job = d.job;
    if (d.stale?.()) {
      d.abandon?.();
      return;
    }
    if (job.deliveries > 1) this.deps.redelivered?.inc({ kind: this.kind });
    for (;;) {
      if (job.deliveries > this.opts.maxDeliveries) {
        await this.bury(d, job, `gave up after ${job.deliveries - 1} deliveries without an outcome`);
        return;
      }
      try {
        await this.handler(job);
        d.ack();
        this.deps.outcomes.inc({ kind: this.kind, outcome: 'done' });
        return;
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        if (err instanceof PermanentJobError || job.deliveries >= this.opts.maxDeliveries) {
          await this.bury(d, job, err instanceof PermanentJobError ? `permanent: ${reason}` : `failed ${job.deliveries} times; last: ${reason}`);
          return;
        }
        const backoff = retryDelay(this.opts.backoffMs, job.deliveries);
        const delay = err instanceof RetryLaterError ? Math.min(Math.max(backoff, err.delayMs), 15 * 60_000) : backoff;
        this.deps.log.warn({ kind: this.kind, job: job.id, deliveries: job.deliveries, retryMs: delay, err: reason }, 'job failed; will retry');
        this.deps.outcomes.inc({ kind: this.kind, outcome: 'retry' });
        if (!this.waitsInPlace(d)) {
          d.retry(delay);
          return;
        }
        const left = await this.pause(d, delay);
        if (left > 0) {
          d.retry(left);
          return;
        }
        if (d.stale?.()) {
          d.abandon?.();
          return;
        }
        job = { ...job, deliveries: job.deliveries + 1 };
        this.deps.redelivered?.inc({ kind: this.kind });
      }
    }
  }

  /** Waits `ms` (the delivery stays held and heartbeating): 0 when done, or what is left if aborted. */
  private pause(d: Delivery<P>, ms: number): Promise<number> {
    const until = Date.now() + ms;
    return new Promise((resolve) => {
      const end = (left: number) => {
        clearTimeout(timer);
        this.pauses.delete(d);
        resolve(left);
      };
      const timer = setTimeout(() => end(0), ms);
      this.pauses.set(d, () => end(Math.max(1, until - Date.now())));
    });
  }

  private async bury(d: Delivery<P>, job: Job<P>, reason: string): Promise<void> {
    try {
      await this.deps.deadLetter({ kind: this.kind, jobId: job.id, payload: job.payload, deliveries: job.deliveries, reason });
    } catch (err) {
      // Without a dead-letter record the job must not vanish: leave it for redelivery.
      this.deps.log.error({ kind: this.kind, job: job.id, err }, 'could not record dead letter; job will be redelivered');
      d.retry(retryDelay(this.opts.backoffMs, job.deliveries));
      return;
    }
    this.deps.log.error({ kind: this.kind, job: job.id, deliveries: job.deliveries, reason }, 'job dead-lettered');
    this.deps.outcomes.inc({ kind: this.kind, outcome: 'dead' });
    d.term();
  }
}
