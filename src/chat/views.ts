// Domain views of stored rows: a message with its sender's display name and guest snapshot.
import type { ConversationRow } from '../core/chat.js';
import type { StoredMessage } from '../store/messages.js';
import type { GuestSnapshot, MessageView } from '../core/chat.js';
import { firstName } from './rules.js';

export function viewOf(m: StoredMessage, guest: GuestSnapshot): MessageView {
  const sender_name = m.sender_type === 'guest' ? firstName(guest.full_name) : m.sender_type === 'staff' ? (m.staff_name ?? 'Staff') : 'System';
  const { staff_name: _, ...rest } = m;
  return { ...rest, sender_name, guest };
}

export function guestOfRow(row: ConversationRow): GuestSnapshot {
  return { id: row.guest_id, full_name: row.g_full_name, whatsapp_number: row.g_number, email: row.g_email, room_number: row.room_number, floor: row.floor };
}
