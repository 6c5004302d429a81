// WhatsApp Cloud API parts built from the store: the channel snapshot of the webhook, a sender per
// channel (its number and token) and the token a channel's media is downloaded with.
import type { WaChannelSnapshot } from '../chat/whatsapp/webhook.js';
import type { Config } from '../config/load.js';
import { GraphApiProvider, type WhatsAppProvider } from '../providers/whatsapp.js';
import { activeAppSecrets, whatsappChannel, whatsappChannelsByNumber } from '../store/channels.js';
import type { Sql } from '../store/db.js';

/** Meta's Graph API; WHATSAPP_API_URL replaces it (a pinned version, or a stand-in in tests). */
export const GRAPH_API_URL = 'https://graph.facebook.com/v22.0';

export function graphApiUrl(config: Pick<Config, 'whatsapp'>): string {
  return config.whatsapp?.apiUrl || GRAPH_API_URL;
}

/** Every active channel's app secret and route (the webhook verifies and places deliveries with it). */
export async function loadWhatsAppChannels(sql: Sql): Promise<WaChannelSnapshot> {
  const secrets = await activeAppSecrets(sql);
  const numbers = secrets.flatMap((s) => s.phone_number_ids);
  const rows = numbers.length ? await whatsappChannelsByNumber(sql, numbers) : [];
  const byNumber: WaChannelSnapshot['byNumber'] = new Map();
  for (const c of rows) {
    if (c.is_active && c.app_secret) byNumber.set(c.phone_number_id, { channel_id: c.id, hotel_id: c.hotel_id, app_secret: c.app_secret });
  }
  return { secrets: secrets.map((s) => s.app_secret), byNumber };
}

/** The sender of one channel: its phone_number_id and access token. */
export function channelSender(sql: Sql, apiUrl: string): (channelId: number) => Promise<WhatsAppProvider | undefined> {
  return async (channelId) => {
    const c = await whatsappChannel(sql, channelId);
    if (!c || !c.is_active || !c.access_token) return undefined;
    return new GraphApiProvider({ apiUrl, token: c.access_token, phoneNumberId: c.phone_number_id });
  };
}

export function channelMediaToken(sql: Sql): (channelId: number) => Promise<string | null> {
  return async (channelId) => (await whatsappChannel(sql, channelId))?.access_token ?? null;
}
