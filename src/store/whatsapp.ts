// Outbound WhatsApp: what a send job needs to know about a message (sender channel, 24-hour
// window, template), and the approved templates synced from each channel's Business Account.
import type { WhatsAppChannel } from '../core/channel.js';
import type { DeliveryStatus, MessageType } from '../core/chat.js';
import type { Page, Paged } from '../core/paging.js';
import type { Db, Sql } from './db.js';
import type { WhatsAppTemplate } from '../core/whatsapp.js';

export type { WhatsAppTemplate };

/** A message sent as a template (messages.template). */
export interface MessageTemplateRef {
  template_id: number;
  name: string;
  language: string;
  parameters: string[];
}

export interface SendContext {
  id: number;
  conversation_id: number;
  hotel_id: string;
  channel_id: number | null;
  message_type: MessageType;
  content: string;
  media_key: string | null;
  media_url: string | null;
  media_filename: string | null;
  delivery_status: DeliveryStatus | null;
  guest_number: string;
  template: MessageTemplateRef | null;
  /** The guest's last message on this conversation's channel (any of their conversations at the hotel). */
  last_inbound_at: Date | null;
}

export async function sendContext(db: Db, messageId: number): Promise<SendContext | undefined> {
  const [r] = await db<SendContext[]>`
    select m.id, m.conversation_id, c.hotel_id, c.channel_id, m.message_type, m.content, m.media_key, m.media_url,
           m.media_filename, m.delivery_status, g.whatsapp_number as guest_number, m.template,
           (select max(o.last_guest_message_at) from conversations o
             where o.guest_id = c.guest_id and o.hotel_id = c.hotel_id
               and (c.channel_id is null or o.channel_id = c.channel_id)) as last_inbound_at
    from messages m join conversations c on c.id = m.conversation_id join guests g on g.id = c.guest_id
    where m.id = ${messageId}`;
  return r;
}

/** The guest's last message at the hotel on a conversation's channel (the reopen button's window). */
export async function lastInboundOfConversation(db: Db, conversationId: number): Promise<{ hotel_id: string; channel_id: number | null; last_inbound_at: Date | null } | undefined> {
  const [r] = await db<{ hotel_id: string; channel_id: number | null; last_inbound_at: Date | null }[]>`
    select c.hotel_id, c.channel_id,
           (select max(o.last_guest_message_at) from conversations o
             where o.guest_id = c.guest_id and o.hotel_id = c.hotel_id
               and (c.channel_id is null or o.channel_id = c.channel_id)) as last_inbound_at
    from conversations c where c.id = ${conversationId}`;
  return r;
}

const channelColumns = (db: Db) => db`
  c.id, c.hotel_id, c.external_id as phone_number_id, c.display_phone_number, c.waba_id,
  (c.is_active and h.is_active) as is_active, c.app_secret, c.verify_token, c.access_token`;

/** The active WhatsApp Cloud API channels of a hotel that can send (they have an access token). */
export function sendingChannelsOfHotel(db: Db, hotelId: string): Promise<WhatsAppChannel[]> {
  return db<WhatsAppChannel[]>`
    select ${channelColumns(db)} from channels c join hotels h on h.id = c.hotel_id
    where c.hotel_id = ${hotelId} and c.provider = 'whatsapp_cloud' and c.is_active and h.is_active and c.access_token is not null
    order by c.id limit 2`;
}

/** Whether a hotel has an active WhatsApp Cloud API channel (its staff replies go out through one). */
export async function hotelSendsWhatsapp(db: Db, hotelId: string): Promise<boolean> {
  const [r] = await db<{ n: number }[]>`
    select count(*)::int as n from channels c join hotels h on h.id = c.hotel_id
    where c.hotel_id = ${hotelId} and c.provider = 'whatsapp_cloud' and c.is_active and h.is_active`;
  return r!.n > 0;
}

/** The channels whose templates a sync reads: active ones with a Business Account and a token. */
export function templateSources(db: Db, hotelId: string | null, channelId?: number): Promise<WhatsAppChannel[]> {
  return db<WhatsAppChannel[]>`
    select ${channelColumns(db)} from channels c join hotels h on h.id = c.hotel_id
    where c.provider = 'whatsapp_cloud' and c.is_active and h.is_active and c.access_token is not null and c.waba_id <> ''
      ${hotelId ? db`and c.hotel_id = ${hotelId}` : db``}
      ${channelId !== undefined ? db`and c.id = ${channelId}` : db``}
    order by c.id`;
}

// ───── templates ─────

export type TemplateRow = Pick<WhatsAppTemplate, 'meta_id' | 'name' | 'language' | 'status' | 'category' | 'components' | 'body_text' | 'param_count'>;

/**
 * Replaces a channel's templates with what Meta listed, in one transaction: new ones inserted,
 * known ones updated, the ones Meta no longer lists removed.
 */
export async function replaceChannelTemplates(
  sql: Sql,
  channel: { id: number; hotel_id: string },
  rows: TemplateRow[],
): Promise<{ stored: number; removed: number }> {
  const run = async (tx: Db) => {
    const json = tx.json(rows as unknown as Parameters<Db['json']>[0]);
    const stored = await tx`
      insert into whatsapp_templates (hotel_id, channel_id, meta_id, name, language, status, category, components, body_text, param_count, synced_at)
      select ${channel.hotel_id}, ${channel.id}, r.meta_id, r.name, r.language, r.status, r.category, coalesce(r.components, '[]'), r.body_text, r.param_count, now()
      from jsonb_to_recordset(${json}) as r(meta_id text, name text, language text, status text, category text, components jsonb, body_text text, param_count int)
      on conflict (channel_id, name, language) do update set
        meta_id = excluded.meta_id, status = excluded.status, category = excluded.category, components = excluded.components,
        body_text = excluded.body_text, param_count = excluded.param_count, synced_at = now()
      returning id`;
    const keep = stored.map((r) => Number(r['id']));
    const removed = await tx`delete from whatsapp_templates where channel_id = ${channel.id} and id <> all(${keep}::bigint[]) returning id`;
    return { stored: stored.length, removed: removed.length };
  };
  return (await sql.begin((tx) => run(tx))) as { stored: number; removed: number };
}

export async function listTemplates(
  db: Db,
  f: { hotelId: string | null; status?: string; channelId?: number; name?: string },
  page: Page,
): Promise<Paged<WhatsAppTemplate>> {
  const where = db`
    where true
    ${f.hotelId ? db`and hotel_id = ${f.hotelId}` : db``}
    ${f.status ? db`and status = ${f.status}` : db``}
    ${f.channelId !== undefined ? db`and channel_id = ${f.channelId}` : db``}
    ${f.name ? db`and strpos(lower(name), lower(${f.name})) > 0` : db``}`;
  const [rows, [c]] = await Promise.all([
    db<WhatsAppTemplate[]>`select * from whatsapp_templates ${where} order by name, language, id limit ${page.limit} offset ${page.offset}`,
    db<{ n: number }[]>`select count(*)::int as n from whatsapp_templates ${where}`,
  ]);
  return { count: c!.n, rows };
}

/** hotelId null: any hotel (platform administrators). */
export async function findTemplate(db: Db, hotelId: string | null, id: number): Promise<WhatsAppTemplate | undefined> {
  const [t] = await db<WhatsAppTemplate[]>`
    select * from whatsapp_templates where id = ${id} ${hotelId ? db`and hotel_id = ${hotelId}` : db``}`;
  return t;
}

/**
 * Whether a template can go out on a conversation's number: templates belong to a Business
 * Account, so the conversation's channel (when it has one) must be in the template's account.
 */
export async function templateFitsConversation(db: Db, templateId: number, conversationId: number): Promise<boolean> {
  const [r] = await db<{ fits: boolean }[]>`
    select (c.channel_id is null or ch.waba_id = tch.waba_id) as fits
    from conversations c
    left join channels ch on ch.id = c.channel_id
    cross join whatsapp_templates t join channels tch on tch.id = t.channel_id
    where c.id = ${conversationId} and t.id = ${templateId}`;
  return r?.fits ?? false;
}
