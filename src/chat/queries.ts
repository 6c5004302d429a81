// Reads of conversations and messages. Nothing here writes: access is decided from the
// conversation's facts; the live state comes from the actor, lists and pages from the store.
import { canonicalDepartment, DEPARTMENTS } from '../core/departments.js';
import type { ChatUser } from '../core/directory.js';
import { effectiveDepartments } from '../directory/roles.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { PageParams } from '../protocol/rest/paging.js';
import * as convStore from '../store/conversations.js';
import type { ConversationRow, ConversationState } from '../core/chat.js';
import type { Sql } from '../store/db.js';
import * as msgStore from '../store/messages.js';
import type { Paged } from '../core/paging.js';
import { askConversation, conversationState, type ActorAccess } from './commands/ask.js';
import { authoriseStaff, staffOnly, type ConversationFactsCache } from './conversation-facts.js';
import type { ConversationType, MessageView } from '../core/chat.js';
import { CONVERSATION_TYPES } from '../core/chat.js';
import { guestOfRow, viewOf } from './views.js';

export interface ChatQueryDeps extends ActorAccess {
  sql: Sql;
  facts: Pick<ConversationFactsCache, 'get'>;
}

/** Conversation types staff see in their list unless they ask for one (bot flows stay out). */
const LISTED_TYPES: ConversationType[] = CONVERSATION_TYPES.filter((t) => t !== 'checkin' && t !== 'demo');
const RESUME_LIMIT = 500;

export class ChatQueries {
  constructor(private readonly deps: ChatQueryDeps) {}

  /** The conversation as its actor holds it, after the caller's access check. */
  async conversation(user: ChatUser, conversationId: number): Promise<ConversationState> {
    await authoriseStaff(this.deps.facts, user, conversationId);
    return askConversation<ConversationState>(this.deps, conversationId, (reply) => ({ t: 'view', user, reply }));
  }

  async list(user: ChatUser, q: { status?: string; department?: string; conversation_type?: ConversationType }, page: PageParams): Promise<Paged<ConversationRow>> {
    staffOnly(user);
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

  /** One conversation with a page of its messages (the caller's unread count; no participant row is written). */
  async detail(user: ChatUser, conversationId: number, q: { before_seq?: number; since_seq?: number; limit?: number }): Promise<{ row: ConversationRow; messages: MessageView[] }> {
    await authoriseStaff(this.deps.facts, user, conversationId);
    const [row, stored] = await Promise.all([
      convStore.getConversationRow(this.deps.sql, conversationId, user.id),
      msgStore.listMessages(this.deps.sql, conversationId, { beforeSeq: q.before_seq, sinceSeq: q.since_seq, limit: q.limit ?? 50 }),
    ]);
    if (!row) throw new NotFoundError('Conversation not found');
    const guest = guestOfRow(row);
    return { row, messages: stored.map((m) => viewOf(m, guest)) };
  }

  /** Messages after `sinceSeq` for a reconnecting client, or `too_many` when too many were missed. */
  async resume(user: ChatUser, conversationId: number, sinceSeq: number): Promise<{ messages: MessageView[]; lastSeq: number } | { failed: 'too_many'; lastSeq: number }> {
    const s = await this.conversation(user, conversationId);
    const stored = await msgStore.listMessages(this.deps.sql, conversationId, { sinceSeq, limit: RESUME_LIMIT + 1 });
    if (stored.length > RESUME_LIMIT) return { failed: 'too_many', lastSeq: s.last_seq };
    const messages = stored.map((m) => viewOf(m, s.guest));
    return { messages, lastSeq: messages.at(-1)?.seq ?? sinceSeq };
  }

  /** Messages from..to (gap repair on the delivery side). */
  async range(conversationId: number, fromSeq: number, toSeq: number): Promise<MessageView[]> {
    const s = await conversationState(this.deps, conversationId);
    const stored = await msgStore.messagesBySeqRange(this.deps.sql, conversationId, fromSeq, toSeq);
    return stored.map((m) => viewOf(m, s.guest));
  }
}
