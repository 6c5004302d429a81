// The chat command layer: the one entrance used by REST handlers, socket frames and job
// consumers. Writes go through the ConversationActor of the conversation; reads go to the store.
// Transports only decode, call these methods and encode the result.
//
// Authorise before allocating: a command naming a conversation id is checked against the
// conversation's facts (hotel, department, guest; ConversationFactsCache, no actor) before its
// actor is asked, so an id a caller may not use — or that does not exist — never spawns one.
import { ask } from '../actors/ask.js';
import type { Registry } from '../actors/registry.js';
import { canonicalDepartment, DEPARTMENTS, type Department } from '../core/departments.js';
import type { User } from '../core/directory.js';
import { normalizePhone } from '../directory/phone.js';
import { effectiveDepartments, isChatStaff } from '../directory/roles.js';
import { attachmentFor } from '../media/attachment.js';
import type { MediaSigner } from '../media/signer.js';
import { ConflictError, ForbiddenError, NotFoundError, UnavailableError, ValidationError } from '../core/errors.js';
import type { PageParams } from '../protocol/rest/paging.js';
import * as convStore from '../store/conversations.js';
import type { Sql } from '../store/db.js';
import { guestContextAt, type GuestContext } from '../store/guests.js';
import * as msgStore from '../store/messages.js';
import type { Paged } from '../core/paging.js';
import { Lru } from '../util/lru.js';
import type { ConversationFacts, ConversationFactsCache } from './conversation-facts.js';
import type { GuestContextCache } from './guest-cache.js';
import type { AppendInput, AppendOutcome, ConversationActor, ConversationCmd, ReadOutcome } from './conversation-actor.js';
import type { ConversationRow, ConversationState, ConversationType, DeliveryStatus, GuestSnapshot, MediaType, MessageType, MessageView } from '../core/chat.js';
import { CONVERSATION_TYPES } from '../core/chat.js';
import { conversationAccess, conversationTypeFor, deliveryAllowedFrom, firstName, staffName, startsConversation } from './rules.js';
import type { ChatEvents } from './events.js';

export interface ChatServiceDeps {
  sql: Sql;
  conversations: Registry<ConversationActor>;
  facts: Pick<ConversationFactsCache, 'get'>;
  guests: GuestContextCache;
  signer: MediaSigner;
  askTimeoutMs: number;
  phoneRegion?: string;
  /** Whether staff replies can reach WhatsApp (a provider is configured). */
  whatsappEnabled: boolean;
  /** Queues a provider-side action (e.g. the reopen button). */
  enqueueOutbound: (payload: Record<string, unknown>) => Promise<void>;
  /** Provider media ids can be downloaded (a WhatsApp API is configured). */
  providerMedia: boolean;
  events: Pick<ChatEvents, 'messageStatus'>;
}

export interface GuestMessageInput {
  /** Hotel of the channel the message arrived on: the guest is looked up only there. */
  hotel_id: string;
  /** The channel's external id (kept for logs and queued jobs). */
  channel?: string;
  whatsapp_number: string;
  message: string;
  message_type?: 'text' | MediaType;
  department?: string;
  conversation_id?: number;
  provider_message_id?: string;
  media_url?: string;
  media_id?: string;
  media_filename?: string;
}

export interface GuestMessageResult {
  message: string;
  message_id: number;
  conversation_id: number;
  seq: number;
  department: Department;
  conversation_type: ConversationType;
  conversation_created: boolean;
  duplicate?: true;
}

export interface MediaInput {
  conversation_id: number;
  file_url: string;
  filename: string;
  file_type: MediaType;
  caption?: string;
}

/** Conversation types staff see in their list unless they ask for one (bot flows stay out). */
const LISTED_TYPES: ConversationType[] = CONVERSATION_TYPES.filter((t) => t !== 'checkin' && t !== 'demo');
const RESUME_LIMIT = 500;

export function viewOf(m: msgStore.StoredMessage, guest: GuestSnapshot): MessageView {
  const sender_name = m.sender_type === 'guest' ? firstName(guest.full_name) : m.sender_type === 'staff' ? (m.staff_name ?? 'Staff') : 'System';
  const { staff_name: _, ...rest } = m;
  return { ...rest, sender_name, guest };
}

export class ChatService {
  private resolved = new Lru<string, number>(50_000);
  private resolving = new Map<string, Promise<number>>();
  private inflightProviderIds = new Map<string, Promise<GuestMessageResult>>();

  constructor(private readonly deps: ChatServiceDeps) {}

  private ask<T>(conversationId: number, build: (reply: import('../actors/ask.js').ReplyTo<T>) => ConversationCmd): Promise<T> {
    return ask(this.deps.conversations.get(String(conversationId)), build, this.deps.askTimeoutMs);
  }

  // ───────────── guest side ─────────────

  /** A guest message from the provider webhook. Idempotent by provider_message_id. */
  receiveGuestMessage(input: GuestMessageInput): Promise<GuestMessageResult> {
    const pid = input.provider_message_id;
    if (!pid) return this.storeGuestMessage(input);
    const running = this.inflightProviderIds.get(pid);
    if (running) return running.then((r) => ({ ...r, duplicate: true as const }));
    const p = this.storeGuestMessage(input).finally(() => this.inflightProviderIds.delete(pid));
    this.inflightProviderIds.set(pid, p);
    return p;
  }

  private async storeGuestMessage(input: GuestMessageInput): Promise<GuestMessageResult> {
    const number = normalizePhone(input.whatsapp_number, this.deps.phoneRegion);
    if (!number) throw ValidationError.of({ whatsapp_number: 'is not a valid phone number' });
    const messageType: MessageType = input.message_type ?? 'text';
    if (messageType !== 'text' && !input.media_url && !input.media_id) {
      throw ValidationError.of({ media_url: `media_url or media_id is required for ${messageType} messages` });
    }
    if (messageType === 'text' && input.message.trim() === '') throw ValidationError.of({ message: 'cannot be empty' });
    let department: Department | null = null;
    if (input.department !== undefined) {
      department = canonicalDepartment(input.department);
      if (!department) throw ValidationError.of({ department: `must be one of ${DEPARTMENTS.join(', ')}` });
    } else if (input.conversation_id === undefined) {
      throw ValidationError.of({ department: 'is required when conversation_id is not given' });
    }
    const guest = await this.deps.guests.get(input.hotel_id, number);
    if (!guest) throw new NotFoundError('Guest not found');

    const appendInput: AppendInput = {
      sender: { kind: 'guest' },
      messageType,
      content: input.message,
      providerMessageId: input.provider_message_id,
      media:
        messageType === 'text'
          ? undefined
          : {
              key: null,
              url: input.media_url ?? null,
              filename: input.media_filename ?? input.media_id ?? `${messageType}`,
              contentType: null,
              // Copied into our store by the media.ingest job (provider URLs expire).
              source: input.media_url ?? (input.media_id && this.deps.providerMedia ? `media_id:${input.media_id}` : null),
            },
    };

    for (let attempt = 0; attempt < 3; attempt++) {
      const target = input.conversation_id !== undefined
        ? await this.explicitConversation(input.conversation_id, guest)
        : await this.resolveConversation(guest, department!);
      const outcome = await this.ask<AppendOutcome>(target, (reply) => ({ t: 'append', input: appendInput, reply }));
      if (outcome.status === 'ok') {
        return {
          message: 'Webhook processed successfully',
          message_id: outcome.message.id,
          conversation_id: outcome.conversation.id,
          seq: outcome.message.seq,
          department: outcome.conversation.department,
          conversation_type: outcome.conversation.conversation_type,
          conversation_created: startsConversation(outcome.message.seq),
        };
      }
      if (outcome.status === 'duplicate') return this.originalResult(input.provider_message_id!);
      // Closed meanwhile (or our cached id was stale): resolve again.
      this.forgetResolved(guest, department);
      if (input.conversation_id !== undefined) throw new NotFoundError('Conversation not found or not active');
    }
    throw new UnavailableError('the conversation kept closing; retry');
  }

  private async originalResult(providerMessageId: string): Promise<GuestMessageResult> {
    const m = await msgStore.findByProviderId(this.deps.sql, providerMessageId);
    if (!m) throw new UnavailableError('duplicate of a message that is not visible yet; retry');
    const s = await this.state(m.conversation_id);
    return {
      message: 'Webhook processed successfully',
      message_id: m.id,
      conversation_id: m.conversation_id,
      seq: m.seq,
      department: s.department,
      conversation_type: s.conversation_type,
      conversation_created: startsConversation(m.seq),
      duplicate: true,
    };
  }

  /** A conversation the webhook named: the guest's own at that hotel (a closed one is refused on append). */
  private async explicitConversation(id: number, guest: GuestContext): Promise<number> {
    const f = await this.deps.facts.get(id);
    if (!f || f.guest_id !== guest.guest_id || f.hotel_id !== guest.hotel_id) throw new NotFoundError('Conversation not found or not active');
    return id;
  }

  private resolveKey(guest: GuestContext, department: Department | null): string {
    // The type is part of the key: after a check-in or check-out the guest's next message goes
    // to a conversation of the new type.
    return `${guest.guest_id}:${guest.hotel_id}:${department}:${conversationTypeFor(guest.status)}`;
  }

  private forgetResolved(guest: GuestContext, department: Department | null): void {
    this.resolved.delete(this.resolveKey(guest, department));
  }

  /** The active conversation for (guest, hotel, department, type), created when missing. */
  private async resolveConversation(guest: GuestContext, department: Department): Promise<number> {
    const key = this.resolveKey(guest, department);
    const cached = this.resolved.get(key);
    if (cached !== undefined) return cached;
    let running = this.resolving.get(key);
    if (!running) {
      running = convStore
        .findOrCreateActive(this.deps.sql, { guest_id: guest.guest_id, hotel_id: guest.hotel_id, department, conversation_type: conversationTypeFor(guest.status) })
        .then((r) => {
          this.resolved.set(key, r.id);
          return r.id;
        })
        .finally(() => this.resolving.delete(key));
      this.resolving.set(key, running);
    }
    return running;
  }

  // ───────────── staff side ─────────────

  private staffOnly(user: User): void {
    if (!isChatStaff(user)) throw new ForbiddenError('Access denied. Only staff members can use chat.');
  }

  /** 404 across hotels and for unknown ids, 403 across departments — decided without an actor. */
  private async authorise(user: User, conversationId: number): Promise<ConversationFacts> {
    this.staffOnly(user);
    const f = await this.deps.facts.get(conversationId, `staff:${user.id}`);
    const access = f ? conversationAccess(user, f) : 'not_found';
    if (access === 'not_found') throw new NotFoundError('Conversation not found');
    if (access === 'forbidden') throw new ForbiddenError('Access denied to this conversation');
    return f!;
  }

  async sendText(user: User, conversationId: number, content: string): Promise<MessageView> {
    const text = content.trim();
    if (!text) throw ValidationError.of({ content: 'Message content cannot be empty' });
    await this.authorise(user, conversationId);
    return this.appendStaff(conversationId, { sender: { kind: 'staff', user }, messageType: 'text', content: text });
  }

  /**
   * A staff attachment: an upload of this conversation, typed by its sniffed content (see
   * media/attachment.ts; the frame's file_type and filename are not trusted). The message insert
   * marks the upload as used in the same statement (trigger of sql/006_media_attach.sql).
   */
  async sendMedia(user: User, m: MediaInput): Promise<MessageView> {
    await this.authorise(user, m.conversation_id);
    const file = await attachmentFor(this.deps, m.conversation_id, m.file_url);
    return this.appendStaff(m.conversation_id, {
      sender: { kind: 'staff', user },
      messageType: file.kind,
      content: m.caption?.trim() || file.filename,
      media: { key: file.key, url: null, filename: file.filename, contentType: file.contentType },
    });
  }

  private async appendStaff(conversationId: number, input: AppendInput): Promise<MessageView> {
    const outcome = await this.ask<AppendOutcome>(conversationId, (reply) => ({ t: 'append', input, reply }));
    if (outcome.status !== 'ok') throw new ConflictError('This conversation is closed');
    return outcome.message;
  }

  async markRead(user: User, conversationId: number, messageIds: number[] | null): Promise<ReadOutcome> {
    await this.authorise(user, conversationId);
    return this.ask<ReadOutcome>(conversationId, (reply) => ({ t: 'read', staff: user, messageIds, reply }));
  }

  async typing(user: User, conversationId: number, isTyping: boolean): Promise<void> {
    await this.authorise(user, conversationId);
    await this.ask<void>(conversationId, (reply) => ({ t: 'typing', who: { kind: 'staff', user }, isTyping, reply }));
  }

  async guestTyping(guestId: number, conversationId: number, isTyping: boolean): Promise<void> {
    const f = await this.deps.facts.get(conversationId, `guest:${guestId}`);
    if (!f || f.guest_id !== guestId) throw new NotFoundError('Conversation not found');
    return this.ask<void>(conversationId, (reply) => ({ t: 'typing', who: { kind: 'guest', guestId }, isTyping, reply }));
  }

  /** Closes an active conversation. Returns false if it was not active. */
  async close(user: User | null, conversationId: number): Promise<boolean> {
    if (user) await this.authorise(user, conversationId);
    return this.ask<boolean>(conversationId, (reply) => ({ t: 'close', by: user, reply }));
  }

  /** Asks the guest on WhatsApp whether to continue an expired conversation (a button). */
  async reopenTemporary(user: User, conversationId: number): Promise<void> {
    const s = await this.conversation(user, conversationId);
    if (s.conversation_type !== 'service') throw new ValidationError('WhatsApp button messages are only supported for service conversations');
    if (!this.deps.whatsappEnabled) throw new UnavailableError('WhatsApp sending is not configured on this server; the reopen button was not sent');
    await this.deps.enqueueOutbound({
      action: 'reopen_button',
      conversation_id: s.id,
      to: s.guest.whatsapp_number,
      department: s.department,
      requested_by: user.id,
    });
  }

  /** Staff create a service conversation with a checked-in guest of their hotel. */
  async createConversation(user: User, rawNumber: string, rawDepartment: string): Promise<{ conversation_id: number; created: boolean; guest_name: string; department: Department }> {
    this.staffOnly(user);
    const department = canonicalDepartment(rawDepartment);
    const number = normalizePhone(rawNumber, this.deps.phoneRegion);
    const bad: Record<string, string> = {};
    if (!department) bad['department_type'] = `must be one of ${DEPARTMENTS.join(', ')}`;
    if (!number) bad['guest_whatsapp_number'] = 'Invalid phone number format';
    if (Object.keys(bad).length) throw ValidationError.of(bad);
    if (!effectiveDepartments(user).includes(department!)) throw new ForbiddenError(`You are not in the ${department} department`);
    const guest = await guestContextAt(this.deps.sql, user.hotel_id!, number!);
    if (!guest) throw ValidationError.of({ guest_whatsapp_number: 'Guest not found' });
    if (guest.stay_status !== 'active') throw ValidationError.of({ guest_whatsapp_number: 'Guest does not have an active stay' });
    const { id, created } = await convStore.findOrCreateActive(this.deps.sql, {
      guest_id: guest.guest_id,
      hotel_id: guest.hotel_id,
      department: department!,
      conversation_type: 'service',
    });
    if (created) {
      // Every listed conversation has at least one message (the dashboard needs last_message).
      await this.ask<AppendOutcome>(id, (reply) => ({
        t: 'append',
        input: { sender: { kind: 'system' }, messageType: 'system', content: `Conversation started by ${staffName(user)}` },
        reply,
      }));
      await convStore.joinConversation(this.deps.sql, id, user.id);
    }
    return { conversation_id: id, created, guest_name: guest.full_name, department: department! };
  }

  // ───────────── reads ─────────────

  private async state(conversationId: number): Promise<ConversationState> {
    return this.ask<ConversationState>(conversationId, (reply) => ({ t: 'view', user: null, reply }));
  }

  /** The conversation as its actor holds it, after the caller's access check. */
  async conversation(user: User, conversationId: number): Promise<ConversationState> {
    await this.authorise(user, conversationId);
    return this.ask<ConversationState>(conversationId, (reply) => ({ t: 'view', user, reply }));
  }

  async list(user: User, q: { status?: string; department?: string; conversation_type?: ConversationType }, page: PageParams): Promise<Paged<ConversationRow>> {
    this.staffOnly(user);
    let departments = effectiveDepartments(user);
    if (q.department !== undefined) {
      const d = canonicalDepartment(q.department);
      if (!d) throw ValidationError.of({ department: `must be one of ${DEPARTMENTS.join(', ')}` });
      departments = departments.filter((x) => x === d);
    }
    return convStore.listConversations(
      this.deps.sql,
      { staffId: user.id, hotelId: user.hotel_id!, departments, status: q.status ?? 'active', types: q.conversation_type ? [q.conversation_type] : LISTED_TYPES },
      page,
    );
  }

  async detail(user: User, conversationId: number, q: { before_seq?: number; since_seq?: number; limit?: number }): Promise<{ row: ConversationRow; messages: MessageView[] }> {
    await this.authorise(user, conversationId);
    const row = await convStore.getConversationRow(this.deps.sql, conversationId, user.id);
    if (!row) throw new NotFoundError('Conversation not found');
    const [stored] = await Promise.all([
      msgStore.listMessages(this.deps.sql, conversationId, { beforeSeq: q.before_seq, sinceSeq: q.since_seq, limit: q.limit ?? 50 }),
      convStore.joinConversation(this.deps.sql, conversationId, user.id),
    ]);
    const guest = guestOfRow(row);
    return { row, messages: stored.map((m) => viewOf(m, guest)) };
  }

  /** Messages after `sinceSeq` for a reconnecting client, or null when too many were missed. */
  async resume(user: User, conversationId: number, sinceSeq: number): Promise<{ messages: MessageView[]; lastSeq: number } | { failed: 'too_many'; lastSeq: number }> {
    const s = await this.conversation(user, conversationId);
    const stored = await msgStore.listMessages(this.deps.sql, conversationId, { sinceSeq, limit: RESUME_LIMIT + 1 });
    if (stored.length > RESUME_LIMIT) return { failed: 'too_many', lastSeq: s.last_seq };
    const messages = stored.map((m) => viewOf(m, s.guest));
    return { messages, lastSeq: messages.at(-1)?.seq ?? sinceSeq };
  }

  /** Live actors of the guest's conversations reload their copy (room, status). */
  async guestChanged(guestId: number): Promise<void> {
    this.deps.guests.invalidateGuest(guestId);
    for (const { id } of await convStore.conversationsOfGuest(this.deps.sql, guestId)) {
      const actor = this.deps.conversations.peek(String(id));
      if (actor) await ask<ConversationCmd, void>(actor, (reply) => ({ t: 'refresh', reply }), this.deps.askTimeoutMs).catch(() => undefined);
    }
  }

  /** Closes the guest's active conversations at a hotel (their last stay there ended). */
  async closeGuestConversations(guestId: number, hotelId: string): Promise<void> {
    for (const { id } of await convStore.activeConversationsOfGuest(this.deps.sql, guestId, hotelId)) {
      await this.close(null, id);
    }
  }

  /**
   * A provider's delivery receipt for one of our outbound messages. Status only moves forward
   * (queued → sent → delivered → read; failed from queued or sent); anything else is ignored.
   */
  async providerStatus(providerMessageId: string, status: DeliveryStatus, error: string | null): Promise<{ updated: boolean }> {
    const m = await msgStore.findOutbound(this.deps.sql, providerMessageId);
    if (!m) return { updated: false };
    const moved = await msgStore.setDeliveryStatus(this.deps.sql, m.id, status, error, deliveryAllowedFrom(status));
    if (moved) this.deps.events.messageStatus(await this.state(m.conversation_id), m.id, status);
    return { updated: moved };
  }

  /** Socket frames of messages from..to (gap repair on the delivery side). */
  async range(conversationId: number, fromSeq: number, toSeq: number): Promise<MessageView[]> {
    const s = await this.state(conversationId);
    const stored = await msgStore.messagesBySeqRange(this.deps.sql, conversationId, fromSeq, toSeq);
    return stored.map((m) => viewOf(m, s.guest));
  }
}

export function guestOfRow(row: ConversationRow): GuestSnapshot {
  return { id: row.guest_id, full_name: row.g_full_name, whatsapp_number: row.g_number, email: row.g_email, room_number: row.room_number, floor: row.floor };
}
