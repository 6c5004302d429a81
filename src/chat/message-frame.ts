// The socket `message` event: built and serialized here only, so the bytes a live event carries,
// a gap repair fetches and a resume replays are the same.
import type { MessageView } from '../core/chat.js';
import { firstName } from './rules.js';

const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());

export type MediaUrl = (m: { media_key: string | null; media_url: string | null }) => string | null;

/** `data` of a socket `message` event. guest_info.name is the first name, as the original sent it. */
export function socketMessage(v: MessageView, mediaUrl: MediaUrl) {
  return {
    id: v.id,
    conversation_id: v.conversation_id,
    seq: v.seq,
    sender_type: v.sender_type,
    sender_name: v.sender_name,
    sender_id: v.sender_id,
    message_type: v.message_type,
    content: v.content,
    media_url: mediaUrl(v),
    media_filename: v.media_filename,
    is_read: v.read_at !== null,
    created_at: iso(v.created_at),
    updated_at: iso(v.updated_at),
    guest_info: {
      id: v.guest.id,
      name: firstName(v.guest.full_name),
      whatsapp_number: v.guest.whatsapp_number,
      room_number: v.guest.room_number,
    },
  };
}

/** The whole `message` event as sockets receive it. */
export function messageFrame(v: MessageView, mediaUrl: MediaUrl) {
  return { type: 'message' as const, data: socketMessage(v, mediaUrl) };
}

/** The `message` event serialized: the one place its JSON is produced outside the event envelope. */
export function encodeMessageFrame(v: MessageView, mediaUrl: MediaUrl): string {
  return JSON.stringify(messageFrame(v, mediaUrl));
}
