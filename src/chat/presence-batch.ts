// Presence writes of all department actors of the node, batched: the changes asked for in one
// event-loop turn go out as one statement (store/presence.ts presenceChangesMany). A reconnect
// storm touches every department of the node at once; without this it cost one statement per
// department per actor batch. Each caller gets the rows of its own change, or the statement's
// error; at most `maxInFlight` statements run at once and later changes wait for the next one.
import type { Department } from '../core/departments.js';
import type { PresenceChange } from '../store/presence.js';

type Row = { user_id: number; dir: 'up' | 'down'; elsewhere: boolean };
type ManyRow = Row & { idx: number };

interface Pending {
  change: PresenceChange;
  resolve: (rows: Row[]) => void;
  reject: (err: unknown) => void;
}

export class PresenceBatch {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;

  constructor(
    private readonly writeMany: (changes: PresenceChange[]) => Promise<ManyRow[]>,
    private readonly maxInFlight = 2,
    private readonly maxChanges = 500,
  ) {}

  /** Same contract as presenceChanges for one department of this node. */
  write(c: { nodeId?: string; hotelId: string; department: Department; up: number[]; down: number[] }): Promise<Row[]> {
    if (c.up.length === 0 && c.down.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ change: { hotelId: c.hotelId, department: c.department, up: c.up, down: c.down }, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length > 0 && this.inFlight < this.maxInFlight) void this.flush(this.queue.splice(0, this.maxChanges));
    });
  }

  private async flush(batch: Pending[]): Promise<void> {
    this.inFlight++;
    try {
      const rows = await this.writeMany(batch.map((p) => p.change));
      const per: Row[][] = batch.map(() => []);
      for (const r of rows) per[r.idx]?.push({ user_id: Number(r.user_id), dir: r.dir, elsewhere: r.elsewhere });
      batch.forEach((p, i) => p.resolve(per[i]!));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}
