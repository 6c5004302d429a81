// Wire shapes of REST responses (typebox). The presenters in transport/presenters/ build them;
// test/contract/responses.test.ts checks real responses against these, and the OpenAPI document
// (src/docs/openapi.ts) publishes them. Objects are closed: a presenter that adds a field must
// add it here too, or the contract tests fail.
import { Type, type TSchema } from 'typebox';
import { closed, obj, literals, nullable, Str, Int, Bool, When, HotelId } from './reply-kit.js';
import { CONVERSATION_STATUSES, CONVERSATION_TYPES, DELIVERY_STATUSES, MEDIA_TYPES } from '../../core/chat.js';
import { CHANNEL_PROVIDERS } from '../../core/channel.js';
import { DEPARTMENTS } from '../../core/departments.js';
import { GUEST_STATUSES, ROOM_STATUSES, STAY_STATUSES, USER_TYPES } from '../../core/directory.js';

const HHMM = Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'HH:MM' });

/** Every error: `{error, details?}`; a 400 names each bad field in details.fields. */
export const ErrorReply = Type.Object(
  {
    error: Type.String({ description: 'what went wrong, for people' }),
    details: Type.Optional(
      Type.Object(
        { fields: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'field name → problem' })) },
        { description: 'machine-readable details (fields of a 400, conversation_id of a 409, request_id of a 500, …)' },
      ),
    ),
  },
  closed,
);

/** A DRF-style page of `item`. */
export const Page = <S extends TSchema>(item: S) =>
  obj({ count: Int, next: nullable(Str), previous: nullable(Str), results: Type.Array(item) });

// ───── directory ─────
export const HotelReply = obj({
  id: HotelId,
  name: Str,
  description: Str,
  address: Str,
  city: Str,
  state: Str,
  country: Str,
  pincode: Str,
  phone: Str,
  email: Str,
  time_zone: Str,
  check_in_time: HHMM,
  check_out_time: HHMM,
  google_review_link: Str,
  google_map_link: Str,
  breakfast_time: nullable(HHMM),
  lunch_time: nullable(HHMM),
  dinner_time: nullable(HHMM),
  breakfast_reminder: Bool,
  lunch_reminder: Bool,
  dinner_reminder: Bool,
  status: literals(['pending', 'verified', 'suspended', 'rejected'] as const),
  is_active: Bool,
  created_at: When,
  updated_at: When,
});

export const UserReply = obj({
  id: Int,
  username: Str,
  email: Str,
  first_name: Str,
  last_name: Str,
  phone_number: Str,
  user_type: literals(USER_TYPES),
  hotel_id: nullable(HotelId),
  hotel_name: nullable(Str),
  department: Type.Array(literals(DEPARTMENTS)),
  is_active: Bool,
  is_active_hotel_user: Type.Boolean({ description: 'the same flag as is_active' }),
  created_at: When,
  last_login: nullable(When),
});

export const RoomReply = obj({
  id: Int,
  hotel_id: HotelId,
  room_number: Str,
  floor: Int,
  status: literals(ROOM_STATUSES),
  created_at: When,
  updated_at: When,
});
export const FloorsReply = Type.Array(Int, { description: 'floors that have rooms, lowest first' });

export const GuestReply = obj({
  id: Int,
  whatsapp_number: Str,
  full_name: Str,
  email: Str,
  nationality: Str,
  status: literals(GUEST_STATUSES),
  hotel_id: HotelId,
  created_at: When,
  updated_at: When,
});
export const GuestTokenReply = obj({ token: Str, guest_id: Int, whatsapp_number: Str, expires_in: Type.Integer({ description: 'seconds' }) });

export const StayReply = obj({
  id: Int,
  hotel_id: HotelId,
  guest_id: Int,
  guest_name: Str,
  guest_whatsapp_number: Str,
  room_id: nullable(Int),
  room_number: nullable(Str),
  floor: nullable(Int),
  status: literals(STAY_STATUSES),
  check_in_date: nullable(When),
  check_out_date: nullable(When),
  actual_check_in: nullable(When),
  actual_check_out: nullable(When),
  number_of_guests: Int,
  created_at: When,
  updated_at: When,
});

export const NotificationReply = obj({
  id: Int,
  type: Str,
  title: Str,
  message: Str,
  link: Str,
  link_label: Str,
  is_read: Bool,
  created_at: When,
});
export const NotificationReadReply = obj({ id: Int, is_read: Type.Literal(true) });
export const NotificationsReadReply = obj({ marked_read: Type.Integer({ description: 'how many were unread' }) });

// ───── auth ─────
export const TokenPairReply = obj({ access: Type.String({ description: 'JWT for the Authorization header and ?token=' }), refresh: Str });
export const LoginReply = obj({ access: Str, refresh: Str, user: UserReply });
export const LogoutReply = obj({ success: Type.Literal(true), message: Str });
export const ChangePasswordReply = obj({ message: Str, access: Str, refresh: Str });

// ───── channels ─────
export const ChannelReply = obj({
  id: Int,
  hotel_id: HotelId,
  provider: literals(CHANNEL_PROVIDERS),
  external_id: Str,
  display_phone_number: Str,
  waba_id: Type.String({ description: 'the WhatsApp Business Account id (whatsapp_cloud; empty otherwise)' }),
  is_active: Bool,
  // secrets are write-only: only whether each is set
  has_app_secret: Bool,
  has_verify_token: Bool,
  has_access_token: Bool,
  created_at: When,
  updated_at: When,
});

// ───── chat ─────
const SenderType = literals(['guest', 'staff', 'system'] as const);
const MessageType = literals(['text', ...MEDIA_TYPES, 'system'] as const);

export const MessageReply = obj({
  id: Int,
  conversation: Int,
  conversation_id: Int,
  seq: Int,
  sender_type: SenderType,
  sender: nullable(Int),
  sender_name: Str,
  message_type: MessageType,
  content: Str,
  media_url: nullable(Str),
  media_filename: nullable(Str),
  is_read: Bool,
  read_at: nullable(When),
  delivery_status: nullable(literals(DELIVERY_STATUSES)),
  time_ago: Str,
  guest_info: obj({ id: Int, name: Str, whatsapp_number: Str, room_number: nullable(Str), floor: nullable(Int) }),
  created_at: nullable(When),
  updated_at: nullable(When),
});

export const ConversationReply = obj({
  id: Int,
  guest: Int,
  hotel: HotelId,
  department: literals(DEPARTMENTS),
  conversation_type: literals(CONVERSATION_TYPES),
  status: literals(CONVERSATION_STATUSES),
  guest_info: obj({
    id: Int,
    full_name: Str,
    email: Str,
    whatsapp_number: Str,
    status: Str,
    room_number: nullable(Str),
    floor: nullable(Int),
  }),
  hotel_name: Str,
  unread_count: Int,
  last_seq: Int,
  last_message_at: nullable(When),
  last_message_preview: Str,
  last_message: MessageReply,
  created_at: nullable(When),
  updated_at: nullable(When),
});
export const ConversationDetailReply = obj({ conversation: ConversationReply, messages: Type.Array(MessageReply) });

export const GuestWebhookReply = obj({
  message: Str,
  message_id: Int,
  conversation_id: Int,
  seq: Int,
  department: literals(DEPARTMENTS),
  conversation_type: literals(CONVERSATION_TYPES),
  conversation_created: Bool,
  duplicate: Type.Optional(Type.Literal(true)),
});
export const GuestWebhookQueuedReply = obj(
  { status: Type.Literal('accepted'), job_id: Str, duplicate: Bool, provider_message_id: nullable(Str) },
  'WEBHOOK_MODE=queued: stored as a job, answered before the message is',
);
export const ProviderStatusReply = obj({ updated: Bool });
export const ConversationCreatedReply = obj({ message: Str, conversation_id: Int, guest_name: Str, department: literals(DEPARTMENTS) });
export const ConversationStatusReply = obj({ message: Str, conversation_id: Int, status: literals(CONVERSATION_STATUSES) });
export const MarkReadReply = obj({
  message: Str,
  conversation_id: Int,
  messages_marked_read: Int,
  message_ids: nullable(Type.Array(Int)),
  up_to_seq: Int,
});
export const TypingReply = obj({ success: Type.Literal(true), conversation_id: Int, is_typing: Bool, timestamp: When });

// ───── media ─────
export const UploadForm = Type.Object(
  {
    conversation_id: Type.String({ pattern: '^\\d+$', maxLength: 16, description: 'a conversation id, as form text' }),
    file: Type.String({ contentMediaType: 'application/octet-stream', description: 'the file (image, video, audio or document)' }),
    caption: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  closed,
);
export const UploadReply = obj({
  message: Str,
  file_url: Str,
  thumbnail_url: nullable(Str),
  filename: Str,
  file_type: literals(MEDIA_TYPES),
  caption: Str,
  conversation_id: Int,
  file_info: obj({ original_name: Str, size: Int, content_type: Str, width: nullable(Int), height: nullable(Int) }),
});

// ───── operations ─────
export const HealthReply = obj({ status: Type.Literal('ok'), node: Str, uptime_s: Int });
export const ReadinessReply = obj({
  status: literals(['ready', 'degraded', 'not_ready'] as const),
  checks: Type.Record(Type.String(), literals(['ok', 'down'] as const)),
  degraded: Type.Array(Str, { description: 'capabilities lost to the dependencies that are down' }),
});
