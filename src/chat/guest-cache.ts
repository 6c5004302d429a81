// Guest contexts (guest, hotel of the current stay, room) by WhatsApp number, for the webhook hot
// path. Misses are batched into one query per event-loop turn; hits are trusted for ttlMs. A
// check-in, check-out or guest edit invalidates the entry on every node (a broadcast), and the TTL
// bounds staleness if a broadcast is lost. Unknown numbers are remembered briefly too, so a flood
// of webhooks for strangers does not become a flood of queries.
import type { GuestContext } from '../store/guests.js';
import { BatchLoader } from '../util/batch-loader.js';
import { Lru } from '../util/lru.js';

export class GuestContextCache {
  private entries = new Lru<string, { ctx: GuestContext | null; at: number }>(100_000);
  private numberOf = new Lru<number, string>(100_000);
  private loader: BatchLoader<string, GuestContext>;

  constructor(
    fetch: (numbers: string[]) => Promise<GuestContext[]>,
    private readonly ttlMs: number,
    private readonly negativeTtlMs = 2000,
  ) {
    this.loader = new BatchLoader(async (numbers) => {
      const rows = await fetch(numbers);
      return new Map(rows.map((r) => [r.whatsapp_number, r]));
    });
  }

  async get(number: string): Promise<GuestContext | undefined> {
    const hit = this.entries.get(number);
    const now = Date.now();
    if (hit && now - hit.at < (hit.ctx ? this.ttlMs : this.negativeTtlMs)) return hit.ctx ?? undefined;
    const ctx = await this.loader.load(number);
    this.entries.set(number, { ctx: ctx ?? null, at: now });
    if (ctx) this.numberOf.set(ctx.guest_id, number);
    return ctx;
  }

  invalidateGuest(guestId: number): void {
    const number = this.numberOf.get(guestId);
    if (number) this.entries.delete(number);
  }

  invalidateNumber(number: string): void {
    this.entries.delete(number);
  }
}
