// The WhatsApp inbound command: one guest message or one status of a delivery Meta signed, after
// the webhook placed it on its channel (and so its hotel). The same code runs behind the queued
// webhook (whatsapp.inbound / whatsapp.status jobs) and the in-process one.
//
// Idempotent by wamid: a message is stored through GuestMessages.receive with the wamid as its
// provider id (a replay finds it claimed), a held message is keyed by its wamid, and a status only
// moves a message forward. Messages of one guest are processed in order (the job key is the
// guest's number; the in-process webhook runs one guest's messages one after another).
import { DEPARTMENTS, canonicalDepartments, type Department } from '../../core/departments.js';
import { NotFoundError, UnavailableError, ValidationError, isAppError } from '../../core/errors.js';
import { normalizePhone } from '../../directory/phone.js';
import type { Logger } from '../../obs/log.js';
import type { Sql } from '../../store/db.js';
import type { GuestContext } from '../../store/guests.js';
import * as wa from '../../store/whatsapp-inbound.js';
import { Lru } from '../../util/lru.js';
import type { GuestMessageInput, GuestMessages } from '../commands/guest-message.js';
import type { SystemCommands } from '../commands/system.js';
import type { GuestContextCache } from '../guest-cache.js';
import { truncateCodePoints } from '../../core/text.js';
import type { WaInbound, WaStatusUpdate } from './map.js';
import { menuDepartments, routeInbound, type WaRoute } from './route.js';

/** One guest message placed on its channel. */
export interface WaInboundJob {
  channel_id: number;
  hotel_id: string;
  item: WaInbound;
}

/**
 * Payload of a whatsapp.inbound job: the messages and statuses of one change of a delivery (one
 * business number), in Meta's order. One publish makes a whole change durable.
 */
export interface WaBatchJob {
  channel_id: number;
  hotel_id: string;
  messages: WaInbound[];
  statuses: WaStatusUpdate[];
}

/** Payload of a whatsapp.status job. */
export interface WaStatusJob {
  channel_id: number;
  hotel_id: string;
  update: WaStatusUpdate;
}

/** Payload of the whatsapp.send job that sends the department menu (an interactive list). */
export interface DepartmentMenuJob {
  action: 'department_menu';
  channel_id: number;
  to: string;
  departments: string[];
}

export interface WhatsAppInboundDeps {
  sql: Sql;
  guests: Pick<GuestContextCache, 'get' | 'forget'>;
  guestMessages: Pick<GuestMessages, 'receive'>;
  delivery: Pick<SystemCommands, 'deliveryStatus'>;
  /** Durably queues the department menu; `id` de-duplicates it (one menu per held message). */
  sendMenu: (job: DepartmentMenuJob, id: string) => Promise<void>;
  phoneRegion?: string;
  log: Logger;
}

export type InboundOutcome = 'stored' | 'duplicate' | 'held';
export type StatusOutcome = 'moved' | 'unchanged' | 'unknown';

/** A guest who keeps writing without choosing gets the menu again after this long. */
const MENU_AGAIN_S = 600;
/** Held messages per guest; past it they go to Reception rather than wait without bound. */
const HOLD_MAX = 50;
const ACTIVE_TTL_MS = 30_000;
const MENU_TTL_MS = 60_000;

export class WhatsAppInbound {
  /** guest id → their active service conversation (trusted briefly; a closed one is found on append). */
  private active = new Lru<number, { id: number; at: number }>(100_000);
  /** conversation id → the channel last recorded on it (skips the write when it did not change). */
  private channelOf = new Lru<number, number>(100_000);
  private menus = new Lru<string, { departments: string[]; at: number }>(10_000);

  constructor(private readonly deps: WhatsAppInboundDeps) {}

  /**
   * A change: each guest's messages in order, guests in parallel, then the statuses. A message
   * that can never be stored (4xx) is logged and passed over, or the change would be retried for
   * days; anything else throws (the whole change is retried: stored messages are found claimed).
   * Returns the statuses whose message is not known (yet): the caller retries those apart.
   */
  async batch(job: WaBatchJob): Promise<{ unknown: WaStatusUpdate[] }> {
    const byGuest = new Map<string, WaInbound[]>();
    for (const m of job.messages) {
      const list = byGuest.get(m.from);
      if (list) list.push(m);
      else byGuest.set(m.from, [m]);
    }
    const place = { channel_id: job.channel_id, hotel_id: job.hotel_id };
    await Promise.all(
      [...byGuest.values()].map(async (list) => {
        for (const item of list) await this.settle(() => this.message({ ...place, item }), item.wamid);
      }),
    );
    const unknown: WaStatusUpdate[] = [];
    await Promise.all(
      job.statuses.map(async (update) => {
        if ((await this.settle(() => this.status({ ...place, update }), update.wamid)) === 'unknown') unknown.push(update);
      }),
    );
    return { unknown };
  }

  private async settle<T>(run: () => Promise<T>, wamid: string): Promise<T | undefined> {
    try {
      return await run();
    } catch (err) {
      if (!isAppError(err) || err.status >= 500) throw err;
      this.deps.log.warn({ wamid, err: err.message }, 'WhatsApp message could not be stored');
      return undefined;
    }
  }

  async message(job: WaInboundJob): Promise<InboundOutcome> {
    const { item } = job;
    const number = normalizePhone(`+${item.from}`, this.deps.phoneRegion);
    if (!number) throw ValidationError.of({ from: 'is not a valid WhatsApp number' });
    const guest = await this.guest(job.hotel_id, number, item.name);
    for (let attempt = 0; attempt < 3; attempt++) {
      const active = await this.activeConversation(guest);
      const route = routeInbound(guest.status, item.department, active?.id);
      if (route.to === 'hold') return this.hold(job, guest, number);
      try {
        if (route.to === 'department' && route.releaseHeld) await this.release(job, guest, number, { department: route.department });
        // A conversation staff opened while the guest's messages were held: they go there first.
        // Looked for only when the active conversation was read from the database (once per TTL).
        if (route.to === 'conversation' && active?.fresh) await this.release(job, guest, number, { conversationId: route.conversationId });
        const r = await this.deps.guestMessages.receive(await this.input(job, item, number, route));
        if (r.conversation_type === 'service') this.active.set(guest.guest_id, { id: r.conversation_id, at: Date.now() });
        await this.recordChannel(r.conversation_id, job.channel_id);
        return r.duplicate ? 'duplicate' : 'stored';
      } catch (err) {
        // The conversation we believed active was closed meanwhile: decide again.
        if (route.to === 'conversation' && err instanceof NotFoundError) {
          this.active.delete(guest.guest_id);
          continue;
        }
        throw err;
      }
    }
    throw new UnavailableError('the guest\'s conversation kept closing; retry');
  }

  async status(job: WaStatusJob): Promise<StatusOutcome> {
    const { update } = job;
    // Only a message of the channel's hotel: a status signed by another app never reaches ours.
    const m = await wa.outboundByWamid(this.deps.sql, update.wamid, job.hotel_id);
    if (!m) return 'unknown';
    const moved = await this.deps.delivery.deliveryStatus(m.conversation_id, m.id, update.status, update.error);
    return moved ? 'moved' : 'unchanged';
  }

  /** The guest with this number at the channel's hotel; a stranger becomes a guest pending check-in. */
  private async guest(hotelId: string, number: string, name: string | null): Promise<GuestContext> {
    const known = await this.deps.guests.get(hotelId, number);
    if (known) return known;
    await wa.ensureGuest(this.deps.sql, hotelId, number, name ? truncateCodePoints(name, 200) : '');
    this.deps.guests.forget(hotelId, number);
    const created = await this.deps.guests.get(hotelId, number);
    if (!created) throw new UnavailableError('the guest record is not visible yet; retry');
    return created;
  }

  /** The guest's active service conversation; `fresh` when it was just read from the database. */
  private async activeConversation(guest: GuestContext): Promise<{ id: number; fresh: boolean } | undefined> {
    if (guest.status !== 'checked_in') return undefined;
    const hit = this.active.get(guest.guest_id);
    if (hit && Date.now() - hit.at < ACTIVE_TTL_MS) return { id: hit.id, fresh: false };
    const id = await wa.activeServiceConversation(this.deps.sql, guest.guest_id, guest.hotel_id);
    if (id === undefined) {
      this.active.delete(guest.guest_id);
      return undefined;
    }
    this.active.set(guest.guest_id, { id, at: Date.now() });
    return { id, fresh: true };
  }

  private async input(job: WaInboundJob, item: WaInbound, number: string, route: Exclude<WaRoute, { to: 'hold' }>): Promise<GuestMessageInput> {
    const media = item.media;
    return {
      hotel_id: job.hotel_id,
      whatsapp_number: number,
      message: item.reaction ? await this.reactionText(job.hotel_id, item.reaction) : item.content,
      message_type: item.messageType,
      provider_message_id: item.wamid,
      ...(route.to === 'conversation' ? { conversation_id: route.conversationId } : { department: route.department }),
      ...(media
        ? { media_id: media.id, media_filename: media.filename ?? media.kind, media_source: `wa:${job.channel_id}:${media.kind}:${media.id}` }
        : {}),
    };
  }

  /** "Reacted 👍 to “see you at 8”": names the message reacted to when it is one of ours. */
  private async reactionText(hotelId: string, r: NonNullable<WaInbound['reaction']>): Promise<string> {
    const target = await wa.messageByWamid(this.deps.sql, r.messageId, hotelId);
    const what = target ? (target.message_type === 'text' ? `“${truncateCodePoints(target.content, 60)}”` : `a ${target.message_type}`) : 'a message';
    return r.emoji ? `Reacted ${r.emoji} to ${what}` : `Removed a reaction from ${what}`;
  }

  private async recordChannel(conversationId: number, channelId: number): Promise<void> {
    if (this.channelOf.get(conversationId) === channelId) return;
    await wa.setConversationChannel(this.deps.sql, conversationId, channelId);
    this.channelOf.set(conversationId, channelId);
  }

  /** Holds the message until the guest picks a department; the first one held sends the menu. */
  private async hold(job: WaInboundJob, guest: GuestContext, number: string): Promise<InboundOutcome> {
    const h = await wa.holdMessage(this.deps.sql, { wamid: job.item.wamid, hotel_id: job.hotel_id, guest_id: guest.guest_id, channel_id: job.channel_id, item: job.item }, MENU_AGAIN_S);
    if (!h.inserted) return 'duplicate';
    if (h.total + 1 >= HOLD_MAX) {
      // A guest who never chooses: what they wrote reaches the front desk instead of waiting.
      await this.release(job, guest, number, { department: 'Reception' });
      return 'stored';
    }
    if (h.recent === 0) {
      const departments = await this.menu(job.hotel_id);
      await this.deps.sendMenu({ action: 'department_menu', channel_id: job.channel_id, to: job.item.from, departments }, `menu:${job.item.wamid}`);
    }
    return 'held';
  }

  /** Stores the guest's held messages, oldest first, in the department they chose (or a conversation). */
  private async release(
    job: WaInboundJob,
    guest: GuestContext,
    number: string,
    to: { department: Department } | { conversationId: number },
  ): Promise<void> {
    const held = await wa.heldMessages(this.deps.sql, guest.guest_id, guest.hotel_id);
    if (held.length === 0) return;
    const route: Exclude<WaRoute, { to: 'hold' }> =
      'department' in to ? { to: 'department', department: to.department, releaseHeld: false } : { to: 'conversation', conversationId: to.conversationId };
    for (const h of held) {
      const heldJob = { channel_id: h.channel_id ?? job.channel_id, hotel_id: job.hotel_id, item: h.item as WaInbound };
      await this.deps.guestMessages.receive(await this.input(heldJob, heldJob.item, number, route));
    }
    await wa.dropHeld(this.deps.sql, held.map((h) => h.wamid));
  }

  private async menu(hotelId: string): Promise<string[]> {
    const hit = this.menus.get(hotelId);
    if (hit && Date.now() - hit.at < MENU_TTL_MS) return hit.departments;
    const { departments: named } = canonicalDepartments(await wa.staffDepartments(this.deps.sql, hotelId));
    const departments = menuDepartments(named, DEPARTMENTS);
    this.menus.set(hotelId, { departments, at: Date.now() });
    return departments;
  }
}
