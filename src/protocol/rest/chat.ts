// Wire shapes of the chat REST API: request bodies and queries. Responses are built by
// transport/presenters/chat.ts, socket `message` events by chat/message-frame.ts.
import { Type } from 'typebox';
import { CONVERSATION_STATUSES, CONVERSATION_TYPES, MEDIA_TYPES } from '../../core/chat.js';
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
