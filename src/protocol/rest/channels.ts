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

/** Secrets: printable ASCII without spaces (what Meta issues), write-only. */
const Secret = (description: string, maxLength: number) => Type.String({ minLength: 8, maxLength, pattern: '^[\\x21-\\x7e]+$', description });

export const ChannelCreate = Type.Object(
  {
    provider: Type.Optional(literals(CHANNEL_PROVIDERS)),
    external_id: ExternalId,
    display_phone_number: Type.Optional(Type.String({ maxLength: 32, description: 'the number guests write to, in international form' })),
    is_active: Type.Optional(Type.Boolean()),
    hotel_id: Type.Optional(HotelId),
    waba_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9]+$', description: 'WhatsApp Business Account id (whatsapp_cloud)' })),
    app_secret: Type.Optional(Secret('the Meta app secret that signs webhook deliveries (write-only)', 256)),
    verify_token: Type.Optional(Secret('the webhook verify token entered in the Meta app settings (write-only)', 256)),
    access_token: Type.Optional(Secret('a Graph API access token allowed to send for this number (write-only)', 4096)),
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
