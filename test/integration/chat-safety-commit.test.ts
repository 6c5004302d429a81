// The group commit (store/messages.ts appendMessages via chat/writer.ts) seen from outside:
// batches that mix many conversations still number each conversation 1..n, and a conversation
// closed on one node refuses appends arriving through another node's warm actor, which still
// believes it active. Two nodes on one database (the in-memory bus is enough: the closed state
// must be found in the database, not learnt from an event).
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { client } from '../helpers/http.js';
import { WsClient } from '../helpers/ws.js';

// WRITE_CONCURRENCY 1: every statement carries whatever queued meanwhile, so batches are large
// and mix conversations.
const nodeA = await startApp(t, { env: { WRITE_CONCURRENCY: '1' } });
const nodeB = await startApp(t, { databaseUrl: nodeA.databaseUrl, env: { WRITE_CONCURRENCY: '1' } });
const sql = connect(t, nodeA.databaseUrl);
const num = numberFactory();
const GUESTS = 8;
const hotel = await seedHotel(sql, {
  staff: [{ username: 'commit_desk', type: 'receptionist', departments: ['Reception', 'Housekeeping'] }],
  guests: [
    ...Array.from({ length: GUESTS }, (_, i) => ({ number: num(i + 1), name: `Mixed Guest ${i + 1}`, room: `2${String(i).padStart(2, '0')}` })),
    { number: num(50), name: 'Closing Guest', room: '301' },
  ],
});

async function seqsOf(conversationId: number): Promise<number[]> {
  const rows = await sql<{ seq: number }[]>`select seq from messages where conversation_id = ${conversationId} order by seq`;
  return rows.map((r) => r.seq);
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

t.test('parallel webhooks of many guests and departments: every conversation is numbered 1..n', async (t) => {
  const departments = ['Reception', 'Housekeeping'] as const;
  const perConversation = 12;
  const posts = [];
  // Interleaved so that every batch the writer gathers holds several conversations.
  for (let k = 0; k < perConversation; k++) {
    for (let g = 1; g <= GUESTS; g++) {
      for (const d of departments) {
        const node = (k + g) % 2 ? nodeA : nodeB;
        posts.push(webhook(node.base, { whatsapp_number: num(g), message: `${g}-${d}-${k}`, department: d }));
      }
    }
  }
  const results = await Promise.all(posts);
  t.same(results.map((r) => r.status), Array(posts.length).fill(201), 'every webhook stored');
  const byConversation = new Map<number, number[]>();
  for (const r of results) byConversation.set(r.body.conversation_id, [...(byConversation.get(r.body.conversation_id) ?? []), r.body.seq]);
  t.equal(byConversation.size, GUESTS * departments.length, 'one conversation per guest and department');
  for (const [id, answered] of byConversation) {
    t.same(answered.sort((a, b) => a - b), upTo(perConversation), `conversation ${id}: the answers carry 1..${perConversation}`);
    t.same(await seqsOf(id), upTo(perConversation), `conversation ${id}: stored seqs are 1..${perConversation}`);
  }
  const rows = await sql<{ id: number; last_seq: number; n: number }[]>`
    select c.id, c.last_seq, (select count(*)::int from messages m where m.conversation_id = c.id) as n
    from conversations c where c.id = any(${[...byConversation.keys()]}::bigint[])`;
  t.ok(rows.length > 0 && rows.every((r) => r.last_seq === perConversation && r.n === perConversation), 'every conversation row agrees with its messages');
});

t.test('closed on node A, appended through node B\'s warm actor: refused, nothing stored in the closed conversation', async (t) => {
  const desk = hotel.staff['commit_desk']!;
  const guest = num(50);
  // Warm node B: its actor loads the conversation as active and keeps that state in memory.
  const first = await webhook(nodeB.base, { whatsapp_number: guest, message: 'first', department: 'Reception' });
  t.equal(first.status, 201);
  const id = first.body.conversation_id as number;
  const wsB = await WsClient.connect(`${nodeB.wsBase}/ws/chat/?token=${encodeURIComponent(desk.token)}`);
  t.teardown(() => wsB.close());
  wsB.send({ type: 'text', conversation_id: id, content: 'warming reply' });
  t.match(await wsB.next((f) => f.type === 'acknowledgment' && f.status === 'received'), { conversation_id: id, seq: 2 });

  const closed = await client(nodeA.base, desk.token).post('/api/chat/conversations/close/', { conversation_id: id });
  t.equal(closed.status, 200, JSON.stringify(closed.body));
  t.same(await sql`select status from conversations where id = ${id}`, [{ status: 'closed' }]);

  // A guest webhook naming the closed conversation, through node B.
  const named = await webhook(nodeB.base, { whatsapp_number: guest, message: 'into the closed one', conversation_id: id });
  t.equal(named.status, 404, `a webhook naming the closed conversation is refused: ${JSON.stringify(named.body)}`);
  // A staff reply through node B's socket.
  wsB.send({ type: 'text', conversation_id: id, content: 'reply into the closed one' });
  const e = await wsB.next((f) => f.type === 'error' || (f.type === 'acknowledgment' && f.status === 'received'));
  t.match(e, { type: 'error', code: 'conflict', conversation_id: id }, 'a staff reply to the closed conversation is refused');
  t.same(await seqsOf(id), [1, 2], 'nothing was added to the closed conversation');
  t.same(await sql`select last_seq from conversations where id = ${id}`, [{ last_seq: 2 }], 'its seq did not move');

  // The guest's next message without an id opens a new conversation (on B too), starting at 1.
  const next = await webhook(nodeB.base, { whatsapp_number: guest, message: 'hello again', department: 'Reception' });
  t.equal(next.status, 201, JSON.stringify(next.body));
  t.not(next.body.conversation_id, id, 'a new conversation');
  t.equal(next.body.seq, 1);
  t.equal(next.body.conversation_created, true);
  t.same(await seqsOf(id), [1, 2], 'the closed conversation is still untouched');
});
