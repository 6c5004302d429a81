// Messages. appendMessages() is the hot write: one statement numbers and inserts a whole batch
// of messages (many conversations at once) — a group commit in one round trip.
import type { DeliveryStatus, Message, MessageType, SenderType } from '../core/chat.js';
import type { Db } from './db.js';

export interface NewMessage {
  conversation_id: number;
  sender_type: SenderType;
  sender_id: number | null;
  message_type: MessageType;
  content: string;
  preview: string;
  media_key: string | null;
  media_url: string | null;
  media_filename: string | null;
  media_content_type: string | null;
  provider_message_id: string | null;
  delivery_status: DeliveryStatus | null;
  /** Provider media to copy into our storage (a URL or a provider media id). */
  media_source: string | null;
  /** Job kinds to hand this message to after commit (via the outbox). */
  outbox_kinds: string[];
  /** A staff message sent as a WhatsApp template (see sql/016_whatsapp_outbound.sql). */
  template?: unknown;
}

export interface InsertedMessage {
  ord: number;
  id: number;
  conversation_id: number;
  seq: number;
  created_at: Date;
  updated_at: Date;
}

/**
 * Inserts messages, each with the next seq of its conversation. Conversations are locked in id
 * order (no deadlock between two batches), so concurrent writers on any node serialize on the
 * conversation row and seqs have no gap or duplicate. Rows come back with their input position
 * (`ord`, from 1). An input row is missing from the result when its conversation is not active,
 * or when its provider_message_id was already claimed (a duplicate webhook): neither consumes a seq.
 */
export function appendMessages(db: Db, rows: NewMessage[]): Promise<InsertedMessage[]> {
  if (rows.length === 1) return appendOne(db, rows[0]!);
  // One jsonb parameter carries the whole batch: typed by the column list below.
  const batch = db.json(rows as unknown as Parameters<Db['json']>[0]);
  return db<InsertedMessage[]>`
    with input as (
      select * from rows from (jsonb_to_recordset(${batch}) as (
        conversation_id bigint, sender_type text, sender_id bigint, message_type text, content text, preview text,
        media_key text, media_url text, media_filename text, media_content_type text, provider_message_id text,
        delivery_status text, media_source text, outbox_kinds text[], template jsonb)
      ) with ordinality as t(conversation_id, sender_type, sender_id, message_type, content, preview, media_key, media_url,
                             media_filename, media_content_type, provider_message_id,
                             delivery_status, media_source, outbox_kinds, template, ord)
    ),
    locked as (
      -- By primary key only, the status checked on the locked row: with status in this WHERE,
      -- a database without statistics (fresh, restored) planned the partial index of active
      -- conversations and read all of them for every message.
      select c.id, c.status from conversations c
      where c.id in (select conversation_id from input)
      order by c.id
      for update
    ),
    active as (
      select id from locked where status = 'active'
    ),
    claimed as (
      insert into inbound_receipts (provider_message_id, conversation_id)
      select provider_message_id, conversation_id from input
      where provider_message_id is not null and conversation_id in (select id from active)
      on conflict do nothing
      returning provider_message_id
    ),
    accepted as (
      select i.* from input i
      where i.conversation_id in (select id from active)
        and (i.provider_message_id is null or i.provider_message_id in (select provider_message_id from claimed))
    ),
    counts as (
      select conversation_id, count(*) as n,
             (array_agg(preview order by ord desc))[1] as preview,
             bool_or(sender_type = 'guest') as from_guest
      from accepted group by conversation_id
    ),
    bumped as (
      update conversations c set
        last_seq = c.last_seq + k.n,
        last_message_at = now(),
        last_message_preview = k.preview,
        last_guest_message_at = case when k.from_guest then now() else c.last_guest_message_at end,
        updated_at = now()
      from counts k where c.id = k.conversation_id
      returning c.id, c.last_seq - k.n as base
    ),
    numbered as (
      select a.*, b.base + row_number() over (partition by a.conversation_id order by a.ord) as seq
      from accepted a join bumped b on b.id = a.conversation_id
    ),
    ins as (
      insert into messages (conversation_id, seq, sender_type, sender_id, message_type, content, media_key, media_url,
                            media_filename, media_content_type, provider_message_id, delivery_status, media_source, template)
      select conversation_id, seq, sender_type, sender_id, message_type, content, media_key, media_url,
             media_filename, media_content_type, provider_message_id, delivery_status, media_source, template
      from numbered order by conversation_id, seq
      returning id, conversation_id, seq, created_at, updated_at
    ),
    queued as (
      insert into outbox (kind, message_id)
      select k.kind, ins.id from ins join numbered n using (conversation_id, seq)
      cross join lateral unnest(n.outbox_kinds) as k(kind)
    )
    select n.ord::int as ord, ins.id, ins.conversation_id, ins.seq, ins.created_at, ins.updated_at
    from ins join numbered n using (conversation_id, seq)`;
}

/**
 * appendMessages() for a single row — what every message is at low load — with the same rules,
 * without numbering a batch (no grouping, window or ordinality): Postgres spends about a third
 * less time on it, and that time is on the path of every message until the load makes batches.
 * The row still travels as jsonb, so it is refused for the same values (NUL, lone surrogates).
 */
function appendOne(db: Db, r: NewMessage): Promise<InsertedMessage[]> {
  const row = db.json(r as unknown as Parameters<Db['json']>[0]);
  return db<InsertedMessage[]>`
    with input as (
      select * from jsonb_to_record(${row}) as (
        conversation_id bigint, sender_type text, sender_id bigint, message_type text, content text, preview text,
        media_key text, media_url text, media_filename text, media_content_type text, provider_message_id text,
        delivery_status text, media_source text, outbox_kinds text[], template jsonb)
    ),
    locked as (
      -- By primary key only (see appendMessages), given as its own parameter: a join with the
      -- input was planned as a scan of every conversation while the table was small. A row
      -- locked after a wait is returned as its latest version, so the status read here is the
      -- one a concurrent close committed.
      select c.id, c.status from conversations c where c.id = ${r.conversation_id} for update
    ),
    active as (
      select id from locked where status = 'active'
    ),
    claimed as (
      insert into inbound_receipts (provider_message_id, conversation_id)
      select i.provider_message_id, a.id from input i, active a where i.provider_message_id is not null
      on conflict do nothing
      returning provider_message_id
    ),
    bumped as (
      update conversations c set
        last_seq = c.last_seq + 1,
        last_message_at = now(),
        last_message_preview = i.preview,
        last_guest_message_at = case when i.sender_type = 'guest' then now() else c.last_guest_message_at end,
        updated_at = now()
      from input i
      where c.id = ${r.conversation_id} and exists (select 1 from active)
        and (i.provider_message_id is null or exists (select 1 from claimed))
      returning c.id, c.last_seq as seq
    ),
    ins as (
      insert into messages (conversation_id, seq, sender_type, sender_id, message_type, content, media_key, media_url,
                            media_filename, media_content_type, provider_message_id, delivery_status, media_source, template)
      select b.id, b.seq, i.sender_type, i.sender_id, i.message_type, i.content, i.media_key, i.media_url,
             i.media_filename, i.media_content_type, i.provider_message_id, i.delivery_status, i.media_source, i.template
      from bumped b, input i
      returning id, conversation_id, seq, created_at, updated_at
    ),
    queued as (
      insert into outbox (kind, message_id)
      select k.kind, ins.id from ins, input i cross join lateral unnest(i.outbox_kinds) as k(kind)
    )
    select 1 as ord, id, conversation_id, seq, created_at, updated_at from ins`;
}

export interface StoredMessage extends Message {
  staff_name: string | null;
}

const WITH_STAFF = (db: Db) => db`
  select m.*, nullif(coalesce(nullif(trim(u.first_name || ' ' || u.last_name), ''), u.username), '') as staff_name
  from messages m left join users u on u.id = m.sender_id`;

/** The message a provider id was first stored as. */
export async function findByProviderId(db: Db, providerMessageId: string): Promise<StoredMessage | undefined> {
  const [m] = await db<StoredMessage[]>`
    select m.*, null::text as staff_name from messages m where m.provider_message_id = ${providerMessageId}`;
  return m;
}

/** Which of these provider ids some stored message carries. */
export async function storedProviderIds(db: Db, ids: string[]): Promise<Set<string>> {
  const rows = await db<{ provider_message_id: string }[]>`
    select provider_message_id from messages where provider_message_id = any(${ids}::text[])`;
  return new Set(rows.map((r) => r.provider_message_id));
}

/** Messages of a conversation in seq order: the latest `limit`, or a page before/after a seq. */
export async function listMessages(
  db: Db,
  conversationId: number,
  page: { beforeSeq?: number; sinceSeq?: number; limit: number },
): Promise<StoredMessage[]> {
  if (page.sinceSeq !== undefined) {
    return db<StoredMessage[]>`
      ${WITH_STAFF(db)} where m.conversation_id = ${conversationId} and m.seq > ${page.sinceSeq}
      order by m.seq limit ${page.limit}`;
  }
  const rows = await db<StoredMessage[]>`
    ${WITH_STAFF(db)} where m.conversation_id = ${conversationId}
    ${page.beforeSeq !== undefined ? db`and m.seq < ${page.beforeSeq}` : db``}
    order by m.seq desc limit ${page.limit}`;
  return rows.reverse();
}

export function messagesBySeqRange(db: Db, conversationId: number, fromSeq: number, toSeq: number): Promise<StoredMessage[]> {
  return db<StoredMessage[]>`
    ${WITH_STAFF(db)} where m.conversation_id = ${conversationId} and m.seq between ${fromSeq} and ${toSeq}
    order by m.seq`;
}

/** seqs of the given message ids inside one conversation (ids of other conversations are left out). */
export function seqsOf(db: Db, conversationId: number, ids: number[]): Promise<{ id: number; seq: number }[]> {
  return db<{ id: number; seq: number }[]>`
    select id, seq from messages where conversation_id = ${conversationId} and id = any(${ids}::bigint[])`;
}

/** First read of guest messages by any staff member: what `is_read` shows. */
export async function stampGuestMessagesRead(db: Db, conversationId: number, upTo: number, seqs: number[]): Promise<void> {
  await db`
    update messages set read_at = now(), updated_at = now()
    where conversation_id = ${conversationId} and sender_type = 'guest' and read_at is null
      and (seq <= ${upTo} or seq = any(${seqs}::bigint[]))`;
}

/** Outbound delivery progress of a message of one conversation; only forward moves are written (see chat/rules.ts). */
export async function setDeliveryStatus(
  db: Db,
  { conversationId, id }: { conversationId: number; id: number },
  to: DeliveryStatus,
  error: string | null,
  allowedFrom: (DeliveryStatus | null)[],
  providerMessageId: string | null = null,
): Promise<boolean> {
  const rows = await db`
    update messages set delivery_status = ${to}, delivery_error = ${error}, updated_at = now(),
      provider_message_id = coalesce(provider_message_id, ${providerMessageId}),
      read_at = case when ${to} = 'read' then coalesce(read_at, now()) else read_at end
    where id = ${id} and conversation_id = ${conversationId} and (delivery_status = any(${allowedFrom.filter((s) => s !== null)}::text[])
                          ${allowedFrom.includes(null) ? db`or delivery_status is null` : db``})
    returning id`;
  return rows.length === 1;
}

/** What an outbound send needs: the message, where it goes, and its conversation. */
export interface OutboundContext {
  id: number;
  conversation_id: number;
  hotel_id: string;
  conversation_type: string;
  department: string;
  message_type: MessageType;
  content: string;
  media_key: string | null;
  media_url: string | null;
  media_filename: string | null;
  delivery_status: DeliveryStatus | null;
  sender_type: SenderType;
  guest_number: string;
  created_at: Date;
}

export async function outboundContext(db: Db, messageId: number): Promise<OutboundContext | undefined> {
  const [r] = await db<OutboundContext[]>`
    select m.id, m.conversation_id, c.hotel_id, c.conversation_type, c.department, m.message_type, m.content, m.media_key,
           m.media_url, m.media_filename, m.delivery_status, m.sender_type, g.whatsapp_number as guest_number, m.created_at
    from messages m join conversations c on c.id = m.conversation_id join guests g on g.id = c.guest_id
    where m.id = ${messageId}`;
  return r;
}


/** An outbound (staff) message by the id the provider gave it. */
export async function findOutbound(db: Db, providerMessageId: string): Promise<{ id: number; conversation_id: number; delivery_status: DeliveryStatus | null } | undefined> {
  const [m] = await db<{ id: number; conversation_id: number; delivery_status: DeliveryStatus | null }[]>`
    select id, conversation_id, delivery_status from messages where provider_message_id = ${providerMessageId} and sender_type <> 'guest'`;
  return m;
}
