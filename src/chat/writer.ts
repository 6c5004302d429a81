// Group commit for message inserts. Appends from all conversation actors of the node are queued;
// while fewer than `maxInFlight` statements run, whatever is queued goes out as one statement
// (store/messages.ts appendMessages). At low load a message waits for nothing; under load each
// statement carries many messages, so throughput grows instead of round trips piling up.
//
// The unit is one append() call (an actor's run of messages for its conversation): its rows are
// stored all or none, in one statement, and never split across statements.
//
// One call must never fail another: calls come from many conversations and hotels. When Postgres
// refuses a statement for its data (SQLSTATE class 22 or 23: a value it cannot store, a violated
// constraint), its calls are split in halves and each half is written again, down to the single
// calls it refuses; every other call is stored. The halves go one after the other, so messages of
// one conversation keep their order. Other failures (connection, timeout) reject the whole batch.
import type { Logger } from '../obs/log.js';
import type { Counter, Histogram } from '../obs/metrics.js';
import { OverloadedError } from '../core/errors.js';
import type { InsertedMessage, NewMessage } from '../store/messages.js';

interface Pending {
  rows: NewMessage[];
  resolve: (r: (InsertedMessage | null)[]) => void;
  reject: (e: unknown) => void;
}

export interface WriterDeps {
  /** One statement that stores `rows` (store/messages.ts appendMessages; a fake in unit tests). */
  insert: (rows: NewMessage[]) => Promise<InsertedMessage[]>;
  log: Logger;
  batchMax: number;
  maxInFlight: number;
  maxQueued: number;
  batches: Histogram;
  messages: Counter;
}

const RETRYABLE = new Set(['40P01', '40001']);

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** Postgres refused what a row holds (data exception, integrity violation), not how it was sent. */
function isRowError(err: unknown): boolean {
  const code = codeOf(err);
  return code.length === 5 && (code.startsWith('22') || code.startsWith('23'));
}

export class MessageWriter {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private inFlight = 0;
  private scheduled = false;
  private idle: Array<() => void> = [];

  constructor(private readonly deps: WriterDeps) {}

  /** Rows waiting for a statement. */
  get queued(): number {
    return this.queuedRows;
  }

  /**
   * Stores `rows` (all or none) and resolves per row with the inserted message, or null when it
   * was not stored (see appendMessages); rejects when the database refuses any of them.
   */
  append(rows: NewMessage[]): Promise<(InsertedMessage | null)[]> {
    if (rows.length === 0) return Promise.resolve([]);
    if (this.queuedRows + rows.length > this.deps.maxQueued) {
      return Promise.reject(new OverloadedError('message writer is saturated; retry shortly'));
    }
    const done = new Promise<(InsertedMessage | null)[]>((resolve, reject) => this.queue.push({ rows, resolve, reject }));
    this.queuedRows += rows.length;
    this.schedule();
    return done;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.deps.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // One macrotask hop gathers everything that arrives in the same event-loop turn.
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.deps.maxInFlight && this.queue.length > 0) void this.flush(this.nextBatch());
    });
  }

  /** Whole calls from the head of the queue, up to batchMax rows (at least one call). */
  private nextBatch(): Pending[] {
    let rows = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || rows + this.queue[n]!.rows.length <= this.deps.batchMax)) rows += this.queue[n++]!.rows.length;
    this.queuedRows -= rows;
    return this.queue.splice(0, n);
  }

  private async flush(batch: Pending[]): Promise<void> {
    this.inFlight++;
    this.deps.batches.observe(batch.reduce((n, p) => n + p.rows.length, 0));
    try {
      await this.write(batch);
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
      else if (this.inFlight === 0) for (const r of this.idle.splice(0)) r();
    }
  }

  /** Writes `batch`, bisecting around calls the database refuses; settles every call. */
  private async write(batch: Pending[]): Promise<void> {
    const rows = batch.flatMap((p) => p.rows);
    let inserted: InsertedMessage[];
    try {
      inserted = await this.insert(rows);
    } catch (err) {
      if (!isRowError(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      if (batch.length === 1) {
        const conversations = [...new Set(rows.map((r) => r.conversation_id))];
        this.deps.log.warn({ code: codeOf(err), conversations, rows: rows.length, err: (err as Error).message }, 'database refused messages; stored the rest of their batch');
        batch[0]!.reject(err);
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.write(batch.slice(0, half));
      await this.write(batch.slice(half));
      return;
    }
    const byOrd = new Map<number, InsertedMessage>();
    for (const m of inserted) byOrd.set(m.ord, m);
    let ord = 1;
    for (const p of batch) p.resolve(p.rows.map(() => byOrd.get(ord++) ?? null));
    this.deps.messages.inc(undefined, inserted.length);
  }

  /** One statement, retried on serialization failures and deadlocks. */
  private async insert(rows: NewMessage[]): Promise<InsertedMessage[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.insert(rows);
      } catch (err) {
        const code = codeOf(err);
        if (!RETRYABLE.has(code) || attempt >= 3) throw err;
        this.deps.log.warn({ code, attempt, size: rows.length }, 'message batch conflicted; retrying');
      }
    }
  }

  /** Resolves once nothing is queued or being written. */
  drained(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }
}
