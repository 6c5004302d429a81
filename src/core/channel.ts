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
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
}

/** What the channel service accepts (the wire bodies are checked against it at the transport edge). */
export interface ChannelInput {
  provider?: ChannelProvider;
  external_id: string;
  display_phone_number?: string;
  is_active?: boolean;
  hotel_id?: string;
}

export type ChannelPatchInput = Partial<Pick<ChannelInput, 'external_id' | 'display_phone_number' | 'is_active'>>;
