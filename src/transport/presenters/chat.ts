// Chat REST responses, in exactly the shapes the dashboard reads (see
// shared/reference/hotel-dashboard.md), built from chat read models.
import type { ConversationRow, MessageView } from '../../core/chat.js';
import { timeAgo } from '../../chat/rules.js';
import type { MediaUrl } from '../../chat/message-frame.js';

const iso = (d: Date | string | null | undefined): string | null => (d == null ? null : new Date(d).toISOString());

/** A message in REST responses (list and detail). */
export function restMessage(v: MessageView, mediaUrl: MediaUrl, now = new Date()) {
  return {
    id: v.id,
    conversation: v.conversation_id,
    conversation_id: v.conversation_id,
    seq: v.seq,
    sender_type: v.sender_type,
    sender: v.sender_id,
    sender_name: v.sender_name,
    message_type: v.message_type,
    content: v.content,
    media_url: mediaUrl(v),
    media_filename: v.media_filename,
    is_read: v.read_at !== null,
    read_at: iso(v.read_at),
    delivery_status: v.delivery_status,
    time_ago: timeAgo(new Date(v.created_at), now),
    guest_info: {
      id: v.guest.id,
      name: v.guest.full_name,
      whatsapp_number: v.guest.whatsapp_number,
      room_number: v.guest.room_number,
      floor: v.guest.floor,
    },
    created_at: iso(v.created_at),
    updated_at: iso(v.updated_at),
  };
}

export type RestMessage = ReturnType<typeof restMessage>;

/** A conversation in REST responses; `last_message` is always an object (the dashboard needs it). */
export function restConversation(row: ConversationRow, lastMessage: RestMessage) {
  return {
    id: row.id,
    guest: row.guest_id,
    hotel: row.hotel_id,
    department: row.department,
    conversation_type: row.conversation_type,
    status: row.status,
    guest_info: {
      id: row.guest_id,
      full_name: row.g_full_name,
      email: row.g_email,
      whatsapp_number: row.g_number,
      status: row.g_status,
      room_number: row.room_number,
      floor: row.floor,
    },
    hotel_name: row.hotel_name,
    unread_count: row.unread_count,
    last_seq: row.last_seq,
    last_message_at: iso(row.last_message_at),
    last_message_preview: row.last_message_preview,
    last_message: lastMessage,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
