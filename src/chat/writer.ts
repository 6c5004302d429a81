// Group commit for message inserts. Appends from all conversation actors of the node are queued;
// while fewer than `maxInFlight` statements run, whatever is queued goes out as one statement
// (store/messages.ts appendMessages). At low load a message waits for nothing; under load each
// statement carries many messages, so throughput grows instead of round trips piling up.
//
// One row must never fail another: rows come from many conversations and hotels. When Postgres
// refuses a batch for its data (SQLSTATE class 22 or 23: a value it cannot store, a violated
// constraint), the batch is split in halves and each half is written again, down to the single
// rows it refuses; every other row is stored. The halves go one after the other, so rows of one
// conversation keep their order. Other failures (connection, timeout) reject the whole batch.
import type { Logger } from '../obs/log.js';
import type { Counter, Histogram } from '../obs/metrics.js';
import { OverloadedError } from '../protocol/errors.js';
import type { Sql } from '../store/db.js';
import { appendMessages, type InsertedMessage, type NewMessage } from '../store/messages.js';

interface Pending {
  row: NewMessage;
  resolve: (r: InsertedMessage | null) => void;
  reject: (e: unknown) => void;
}

export interface WriterDeps {
  sql: Sql;
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
  private inFlight = 0;
  private scheduled = false;
  private idle: Array<() => void> = [];

  constructor(private readonly deps: WriterDeps) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Resolves per row with the inserted message, or null when it was not stored (see appendMessages). */
  append(rows: NewMessage[]): Promise<(InsertedMessage | null)[]> {
    if (this.queue.length + rows.length > this.deps.maxQueued) {
      return Promise.reject(new OverloadedError('message writer is saturated; retry shortly'));
    }
    const promises = rows.map(
      (row) => new Promise<InsertedMessage | null>((resolve, reject) => this.queue.push({ row, resolve, reject })),
    );
    this.schedule();
    return Promise.all(promises);
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.deps.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // One macrotask hop gathers everything that arrives in the same event-loop turn.
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.deps.maxInFlight && this.queue.length > 0) {
        void this.flush(this.queue.splice(0, this.deps.batchMax));
      }
    });
  }

  private async flush(batch: Pending[]): Promise<void> {
    this.inFlight++;
    this.deps.batches.observe(batch.length);
    try {
      await this.write(batch);
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
      else if (this.inFlight === 0) for (const r of this.idle.splice(0)) r();
    }
  }

  /** Writes `batch`, bisecting around rows the database refuses; settles every row. */
  private async write(batch: Pending[]): Promise<void> {
    let inserted: InsertedMessage[];
    try {
      inserted = await this.insert(batch);
    } catch (err) {
      if (!isRowError(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      if (batch.length === 1) {
        const row = batch[0]!;
        this.deps.log.warn({ code: codeOf(err), conversationId: row.row.conversation_id, err: (err as Error).message }, 'database refused a message; stored the rest of its batch');
        row.reject(err);
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.write(batch.slice(0, half));
      await this.write(batch.slice(half));
      return;
    }
    const byOrd = new Map<number, InsertedMessage>();
    for (const m of inserted) byOrd.set(m.ord, m);
    batch.forEach((p, i) => p.resolve(byOrd.get(i + 1) ?? null));
    this.deps.messages.inc(undefined, inserted.length);
  }

  /** One statement for the batch, retried on serialization failures and deadlocks. */
  private async insert(batch: Pending[]): Promise<InsertedMessage[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await appendMessages(this.deps.sql, batch.map((p) => p.row));
      } catch (err) {
        const code = codeOf(err);
        if (!RETRYABLE.has(code) || attempt >= 3) throw err;
        this.deps.log.warn({ code, attempt, size: batch.length }, 'message batch conflicted; retrying');
      }
    }
  }

  /** Resolves once nothing is queued or being written. */
  drained(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }
}
