// The WebSocket contract: inbound frames (typebox schemas, spelled exactly as the dashboard sends
// them, `reopen-temporary` with its hyphen) and the outbound events.
import { Type, type Static, type TSchema } from 'typebox';
import { MEDIA_TYPES } from '../core/chat.js';
import { ValidationError } from '../core/errors.js';
import { truncateCodePoints } from '../core/text.js';
import { problems } from './validate.js';

const strict = { additionalProperties: false } as const;
const ConversationId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'a conversation id' });
const MessageId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'a message id' });
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'a message seq' });
const frame = <T extends string, P extends Record<string, TSchema>>(type: T, props: P) =>
  Type.Object({ type: Type.Literal(type), ...props }, strict);

export const InboundFrames = {
  text: frame('text', { conversation_id: ConversationId, content: Type.String({ minLength: 1, maxLength: 4096 }) }),
  media: frame('media', {
    conversation_id: ConversationId,
    file_url: Type.String({ minLength: 1, maxLength: 2048 }),
    filename: Type.String({ minLength: 1, maxLength: 255 }),
    file_type: Type.Union(MEDIA_TYPES.map((t) => Type.Literal(t))),
    caption: Type.Optional(Type.String({ maxLength: 1024 })),
  }),
  typing: frame('typing', { conversation_id: ConversationId, is_typing: Type.Optional(Type.Boolean()) }),
  mark_read: frame('mark_read', {
    conversation_id: ConversationId,
    message_ids: Type.Optional(Type.Array(MessageId, { maxItems: 1000 })),
  }),
  subscribe_conversation: frame('subscribe_conversation', { conversation_id: ConversationId }),
  unsubscribe_conversation: frame('unsubscribe_conversation', { conversation_id: ConversationId }),
  close_conversation: frame('close_conversation', { conversation_id: ConversationId }),
  'reopen-temporary': frame('reopen-temporary', { conversation_id: ConversationId }),
  resume: frame('resume', { conversation_id: ConversationId, since_seq: Seq }),
  ping: frame('ping', {}),
  /** A reply as an approved WhatsApp template (outside the 24-hour window too); acknowledged like `text`. */
  send_template: frame('send_template', {
    conversation_id: ConversationId,
    template_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'a synced template id' }),
    parameters: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 100 })),
  }),
} as const;

export type InboundType = keyof typeof InboundFrames;
export type InboundFrame = { [K in InboundType]: Static<(typeof InboundFrames)[K]> }[InboundType];

/** Parses one text frame. Throws ValidationError with a message naming the problem. */
export function parseInbound(text: string): InboundFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('Invalid JSON format');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('A frame must be a JSON object');
  const obj = value as Record<string, unknown>;
  // The original consumer treated a frame without a type as text.
  if (obj['type'] === undefined) obj['type'] = 'text';
  const type = obj['type'];
  if (typeof type !== 'string' || !Object.hasOwn(InboundFrames, type)) {
    // Echo at most a short prefix of what was sent: the type may be any JSON value of any size.
    const shown = truncateCodePoints(JSON.stringify(type) ?? String(type), 40);
    throw new ValidationError(`Invalid message type: ${shown}; expected one of ${Object.keys(InboundFrames).join(', ')}`);
  }
  if (type === 'text' && typeof obj['content'] === 'string') obj['content'] = obj['content'].trim();
  const schema = InboundFrames[type as InboundType];
  const found = problems(schema, obj, 'frame');
  const names = Object.keys(found);
  if (names.length) {
    if (type === 'text' && found['content'] && obj['content'] === '') throw new ValidationError('Message content cannot be empty', found);
    throw new ValidationError(`${type}: ${names.map((n) => `${n} ${found[n]}`).join('; ')}`, found);
  }
  return obj as InboundFrame;
}

// ───── outbound ─────

export type AckStatus =
  | 'received'
  | 'marked_read'
  | 'subscribed'
  | 'unsubscribed'
  | 'conversation_closed'
  | 'reopen_button_sent'
  | 'resumed'
  | 'typing';

export function ack(status: AckStatus, conversationId: number, extra: Record<string, unknown> = {}) {
  return { type: 'acknowledgment', status, conversation_id: conversationId, ...extra, timestamp: new Date().toISOString() };
}

export function errorFrame(message: string, extra: Record<string, unknown> = {}) {
  return { type: 'error', message, ...extra };
}

// ───── outbound schemas ─────
// Every frame a socket can receive, as published in /asyncapi.json and checked by
// test/contract/frames.test.ts (real frames against these; a frame type sent anywhere in src/
// without a schema here fails that test).

const Int = Type.Integer();
const Str = Type.String();
const When = Type.String({ format: 'date-time' });
const nullable = <S extends TSchema>(s: S) => Type.Union([s, Type.Null()]);
const out = <T extends string, P extends Record<string, TSchema>>(type: T, props: P, description: string) =>
  Type.Object({ type: Type.Literal(type), ...props }, { ...strict, description });
const withData = <T extends string, P extends Record<string, TSchema>>(type: T, data: P, description: string) =>
  out(type, { data: Type.Object(data, strict) }, description);
const Department = Type.String({ description: 'Reception, Housekeeping, Room Service, Restaurant or Management' });

/** `data` of `message` and `message_updated` (chat/message-frame.ts). */
export const SocketMessage = Type.Object(
  {
    id: Int,
    conversation_id: Int,
    seq: Int,
    sender_type: Type.Union([Type.Literal('guest'), Type.Literal('staff'), Type.Literal('system')]),
    sender_name: Str,
    sender_id: nullable(Int),
    message_type: Type.Union(['text', ...MEDIA_TYPES, 'system'].map((t) => Type.Literal(t))),
    content: Str,
    media_url: nullable(Str),
    media_filename: nullable(Str),
    is_read: Type.Boolean(),
    created_at: nullable(When),
    updated_at: nullable(When),
    guest_info: Type.Object({ id: Int, name: Type.String({ description: 'first name' }), whatsapp_number: Str, room_number: nullable(Str) }, strict),
  },
  strict,
);

export const OutboundFrames = {
  message: out('message', { data: SocketMessage }, 'A stored message: to the staff of its department (every socket) and, for replies, to the guest.'),
  message_updated: out('message_updated', { data: SocketMessage }, 'A message changed after it was sent (a guest\'s media copied into our store): replace it by id.'),
  new_conversation: withData(
    'new_conversation',
    {
      id: Int,
      guest_name: Str,
      department: Department,
      conversation_type: Str,
      status: Str,
      created_at: When,
      last_message_preview: Str,
      last_message_at: When,
    },
    'A conversation and its first message were committed: re-fetch the list.',
  ),
  conversation_update: withData(
    'conversation_update',
    {
      type: Type.Union([Type.Literal('conversation_closed'), Type.Literal('conversation_reopened'), Type.Literal('conversation_archived')]),
      conversation_id: Int,
      department: Department,
      status: Type.Union([Type.Literal('active'), Type.Literal('closed'), Type.Literal('archived')]),
      updated_by: Str,
      updated_by_id: nullable(Int),
      timestamp: When,
    },
    'A conversation was closed, reopened or archived.',
  ),
  typing: withData(
    'typing',
    { conversation_id: Int, user_id: Int, user_name: Str, sender_type: Type.Union([Type.Literal('staff'), Type.Literal('guest')]), is_typing: Type.Boolean() },
    'Someone is typing in a conversation this socket subscribed to.',
  ),
  read_receipt: withData(
    'read_receipt',
    {
      conversation_id: Int,
      reader_id: Int,
      reader_name: Str,
      reader_type: Type.Union([Type.Literal('staff'), Type.Literal('guest')]),
      up_to_seq: Int,
      message_ids: nullable(Type.Array(Int)),
      read_at: When,
    },
    'Messages were read up to a seq.',
  ),
  message_status: withData(
    'message_status',
    {
      conversation_id: Int,
      message_id: Int,
      status: Str,
      is_read: Type.Boolean(),
      error: Type.Optional(Type.String({ description: 'on failed: why (Meta\'s code and title, or the closed 24-hour window)' })),
      timestamp: When,
    },
    'Delivery progress of a staff reply: sent, delivered, read or failed.',
  ),
  user_status: withData(
    'user_status',
    { type: Type.Union([Type.Literal('user_connected'), Type.Literal('user_disconnected')]), user_id: Int, user_name: Str, department: Department },
    'A colleague of the department connected or left.',
  ),
  acknowledgment: out(
    'acknowledgment',
    {
      status: Type.Union(
        (['received', 'marked_read', 'subscribed', 'unsubscribed', 'conversation_closed', 'reopen_button_sent', 'resumed', 'typing'] as const).map((s) => Type.Literal(s)),
      ),
      conversation_id: Int,
      timestamp: When,
      message_id: Type.Optional(Int),
      seq: Type.Optional(Int),
      message_type: Type.Optional(Str),
      caption: Type.Optional(Str),
      up_to_seq: Type.Optional(Int),
      marked: Type.Optional(Int),
      since_seq: Type.Optional(Int),
      last_seq: Type.Optional(Int),
      count: Type.Optional(Int),
      template_id: Type.Optional(Type.Integer({ description: 'send_template: the template sent' })),
    },
    'The answer to a frame of this socket, to this socket only, in order.',
  ),
  error: out(
    'error',
    { message: Str, code: Type.Optional(Str), conversation_id: Type.Optional(Int) },
    'A frame was refused; the socket stays open.',
  ),
  resume_failed: out('resume_failed', { conversation_id: Int, reason: Str, last_seq: Int }, 'Too many messages were missed to replay: reload the conversation over REST.'),
  pong: out('pong', { timestamp: When }, 'The answer to ping.'),
} as const;

export type OutboundType = keyof typeof OutboundFrames;

/** Which frames each socket endpoint takes and sends (the AsyncAPI document's operations). */
export const SocketContracts = {
  staff: {
    inbound: Object.keys(InboundFrames) as InboundType[],
    outbound: Object.keys(OutboundFrames) as OutboundType[],
  },
  guest: {
    inbound: ['typing', 'ping'] as InboundType[],
    outbound: ['message', 'message_updated', 'typing', 'read_receipt', 'message_status', 'conversation_update', 'error', 'pong'] as OutboundType[],
  },
} as const;
