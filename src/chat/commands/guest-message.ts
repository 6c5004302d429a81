// A guest message from the provider webhook (synchronous route or the inbound.webhook job):
// validated, placed in the guest's active conversation (created when missing) and appended by
// that conversation's actor. Idempotent by provider_message_id.
import { canonicalDepartment, DEPARTMENTS, type Department } from '../../core/departments.js';
import { normalizePhone } from '../../directory/phone.js';
import { NotFoundError, UnavailableError, ValidationError } from '../../core/errors.js';
import * as convStore from '../../store/conversations.js';
import type { Sql } from '../../store/db.js';
import type { GuestContext } from '../../store/guests.js';
import * as msgStore from '../../store/messages.js';
import { Lru } from '../../util/lru.js';
import type { AppendInput, AppendOutcome } from '../conversation-actor.js';
import type { ConversationFactsCache } from '../conversation-facts.js';
import type { GuestContextCache } from '../guest-cache.js';
import type { ConversationState, ConversationType, MediaType, MessageType } from '../../core/chat.js';
import { conversationTypeFor, startsConversation } from '../rules.js';
import { askConversation, conversationState, type ActorAccess } from './ask.js';

export interface GuestMessageDeps extends ActorAccess {
  sql: Sql;
  facts: Pick<ConversationFactsCache, 'get'>;
  guests: Pick<GuestContextCache, 'get'>;
  phoneRegion?: string;
  /** Provider media ids can be downloaded (a WhatsApp API is configured). */
  providerMedia: boolean;
}

export interface GuestMessageInput {
  /** Hotel of the channel the message arrived on: the guest is looked up only there. */
  hotel_id: string;
  /** The channel's external id (kept for logs and queued jobs). */
  channel?: string;
  whatsapp_number: string;
  message: string;
  /** 'system': a note about what the guest sent (a kind that cannot be shown), stored as the guest's. */
  message_type?: 'text' | MediaType | 'system';
  department?: string;
  conversation_id?: number;
  provider_message_id?: string;
  media_url?: string;
  media_id?: string;
  media_filename?: string;
  /** Where the media.ingest job fetches the media (a channel's WhatsApp media id); overrides media_url/media_id. */
  media_source?: string;
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

export class GuestMessages {
  private resolved = new Lru<string, number>(50_000);
  private resolving = new Map<string, Promise<number>>();
  private inflightProviderIds = new Map<string, Promise<GuestMessageResult>>();

  constructor(private readonly deps: GuestMessageDeps) {}

  /** A guest message from the provider webhook. Idempotent by provider_message_id. */
  receive(input: GuestMessageInput): Promise<GuestMessageResult> {
    const pid = input.provider_message_id;
    if (!pid) return this.store(input);
    const running = this.inflightProviderIds.get(pid);
    if (running) return running.then((r) => ({ ...r, duplicate: true as const }));
    const p = this.store(input).finally(() => this.inflightProviderIds.delete(pid));
    this.inflightProviderIds.set(pid, p);
    return p;
  }

  /**
   * Several queued messages of one guest, in order (the inbound.webhook job's backlog): each
   * conversation's messages are appended together, in one write, stored all or none. Resolves
   * with how many, from the first, are stored (or were already); it stops before the first one
   * that cannot be placed or stored here, so that one and those after it go through receive()
   * again. A message after that point may already be stored only in another conversation, where
   * receive() finds it a duplicate; in its own conversation nothing after it is stored.
   */
  async receiveMany(inputs: GuestMessageInput[]): Promise<number> {
    const placed: { target: number; input: AppendInput }[] = [];
    const ids = new Set<string>();
    for (const input of inputs) {
      // The same message twice in one write would fail the whole write: the copy waits.
      const pid = input.provider_message_id;
      if (pid !== undefined && ids.has(pid)) break;
      if (pid !== undefined) ids.add(pid);
      try {
        placed.push(await this.place(input));
      } catch {
        break;
      }
    }
    const byTarget = new Map<number, number[]>();
    placed.forEach((p, i) => {
      const list = byTarget.get(p.target);
      if (list) list.push(i);
      else byTarget.set(p.target, [i]);
    });
    const stored: boolean[] = new Array<boolean>(placed.length).fill(false);
    const duplicates: number[] = [];
    await Promise.all(
      [...byTarget].map(async ([target, idx]) => {
        try {
          const outcomes = await askConversation<AppendOutcome[]>(this.deps, target, (reply) => ({ t: 'appendMany', inputs: idx.map((i) => placed[i]!.input), reply }));
          outcomes.forEach((o, k) => {
            if (o.status === 'ok') stored[idx[k]!] = true;
            else if (o.status === 'duplicate') duplicates.push(idx[k]!);
          });
        } catch {
          // not stored: receive() tries these again
        }
      }),
    );
    // A duplicate counts as stored only once its original is found: an append that found nothing
    // to store may also have met a conversation closed and reopened meanwhile (receive() answers
    // such a message after looking its original up, too).
    if (duplicates.length > 0) {
      const found = await msgStore.storedProviderIds(this.deps.sql, duplicates.map((i) => placed[i]!.input.providerMessageId!)).catch(() => new Set<string>());
      for (const i of duplicates) stored[i] = found.has(placed[i]!.input.providerMessageId!);
    }
    const done = stored.indexOf(false);
    return done === -1 ? placed.length : done;
  }

  /** Where a message goes (the conversation, created when missing) and what is appended there. */
  private async place(input: GuestMessageInput): Promise<{ target: number; input: AppendInput }> {
    const { guest, department, appendInput } = await this.prepare(input);
    const target = input.conversation_id !== undefined
      ? await this.explicitConversation(input.conversation_id, guest)
      : await this.resolveConversation(guest, department!);
    return { target, input: appendInput };
  }

  /** Validates a message and finds its guest. */
  private async prepare(input: GuestMessageInput): Promise<{ guest: GuestContext; department: Department | null; appendInput: AppendInput }> {
    const number = normalizePhone(input.whatsapp_number, this.deps.phoneRegion);
    if (!number) throw ValidationError.of({ whatsapp_number: 'is not a valid phone number' });
    const messageType: MessageType = input.message_type ?? 'text';
    if (messageType !== 'text' && messageType !== 'system' && !input.media_url && !input.media_id) {
      throw ValidationError.of({ media_url: `media_url or media_id is required for ${messageType} messages` });
    }
    if ((messageType === 'text' || messageType === 'system') && input.message.trim() === '') throw ValidationError.of({ message: 'cannot be empty' });
    let department: Department | null = null;
    if (input.department !== undefined) {
      department = canonicalDepartment(input.department);
      if (!department) throw ValidationError.of({ department: `must be one of ${DEPARTMENTS.join(', ')}` });
    } else if (input.conversation_id === undefined) {
      throw ValidationError.of({ department: 'is required when conversation_id is not given' });
    }
    const guest = await this.deps.guests.get(input.hotel_id, number);
    if (!guest) throw new NotFoundError('Guest not found');
    return { guest, department, appendInput: this.appendInput(input, messageType) };
  }

  private async store(input: GuestMessageInput): Promise<GuestMessageResult> {
    const { guest, department, appendInput } = await this.prepare(input);
    for (let attempt = 0; attempt < 3; attempt++) {
      const target = input.conversation_id !== undefined
        ? await this.explicitConversation(input.conversation_id, guest)
        : await this.resolveConversation(guest, department!);
      const outcome = await askConversation<AppendOutcome>(this.deps, target, (reply) => ({ t: 'append', input: appendInput, reply }));
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
      this.resolved.delete(this.resolveKey(guest, department));
      if (input.conversation_id !== undefined) throw new NotFoundError('Conversation not found or not active');
    }
    throw new UnavailableError('the conversation kept closing; retry');
  }

  private appendInput(input: GuestMessageInput, messageType: MessageType): AppendInput {
    return {
      sender: { kind: 'guest' },
      messageType,
      content: input.message,
      providerMessageId: input.provider_message_id,
      media:
        messageType === 'text' || messageType === 'system'
          ? undefined
          : {
              key: null,
              url: input.media_url ?? null,
              filename: input.media_filename ?? input.media_id ?? `${messageType}`,
              contentType: null,
              // Copied into our store by the media.ingest job (provider URLs expire).
              source: input.media_source ?? input.media_url ?? (input.media_id && this.deps.providerMedia ? `media_id:${input.media_id}` : null),
            },
    };
  }

  private async originalResult(providerMessageId: string): Promise<GuestMessageResult> {
    const m = await msgStore.findByProviderId(this.deps.sql, providerMessageId);
    if (!m) throw new UnavailableError('duplicate of a message that is not visible yet; retry');
    const s = await conversationState(this.deps, m.conversation_id);
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

  /**
   * A conversation of this node changed status (its actor's event): the next guest message must
   * not go to a conversation that is no longer active, and a reopened one is the active one of
   * its key (one active conversation per guest, hotel, department and type). A change made on
   * another node is found by the append itself (it answers "closed" and the id is resolved again).
   */
  conversationMoved(c: Pick<ConversationState, 'id' | 'guest_id' | 'hotel_id' | 'department' | 'conversation_type' | 'status'>): void {
    const key = `${c.guest_id}:${c.hotel_id}:${c.department}:${c.conversation_type}`;
    if (c.status === 'active') this.resolved.set(key, c.id);
    else if (this.resolved.get(key) === c.id) this.resolved.delete(key);
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
}
