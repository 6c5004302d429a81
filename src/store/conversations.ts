// Conversations: resolution of the one active conversation per (guest, hotel, department, type),
// the state a ConversationActor loads, status changes and the staff list.
import type { ConversationRow, ConversationState, ConversationType } from '../core/chat.js';
import type { Department } from '../core/departments.js';
import type { Db } from './db.js';
import type { Page, Paged } from '../core/paging.js';

export interface ConversationKey {
  guest_id: number;
  hotel_id: string;
  department: Department;
  conversation_type: ConversationType;
}

/**
 * The active conversation for the key, created if there is none. Race-free across nodes: the
 * partial unique index admits one active row; a loser of the race reads the winner's row.
 */
export async function findOrCreateActive(db: Db, key: ConversationKey): Promise<{ id: number; created: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const [found] = await db<{ id: number }[]>`
      select id from conversations
      where guest_id = ${key.guest_id} and hotel_id = ${key.hotel_id} and department = ${key.department}
        and conversation_type = ${key.conversation_type} and status = 'active'`;
    if (found) return { id: found.id, created: false };
    const [made] = await db<{ id: number }[]>`
      insert into conversations (guest_id, hotel_id, department, conversation_type)
      values (${key.guest_id}, ${key.hotel_id}, ${key.department}, ${key.conversation_type})
      on conflict (guest_id, hotel_id, department, conversation_type) where status = 'active' do nothing
      returning id`;
    if (made) return { id: made.id, created: true };
  }
  throw new Error('could not resolve the active conversation (it kept closing under us)');
}

/** What never changes about a conversation: enough to authorise a command without an actor. */
export interface ConversationFacts {
  id: number;
  hotel_id: string;
  guest_id: number;
  department: Department;
  conversation_type: ConversationType;
}

/** Facts of the conversations that exist among `ids` (one primary-key lookup, unknown ids absent). */
export function conversationFacts(db: Db, ids: number[]): Promise<ConversationFacts[]> {
  return db<ConversationFacts[]>`
    select id, hotel_id, guest_id, department, conversation_type from conversations where id = any(${ids}::bigint[])`;
}

const ROOM_OF_GUEST = (db: Db) => db`
  left join lateral (
    select r.room_number, r.floor from stays s join rooms r on r.id = s.room_id
    where s.guest_id = c.guest_id and s.hotel_id = c.hotel_id and s.status = 'active'
    order by s.actual_check_in desc nulls last limit 1
  ) st on true`;

export async function loadConversationState(db: Db, id: number): Promise<ConversationState | undefined> {
  const [r] = await db<(Omit<ConversationState, 'guest'> & { g_full_name: string; g_number: string; g_email: string; room_number: string | null; floor: number | null })[]>`
    select c.id, c.hotel_id, h.name as hotel_name, c.guest_id, c.department, c.conversation_type, c.status, c.last_seq,
           c.last_message_at, c.created_at, g.full_name as g_full_name, g.whatsapp_number as g_number, g.email as g_email,
           st.room_number, st.floor
    from conversations c join guests g on g.id = c.guest_id join hotels h on h.id = c.hotel_id
    ${ROOM_OF_GUEST(db)}
    where c.id = ${id}`;
  if (!r) return undefined;
  const { g_full_name, g_number, g_email, room_number, floor, ...conv } = r;
  return { ...conv, guest: { id: r.guest_id, full_name: g_full_name, whatsapp_number: g_number, email: g_email, room_number, floor } };
}

export async function setStatus(db: Db, id: number, from: ConversationState['status'], to: ConversationState['status'], staffId: number | null): Promise<boolean> {
  const rows = await db`
    update conversations set status = ${to}, updated_at = now(),
      closed_at = case when ${to} = 'closed' then now() else closed_at end,
      closed_by = case when ${to} = 'closed' then ${staffId} else closed_by end,
      archived_at = case when ${to} = 'archived' then now() else archived_at end
    where id = ${id} and status = ${from}
    returning id`;
  return rows.length === 1;
}

/** Active conversations idle for longer than `minutes` (cron closes them one by one). */
export function idleConversations(db: Db, minutes: number, limit: number): Promise<{ id: number }[]> {
  return db<{ id: number }[]>`
    select id from conversations
    where status = 'active' and coalesce(last_message_at, created_at) < now() - make_interval(mins => ${minutes})
    order by id limit ${limit}`;
}

/** Conversations closed more than `days` ago (cron archives them one by one through their actors). */
export function closedBefore(db: Db, days: number, limit: number): Promise<{ id: number }[]> {
  return db<{ id: number }[]>`
    select id from conversations
    where status = 'closed' and closed_at < now() - make_interval(days => ${days})
    order by closed_at limit ${limit}`;
}

export function conversationsOfGuest(db: Db, guestId: number): Promise<{ id: number }[]> {
  return db<{ id: number }[]>`select id from conversations where guest_id = ${guestId} and status = 'active'`;
}

export function activeConversationsOfGuest(db: Db, guestId: number, hotelId: string): Promise<{ id: number }[]> {
  return db<{ id: number }[]>`select id from conversations where guest_id = ${guestId} and hotel_id = ${hotelId} and status = 'active'`;
}

const VIEW = (db: Db, staffId: number) => db`
  select c.id, c.hotel_id, h.name as hotel_name, c.guest_id, c.department, c.conversation_type, c.status, c.last_seq,
         c.last_message_at, c.last_message_preview, c.created_at, c.updated_at,
         g.full_name as g_full_name, g.email as g_email, g.whatsapp_number as g_number, g.status as g_status,
         st.room_number, st.floor,
         (select count(*)::int from messages m
           where m.conversation_id = c.id and m.sender_type = 'guest' and m.seq > coalesce(p.last_read_seq, 0)
             and not (m.seq = any(coalesce(p.read_seqs, '{}'::bigint[])))) as unread_count,
         (select row_to_json(x) from (
            select m.*, nullif(coalesce(nullif(trim(u.first_name || ' ' || u.last_name), ''), u.username), '') as staff_name
            from messages m left join users u on u.id = m.sender_id
            where m.conversation_id = c.id and m.seq = c.last_seq) x) as last_message
  from conversations c
  join guests g on g.id = c.guest_id
  join hotels h on h.id = c.hotel_id
  left join conversation_participants p on p.conversation_id = c.id and p.staff_id = ${staffId}
  ${ROOM_OF_GUEST(db)}`;

export async function listConversations(
  db: Db,
  f: { staffId: number; hotelId: string; departments: Department[]; status: string; types: ConversationType[] },
  page: Page,
): Promise<Paged<ConversationRow>> {
  const where = db`
    where c.hotel_id = ${f.hotelId} and c.department = any(${f.departments}::text[]) and c.status = ${f.status}
      and c.conversation_type = any(${f.types}::text[]) and c.last_seq > 0`;
  const [rows, [n]] = await Promise.all([
    db<ConversationRow[]>`${VIEW(db, f.staffId)} ${where} order by c.last_message_at desc nulls last, c.id desc limit ${page.limit} offset ${page.offset}`,
    db<{ n: number }[]>`select count(*)::int as n from conversations c ${where}`,
  ]);
  return { count: n!.n, rows };
}

export async function getConversationRow(db: Db, id: number, staffId: number): Promise<ConversationRow | undefined> {
  const [r] = await db<ConversationRow[]>`${VIEW(db, staffId)} where c.id = ${id}`;
  return r;
}

/** Read state of one staff member in one conversation (created on first use). */
export async function lockParticipant(db: Db, conversationId: number, staffId: number): Promise<{ last_read_seq: number; read_seqs: number[] }> {
  await db`insert into conversation_participants (conversation_id, staff_id) values (${conversationId}, ${staffId}) on conflict do nothing`;
  const [p] = await db<{ last_read_seq: number; read_seqs: number[] }[]>`
    select last_read_seq, read_seqs from conversation_participants
    where conversation_id = ${conversationId} and staff_id = ${staffId} for update`;
  return p!;
}

export async function saveParticipantRead(db: Db, conversationId: number, staffId: number, lastReadSeq: number, readSeqs: number[]): Promise<void> {
  await db`
    update conversation_participants set last_read_seq = ${lastReadSeq}, read_seqs = ${readSeqs}::bigint[], last_read_at = now(), is_active = true
    where conversation_id = ${conversationId} and staff_id = ${staffId}`;
}

export async function lastSeq(db: Db, id: number): Promise<number> {
  const [r] = await db<{ last_seq: number }[]>`select last_seq from conversations where id = ${id}`;
  return r?.last_seq ?? 0;
}

export async function lastSeqs(db: Db, ids: number[]): Promise<Map<number, number>> {
  const rows = await db<{ id: number; last_seq: number }[]>`select id, last_seq from conversations where id = any(${ids}::bigint[])`;
  return new Map(rows.map((r) => [r.id, r.last_seq]));
}
