// What a ConversationActor reads and writes, as one narrow interface: the actor's unit tests pass
// a fake of it, and pgConversationStore binds it to the SQL of store/. Each write is one statement
// or one transaction, so a command is committed whole or not at all before its event is sent.
import type { Sql } from '../store/db.js';
import * as convStore from '../store/conversations.js';
import type { ConversationState } from '../core/chat.js';
import * as mediaStore from '../store/media.js';
import * as msgStore from '../store/messages.js';
import type { StoredMessage } from '../store/messages.js';
import { ValidationError } from '../core/errors.js';
import type { DeliveryStatus, MediaType } from '../core/chat.js';
import { markRead } from './read-state.js';
import { deliveryAllowedFrom } from './rules.js';

export type ConversationStatus = ConversationState['status'];

export interface ReadOutcome {
  upToSeq: number;
  marked: number;
}

/** A provider's media, copied into our store, that a guest message now points at. */
export interface IngestedMedia {
  key: string;
  contentType: string;
  filename: string;
  type: MediaType;
}

export interface ConversationStore {
  load(id: number): Promise<ConversationState | undefined>;
  /** Moves the status from `from` to `to`; false when it was not `from` any more. */
  setStatus(id: number, from: ConversationStatus, to: ConversationStatus, staffId: number | null): Promise<boolean>;
  /** Marks exactly `messageIds` (or everything) read for this staff member; joins them on first use. */
  markRead(conversationId: number, staffId: number, messageIds: number[] | null): Promise<ReadOutcome>;
  /** Moves a message of this conversation forward to `status`; false when that is not a forward move. */
  setDeliveryStatus(conversationId: number, messageId: number, status: DeliveryStatus, error: string | null, providerMessageId: string | null): Promise<boolean>;
  /** Points a message of this conversation at its ingested media; the updated message, or undefined if it has none. */
  setMessageMedia(conversationId: number, messageId: number, media: IngestedMedia): Promise<StoredMessage | undefined>;
}

export function pgConversationStore(sql: Sql): ConversationStore {
  return {
    load: (id) => convStore.loadConversationState(sql, id),
    setStatus: (id, from, to, staffId) => convStore.setStatus(sql, id, from, to, staffId),
    setDeliveryStatus: (conversationId, messageId, status, error, providerMessageId) =>
      msgStore.setDeliveryStatus(sql, { conversationId, id: messageId }, status, error, deliveryAllowedFrom(status), providerMessageId),
    setMessageMedia: (conversationId, messageId, media) => mediaStore.setMessageMedia(sql, { conversationId, id: messageId }, media),
    markRead: (conversationId, staffId, messageIds) =>
      sql.begin(async (tx) => {
        const current = await convStore.lockParticipant(tx, conversationId, staffId);
        let seqs: number[] = [];
        let upTo: number | undefined;
        if (messageIds) {
          const found = await msgStore.seqsOf(tx, conversationId, messageIds);
          const known = new Set(found.map((f) => f.id));
          const unknown = messageIds.filter((id) => !known.has(id));
          if (unknown.length) throw ValidationError.of({ message_ids: `not messages of conversation ${conversationId}: ${unknown.join(', ')}` });
          seqs = found.map((f) => f.seq);
        } else {
          upTo = await convStore.lastSeq(tx, conversationId);
        }
        const next = markRead({ lastReadSeq: current.last_read_seq, readSeqs: current.read_seqs }, seqs, upTo);
        await convStore.saveParticipantRead(tx, conversationId, staffId, next.lastReadSeq, next.readSeqs);
        await msgStore.stampGuestMessagesRead(tx, conversationId, upTo ?? 0, seqs);
        return { upToSeq: Math.max(next.lastReadSeq, ...seqs), marked: messageIds ? seqs.length : (upTo ?? 0) - current.last_read_seq };
      }),
  };
}
