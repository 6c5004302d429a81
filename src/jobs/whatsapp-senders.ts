// Who sends a reply, and how fast.
//
// Sender: the conversation's channel (the number the guest last wrote to) with that channel's
// token; else the hotel's only active WhatsApp Cloud API channel; else the legacy global sender
// (WHATSAPP_TOKEN / WHATSAPP_PHONE_NUMBER_ID); else nobody (the reply fails with that reason).
//
// Pace: one SendPacer per phone_number_id, shared by every send job of this node. The state is
// per node: with N nodes sending for the same number the cluster may reach N × the rate, which is
// why WHATSAPP_SEND_RATE_PER_S is meant to be Meta's limit divided by the number of nodes. Meta's
// throttling answers pause the number on this node for the time they ask.
import { SendPacer } from '../core/whatsapp.js';
import type { WhatsAppChannel } from '../core/channel.js';
import type { WhatsAppSender } from '../providers/whatsapp.js';
import type { Sql } from '../store/db.js';
import { whatsappChannel } from '../store/channels.js';
import { sendingChannelsOfHotel } from '../store/whatsapp.js';

export interface ResolvedSender extends WhatsAppSender {
  /** The channel it belongs to; null for the legacy global sender. */
  channelId: number | null;
}

export interface SenderDeps {
  sql: Sql;
  /** Graph API base URL of channel sends (WHATSAPP_API_URL or Meta's). */
  apiUrl: string;
  legacy: WhatsAppSender | null;
}

function ofChannel(apiUrl: string, c: WhatsAppChannel): ResolvedSender | null {
  if (!c.is_active || !c.access_token) return null;
  return { apiUrl, token: c.access_token, phoneNumberId: c.phone_number_id, channelId: c.id };
}

export async function resolveSender(deps: SenderDeps, hotelId: string, channelId: number | null): Promise<ResolvedSender | null> {
  if (channelId !== null) {
    const c = await whatsappChannel(deps.sql, channelId);
    const s = c && c.hotel_id === hotelId ? ofChannel(deps.apiUrl, c) : null;
    if (s) return s;
  }
  const mine = await sendingChannelsOfHotel(deps.sql, hotelId);
  if (mine.length === 1) return ofChannel(deps.apiUrl, mine[0]!);
  return deps.legacy ? { ...deps.legacy, channelId: null } : null;
}

/** A channel named by a job (the department menu): only if active with a token. */
export async function channelSender(deps: SenderDeps, channelId: number): Promise<ResolvedSender | null> {
  const c = await whatsappChannel(deps.sql, channelId);
  return c ? ofChannel(deps.apiUrl, c) : null;
}

/** The pacers of the numbers this node sends from; bounded (idle ones are forgotten first). */
export class SendPacers {
  private readonly pacers = new Map<string, SendPacer>();

  constructor(
    private readonly ratePerS: number,
    private readonly maxNumbers = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private get(phoneNumberId: string): SendPacer {
    let p = this.pacers.get(phoneNumberId);
    if (!p) {
      if (this.pacers.size >= this.maxNumbers) this.prune();
      p = new SendPacer(this.ratePerS);
      this.pacers.set(phoneNumberId, p);
    }
    return p;
  }

  private prune(): void {
    const now = this.now();
    for (const [k, p] of this.pacers) if (p.idle(now)) this.pacers.delete(k);
    // Still full: the oldest entry goes (it starts fresh if it sends again).
    if (this.pacers.size >= this.maxNumbers) {
      const first = this.pacers.keys().next().value;
      if (first !== undefined) this.pacers.delete(first);
    }
  }

  /** Milliseconds until this number could send (nothing is booked). */
  wait(phoneNumberId: string): number {
    return this.pacers.get(phoneNumberId)?.wait(this.now()) ?? 0;
  }

  /** Milliseconds to wait before this send (its slot is booked). */
  reserve(phoneNumberId: string): number {
    return this.get(phoneNumberId).reserve(this.now());
  }

  pause(phoneNumberId: string, ms: number): void {
    this.get(phoneNumberId).pause(this.now(), ms);
  }
}
