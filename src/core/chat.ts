// Chat records as stored, and the vocabulary of the chat domain.
import type { Department } from './departments.js';

export const CONVERSATION_TYPES = ['service', 'demo', 'checkin', 'checked_in', 'general'] as const;
export type ConversationType = (typeof CONVERSATION_TYPES)[number];
export const CONVERSATION_STATUSES = ['active', 'closed', 'archived'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];
export type SenderType = 'guest' | 'staff' | 'system';
export const MEDIA_TYPES = ['image', 'document', 'video', 'audio'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];
export type MessageType = 'text' | MediaType | 'system';
export const DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'read', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Conversation {
  id: number;
  hotel_id: string;
  guest_id: number;
  department: Department;
  conversation_type: ConversationType;
  status: ConversationStatus;
  last_seq: number;
  last_message_at: Date | null;
  last_message_preview: string;
  created_at: Date;
  updated_at: Date;
}

export interface Message {
  id: number;
  conversation_id: number;
  seq: number;
  sender_type: SenderType;
  sender_id: number | null;
  message_type: MessageType;
  content: string;
  media_key: string | null;
  media_url: string | null;
  media_filename: string | null;
  media_content_type: string | null;
  provider_message_id: string | null;
  delivery_status: DeliveryStatus | null;
  read_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** Who a message or event is about: the guest side of a conversation. */
export interface GuestSnapshot {
  id: number;
  full_name: string;
  whatsapp_number: string;
  email: string;
  room_number: string | null;
  floor: number | null;
}

/** Everything a ConversationActor keeps in memory about its conversation. */
export interface ConversationState {
  id: number;
  hotel_id: string;
  hotel_name: string;
  guest_id: number;
  department: Department;
  conversation_type: ConversationType;
  status: ConversationStatus;
  last_seq: number;
  last_message_at: Date | null;
  created_at: Date;
  guest: GuestSnapshot;
}

/** A conversation as the REST list shows it, for one staff member. */
export interface ConversationRow {
  id: number;
  hotel_id: string;
  hotel_name: string;
  guest_id: number;
  department: Department;
  conversation_type: ConversationType;
  status: string;
  last_seq: number;
  last_message_at: Date | null;
  last_message_preview: string;
  created_at: Date;
  updated_at: Date;
  g_full_name: string;
  g_email: string;
  g_number: string;
  g_status: string;
  room_number: string | null;
  floor: number | null;
  unread_count: number;
  last_message: (Omit<Message, 'created_at' | 'updated_at' | 'read_at'> & { staff_name: string | null; created_at: string; updated_at: string; read_at: string | null }) | null;
}

/** A message together with what every rendering of it needs. */
export interface MessageView extends Message {
  sender_name: string;
  guest: GuestSnapshot;
}

/** The acting party of a chat command. */
export type Actor =
  | { kind: 'staff'; id: number; name: string }
  | { kind: 'guest'; id: number; name: string }
  | { kind: 'system'; name: string };
