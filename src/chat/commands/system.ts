// Commands without a staff member behind them: cron sweeps, background jobs, provider receipts
// and directory changes. Each goes to the conversation's actor like any other command, so it is
// committed whole and followed by its event.
import type { Logger } from '../../obs/log.js';
import * as convStore from '../../store/conversations.js';
import type { Sql } from '../../store/db.js';
import * as msgStore from '../../store/messages.js';
import * as guestStore from '../../store/guests.js';
import { ask } from '../../actors/ask.js';
import type { ConversationCmd } from '../conversation-actor.js';
import type { IngestedMedia } from '../conversation-store.js';
import type { GuestContextCache } from '../guest-cache.js';
import type { DeliveryStatus } from '../../core/chat.js';
import { askConversation, type ActorAccess } from './ask.js';

export interface SystemCommandDeps extends ActorAccess {
  sql: Sql;
  guests: Pick<GuestContextCache, 'invalidateGuest'>;
  log: Logger;
}

export class SystemCommands {
  constructor(private readonly deps: SystemCommandDeps) {}

  /** Closes an active conversation (idle sweep, check-out). False if it was not active. */
  close(conversationId: number): Promise<boolean> {
    return askConversation<boolean>(this.deps, conversationId, (reply) => ({ t: 'close', by: null, reply }));
  }

  /** Archives a closed conversation (archive sweep). False if it was not closed. */
  archive(conversationId: number): Promise<boolean> {
    return askConversation<boolean>(this.deps, conversationId, (reply) => ({ t: 'archive', reply }));
  }

  /**
   * Delivery progress of an outbound message (the send job, a provider receipt). Status only
   * moves forward (queued → sent → delivered → read; failed from queued or sent); a move that is
   * not forward changes nothing and sends nothing.
   */
  deliveryStatus(
    conversationId: number,
    messageId: number,
    status: DeliveryStatus,
    error: string | null,
    providerMessageId: string | null = null,
  ): Promise<boolean> {
    return askConversation<boolean>(this.deps, conversationId, (reply) => ({ t: 'delivery', messageId, status, error, providerMessageId, reply }));
  }

  /** A provider's delivery receipt for one of our outbound messages, by the provider's id. */
  async providerStatus(providerMessageId: string, status: DeliveryStatus, error: string | null): Promise<{ updated: boolean }> {
    const m = await msgStore.findOutbound(this.deps.sql, providerMessageId);
    if (!m) return { updated: false };
    return { updated: await this.deliveryStatus(m.conversation_id, m.id, status, error) };
  }

  /** A guest's media was copied into our store: the message points at it from now on. */
  mediaIngested(conversationId: number, messageId: number, media: IngestedMedia): Promise<boolean> {
    return askConversation<boolean>(this.deps, conversationId, (reply) => ({ t: 'media_ingested', messageId, media, reply }));
  }

  /** Closes the guest's active conversations at a hotel (their last stay there ended). */
  async closeGuestConversations(guestId: number, hotelId: string): Promise<void> {
    for (const { id } of await convStore.activeConversationsOfGuest(this.deps.sql, guestId, hotelId)) await this.close(id);
  }

  /**
   * Live actors of the guest's conversations reload their copy (room, status). One that does not
   * answer keeps its copy until it passivates: logged, and the others still refresh.
   */
  async guestChanged(guestId: number): Promise<void> {
    this.deps.guests.invalidateGuest(guestId);
    const current = await guestStore.findGuest(this.deps.sql, guestId, null);
    if (current) this.deps.guests.invalidateGuest(guestId, current);
    for (const { id } of await convStore.conversationsOfGuest(this.deps.sql, guestId)) {
      const actor = this.deps.conversations.peek(String(id));
      if (!actor) continue;
      try {
        await ask<ConversationCmd, void>(actor, (reply) => ({ t: 'refresh', reply }), this.deps.askTimeoutMs);
      } catch (err) {
        this.deps.log.warn({ err, guest: guestId, conversation: id }, 'a live conversation did not reload its guest');
      }
    }
  }
}
