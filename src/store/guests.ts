// Guests: each hotel keeps its own record per WhatsApp number. The webhook path looks a number up
// only within the hotel of the channel the message arrived on (never across hotels: any hotel can
// create a record for any number).
import type { Guest, GuestStatus } from '../core/directory.js';
import { assignments, type Db } from './db.js';
import type { Page, Paged } from '../core/paging.js';

/** hotelId null: any hotel (platform administrators). */
export async function findGuest(db: Db, id: number, hotelId: string | null): Promise<Guest | undefined> {
  const [g] = await db<Guest[]>`select g.* from guests g where g.id = ${id} ${hotelId ? db`and g.hotel_id = ${hotelId}` : db``}`;
  return g;
}

export async function findGuestByNumber(db: Db, hotelId: string, e164: string): Promise<Guest | undefined> {
  const [g] = await db<Guest[]>`select * from guests where hotel_id = ${hotelId} and whatsapp_number = ${e164}`;
  return g;
}

export async function insertGuest(
  db: Db,
  g: { whatsapp_number: string; full_name: string; email: string; nationality: string; hotel_id: string },
): Promise<Guest> {
  const [row] = await db<Guest[]>`
    insert into guests (whatsapp_number, full_name, email, nationality, hotel_id)
    values (${g.whatsapp_number}, ${g.full_name}, ${g.email}, ${g.nationality}, ${g.hotel_id})
    returning *`;
  return row!;
}

export async function updateGuest(db: Db, id: number, fields: Partial<Pick<Guest, 'whatsapp_number' | 'full_name' | 'email' | 'nationality'>>): Promise<Guest | undefined> {
  const [row] = await db<Guest[]>`update guests set ${assignments(db, fields)} where id = ${id} returning *`;
  return row;
}

export async function setGuestStatus(db: Db, id: number, status: GuestStatus): Promise<void> {
  await db`update guests set status = ${status}, updated_at = now() where id = ${id}`;
}

/** search: a normalized number (exact), else digits of a number or part of a name/email. */
export async function listGuests(
  db: Db,
  f: { hotelId: string | null; status?: string; number?: string | null; text?: string },
  page: Page,
): Promise<Paged<Guest>> {
  const digits = f.text?.replace(/\D/g, '') ?? '';
  const textMatch = f.text
    ? db`(g.full_name ilike ${'%' + f.text + '%'} or g.email ilike ${'%' + f.text + '%'}
          ${digits.length >= 4 ? db`or g.whatsapp_number like ${'%' + digits + '%'}` : db``}
          ${f.number ? db`or g.whatsapp_number = ${f.number}` : db``})`
    : db`true`;
  const where = db`
    where ${textMatch}
    ${f.hotelId ? db`and g.hotel_id = ${f.hotelId}` : db``}
    ${f.status ? db`and g.status = ${f.status}` : db``}`;
  const [rows, [c]] = await Promise.all([
    db<Guest[]>`select g.* from guests g ${where} order by g.id desc limit ${page.limit} offset ${page.offset}`,
    db<{ n: number }[]>`select count(*)::int as n from guests g ${where}`,
  ]);
  return { count: c!.n, rows };
}

/** What chat needs to know about a guest writing in: the hotel, the current stay and room. */
export interface GuestContext {
  guest_id: number;
  whatsapp_number: string;
  full_name: string;
  status: GuestStatus;
  hotel_id: string;
  stay_id: number | null;
  stay_status: string | null;
  room_number: string | null;
  floor: number | null;
}

// One row per guest: the lateral picks one stay, a stay has at most one room.
const CONTEXT = (db: Db, distinctByNumber = false) => db`
  select ${distinctByNumber ? db`distinct on (g.whatsapp_number)` : db``}
         g.id as guest_id, g.whatsapp_number, g.full_name, g.status, g.hotel_id,
         s.id as stay_id, s.status as stay_status, r.room_number, r.floor
  from guests g
  left join lateral (
    select s.id, s.status, s.room_id, coalesce(s.actual_check_in, s.created_at) as at from stays s
    where s.guest_id = g.id and s.status <> 'cancelled'
    order by (s.status = 'active') desc, (s.status = 'pending') desc, coalesce(s.actual_check_in, s.created_at) desc, s.id desc
    limit 1
  ) s on true
  left join rooms r on r.id = s.room_id`;

/**
 * Across hotels, for the guest socket (a guest token names the number). Per number, the guest row
 * whose stay is active wins, then one with a pending stay, then the most recent stay. Never use it
 * to route an inbound message: that is guestContextsAt with the channel's hotel.
 */
export function guestContexts(db: Db, numbers: string[]): Promise<GuestContext[]> {
  return db<GuestContext[]>`
    ${CONTEXT(db, true)}
    where g.whatsapp_number = any(${numbers}::text[])
    order by g.whatsapp_number, (s.status = 'active') desc nulls last, (s.status = 'pending') desc nulls last, s.at desc nulls last, g.id desc`;
}

/** The context of a number at one hotel (staff starting a conversation). */
export async function guestContextAt(db: Db, hotelId: string, number: string): Promise<GuestContext | undefined> {
  const [c] = await db<GuestContext[]>`${CONTEXT(db)} where g.whatsapp_number = ${number} and g.hotel_id = ${hotelId}`;
  return c;
}

export interface GuestKey {
  hotel_id: string;
  whatsapp_number: string;
}

/** One query for many (hotel, number) pairs: the webhook path batches its lookups. */
export function guestContextsAt(db: Db, keys: GuestKey[]): Promise<GuestContext[]> {
  return db<GuestContext[]>`
    ${CONTEXT(db)}
    where (g.hotel_id, g.whatsapp_number) in (
      select * from unnest(${keys.map((k) => k.hotel_id)}::uuid[], ${keys.map((k) => k.whatsapp_number)}::text[]))`;
}
