// Pure chat rules: routing by guest status, access, names and previews. No I/O.
import type { Department } from '../core/departments.js';
import type { GuestStatus, User } from '../core/directory.js';
import { effectiveDepartments, isChatStaff } from '../directory/roles.js';
import { truncateCodePoints } from '../core/text.js';
import { DELIVERY_STATUSES, type ConversationType, type DeliveryStatus, type MessageType } from '../core/chat.js';

/** Conversation type follows the guest (DESIGN §6). */
export function conversationTypeFor(status: GuestStatus): ConversationType {
  switch (status) {
    case 'checked_in':
      return 'service';
    case 'pending_checkin':
      return 'checkin';
    case 'checked_out':
      return 'general';
  }
}

/** Only service conversations reach department staff live; the rest go to reply systems. */
export function broadcastsToStaff(type: ConversationType): boolean {
  return type === 'service';
}

/**
 * A conversation is announced (new_conversation, `conversation_created` in the webhook answer)
 * with its first message, whichever request wrote it: two requests racing for a new
 * conversation, or a duplicate webhook answering for the original, all agree.
 */
export function startsConversation(seq: number): boolean {
  return seq === 1;
}

export type Access = 'ok' | 'not_found' | 'forbidden';

/**
 * Staff of the conversation's hotel whose departments include its department. Another hotel's
 * conversation is reported as not found, never as forbidden (its existence is not confirmed).
 */
export function conversationAccess(user: Pick<User, 'user_type' | 'hotel_id' | 'departments'>, conv: { hotel_id: string; department: Department }): Access {
  if (user.hotel_id !== conv.hotel_id) return 'not_found';
  if (!isChatStaff(user)) return 'forbidden';
  return effectiveDepartments(user).includes(conv.department) ? 'ok' : 'forbidden';
}

export function firstName(fullName: string): string {
  return fullName.trim().split(/\s+/)[0] || 'Guest';
}

export function staffName(u: Pick<User, 'first_name' | 'last_name' | 'username'>): string {
  const full = `${u.first_name} ${u.last_name}`.trim();
  return full || u.username;
}

const PREVIEW_MAX = 255;

/** Preview of a message in the conversation list: at most 255 code points (an emoji is never split). */
export function previewOf(m: { message_type: MessageType; content: string; media_filename?: string | null }): string {
  if (m.message_type === 'text' || m.message_type === 'system') return truncateCodePoints(m.content, PREVIEW_MAX);
  const label = `[${m.message_type.toUpperCase()}] ${m.media_filename ?? ''}`.trim();
  return truncateCodePoints(m.content && m.content !== m.media_filename ? `${label} ${m.content}` : label, PREVIEW_MAX);
}

/** The statuses a message may be in for a move to `to` to be allowed (null: never sent yet). */
export function deliveryAllowedFrom(to: DeliveryStatus): Array<DeliveryStatus | null> {
  return [null, ...DELIVERY_STATUSES.filter((s) => deliveryMayMove(s, to))];
}

const DELIVERY_RANK: Record<DeliveryStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 1.5 };

/** Delivery status only moves forward; failed is reachable from queued or sent only. */
export function deliveryMayMove(from: DeliveryStatus | null, to: DeliveryStatus): boolean {
  if (from === null) return true;
  if (from === 'failed') return false;
  if (to === 'failed') return from === 'queued' || from === 'sent';
  return DELIVERY_RANK[to] > DELIVERY_RANK[from];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Just now", "5 minutes ago", "1 hour ago", "3 days ago", else "Mar 05, 2026" (the dashboard prints it as is). */
export function timeAgo(at: Date, now: Date = new Date()): string {
  const s = Math.floor((now.getTime() - at.getTime()) / 1000);
  if (s < 60) return 'Just now';
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  if (s < 3600) return plural(Math.floor(s / 60), 'minute');
  if (s < 86400) return plural(Math.floor(s / 3600), 'hour');
  if (s < 7 * 86400) return plural(Math.floor(s / 86400), 'day');
  return `${MONTHS[at.getUTCMonth()]} ${String(at.getUTCDate()).padStart(2, '0')}, ${at.getUTCFullYear()}`;
}
