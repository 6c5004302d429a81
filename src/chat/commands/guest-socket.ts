// Commands of a guest socket (/ws/guest/…): only typing; guest messages come through WhatsApp.
import { NotFoundError } from '../../core/errors.js';
import type { ConversationFactsCache } from '../conversation-facts.js';
import { askConversation, type ActorAccess } from './ask.js';

export interface GuestSocketDeps extends ActorAccess {
  facts: Pick<ConversationFactsCache, 'get'>;
}

export class GuestSocketCommands {
  constructor(private readonly deps: GuestSocketDeps) {}

  async typing(guestId: number, conversationId: number, isTyping: boolean): Promise<void> {
    const f = await this.deps.facts.get(conversationId, `guest:${guestId}`);
    if (!f || f.guest_id !== guestId) throw new NotFoundError('Conversation not found');
    await askConversation<void>(this.deps, conversationId, (reply) => ({ t: 'typing', who: { kind: 'guest', guestId }, isTyping, reply }));
  }
}
