// The Socket.IO baseline's storage (bench/servers/baseline-socketio.ts), shared with
// bench/append-probe.ts so the probe times the very statement the baseline runs: one statement
// that bumps a per-conversation seq (upsert) and inserts the message.
import type postgres from 'postgres';

type Sql = postgres.Sql<Record<string, unknown>>;

export async function createBaselineTables(sql: Sql): Promise<void> {
  await sql`create table if not exists bl_conversations (
    id bigserial primary key, guest_id bigint not null, hotel_id uuid not null, department text not null,
    last_seq bigint not null default 1, unique (guest_id, hotel_id, department))`;
  await sql`create table if not exists bl_messages (
    id bigserial primary key, conversation_id bigint not null, seq bigint not null, content text not null,
    provider_message_id text unique, created_at timestamptz not null default now(), unique (conversation_id, seq))`;
}

export interface BaselineMessage {
  guestId: number;
  hotelId: string;
  department: string;
  content: string;
  providerMessageId: string | null;
}

export interface BaselineRow {
  id: number;
  conversation_id: number;
  seq: number;
  created_at: Date;
}

export async function baselineAppend(sql: Sql, m: BaselineMessage): Promise<BaselineRow | undefined> {
  const [row] = await sql<BaselineRow[]>`
    with c as (
      insert into bl_conversations (guest_id, hotel_id, department) values (${m.guestId}, ${m.hotelId}, ${m.department})
      on conflict (guest_id, hotel_id, department) do update set last_seq = bl_conversations.last_seq + 1
      returning id, last_seq
    )
    insert into bl_messages (conversation_id, seq, content, provider_message_id)
    select id, last_seq, ${m.content}, ${m.providerMessageId} from c
    returning id::int as id, conversation_id::int as conversation_id, seq::int as seq, created_at`;
  return row;
}
