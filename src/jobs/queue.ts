// Contract of durable background work.
//
// enqueue(kind, payload, {id, key}) stores a job durably before it resolves; a second enqueue with
// the same id inside the de-duplication window is reported as a duplicate and stored once.
// work(kind, handler) runs handlers with bounded concurrency. A job is acknowledged only after its
// handler resolves; a throw retries it later with a delay that doubles per delivery; a
// PermanentJobError, or running out of deliveries, moves it to the dead-letter record with the
// reason. Jobs enqueued with the same key run one at a time, in enqueue order, across the whole
// cluster (kinds that use keys are partitioned: see queue-jetstream.ts); a handler may take the
// jobs waiting behind a key several at a time (JobHandler.many). Delivery is at least once:
// handlers must be idempotent.

export interface Job<P = unknown> {
  id: string;
  kind: string;
  payload: P;
  /** The ordering key it was enqueued with, if any. */
  key?: string;
  /** 1 on the first delivery. */
  deliveries: number;
}

export interface JobHandler<P = unknown> {
  (job: Job<P>): Promise<void>;
  /** Optional: several jobs of one ordering key at once (see ManyJobsHandler). */
  many?: ManyJobsHandler<P>;
}

/**
 * Handles consecutive jobs of one ordering key together, in their order (one group commit where
 * the single form would make one per job), and resolves with how many of them, from the first,
 * are done; those are acknowledged (a throw counts as none). The first job not done then runs
 * through the single form, with its retries and dead letters, and the others wait behind it again,
 * in order (they may be batched again). So the handler must leave nothing out of order: a job
 * after the first one not done may have taken effect only where running it again is harmless
 * (found already stored), never ahead of an earlier job that it must follow.
 * A job out of deliveries, or no longer this node's to run, is left to the single form.
 */
export interface ManyJobsHandler<P> {
  /** Most jobs per call. */
  max: number;
  run(jobs: Job<P>[]): Promise<number>;
}

export interface WorkerOptions {
  concurrency: number;
  maxDeliveries: number;
  backoffMs: number;
}

export interface DeadLetter {
  kind: string;
  jobId: string;
  payload: unknown;
  deliveries: number;
  reason: string;
}

export type DeadLetterSink = (rec: DeadLetter) => Promise<void>;

/** Thrown by a handler when retrying cannot help (bad payload, object gone). */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
  readonly code = 'permanent_job_failure';
}

/**
 * Thrown by a handler that must wait before trying again (a provider asked to slow down): the
 * retry comes after at least `delayMs`, or the usual back-off if that is longer.
 */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  readonly code = 'retry_later';
  constructor(message: string, readonly delayMs: number, opts?: { cause?: unknown }) {
    super(message, opts);
  }
}

export interface JobQueue {
  readonly kind: 'memory' | 'jetstream';
  enqueue(kind: string, payload: unknown, opts?: { id?: string; key?: string }): Promise<{ id: string; duplicate: boolean }>;
  work<P>(kind: string, handler: JobHandler<P>, opts?: Partial<WorkerOptions>): void;
  /** Jobs of this kind waiting or in progress. */
  depth(kind: string): Promise<number>;
  healthy(): boolean;
  stop(): Promise<void>;
}

export function retryDelay(backoffMs: number, deliveries: number): number {
  return Math.min(backoffMs * 2 ** Math.max(0, deliveries - 1), 5 * 60_000);
}

/** FNV-1a: a stable, fast hash of an ordering key onto one of `n` partitions. */
export function partitionOf(key: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % n;
}
