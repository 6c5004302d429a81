// A known (guest, department) goes straight to its active conversation; when that conversation is
// closed, archived or reopened — on this node or elsewhere — the next guest message follows.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { request } from '../helpers/http.js';

const app = await startApp(t);
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const h = await seedHotel(sql, {
  staff: [
    { username: `gc_desk_${Date.now()}`, type: 'receptionist', departments: ['Reception'] },
    { username: `gc_admin_${Date.now()}`, type: 'hotel_admin' },
  ],
  guests: [1, 2, 3].map((n) => ({ number: num(n), name: `Cache Guest${n}`, room: `20${n}` })),
});
const desk = Object.values(h.staff)[0]!.token;
const admin = Object.values(h.staff)[1]!.token;
const send = async (n: number, message: string) => {
  const r = await webhook(app.base, { whatsapp_number: num(n), message, department: 'Reception' });
  t.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as { conversation_id: number; conversation_created: boolean; seq: number };
};
const post = (path: string, body: unknown) => request(app.base, 'POST', path, { token: desk, body });

t.test('close and reopen through this node', async (t) => {
  const a = await send(1, 'first');
  t.ok(a.conversation_created);
  const again = await send(1, 'second');
  t.equal(again.conversation_id, a.conversation_id, 'the known conversation');
  t.equal(again.seq, a.seq + 1);
  t.equal((await post('/api/chat/conversations/close/', { conversation_id: a.conversation_id })).status, 200);
  const b = await send(1, 'after close');
  t.not(b.conversation_id, a.conversation_id, 'a closed conversation gets no more guest messages');
  t.ok(b.conversation_created, 'a new one is started');
  t.equal((await post('/api/chat/conversations/close/', { conversation_id: b.conversation_id })).status, 200);
  t.equal((await post('/api/chat/conversations/reopen/', { conversation_id: a.conversation_id })).status, 200);
  const c = await send(1, 'after reopen');
  t.equal(c.conversation_id, a.conversation_id, 'the reopened conversation is the active one again');
  t.notOk(c.conversation_created);
  const rows = await sql<{ conversation_id: number; content: string }[]>`
    select conversation_id, content from messages where conversation_id in (${a.conversation_id}, ${b.conversation_id}) order by id`;
  t.same(rows.map((r) => [r.conversation_id, r.content]), [
    [a.conversation_id, 'first'],
    [a.conversation_id, 'second'],
    [b.conversation_id, 'after close'],
    [a.conversation_id, 'after reopen'],
  ], 'each message stored once, where it belongs');
});

t.test('a close this node did not make (another node, straight in the database) is found by the append', async (t) => {
  const a = await send(2, 'one');
  await sql`update conversations set status = 'closed' where id = ${a.conversation_id}`;
  const b = await send(2, 'two');
  t.not(b.conversation_id, a.conversation_id, 'not stored in the closed conversation');
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from messages where conversation_id = ${a.conversation_id}`;
  t.equal(n!.n, 1, 'the closed conversation kept only its own message');
});

t.test('an archive by the sweep is followed as well', async (t) => {
  const a = await send(3, 'before archive');
  t.equal((await post('/api/chat/conversations/close/', { conversation_id: a.conversation_id })).status, 200);
  await sql`update conversations set status = 'archived' where id = ${a.conversation_id}`;
  const b = await send(3, 'after archive');
  t.not(b.conversation_id, a.conversation_id);
});

t.test('a number remembered as unknown is forgotten when a guest record for it is made', async (t) => {
  const stranger = await webhook(app.base, { whatsapp_number: num(9), message: 'hello?', department: 'Reception' });
  t.not(stranger.status, 201, 'no guest with this number yet');
  const made = await request(app.base, 'POST', '/api/guests/', { token: admin, body: { whatsapp_number: num(9), full_name: 'Newly Registered' } });
  t.equal(made.status, 201, JSON.stringify(made.body));
  // Right away: the negative entry (kept ~2 s for floods of strangers) must not refuse this one.
  const r = await webhook(app.base, { whatsapp_number: num(9), message: 'hello again', department: 'Reception' });
  t.equal(r.status, 201, JSON.stringify(r.body));
  const [n] = await sql<{ n: number }[]>`select count(*)::int as n from messages m join conversations c on c.id = m.conversation_id where c.guest_id = ${made.body.id}`;
  t.equal(n!.n, 1, 'stored in the new guest\'s conversation');
});
