// Wire shapes of the WhatsApp template API: approved templates synced from each channel's
// Business Account (/api/whatsapp/templates/…) and a staff reply sent as one (/api/chat/send-template/).
import { Type } from 'typebox';
import { PageQuery } from './paging.js';

const strict = { additionalProperties: false } as const;
const Id = (description: string) => Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });
const HotelId = Type.String({ maxLength: 36, pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'a hotel id (uuid)' });

export const TEMPLATE_STATUSES = ['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED', 'IN_APPEAL', 'LIMIT_EXCEEDED', 'ARCHIVED'] as const;

export const WhatsAppTemplateQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(Type.Union(TEMPLATE_STATUSES.map((s) => Type.Literal(s)), { description: 'Meta\'s review status (default APPROVED)' })),
    channel_id: Type.Optional(Id('only the templates of this channel')),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'part of the template name' })),
    hotel: Type.Optional(Type.String({ maxLength: 36 })),
  },
  strict,
);

export const WhatsAppTemplateSyncBody = Type.Object(
  {
    channel_id: Type.Optional(Id('sync only this channel')),
    hotel_id: Type.Optional(HotelId),
  },
  strict,
);

export const TemplateSendBody = Type.Object(
  {
    conversation_id: Id('a conversation id'),
    template_id: Id('a synced template id'),
    parameters: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 100, description: 'values of {{1}}…{{n}}, in order' })),
  },
  strict,
);
