// Guest contexts (guest, current stay, room) by hotel and WhatsApp number, for the webhook hot
// path. The hotel is always the one of the channel the message arrived on, so a record another
// hotel made for the same number is never consulted. Misses are batched into one query per
// event-loop turn; hits are trusted for ttlMs. A check-in, check-out or guest edit invalidates the
// entry on every node (a broadcast), and the TTL bounds staleness if a broadcast is lost. Unknown
// guests are remembered briefly too, so a flood of webhooks for strangers does not become a flood
// of queries.
import type { GuestContext, GuestKey } from '../store/guests.js';
import { BatchLoader } from '../util/batch-loader.js';
import { Lru } from '../util/lru.js';

const keyOf = (hotelId: string, number: string) => `${hotelId}|${number}`;

export class GuestContextCache {
  private entries = new Lru<string, { ctx: GuestContext | null; at: number }>(100_000);
  private keyOfGuest = new Lru<number, string>(100_000);
  private loader: BatchLoader<string, GuestContext>;

  constructor(
    fetch: (keys: GuestKey[]) => Promise<GuestContext[]>,
    private readonly ttlMs: number,
    private readonly negativeTtlMs = 2000,
  ) {
    this.loader = new BatchLoader(async (keys) => {
      const rows = await fetch(keys.map((k) => ({ hotel_id: k.slice(0, k.indexOf('|')), whatsapp_number: k.slice(k.indexOf('|') + 1) })));
      return new Map(rows.map((r) => [keyOf(r.hotel_id, r.whatsapp_number), r]));
    });
  }

  /** The guest with this number at this hotel (the channel's), or undefined. */
  async get(hotelId: string, number: string): Promise<GuestContext | undefined> {
    const key = keyOf(hotelId, number);
    const hit = this.entries.get(key);
    const now = Date.now();
    if (hit && now - hit.at < (hit.ctx ? this.ttlMs : this.negativeTtlMs)) return hit.ctx ?? undefined;
    const ctx = await this.loader.load(key);
    this.entries.set(key, { ctx: ctx ?? null, at: now });
    if (ctx) this.keyOfGuest.set(ctx.guest_id, key);
    return ctx;
  }

  /** Drops what is known of a number at a hotel (a guest record was just created for it). */
  forget(hotelId: string, number: string): void {
    this.entries.delete(keyOf(hotelId, number));
  }

  /**
   * Drops what is known of a guest: the entry found under its id and, when given, the entry of its
   * current number at its hotel — a number remembered as unknown (a negative entry has no guest id)
   * must not outlive the guest record that now answers it.
   */
  invalidateGuest(guestId: number, current?: { hotel_id: string; whatsapp_number: string }): void {
    const key = this.keyOfGuest.get(guestId);
    if (key) this.entries.delete(key);
    if (current) this.entries.delete(keyOf(current.hotel_id, current.whatsapp_number));
  }
}
