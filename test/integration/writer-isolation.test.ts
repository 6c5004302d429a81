// Issue 11 (#4) — one row the database refuses must not fail the rows written with it. The writer
// is called directly (the edge would refuse these rows), with messages of three conversations in
// two hotels gathered into one group-commit batch. One append() call is stored all or none.
import t, { type Test } from 'tap';
import { MessageWriter } from '../../src/chat/writer.js';
import { appendMessages } from '../../src/store/messages.js';
import { createLogger } from '../../src/obs/log.js';
import { Registry } from '../../src/obs/metrics.js';
import type { Sql } from '../../src/store/db.js';
import type { InsertedMessage, NewMessage } from '../../src/store/messages.js';
import { numberFactory, seedHotel } from '../helpers/chat-fixtures.js';
import { freshDb } from '../helpers/db.js';
import { guestTextRow } from '../helpers/message-rows.js';

const nextNumber = numberFactory();

async function conversation(sql: Sql, hotelId: string, guestId: number, department: string): Promise<number> {
  const [c] = await sql<{ id: number }[]>`
    insert into conversations (hotel_id, guest_id, department, conversation_type) values (${hotelId}, ${guestId}, ${department}, 'service')
    returning id`;
  return c!.id;
}

const row = guestTextRow;

async function world(t: Test) {
  const { sql } = await freshDb(t);
  const a = await seedHotel(sql, { staff: [], guests: [{ number: nextNumber(1), name: 'Ann A' }, { number: nextNumber(2), name: 'Abe A' }] });
  const b = await seedHotel(sql, { staff: [], guests: [{ number: nextNumber(3), name: 'Bo B' }] });
  const [ga1, ga2] = Object.values(a.guests);
  const [gb] = Object.values(b.guests);
  const a1 = await conversation(sql, a.hotelId, ga1!.id, 'Reception');
  const a2 = await conversation(sql, a.hotelId, ga2!.id, 'Housekeeping');
  const b1 = await conversation(sql, b.hotelId, gb!.id, 'Reception');
  return { sql, a1, a2, b1 };
}

function makeWriter(sql: Sql, batchMax = 50) {
  const metrics = new Registry();
  const sizes: number[] = [];
  const w = new MessageWriter({
    insert: (rows) => appendMessages(sql, rows),
    log: createLogger({ level: 'silent', nodeId: 'writer-test' }),
    batchMax,
    maxInFlight: 1,
    maxQueued: 1000,
    batches: { observe: (v: number) => sizes.push(v) } as unknown as ReturnType<Registry['histogram']>,
    messages: metrics.counter('messages_stored_total', 'stored'),
  });
  return { writer: w, sizes };
}

t.test('a refused row fails alone; the rest of its batch is stored with gap-free seqs', async (t) => {
  const { sql, a1, a2, b1 } = await world(t);
  const { writer, sizes } = makeWriter(sql);

  // Appended in one turn, as many conversation actors would: one batch.
  const rows: Array<[string, NewMessage]> = [
    ['a1 first', row(a1, 'a1 first')],
    ['b1 NUL', row(b1, 'bad \u0000 byte')],
    ['a2 only', row(a2, 'a2 only')],
    ['b1 lone surrogate', row(b1, 'half an emoji \ud83d')],
    ['a1 second', row(a1, 'a1 second')],
    ['b1 good', row(b1, 'b1 good')],
    ['a1 bad type', row(a1, 'a1 refused', { message_type: 'sticker' as never })],
    ['a1 third', row(a1, 'a1 third')],
  ];
  const results = await Promise.allSettled(rows.map(([, r]) => writer.append([r]).then(([m]) => m)));
  await writer.drained();
  t.same(sizes[0], rows.length, 'all rows went out as one batch first');

  const outcome = new Map(rows.map(([name], i) => [name, results[i]!]));
  const stored = (name: string) => {
    const r = outcome.get(name)!;
    return r.status === 'fulfilled' ? (r.value as InsertedMessage | null) : null;
  };
  const code = (name: string) => {
    const r = outcome.get(name)!;
    return r.status === 'rejected' ? (r.reason as { code?: string }).code : `stored (${JSON.stringify(stored(name))})`;
  };
  t.equal(code('b1 NUL'), '22P05', 'the NUL row is refused');
  t.equal(code('b1 lone surrogate'), '22P02', 'the unpaired-surrogate row is refused');
  t.equal(code('a1 bad type'), '23514', 'the row breaking a check constraint is refused');

  t.same(
    ['a1 first', 'a1 second', 'a1 third', 'a2 only', 'b1 good'].map((n) => [n, stored(n)?.seq]),
    [['a1 first', 1], ['a1 second', 2], ['a1 third', 3], ['a2 only', 1], ['b1 good', 1]],
    'every good row is stored, numbered per conversation in append order',
  );

  const inDb = await sql<{ conversation_id: number; seq: number; content: string }[]>`
    select conversation_id, seq, content from messages where conversation_id in (${a1}, ${a2}, ${b1}) order by conversation_id, seq`;
  t.same(
    inDb.map((m) => [m.conversation_id, m.seq, m.content]),
    [[a1, 1, 'a1 first'], [a1, 2, 'a1 second'], [a1, 3, 'a1 third'], [a2, 1, 'a2 only'], [b1, 1, 'b1 good']],
  );
  const seqs = await sql<{ id: number; last_seq: number }[]>`select id, last_seq from conversations where id in (${a1}, ${a2}, ${b1}) order by id`;
  t.same(seqs.map((c) => c.last_seq), [3, 1, 1], 'refused rows consumed no seq');
});

t.test('one append() call is stored all or none, and never split across statements', async (t) => {
  const { sql, a1, a2, b1 } = await world(t);
  const { writer, sizes } = makeWriter(sql, 3);
  const calls = [
    writer.append([row(a1, 'a1 one'), row(a1, 'a1 two')]),
    writer.append([row(b1, 'b1 good'), row(b1, 'b1 bad \u0000')]),
    writer.append([row(a2, 'a2 one'), row(a2, 'a2 two'), row(a2, 'a2 three'), row(a2, 'a2 four')]),
  ];
  const [a1Call, b1Call, a2Call] = await Promise.allSettled(calls);
  await writer.drained();
  t.same(sizes, [2, 2, 4], 'whole calls per statement (batchMax 3; a larger call goes alone)');
  t.equal(b1Call!.status, 'rejected', 'the call holding the refused row is refused');
  t.same(a1Call!.status === 'fulfilled' && a1Call!.value.map((m) => m?.seq), [1, 2]);
  t.same(a2Call!.status === 'fulfilled' && a2Call!.value.map((m) => m?.seq), [1, 2, 3, 4]);
  const [b1Stored] = await sql<{ n: number }[]>`select count(*)::int as n from messages where conversation_id = ${b1}`;
  t.equal(b1Stored!.n, 0, 'nothing of the refused call is stored');
});

t.test('two copies of one provider message in a batch: one is stored, the other is a duplicate', async (t) => {
  const { sql, a1, b1 } = await world(t);
  const { writer, sizes } = makeWriter(sql);
  const [first, second, other] = await Promise.all([
    writer.append([row(a1, 'copy', { provider_message_id: 'wamid.same' })]),
    writer.append([row(a1, 'copy', { provider_message_id: 'wamid.same' })]),
    writer.append([row(b1, 'other hotel')]),
  ]);
  await writer.drained();
  t.same(sizes, [3], 'one batch');
  t.same([first![0]?.seq, second![0], other![0]?.seq], [1, null, 1], 'the second copy is reported as not stored; the other hotel\'s row is stored');
});

t.test('the value rules of messages and conversations hold on every write (sql/018: domains)', async (t) => {
  const { sql, a1, a2 } = await world(t);
  const refused = async (what: string, write: () => Promise<unknown>, constraint: string) => {
    const err = (await write().then(() => null, (e: unknown) => e)) as { code?: string; constraint_name?: string } | null;
    t.same([err?.code, err?.constraint_name], ['23514', constraint], what);
  };
  await refused('one-message append, unknown delivery status', () => appendMessages(sql, [row(a1, 'x', { delivery_status: 'lost' as never })]), 'message_delivery_status_check');
  await refused('batch append, unknown sender', () => appendMessages(sql, [row(a1, 'x'), row(a2, 'y', { sender_type: 'bot' as never })]), 'message_sender_type_check');
  await refused('a direct insert with seq 0', () => sql`
    insert into messages (conversation_id, seq, sender_type, message_type, content) values (${a1}, 0, 'guest', 'text', 'zero')`, 'message_seq_check');
  await refused('an unknown conversation status', () => sql`update conversations set status = 'paused' where id = ${a1}`, 'conversation_status_check');
  await refused('an unknown department', () => sql`update conversations set department = 'Spa' where id = ${a1}`, 'conversation_department_check');
  await refused('an unknown conversation type', () => sql`update conversations set conversation_type = 'vip' where id = ${a1}`, 'conversation_kind_check');
  const [c] = await sql<{ last_seq: number; n: number }[]>`
    select last_seq, (select count(*)::int from messages where conversation_id = ${a1}) as n from conversations where id = ${a1}`;
  t.same([c!.last_seq, c!.n], [0, 0], 'nothing was stored and no seq consumed');
  t.same((await appendMessages(sql, [row(a1, 'fine')])).map((m) => m.seq), [1], 'a good row is stored after them');
});
