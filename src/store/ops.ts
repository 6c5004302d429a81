// Reads and writes of the operator console: dead letters, per-hotel conversation counts, one
// conversation's recent messages, and the demo guests the development simulator writes as.
// `hotelId` null means every hotel (platform administrators); otherwise rows of that hotel only.
import type { Db } from './db.js';

export interface DeadLetterRow {
  id: number;
  kind: string;
  job_id: string;
  payload: unknown;
  deliveries: number;
  reason: string;
  failed_at: Date;
  hotel_id: string | null;
}

export async function openDeadLetters(db: Db, hotelId: string | null, limit: number): Promise<{ rows: DeadLetterRow[]; total: number }> {
  const rows = await db<DeadLetterRow[]>`
    select id::int as id, kind, job_id, payload, deliveries, reason, failed_at, hotel_id
    from job_dead_letters
    where resolved_at is null and (${hotelId}::text is null or hotel_id = ${hotelId})
    order by failed_at desc, id desc
    limit ${limit}`;
  const [count] = await db<{ n: number }[]>`
    select count(*)::int as n from job_dead_letters
    where resolved_at is null and (${hotelId}::text is null or hotel_id = ${hotelId})`;
  return { rows, total: count?.n ?? 0 };
}

/** Marks an open dead letter resolved; null when there is none by that id in scope (or it was already resolved). */
export async function resolveDeadLetter(
  db: Db,
  id: number,
  hotelId: string | null,
  resolution: 'retried' | 'discarded',
  userId: number,
): Promise<DeadLetterRow | null> {
  const [row] = await db<DeadLetterRow[]>`
    update job_dead_letters set resolved_at = now(), resolution = ${resolution}, resolved_by = ${userId}
    where id = ${id} and resolved_at is null and (${hotelId}::text is null or hotel_id = ${hotelId})
    returning id::int as id, kind, job_id, payload, deliveries, reason, failed_at, hotel_id`;
  return row ?? null;
}

export interface HotelConversationCount {
  hotel_id: string;
  hotel_name: string;
  department: string;
  active: number;
}

export async function activeConversationCounts(db: Db, hotelId: string | null, maxHotels: number): Promise<HotelConversationCount[]> {
  return db<HotelConversationCount[]>`
    with top as (
      select hotel_id from conversations
      where status = 'active' and (${hotelId}::uuid is null or hotel_id = ${hotelId}::uuid)
      group by hotel_id order by count(*) desc limit ${maxHotels}
    )
    select c.hotel_id::text as hotel_id, h.name as hotel_name, c.department, count(*)::int as active
    from conversations c join top using (hotel_id) join hotels h on h.id = c.hotel_id
    where c.status = 'active'
    group by c.hotel_id, h.name, c.department
    order by h.name, c.department`;
}

export async function hotelNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db<{ id: string; name: string }[]>`select id::text as id, name from hotels where id::text = any(${ids}::text[])`;
  return new Map(rows.map((r) => [r.id, r.name]));
}

export interface ConversationHead {
  id: number;
  hotel_id: string;
  department: string;
  conversation_type: string;
  status: string;
  last_seq: number;
  guest_id: number;
  guest_name: string;
  guest_number: string;
}

export interface ConversationEventRow {
  seq: number;
  sender_type: string;
  message_type: string;
  content: string;
  delivery_status: string | null;
  delivery_error: string | null;
  read_at: Date | null;
  created_at: Date;
}

export async function conversationEvents(
  db: Db,
  id: number,
  hotelId: string | null,
  limit: number,
): Promise<{ head: ConversationHead; events: ConversationEventRow[] } | null> {
  const [head] = await db<ConversationHead[]>`
    select c.id::int as id, c.hotel_id::text as hotel_id, c.department, c.conversation_type, c.status, c.last_seq::int as last_seq,
           g.id::int as guest_id, g.full_name as guest_name, g.whatsapp_number as guest_number
    from conversations c join guests g on g.id = c.guest_id
    where c.id = ${id} and (${hotelId}::uuid is null or c.hotel_id = ${hotelId}::uuid)`;
  if (!head) return null;
  const events = await db<ConversationEventRow[]>`
    select seq::int as seq, sender_type, message_type, left(content, 200) as content, delivery_status, delivery_error, read_at, created_at
    from messages where conversation_id = ${id}
    order by seq desc limit ${limit}`;
  return { head, events: events.reverse() };
}

export interface DemoGuestRow {
  guest_id: number;
  full_name: string;
  whatsapp_number: string;
  hotel_id: string;
  hotel_name: string;
  channel: string | null;
  room: string | null;
}

/** Checked-in guests with an active stay, with their hotel's active relay channel (if any). */
export async function checkedInGuests(db: Db, hotelId: string | null, limit: number, guestId?: number): Promise<DemoGuestRow[]> {
  return db<DemoGuestRow[]>`
    select g.id::int as guest_id, g.full_name, g.whatsapp_number, g.hotel_id::text as hotel_id, h.name as hotel_name,
           (select ch.external_id from channels ch where ch.hotel_id = g.hotel_id and ch.provider = 'relay' and ch.is_active
             order by ch.id limit 1) as channel,
           (select r.room_number from stays s join rooms r on r.id = s.room_id
             where s.guest_id = g.id and s.status = 'active' limit 1) as room
    from guests g join hotels h on h.id = g.hotel_id
    where g.status = 'checked_in' and h.is_active
      and (${hotelId}::uuid is null or g.hotel_id = ${hotelId}::uuid)
      and (${guestId ?? null}::bigint is null or g.id = ${guestId ?? null})
    order by h.name, g.full_name
    limit ${limit}`;
}

/** The guest's active conversations (newest first). */
export async function activeConversationsOf(db: Db, guestId: number, hotelId: string): Promise<Array<{ id: number; department: string }>> {
  return db<{ id: number; department: string }[]>`
    select id::int as id, department from conversations
    where guest_id = ${guestId} and hotel_id = ${hotelId}::uuid and status = 'active'
    order by last_message_at desc nulls last, id desc`;
}

/** A hotel administrator of the hotel, who may answer in any department (the simulator's staff side). */
export async function hotelAdminOf(db: Db, hotelId: string): Promise<number | null> {
  const [row] = await db<{ id: number }[]>`
    select id::int as id from users
    where hotel_id = ${hotelId}::uuid and is_active and user_type in ('hotel_admin', 'manager')
    order by (user_type = 'hotel_admin') desc, id limit 1`;
  return row?.id ?? null;
}
