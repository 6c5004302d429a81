// Channels: the provider accounts / numbers guests write to, each owned by one hotel.
import type { Channel, ChannelProvider } from '../core/channel.js';
import { assignments, type Db } from './db.js';
import type { Page, Paged } from '../core/paging.js';

/** What inbound routing needs: which hotel a provider's channel belongs to. */
export interface ChannelRoute {
  channel_id: number;
  hotel_id: string;
  external_id: string;
}

/** hotelId null: any hotel (platform administrators). */
export async function findChannel(db: Db, hotelId: string | null, id: number): Promise<Channel | undefined> {
  const [c] = await db<Channel[]>`select * from channels where id = ${id} ${hotelId ? db`and hotel_id = ${hotelId}` : db``}`;
  return c;
}

export async function insertChannel(
  db: Db,
  c: Pick<Channel, 'hotel_id' | 'provider' | 'external_id' | 'display_phone_number' | 'is_active'>,
): Promise<Channel> {
  const [row] = await db<Channel[]>`
    insert into channels (hotel_id, provider, external_id, display_phone_number, is_active)
    values (${c.hotel_id}, ${c.provider}, ${c.external_id}, ${c.display_phone_number}, ${c.is_active})
    returning *`;
  return row!;
}

export async function updateChannel(
  db: Db,
  hotelId: string,
  id: number,
  fields: Partial<Pick<Channel, 'external_id' | 'display_phone_number' | 'is_active'>>,
): Promise<Channel | undefined> {
  const [row] = await db<Channel[]>`update channels set ${assignments(db, fields)} where id = ${id} and hotel_id = ${hotelId} returning *`;
  return row;
}

export async function deleteChannel(db: Db, hotelId: string, id: number): Promise<Channel | undefined> {
  const [row] = await db<Channel[]>`delete from channels where id = ${id} and hotel_id = ${hotelId} returning *`;
  return row;
}

export async function listChannels(db: Db, f: { hotelId: string | null; provider?: ChannelProvider; active?: boolean }, page: Page): Promise<Paged<Channel>> {
  const where = db`
    where true
    ${f.hotelId ? db`and hotel_id = ${f.hotelId}` : db``}
    ${f.provider ? db`and provider = ${f.provider}` : db``}
    ${f.active !== undefined ? db`and is_active = ${f.active}` : db``}`;
  const [rows, [c]] = await Promise.all([
    db<Channel[]>`select * from channels ${where} order by id limit ${page.limit} offset ${page.offset}`,
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
