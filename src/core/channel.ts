// A channel: a provider account / phone number guests write to, owned by one hotel. The channel an
// inbound message arrived on decides its hotel (never a guest record, which any hotel can create).
export const CHANNEL_PROVIDERS = ['relay', 'whatsapp_cloud'] as const;
export type ChannelProvider = (typeof CHANNEL_PROVIDERS)[number];

export interface Channel {
  id: number;
  hotel_id: string;
  provider: ChannelProvider;
  /** The provider's name of the channel: the relay's account or number, Meta's phone_number_id. */
  external_id: string;
  display_phone_number: string;
  /** WhatsApp Business Account id (whatsapp_cloud); '' otherwise. */
  waba_id: string;
  is_active: boolean;
  /** Which write-only secrets are set (their values never leave the store except to the paths that use them). */
  has_app_secret: boolean;
  has_verify_token: boolean;
  has_access_token: boolean;
  created_at: Date;
  updated_at: Date;
}

/** The secrets of a WhatsApp Cloud API channel: never returned by the API, never logged. */
export interface ChannelSecrets {
  app_secret: string | null;
  verify_token: string | null;
  access_token: string | null;
}
export const CHANNEL_SECRET_FIELDS = ['app_secret', 'verify_token', 'access_token'] as const;

/** What the WhatsApp paths (webhook signature, sends, media downloads, templates) need of a channel. */
export interface WhatsAppChannel extends ChannelSecrets {
  id: number;
  hotel_id: string;
  /** Meta's phone_number_id. */
  phone_number_id: string;
  display_phone_number: string;
  waba_id: string;
  is_active: boolean;
}

/** What the channel service accepts (the wire bodies are checked against it at the transport edge). */
export interface ChannelInput {
  provider?: ChannelProvider;
  external_id: string;
  display_phone_number?: string;
  is_active?: boolean;
  hotel_id?: string;
  waba_id?: string;
  app_secret?: string;
  verify_token?: string;
  access_token?: string;
}

export type ChannelPatchInput = Partial<
  Pick<ChannelInput, 'external_id' | 'display_phone_number' | 'is_active' | 'waba_id' | 'app_secret' | 'verify_token' | 'access_token'>
>;
