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
