// store/messages.ts appendMessages() has two statements: one for a batch, and a leaner one for a
// single row (what every message is at low load). Both must follow the same rules; each case here
// runs the same steps once through the single-row statement and once through the batch statement
// (the same row plus a row of another conversation) and compares what Postgres holds afterwards.
import t, { type Test } from 'tap';
import { appendMessages, type InsertedMessage, type NewMessage } from '../../src/store/messages.js';
import type { Sql } from '../../src/store/db.js';
import { numberFactory, seedHotel } from '../helpers/chat-fixtures.js';
import { freshDb } from '../helpers/db.js';
import { guestTextRow } from '../helpers/message-rows.js';

const nextNumber = numberFactory();

async function world(t: Test) {
  const { sql } = await freshDb(t);
  const h = await seedHotel(sql, { staff: [{ username: 'rita', type: 'receptionist', departments: ['Reception'] }], guests: [{ number: nextNumber(1), name: 'Ann A' }, { number: nextNumber(2), name: 'Abe A' }] });
  const [g1, g2] = Object.values(h.guests);
  const conv = async (guestId: number, department: string) => {
    const [c] = await sql<{ id: number }[]>`
      insert into conversations (hotel_id, guest_id, department, conversation_type) values (${h.hotelId}, ${guestId}, ${department}, 'service') returning id`;
    return Number(c!.id);
  };
  return { sql, main: await conv(g1!.id, 'Reception'), other: await conv(g2!.id, 'Housekeeping'), staffId: Object.values(h.staff)[0]!.id };
}

type Mode = 'single' | 'batch';

/** Appends `row` alone (single) or beside a row of `other` (batch); returns what came back for `row`. */
async function append(sql: Sql, mode: Mode, row: NewMessage, other: number): Promise<InsertedMessage | undefined> {
  if (mode === 'single') {
    const out = await appendMessages(sql, [row]);
    return out[0];
  }
  const out = await appendMessages(sql, [row, guestTextRow(other, 'filler')]);
  return out.find((m) => m.ord === 1);
}

async function snapshot(sql: Sql, conversationId: number) {
  const [c] = await sql`select last_seq::int, last_message_preview, last_guest_message_at is not null as guest_at from conversations where id = ${conversationId}`;
  const messages = await sql`
    select seq::int, sender_type, sender_id, message_type, content, provider_message_id, delivery_status, template
    from messages where conversation_id = ${conversationId} order by seq`;
  const outbox = await sql`select o.kind, m.seq::int from outbox o join messages m on m.id = o.message_id where m.conversation_id = ${conversationId} order by m.seq, o.kind`;
  const receipts = await sql`select provider_message_id from inbound_receipts where conversation_id = ${conversationId} order by 1`;
  return { conversation: c, messages: [...messages], outbox: [...outbox], receipts: [...receipts] };
}

/** The same steps in either mode; returns what each step answered and the end state. */
async function scenario(t: Test, mode: Mode) {
  const { sql, main, other, staffId } = await world(t);
  const steps: Record<string, unknown> = {};
  const seqOf = (m: InsertedMessage | undefined) => (m ? Number(m.seq) : null);

  steps.first = seqOf(await append(sql, mode, guestTextRow(main, 'hello', { provider_message_id: 'wamid.1' }), other));
  steps.replay = seqOf(await append(sql, mode, guestTextRow(main, 'hello again', { provider_message_id: 'wamid.1' }), other));
  steps.staff = seqOf(
    await append(sql, mode, guestTextRow(main, 'Welcome!', {
      sender_type: 'staff', sender_id: staffId, preview: 'Welcome!', delivery_status: 'queued',
      outbox_kinds: ['whatsapp.send'], template: { name: 'welcome', language: 'en', parameters: ['Ann'] },
    }), other),
  );
  steps.plain = seqOf(await append(sql, mode, guestTextRow(main, 'no provider id'), other));
  await sql`update conversations set status = 'closed', closed_at = now() where id = ${main}`;
  steps.closed = seqOf(await append(sql, mode, guestTextRow(main, 'too late', { provider_message_id: 'wamid.2' }), other));
  await sql`update conversations set status = 'active', closed_at = null where id = ${main}`;
  // Refused while closed: its provider id was not claimed, so it is stored once the conversation is active.
  steps.afterReopen = seqOf(await append(sql, mode, guestTextRow(main, 'too late', { provider_message_id: 'wamid.2' }), other));
  steps.nul = await append(sql, mode, guestTextRow(main, 'bad \u0000 byte'), other).then(
    () => 'stored',
    (err: { code?: string }) => `refused ${String(err.code).slice(0, 2)}`,
  );
  return { steps, state: await snapshot(sql, main) };
}

t.test('the single-row statement keeps the rules of the batch statement', async (t) => {
  const single = await scenario(t, 'single');
  const batch = await scenario(t, 'batch');

  t.same(single.steps, {
    first: 1,
    replay: null, // a replayed provider id stores nothing and consumes no seq
    staff: 2,
    plain: 3,
    closed: null, // not active: nothing stored
    afterReopen: 4,
    nul: 'refused 22', // jsonb refuses NUL, as for a batch
  }, 'each step answers as the rules say');
  t.same(single.state.conversation, { last_seq: 4, last_message_preview: 'too late', guest_at: true }, 'the conversation row moves with every stored message, and only then');
  t.same(single.state.messages.map((m) => m.seq), [1, 2, 3, 4], 'seqs have no gap');
  t.same(single.state.messages[1]!.template, { name: 'welcome', language: 'en', parameters: ['Ann'] }, 'a template is stored as an object');
  t.same(single.state.outbox, [{ kind: 'whatsapp.send', seq: 2 }], 'the outbox row is written with its message');
  t.same(single.state.receipts.map((r) => r.provider_message_id), ['wamid.1', 'wamid.2'], 'provider ids are claimed only when stored');

  t.same(single.steps, batch.steps, 'the batch statement answers the same steps the same way');
  t.same(single.state, batch.state, 'and leaves the same rows behind');
});

t.test('a close committed while the append waits for the conversation lock refuses the message', async (t) => {
  for (const mode of ['single', 'batch'] as const) {
    const { sql, main, other } = await world(t);
    // Another transaction holds the conversation row and closes it; the append waits on the lock.
    let release!: () => void;
    const closing = sql.begin(async (tx) => {
      await tx`select id from conversations where id = ${main} for update`;
      await tx`update conversations set status = 'closed', closed_at = now() where id = ${main}`;
      await new Promise<void>((resolve) => (release = resolve));
    });
    while (!release) await new Promise((r) => setTimeout(r, 5));
    const appended = append(sql, mode, guestTextRow(main, 'racing the close', { provider_message_id: `wamid.race.${mode}` }), other);
    // Commit only once the append is blocked on the row lock, so it must read the new version.
    const by = Date.now() + 10_000;
    let waiting = false;
    while (!waiting && Date.now() < by) {
      const [w] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like '%jsonb_to_record%'`;
      waiting = w!.n > 0;
      if (!waiting) await new Promise((r) => setTimeout(r, 10));
    }
    release();
    t.ok(waiting, `${mode}: the append waited on the conversation's lock (so it read the row the close committed)`);
    await closing;
    t.equal(await appended, undefined, `${mode}: nothing stored in the conversation closed meanwhile`);
    const [c] = await sql<{ last_seq: number; n: number; r: number }[]>`
      select last_seq::int, (select count(*)::int from messages where conversation_id = ${main}) as n,
             (select count(*)::int from inbound_receipts where provider_message_id = ${`wamid.race.${mode}`}) as r
      from conversations where id = ${main}`;
    t.same(c, { last_seq: 0, n: 0, r: 0 }, `${mode}: no seq used, no message, no provider id claimed`);
  }
});
