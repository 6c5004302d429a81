// Asking a conversation's actor, under the node's deadline: a missed deadline or a full mailbox
// is a 503 with Retry-After (UnavailableError, OverloadedError), never anything else.
import { ask, type ReplyTo } from '../../actors/ask.js';
import type { Registry } from '../../actors/registry.js';
import type { ConversationActor, ConversationCmd } from '../conversation-actor.js';
import type { ConversationState } from '../../core/chat.js';

export interface ActorAccess {
  conversations: Pick<Registry<ConversationActor>, 'get' | 'peek'>;
  askTimeoutMs: number;
}

export function askConversation<T>(a: ActorAccess, conversationId: number, build: (reply: ReplyTo<T>) => ConversationCmd): Promise<T> {
  return ask(a.conversations.get(String(conversationId)), build, a.askTimeoutMs);
}

/** The conversation as its actor holds it (no access check: callers have done it). */
export function conversationState(a: ActorAccess, conversationId: number): Promise<ConversationState> {
  return askConversation<ConversationState>(a, conversationId, (reply) => ({ t: 'view', user: null, reply }));
}
