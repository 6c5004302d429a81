// Group commit for message inserts. Appends from all conversation actors of the node are queued;
// while fewer than `maxInFlight` statements run, whatever is queued goes out as one statement
// (store/messages.ts appendMessages). At low load a message waits for nothing; under load each
// statement carries many messages, so throughput grows instead of round trips piling up.
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
      let inserted: InsertedMessage[] | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          inserted = await appendMessages(this.deps.sql, batch.map((p) => p.row));
          break;
        } catch (err) {
          const code = (err as { code?: string }).code ?? '';
          if (!RETRYABLE.has(code) || attempt >= 3) throw err;
          this.deps.log.warn({ code, attempt, size: batch.length }, 'message batch conflicted; retrying');
        }
      }
      const byOrd = new Map<number, InsertedMessage>();
      for (const m of inserted) byOrd.set(m.ord, m);
      batch.forEach((p, i) => p.resolve(byOrd.get(i + 1) ?? null));
      this.deps.messages.inc(undefined, inserted.length);
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
      else if (this.inFlight === 0) for (const r of this.idle.splice(0)) r();
    }
  }

  /** Resolves once nothing is queued or being written. */
  drained(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }
}
