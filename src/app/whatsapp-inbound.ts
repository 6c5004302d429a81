// WhatsApp Cloud API inbound parts built from the store: the channel snapshot of the webhook and
// the token a channel's media is downloaded with.
import type { WaChannelSnapshot } from '../chat/whatsapp/webhook.js';
import { activeAppSecrets, whatsappChannel, whatsappChannelsByNumber } from '../store/channels.js';
import type { Sql } from '../store/db.js';

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

export function channelMediaToken(sql: Sql): (channelId: number) => Promise<string | null> {
  return async (channelId) => (await whatsappChannel(sql, channelId))?.access_token ?? null;
}
