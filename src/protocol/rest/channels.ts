// Wire shapes of /api/channels/: the provider accounts / numbers a hotel receives guests on.
// A channel's secrets (WhatsApp Cloud API, later) are write-only: presentChannel never shows them.
import { Type } from 'typebox';
import { CHANNEL_PROVIDERS } from '../../core/channel.js';
import { PageQuery } from './paging.js';

const strict = { additionalProperties: false } as const;
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const HotelId = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'a hotel id (uuid)' });

/** The provider's name of the channel (relay account or number, Meta phone_number_id). One character class: no backtracking. */
export const ExternalId = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9+._:@-]+$',
  description: 'the id the provider gives the channel (letters, digits and + . _ : @ -)',
});

export const ChannelCreate = Type.Object(
  {
    provider: Type.Optional(literals(CHANNEL_PROVIDERS)),
    external_id: ExternalId,
    display_phone_number: Type.Optional(Type.String({ maxLength: 32, description: 'the number guests write to, in international form' })),
    is_active: Type.Optional(Type.Boolean()),
    hotel_id: Type.Optional(HotelId),
  },
  strict,
);
export const ChannelPatch = Type.Partial(Type.Omit(ChannelCreate, ['hotel_id', 'provider']), strict);
export const ChannelQuery = Type.Object(
  {
    ...PageQuery,
    provider: Type.Optional(literals(CHANNEL_PROVIDERS)),
    is_active: Type.Optional(Type.Boolean()),
    hotel: Type.Optional(Type.String({ maxLength: 36 })),
  },
  strict,
);
