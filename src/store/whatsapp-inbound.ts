// What the WhatsApp inbound path reads and writes beside the chat tables: guests first seen on a
// channel, held messages (waiting for a department choice), the channel a conversation's guest
// last wrote on, the department menu of a hotel, and our messages by Meta's wamid.
import type { DeliveryStatus } from '../core/chat.js';
import type { Db } from './db.js';

/** The guest with this number at this hotel, created (pending check-in) when missing. */
export async function ensureGuest(db: Db, hotelId: string, e164: string, fullName: string): Promise<void> {
  await db`
    insert into guests (hotel_id, whatsapp_number, full_name) values (${hotelId}, ${e164}, ${fullName})
    on conflict (hotel_id, whatsapp_number) do nothing`;
}

/** The guest's most recent active service conversation at this hotel. */
export async function activeServiceConversation(db: Db, guestId: number, hotelId: string): Promise<number | undefined> {
  const [r] = await db<{ id: number }[]>`
    select id from conversations
    where guest_id = ${guestId} and hotel_id = ${hotelId} and status = 'active' and conversation_type = 'service'
    order by last_message_at desc nulls last, id desc limit 1`;
  return r?.id;
}

/** Replies go out from the number the guest last wrote on. */
export async function setConversationChannel(db: Db, conversationId: number, channelId: number): Promise<void> {
  await db`update conversations set channel_id = ${channelId} where id = ${conversationId} and channel_id is distinct from ${channelId}`;
}

export interface HoldOutcome {
  /** False for a replay (held already, or stored in a conversation already). */
  inserted: boolean;
  /** Other messages of this guest held in the last `recentS` seconds (the menu went out with the first). */
  recent: number;
  /** All messages of this guest held now, this one excluded. */
  total: number;
}

export async function holdMessage(
  db: Db,
  h: { wamid: string; hotel_id: string; guest_id: number; channel_id: number; item: unknown },
  recentS: number,
): Promise<HoldOutcome> {
  // One statement: the counts see the rows before this insert (same snapshot).
  const [r] = await db<{ inserted: number; recent: number; total: number }[]>`
    with ins as (
      insert into whatsapp_held_messages (wamid, hotel_id, guest_id, channel_id, item)
      select ${h.wamid}, ${h.hotel_id}, ${h.guest_id}, ${h.channel_id}, ${db.json(h.item as Parameters<Db['json']>[0])}
      where not exists (select 1 from inbound_receipts where provider_message_id = ${h.wamid})
      on conflict (wamid) do nothing
      returning 1
    )
    select (select count(*) from ins)::int as inserted,
           count(*) filter (where received_at > now() - make_interval(secs => ${recentS}))::int as recent,
           count(*)::int as total
    from whatsapp_held_messages where guest_id = ${h.guest_id} and hotel_id = ${h.hotel_id}`;
  return { inserted: r!.inserted > 0, recent: r!.recent, total: r!.total };
}

export function heldMessages(db: Db, guestId: number, hotelId: string): Promise<{ wamid: string; channel_id: number | null; item: unknown }[]> {
  return db<{ wamid: string; channel_id: number | null; item: unknown }[]>`
    select wamid, channel_id, item from whatsapp_held_messages
    where guest_id = ${guestId} and hotel_id = ${hotelId} order by received_at, wamid limit 200`;
}

export async function dropHeld(db: Db, wamids: string[]): Promise<void> {
  if (wamids.length) await db`delete from whatsapp_held_messages where wamid = any(${wamids}::text[])`;
}

/** Departments named by the hotel's active staff, first seen first (the menu's rows). */
export async function staffDepartments(db: Db, hotelId: string): Promise<string[]> {
  const rows = await db<{ d: string }[]>`
    select d from (
      select d, min(u.id) as first from users u cross join lateral unnest(u.departments) as d
      where u.hotel_id = ${hotelId} and u.is_active group by d
    ) x order by first`;
  return rows.map((r) => r.d);
}

/** One of our messages (staff or system) at this hotel, by the wamid WhatsApp gave it. */
export async function outboundByWamid(
  db: Db,
  wamid: string,
  hotelId: string,
): Promise<{ id: number; conversation_id: number; delivery_status: DeliveryStatus | null } | undefined> {
  const [m] = await db<{ id: number; conversation_id: number; delivery_status: DeliveryStatus | null }[]>`
    select m.id, m.conversation_id, m.delivery_status from messages m join conversations c on c.id = m.conversation_id
    where m.provider_message_id = ${wamid} and m.sender_type <> 'guest' and c.hotel_id = ${hotelId}`;
  return m;
}

/** Any message at this hotel by its wamid (what a reaction points at). */
export async function messageByWamid(db: Db, wamid: string, hotelId: string): Promise<{ content: string; message_type: string } | undefined> {
  const [m] = await db<{ content: string; message_type: string }[]>`
    select m.content, m.message_type from messages m join conversations c on c.id = m.conversation_id
    where m.provider_message_id = ${wamid} and c.hotel_id = ${hotelId}`;
  return m;
}
