// A plain guest text row for the group commit, as the actor would hand it to the writer.
import type { NewMessage } from '../../src/store/messages.js';

export function guestTextRow(conversationId: number, content: string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    conversation_id: conversationId,
    sender_type: 'guest',
    sender_id: null,
    message_type: 'text',
    content,
    preview: content,
    media_key: null,
    media_url: null,
    media_filename: null,
    media_content_type: null,
    provider_message_id: null,
    delivery_status: null,
    media_source: null,
    outbox_kinds: [],
    ...over,
  };
}
