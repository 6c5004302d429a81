// Races: many webhooks of one guest at once, duplicates arriving together, two nodes writing the
// same conversation. Seqs must come out 1..N with no gap or duplicate, and one conversation only.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { connect } from '../helpers/db.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';

const nodeA = await startApp(t);
const nodeB = await startApp(t, { databaseUrl: nodeA.databaseUrl });
const sql = connect(t, nodeA.databaseUrl);
const num = numberFactory();
await seedHotel(sql, {
  staff: [],
  guests: [
    { number: num(1), name: 'Burst Guest', room: '101' },
    { number: num(2), name: 'Dup Guest', room: '102' },
    { number: num(3), name: 'Two Nodes', room: '103' },
  ],
});

async function seqsOf(conversationId: number): Promise<number[]> {
  const rows = await sql<{ seq: number }[]>`select seq from messages where conversation_id = ${conversationId} order by seq`;
  return rows.map((r) => r.seq);
}

t.test('100 parallel webhooks for one guest: one conversation, seqs 1..100', async (t) => {
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) => webhook(nodeA.base, { whatsapp_number: num(1), message: `m${i}`, department: 'Housekeeping' })),
  );
  t.same(results.map((r) => r.status), Array(100).fill(201));
  const ids = new Set(results.map((r) => r.body.conversation_id));
  t.equal(ids.size, 1, 'exactly one conversation');
  t.equal(results.filter((r) => r.body.conversation_created).length, 1, 'exactly one response says it created the conversation');
  const [id] = [...ids];
  t.same(await seqsOf(id as number), Array.from({ length: 100 }, (_, i) => i + 1));
  t.same(results.map((r) => r.body.seq).sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i + 1), 'each response reports its own seq');
});

t.test('duplicate provider ids in parallel are stored once and answered with the original', async (t) => {
  const body = { whatsapp_number: num(2), message: 'same message', department: 'Reception', provider_message_id: 'wamid.DUP-1' };
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => webhook(i % 2 ? nodeA.base : nodeB.base, body)));
  t.same(results.map((r) => r.status), Array(20).fill(201));
  const messageIds = new Set(results.map((r) => r.body.message_id));
  t.equal(messageIds.size, 1, 'every copy reports the same message');
  t.equal(results.filter((r) => !r.body.duplicate).length, 1, 'one original, the rest duplicates');
  t.ok(results.every((r) => r.body.conversation_created === true), 'duplicates repeat the original answer');
  const n = (await sql<{ n: number }[]>`select count(*)::int as n from messages where provider_message_id = 'wamid.DUP-1'`)[0]!.n;
  t.equal(n, 1);
  t.same(await seqsOf(results[0]!.body.conversation_id), [1], 'a duplicate consumes no seq');
  const later = await webhook(nodeA.base, { ...body, provider_message_id: 'wamid.DUP-2', message: 'next' });
  t.equal(later.body.seq, 2);
});

t.test('two nodes writing one conversation at once keep seqs gap-free', async (t) => {
  const first = await webhook(nodeA.base, { whatsapp_number: num(3), message: 'start', department: 'Restaurant' });
  const id = first.body.conversation_id;
  const results = await Promise.all(
    Array.from({ length: 60 }, (_, i) => webhook(i % 2 ? nodeA.base : nodeB.base, { whatsapp_number: num(3), message: `n${i}`, conversation_id: id })),
  );
  t.same(results.map((r) => r.status), Array(60).fill(201));
  t.same(await seqsOf(id), Array.from({ length: 61 }, (_, i) => i + 1));
  const [c] = await sql<{ last_seq: number }[]>`select last_seq from conversations where id = ${id}`;
  t.equal(c!.last_seq, 61, 'the conversation row agrees');
});
