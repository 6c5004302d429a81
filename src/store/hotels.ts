// Hotels.
import type { Hotel } from '../core/directory.js';
import { assignments, type Db } from './db.js';
import type { Page, Paged } from '../core/paging.js';

export type HotelFields = Partial<Omit<Hotel, 'id' | 'created_at' | 'updated_at'>>;

export async function findHotel(db: Db, id: string): Promise<Hotel | undefined> {
  const [h] = await db<Hotel[]>`select * from hotels where id = ${id}`;
  return h;
}

export async function insertHotel(db: Db, fields: HotelFields & { name: string }): Promise<Hotel> {
  const [h] = await db<Hotel[]>`insert into hotels ${(db as unknown as (v: object) => never)(fields)} returning *`;
  return h!;
}

export async function updateHotel(db: Db, id: string, fields: HotelFields): Promise<Hotel | undefined> {
  if (Object.keys(fields).length === 0) return findHotel(db, id);
  const [h] = await db<Hotel[]>`update hotels set ${assignments(db, fields)} where id = ${id} returning *`;
  return h;
}

export async function listHotels(db: Db, f: { onlyId?: string; search?: string }, page: Page): Promise<Paged<Hotel>> {
  const where = db`
    where true
    ${f.onlyId ? db`and id = ${f.onlyId}` : db``}
    ${f.search ? db`and name ilike ${'%' + f.search + '%'}` : db``}`;
  const [rows, [c]] = await Promise.all([
    db<Hotel[]>`select * from hotels ${where} order by name, id limit ${page.limit} offset ${page.offset}`,
    db<{ n: number }[]>`select count(*)::int as n from hotels ${where}`,
  ]);
  return { count: c!.n, rows };
}
