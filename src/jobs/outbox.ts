// Relays the outbox (rows written in the same statement as their message) to the job queue.
// A relay pass claims rows with SKIP LOCKED, enqueues them and deletes them in one transaction:
// if the enqueue fails the rows stay for the next pass. Job ids are derived from the row, so a
// pass that enqueued but could not commit does not create a second job (queue de-duplication,
// plus idempotent handlers). Actors kick the relay right after a commit; a timer sweeps the rest.
import type { Logger } from '../obs/log.js';
import type { Sql } from '../store/db.js';
import { claimOutbox } from '../store/outbox.js';
import type { JobQueue } from './queue.js';

export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(private readonly deps: { sql: Sql; queue: JobQueue; log: Logger; intervalMs: number; batch?: number }) {}

  start(): void {
    if (this.stopped) return;
    this.timer = setInterval(() => this.kick(), this.deps.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Runs a pass soon (coalesced). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() => void this.pass());
  }

  private async pass(): Promise<void> {
    try {
      let moved = 0;
      do {
        this.again = false;
        moved = await this.deps.sql.begin(async (tx) => {
          const rows = await claimOutbox(tx, this.deps.batch ?? 200);
          for (const r of rows) await this.deps.queue.enqueue(r.kind, { message_id: r.message_id }, { id: `outbox-${r.id}` });
          return rows.length;
        });
      } while (!this.stopped && (this.again || moved === (this.deps.batch ?? 200)));
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'outbox relay pass failed; will retry');
    } finally {
      this.running = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 20));
  }
}
