// Channels: the provider accounts / numbers guests write to, each owned by one hotel.
import type { Channel, ChannelProvider, ChannelSecrets, WhatsAppChannel } from '../core/channel.js';
import { assignments, type Db } from './db.js';
import type { Page, Paged } from '../core/paging.js';

/** What inbound routing needs: which hotel a provider's channel belongs to. */
export interface ChannelRoute {
  channel_id: number;
  hotel_id: string;
  external_id: string;
}

// Every read of a channel for the API names its columns: the secrets stay in the table, only
// whether each is set comes out.
const columns = (db: Db) => db`
  id, hotel_id, provider, external_id, display_phone_number, waba_id, is_active, created_at, updated_at,
  app_secret is not null as has_app_secret, verify_token is not null as has_verify_token,
  access_token is not null as has_access_token`;

/** hotelId null: any hotel (platform administrators). */
export async function findChannel(db: Db, hotelId: string | null, id: number): Promise<Channel | undefined> {
  const [c] = await db<Channel[]>`select ${columns(db)} from channels where id = ${id} ${hotelId ? db`and hotel_id = ${hotelId}` : db``}`;
  return c;
}

export type ChannelRow = Pick<Channel, 'hotel_id' | 'provider' | 'external_id' | 'display_phone_number' | 'waba_id' | 'is_active'> &
  Partial<ChannelSecrets>;

export async function insertChannel(db: Db, c: ChannelRow): Promise<Channel> {
  const [row] = await db<Channel[]>`
    insert into channels (hotel_id, provider, external_id, display_phone_number, waba_id, is_active, app_secret, verify_token, access_token)
    values (${c.hotel_id}, ${c.provider}, ${c.external_id}, ${c.display_phone_number}, ${c.waba_id}, ${c.is_active},
            ${c.app_secret ?? null}, ${c.verify_token ?? null}, ${c.access_token ?? null})
    returning ${columns(db)}`;
  return row!;
}

export async function updateChannel(
  db: Db,
  hotelId: string,
  id: number,
  fields: Partial<Omit<ChannelRow, 'hotel_id' | 'provider'>>,
): Promise<Channel | undefined> {
  const [row] = await db<Channel[]>`
    update channels set ${assignments(db, fields)} where id = ${id} and hotel_id = ${hotelId}
    returning ${columns(db)}`;
  return row;
}

export async function deleteChannel(db: Db, hotelId: string, id: number): Promise<Channel | undefined> {
  const [row] = await db<Channel[]>`delete from channels where id = ${id} and hotel_id = ${hotelId} returning ${columns(db)}`;
  return row;
}

const whatsappColumns = (db: Db) => db`
  c.id, c.hotel_id, c.external_id as phone_number_id, c.display_phone_number, c.waba_id,
  (c.is_active and h.is_active) as is_active, c.app_secret, c.verify_token, c.access_token`;

/** The WhatsApp Cloud API channels with these phone_number_ids, secrets included (webhook and send paths only). */
export function whatsappChannelsByNumber(db: Db, phoneNumberIds: string[]): Promise<WhatsAppChannel[]> {
  return db<WhatsAppChannel[]>`
    select ${whatsappColumns(db)} from channels c join hotels h on h.id = c.hotel_id
    where c.provider = 'whatsapp_cloud' and c.external_id = any(${phoneNumberIds}::text[])`;
}

/** One WhatsApp Cloud API channel by id, secrets included (send, media and template jobs). */
export async function whatsappChannel(db: Db, id: number): Promise<WhatsAppChannel | undefined> {
  const [c] = await db<WhatsAppChannel[]>`
    select ${whatsappColumns(db)} from channels c join hotels h on h.id = c.hotel_id
    where c.provider = 'whatsapp_cloud' and c.id = ${id}`;
  return c;
}

/** Whether an active WhatsApp channel of an active hotel has this verify token (Meta's subscription handshake). */
export async function verifyTokenKnown(db: Db, token: string): Promise<boolean> {
  const [r] = await db<{ n: number }[]>`
    select count(*)::int as n from channels c join hotels h on h.id = c.hotel_id
    where c.provider = 'whatsapp_cloud' and c.verify_token = ${token} and c.is_active and h.is_active`;
  return r!.n > 0;
}

/** The distinct app secrets of active WhatsApp channels: a delivery's signature is checked against them before parsing. */
export function activeAppSecrets(db: Db): Promise<{ app_secret: string; phone_number_ids: string[] }[]> {
  return db<{ app_secret: string; phone_number_ids: string[] }[]>`
    select c.app_secret, array_agg(c.external_id order by c.external_id) as phone_number_ids
    from channels c join hotels h on h.id = c.hotel_id
    where c.provider = 'whatsapp_cloud' and c.app_secret is not null and c.is_active and h.is_active
    group by c.app_secret`;
}

export async function listChannels(db: Db, f: { hotelId: string | null; provider?: ChannelProvider; active?: boolean }, page: Page): Promise<Paged<Channel>> {
  const where = db`
    where true
    ${f.hotelId ? db`and hotel_id = ${f.hotelId}` : db``}
    ${f.provider ? db`and provider = ${f.provider}` : db``}
    ${f.active !== undefined ? db`and is_active = ${f.active}` : db``}`;
  const [rows, [c]] = await Promise.all([
    db<Channel[]>`select ${columns(db)} from channels ${where} order by id limit ${page.limit} offset ${page.offset}`,
    db<{ n: number }[]>`select count(*)::int as n from channels ${where}`,
  ]);
  return { count: c!.n, rows };
}

/** Active channels of active hotels among the given external ids of one provider (one query for many). */
export function activeChannelRoutes(db: Db, provider: ChannelProvider, externalIds: string[]): Promise<ChannelRoute[]> {
  return db<ChannelRoute[]>`
    select c.id as channel_id, c.hotel_id, c.external_id
    from channels c join hotels h on h.id = c.hotel_id
    where c.provider = ${provider} and c.external_id = any(${externalIds}::text[]) and c.is_active and h.is_active`;
}
