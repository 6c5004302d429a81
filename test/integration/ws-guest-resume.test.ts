// Guest sockets (token issued by the server, scope limited to the guest) and resume by seq after a
// reconnect.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { guestToken, numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { client } from '../helpers/http.js';
import { WsClient, type Frame } from '../helpers/ws.js';

const app = await startApp(t);
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const h = await seedHotel(sql, {
  staff: [
    { username: 'desk', type: 'receptionist', departments: ['Reception'] },
    { username: 'desk2', type: 'receptionist', departments: ['Reception'] },
  ],
  guests: [
    { number: num(1), name: 'Gina Guest', room: '101' },
    { number: num(2), name: 'Other Guest', room: '102' },
    { number: num(3), name: 'Gone Guest', status: 'checked_out' },
  ],
});
const staffUrl = (u: string) => `${app.wsBase}/ws/chat/?token=${encodeURIComponent(h.staff[u]!.token)}`;
const guestUrl = (n: string, token?: string) => `${app.wsBase}/ws/guest/${encodeURIComponent(n)}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
const status = async (url: string) => {
  try {
    (await WsClient.connect(url)).close();
    return 101;
  } catch (err) {
    return (err as { status?: number }).status ?? -1;
  }
};

t.test('guest socket authentication', async (t) => {
  const g1 = h.guests[num(1)]!;
  t.equal(await status(guestUrl(num(1))), 401, 'a guest token is required');
  t.equal(await status(guestUrl(num(1), 'garbage')), 401);
  t.equal(await status(guestUrl(num(1), await guestToken(h.guests[num(2)]!.id, num(2)))), 401, 'another guest\'s token');
  t.equal(await status(guestUrl(num(1), h.staff['desk']!.token)), 401, 'a staff token is not a guest token');
  t.equal(await status(guestUrl('+15550009999', await guestToken(g1.id, num(1)))), 404, 'unknown number');
  t.equal(await status(guestUrl(num(3), await guestToken(h.guests[num(3)]!.id, num(3)))), 403, 'no active stay');
  t.equal(await status(guestUrl(num(1).slice(1), await guestToken(g1.id, num(1)))), 101, 'any spelling of the number');
  const issued = await client(app.base, h.staff['desk']!.token).post(`/api/guests/${g1.id}/socket-token/`, {});
  t.equal(issued.status, 201, JSON.stringify(issued.body));
  t.equal(await status(guestUrl(num(1), issued.body.token)), 101, 'a token issued by the front desk works');

  const open = await startApp(t, { databaseUrl: app.databaseUrl, env: { GUEST_SOCKET_AUTH: 'none' } });
  t.equal(await status(`${open.wsBase}/ws/guest/${encodeURIComponent(num(1))}/`), 101, 'GUEST_SOCKET_AUTH=none allows the seed behaviour');
});

t.test('a guest receives staff replies and updates of their own conversations only', async (t) => {
  const first = await webhook(app.base, { whatsapp_number: num(1), message: 'hi from gina', department: 'Reception' });
  const other = await webhook(app.base, { whatsapp_number: num(2), message: 'hi from other', department: 'Reception' });
  const cid: number = first.body.conversation_id;
  const guest = await WsClient.connect(guestUrl(num(1), await guestToken(h.guests[num(1)]!.id, num(1))));
  t.teardown(() => guest.close());
  const staff = await WsClient.connect(staffUrl('desk'));
  t.teardown(() => staff.close());
  staff.send({ type: 'text', conversation_id: other.body.conversation_id, content: 'reply to other' });
  staff.send({ type: 'text', conversation_id: cid, content: 'reply to gina' });
  const got = await guest.next((f) => f.type === 'message');
  t.match(got.data, { content: 'reply to gina', sender_type: 'staff', conversation_id: cid, guest_info: { name: 'Gina', room_number: '101' } });
  staff.send({ type: 'subscribe_conversation', conversation_id: cid });
  await staff.next((f) => f.type === 'acknowledgment' && f.status === 'subscribed');
  guest.send({ type: 'typing', conversation_id: cid, is_typing: true });
  t.match(await staff.next((f) => f.type === 'typing'), { data: { conversation_id: cid, sender_type: 'guest', user_name: 'Gina', is_typing: true } });
  guest.send({ type: 'typing', conversation_id: other.body.conversation_id, is_typing: true });
  t.match(await guest.next((f) => f.type === 'error'), { message: /not found/i }, 'not another guest\'s conversation');
  guest.send({ type: 'text', conversation_id: cid, content: 'x' });
  t.match(await guest.next((f) => f.type === 'error'), { message: /WhatsApp/ });
  await client(app.base, h.staff['desk']!.token).post('/api/chat/conversations/close/', { conversation_id: cid });
  t.match(await guest.next((f) => f.type === 'conversation_update'), { data: { type: 'conversation_closed', conversation_id: cid } });
  t.notOk(guest.frames.some((f) => f.type === 'message' && f.data.content !== 'reply to gina'), 'nothing of other guests, nor its own inbound messages');
});

t.test('resume after a forced disconnect returns exactly the missed messages, in order', async (t) => {
  const first = await webhook(app.base, { whatsapp_number: num(2), message: 'resume 1', department: 'Reception' });
  const cid: number = first.body.conversation_id;
  const ws = await WsClient.connect(staffUrl('desk2'));
  await webhook(app.base, { whatsapp_number: num(2), message: 'resume 2', department: 'Reception' });
  const seen = await ws.next((f) => f.type === 'message' && f.data.content === 'resume 2');
  ws.ws.terminate();
  await ws.waitClose();
  const missed: string[] = [];
  for (let i = 3; i <= 7; i++) {
    missed.push(`resume ${i}`);
    await webhook(app.base, { whatsapp_number: num(2), message: `resume ${i}`, department: 'Reception' });
  }
  const again = await WsClient.connect(staffUrl('desk2'));
  t.teardown(() => again.close());
  again.send({ type: 'resume', conversation_id: cid, since_seq: seen.data.seq });
  const ack = await again.next((f) => f.type === 'acknowledgment' && f.status === 'resumed');
  t.match(ack, { conversation_id: cid, since_seq: seen.data.seq, last_seq: seen.data.seq + 5, count: 5 });
  const resumed = again.frames.filter((f: Frame) => f.type === 'message' && f.data.conversation_id === cid);
  t.same(resumed.map((f) => f.data.content), missed, 'exactly the missed ones');
  t.same(resumed.map((f) => f.data.seq), [3, 4, 5, 6, 7].map((k) => seen.data.seq + k - 2), 'in seq order');

  again.send({ type: 'resume', conversation_id: cid, since_seq: seen.data.seq + 5 });
  t.match(await again.next((f) => f.type === 'acknowledgment' && f.status === 'resumed'), { count: 0 }, 'nothing missed, nothing sent');
});

t.test('resume that would be too long says so instead of sending a partial set', async (t) => {
  const first = await webhook(app.base, { whatsapp_number: num(1), message: 'bulk 0', department: 'Housekeeping' });
  const cid: number = first.body.conversation_id;
  await sql`
    with c as (update conversations set last_seq = last_seq + 600 where id = ${cid} returning last_seq)
    insert into messages (conversation_id, seq, sender_type, message_type, content)
    select ${cid}, c.last_seq - 600 + g, 'guest', 'text', 'bulk ' || g from c, generate_series(1, 600) g`;
  const mgr = await startApp(t, { databaseUrl: app.databaseUrl });
  const [u] = await sql<{ id: number }[]>`
    insert into users (username, email, password_hash, user_type, hotel_id, departments)
    values ('hk_resume', 'hk_resume@test.example', 'x', 'department_staff', ${h.hotelId}, '{Housekeeping}') returning id`;
  const { accessToken } = await import('../helpers/chat-fixtures.js');
  const ws = await WsClient.connect(`${mgr.wsBase}/ws/chat/?token=${encodeURIComponent(await accessToken(u!.id))}`);
  t.teardown(() => ws.close());
  ws.send({ type: 'resume', conversation_id: cid, since_seq: 0 });
  t.match(await ws.next((f) => f.type === 'resume_failed'), { conversation_id: cid, last_seq: 601, reason: /reload/ });
  t.notOk(ws.frames.some((f) => f.type === 'message'), 'no partial set');
});
