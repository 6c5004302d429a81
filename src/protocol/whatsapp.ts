// Wire shapes of Meta's WhatsApp Cloud API webhooks (what Meta posts to /api/webhooks/whatsapp/).
//
// Meta adds optional fields over time (pricing, conversation, referral, identity, …), so objects
// accept unknown properties; what we read is held to its type and a limit. The envelope is checked
// as a whole (a delivery that does not match is a 400 naming the field); each message is then
// checked against the schema of its kind apart (MessageSchemas), so one odd message becomes a note
// instead of refusing a delivery that Meta would retry for days.
import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { ValidationError } from '../core/errors.js';
import { problems } from './validate.js';

const Str = (maxLength: number, minLength = 0) => Type.String({ minLength, maxLength });
const Digits = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[0-9]+$' });
const Opt = <T extends TSchema>(s: T) => Type.Optional(s);

/** Meta's error object, in a failed status or an unsupported message. */
export const WaError = Type.Object({
  code: Type.Integer({ minimum: 0, maximum: 2 ** 31 }),
  title: Opt(Str(512)),
  message: Opt(Str(2048)),
  error_data: Opt(Type.Object({ details: Opt(Str(2048)) })),
});
export type WaError = Static<typeof WaError>;

export const WaMessageBase = Type.Object({
  id: Str(256, 1),
  from: Digits(32),
  timestamp: Digits(20),
  type: Str(64, 1),
  context: Opt(Type.Object({ id: Opt(Str(256)), from: Opt(Str(32)) })),
  errors: Opt(Type.Array(WaError, { maxItems: 20 })),
});
export type WaMessageBase = Static<typeof WaMessageBase> & Record<string, unknown>;

export const WaStatus = Type.Object({
  id: Str(256, 1),
  status: Str(32, 1),
  timestamp: Digits(20),
  recipient_id: Opt(Str(32)),
  errors: Opt(Type.Array(WaError, { maxItems: 20 })),
});
export type WaStatus = Static<typeof WaStatus>;

export const WaChangeValue = Type.Object({
  messaging_product: Opt(Str(32)),
  metadata: Type.Object({ phone_number_id: Str(64, 1), display_phone_number: Opt(Str(32)) }),
  contacts: Opt(Type.Array(Type.Object({ wa_id: Opt(Str(32)), profile: Opt(Type.Object({ name: Opt(Str(256)) })) }), { maxItems: 1000 })),
  messages: Opt(Type.Array(WaMessageBase, { maxItems: 1000 })),
  statuses: Opt(Type.Array(WaStatus, { maxItems: 1000 })),
});

export const WaEnvelope = Type.Object({
  object: Str(64, 1),
  entry: Type.Array(
    Type.Object({
      id: Str(64),
      changes: Type.Array(
        Type.Object({
          field: Str(64, 1),
          // Only `messages` changes are read (WaChangeValue); other fields (account updates) are
          // skipped. An object of known shape (not Unknown): error reports stay bounded in depth.
          value: Type.Object({}),
        }),
        { maxItems: 100 },
      ),
    }),
    { maxItems: 1000 },
  ),
});
export type WaEnvelope = Static<typeof WaEnvelope>;
export type WaChangeValue = Static<typeof WaChangeValue>;

const Media = Type.Object({
  id: Str(256, 1),
  mime_type: Opt(Str(255)),
  sha256: Opt(Str(128)),
  caption: Opt(Str(4096)),
  filename: Opt(Str(1024)),
  voice: Opt(Type.Boolean()),
  animated: Opt(Type.Boolean()),
});

/** The body of each kind we read, by `type` (`{ "<type>": <schema> }` in the message). */
export const MessageSchemas = {
  text: Type.Object({ body: Str(65_536) }),
  image: Media,
  video: Media,
  audio: Media,
  document: Media,
  sticker: Media,
  location: Type.Object({
    latitude: Type.Number({ minimum: -90, maximum: 90 }),
    longitude: Type.Number({ minimum: -180, maximum: 180 }),
    name: Opt(Str(1024)),
    address: Opt(Str(2048)),
    url: Opt(Str(2048)),
  }),
  contacts: Type.Array(
    Type.Object({
      name: Opt(Type.Object({ formatted_name: Opt(Str(512)), first_name: Opt(Str(256)), last_name: Opt(Str(256)) })),
      phones: Opt(Type.Array(Type.Object({ phone: Opt(Str(64)), wa_id: Opt(Str(32)), type: Opt(Str(32)) }), { maxItems: 20 })),
    }),
    { minItems: 1, maxItems: 50 },
  ),
  interactive: Type.Object({
    type: Str(64, 1),
    button_reply: Opt(Type.Object({ id: Str(256, 1), title: Str(256) })),
    list_reply: Opt(Type.Object({ id: Str(256, 1), title: Str(256), description: Opt(Str(1024)) })),
  }),
  button: Type.Object({ text: Str(1024), payload: Opt(Str(4096)) }),
  reaction: Type.Object({ message_id: Str(256, 1), emoji: Opt(Str(64)) }),
  system: Type.Object({ body: Opt(Str(4096)), type: Opt(Str(64)) }),
} as const;
export type MessageKind = keyof typeof MessageSchemas;
export type MessageBody<K extends MessageKind> = Static<(typeof MessageSchemas)[K]>;

/** GET /api/webhooks/whatsapp/ — Meta's subscription handshake. */
export const WaVerifyQuery = Type.Object(
  {
    'hub.mode': Str(32, 1),
    'hub.verify_token': Str(256, 1),
    'hub.challenge': Str(256, 1),
  },
  { additionalProperties: false },
);

export const WA_SIGNATURE_HEADER = 'x-hub-signature-256';

const envelopeCheck = Compile(WaEnvelope);

/**
 * The envelope, or a 400 naming the bad fields. Unlike validate(), text is not refused for NUL or
 * unpaired surrogates: what a guest typed is repaired where it is read, never a reason for Meta
 * to retry a delivery for days.
 */
export function checkEnvelope(value: unknown): WaEnvelope {
  if (envelopeCheck.Check(value)) return value;
  throw ValidationError.of(problems(WaEnvelope, value));
}
