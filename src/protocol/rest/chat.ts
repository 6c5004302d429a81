// Wire shapes of the chat REST API and of the message/conversation objects shared with socket
// events, in exactly the shapes the dashboard reads (see shared/reference/hotel-dashboard.md).
import { Type } from '@sinclair/typebox';
import { CONVERSATION_STATUSES, CONVERSATION_TYPES, MEDIA_TYPES, type MessageView } from '../../core/chat.js';
import { firstName, timeAgo } from '../../chat/rules.js';
import type { ConversationRow } from '../../core/chat.js';
import { PageQuery } from './paging.js';

const strict = { additionalProperties: false } as const;
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const Seq = (minimum: number) => Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER });
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const GuestWebhookBody = Type.Object(
  {
    // Required: the channel decides the hotel (a guest record, which any hotel can create, never does).
    channel: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: '^[A-Za-z0-9+._:@-]+$',
      description: 'external id of the channel (provider account or number) the guest wrote to, as registered under /api/channels/',
    }),
    whatsapp_number: Type.String({ minLength: 5, maxLength: 32, description: 'the guest\'s WhatsApp number' }),
    message: Type.String({ maxLength: 4096 }),
    message_type: Type.Optional(literals(['text', ...MEDIA_TYPES] as const)),
    department: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'Reception, Housekeeping, Room Service, Restaurant or Management' })),
    conversation_id: Type.Optional(Id),
    provider_message_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    media_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, pattern: '^https?://', description: 'an http(s) URL' })),
    media_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    media_filename: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  strict,
);

export const ProviderStatusBody = Type.Object(
  {
    provider_message_id: Type.String({ minLength: 1, maxLength: 128 }),
    status: literals(['sent', 'delivered', 'read', 'failed'] as const),
    error: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  strict,
);

export const CreateConversationBody = Type.Object(
  {
    guest_whatsapp_number: Type.String({ minLength: 5, maxLength: 32 }),
    department_type: Type.String({ minLength: 1, maxLength: 40, description: 'Reception, Housekeeping, Room Service, Restaurant or Management' }),
  },
  strict,
);

export const ConversationIdBody = Type.Object({ conversation_id: Id }, strict);
export const MarkReadBody = Type.Object({ conversation_id: Id, message_ids: Type.Optional(Type.Array(Id, { maxItems: 1000 })) }, strict);
export const TypingBody = Type.Object({ conversation_id: Id, is_typing: Type.Boolean() }, strict);

export const ConversationListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(literals(CONVERSATION_STATUSES)),
    department: Type.Optional(Type.String({ maxLength: 40 })),
    conversation_type: Type.Optional(literals(CONVERSATION_TYPES)),
  },
  strict,
);

export const ConversationDetailQuery = Type.Object(
  {
    before_seq: Type.Optional(Seq(1)),
    since_seq: Type.Optional(Seq(0)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  strict,
);

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
