// Staff sockets: authentication on the upgrade, every dashboard frame and the event it produces,
// delivery scope across hotels and departments, REST writes producing the same events.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { guestToken, numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { client } from '../helpers/http.js';
import { WsClient, type Frame } from '../helpers/ws.js';

const app = await startApp(t, { env: { USER_CACHE_TTL_MS: '0' } });
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const a = await seedHotel(sql, {
  name: 'Hotel A',
  staff: [
    { username: 'a_rec1', type: 'receptionist', departments: ['Reception'] },
    { username: 'a_rec2', type: 'department_staff', departments: ['Reception', 'Housekeeping'] },
    { username: 'a_hk', type: 'department_staff', departments: ['Housekeeping'] },
    { username: 'a_mgr', type: 'manager', departments: ['Management'] },
    { username: 'a_other', type: 'other_staff', departments: ['Reception'] },
    { username: 'a_nodept', type: 'department_staff', departments: [] },
  ],
  guests: [{ number: num(1), name: 'Alice Guest', room: '101' }],
});
const b = await seedHotel(sql, {
  name: 'Hotel B',
  staff: [{ username: 'b_rec', type: 'receptionist', departments: ['Reception'] }],
  guests: [{ number: num(2), name: 'Bob Guest', room: '201' }],
});
const tok = (h: typeof a, u: string) => h.staff[u]!.token;
const staffUrl = (token: string, dept = '') => `${app.wsBase}/ws/chat/${dept}${dept ? '/' : ''}?token=${encodeURIComponent(token)}`;
const open = async (token: string, dept = '') => {
  const ws = await WsClient.connect(staffUrl(token, dept));
  t.teardown(() => ws.close());
  return ws;
};
const isMessage = (content: string) => (f: Frame) => f.type === 'message' && f.data.content === content;

t.test('upgrade is refused with an HTTP status before any socket exists', async (t) => {
  const refused = async (url: string, opts = {}) => {
    try {
      const ws = await WsClient.connect(url, opts);
      ws.close();
      return 0;
    } catch (err) {
      return (err as { status?: number }).status ?? -1;
    }
  };
  t.equal(await refused(`${app.wsBase}/ws/chat/`), 401, 'no token');
  t.equal(await refused(`${app.wsBase}/ws/chat/?token=garbage`), 401, 'bad token');
  t.equal(await refused(staffUrl(tok(a, 'a_other'))), 403, 'other_staff may not chat');
  t.equal(await refused(staffUrl(tok(a, 'a_nodept'))), 403, 'a user without departments');
  t.equal(await refused(staffUrl(tok(a, 'a_rec1'), 'housekeeping')), 403, 'a department that is not theirs');
  t.equal(await refused(staffUrl(tok(a, 'a_rec1'), 'spa')), 404, 'an unknown department');
  t.equal(await refused(staffUrl(tok(a, 'a_rec1')), { headers: { origin: 'https://evil.example' } }), 403, 'a foreign origin');
  t.equal(await refused(`${app.wsBase}/ws/chat/`, { headers: { authorization: `Bearer ${tok(a, 'a_rec1')}` } }), 0, 'Authorization header works');
  t.equal(await refused(staffUrl(tok(a, 'a_rec1'), 'Reception')), 0, 'department in any case');
  t.equal(await refused(staffUrl(tok(a, 'a_rec1'), 'RECEPTION')), 0);
  t.equal(await refused(staffUrl(tok(a, 'a_rec2'), 'housekeeping')), 0);
});

t.test('a deactivated user cannot open a socket, and open ones are closed', async (t) => {
  const [u] = await sql<{ id: number }[]>`
    insert into users (username, email, password_hash, user_type, hotel_id, departments)
    values ('a_temp', 'a_temp@test.example', 'x', 'receptionist', ${a.hotelId}, '{Reception}') returning id`;
  const { accessToken } = await import('../helpers/chat-fixtures.js');
  const token = await accessToken(u!.id);
  const ws = await WsClient.connect(staffUrl(token));
  const patch = await client(app.base, tok(a, 'a_mgr')).patch(`/api/users/${u!.id}/`, { is_active: false });
  t.equal(patch.status, 200, JSON.stringify(patch.body));
  const closed = await ws.waitClose();
  t.equal(closed.code, 4001, 'closed as revoked');
  await t.rejects(WsClient.connect(staffUrl(token)), { message: 'upgrade refused: 401' });
});

t.test('guest message reaches every staff socket of the hotel and department, nothing else', async (t) => {
  const rec1 = await open(tok(a, 'a_rec1'));
  const rec2 = await open(tok(a, 'a_rec2'));
  const rec2only = await open(tok(a, 'a_rec2'), 'housekeeping');
  const hk = await open(tok(a, 'a_hk'));
  const mgr = await open(tok(a, 'a_mgr'));
  const other = await open(tok(b, 'b_rec'));
  const r = await webhook(app.base, { whatsapp_number: num(1), message: 'towels please', department: 'Reception' });
  t.equal(r.status, 201);
  for (const [name, ws] of [['rec1', rec1], ['rec2', rec2], ['mgr', mgr]] as const) {
    const m = await ws.next(isMessage('towels please'));
    t.match(m.data, {
      id: r.body.message_id,
      conversation_id: r.body.conversation_id,
      seq: 1,
      sender_type: 'guest',
      sender_name: 'Alice',
      sender_id: null,
      message_type: 'text',
      media_url: null,
      media_filename: null,
      is_read: false,
      created_at: String,
      updated_at: String,
      guest_info: { id: Number, name: 'Alice', whatsapp_number: num(1), room_number: '101' },
    }, name);
    await ws.next((f) => f.type === 'new_conversation' && f.data.id === r.body.conversation_id);
  }
  // A marker message after, to the other sockets' departments: once it arrives, the first would have too.
  await webhook(app.base, { whatsapp_number: num(1), message: 'hk marker', department: 'Housekeeping' });
  await webhook(app.base, { whatsapp_number: num(2), message: 'b marker', department: 'Reception' });
  await hk.next(isMessage('hk marker'));
  await rec2only.next(isMessage('hk marker'));
  await other.next(isMessage('b marker'));
  t.notOk(hk.frames.some(isMessage('towels please')), 'housekeeping does not see reception');
  t.notOk(rec2only.frames.some(isMessage('towels please')), 'a single-department socket sees only that department');
  t.notOk(other.frames.some(isMessage('towels please')), 'hotel B sees nothing of hotel A');
  t.notOk(rec1.frames.some(isMessage('b marker')), 'hotel A sees nothing of hotel B');
  t.equal(rec1.ofType('message').filter((f) => f.data.content === 'towels please').length, 1, 'delivered once');
});

t.test('dashboard frames and their exact events', async (t) => {
  const first = await webhook(app.base, { whatsapp_number: num(1), message: 'need a plug adapter', department: 'Reception' });
  const cid: number = first.body.conversation_id;
  const me = await open(tok(a, 'a_rec1'));
  const colleague = await open(tok(a, 'a_rec2'));
  const guestWs = await WsClient.connect(`${app.wsBase}/ws/guest/${encodeURIComponent(num(1))}/?token=${await guestToken(a.guests[num(1)]!.id, num(1))}`);
  t.teardown(() => guestWs.close());

  me.send({ type: 'subscribe_conversation', conversation_id: cid });
  t.match(await me.next((f) => f.type === 'acknowledgment'), { status: 'subscribed', conversation_id: cid, timestamp: String });

  me.send({ type: 'mark_read', conversation_id: cid });
  t.match(await me.next((f) => f.type === 'acknowledgment' && f.status === 'marked_read'), { conversation_id: cid });
  const list = await client(app.base, tok(a, 'a_rec1')).get('/api/chat/conversations/');
  t.equal(list.body.results.find((c: { id: number }) => c.id === cid).unread_count, 0, 'the read is committed before the acknowledgment');
  t.match(await me.next((f) => f.type === 'read_receipt'), { data: { conversation_id: cid, reader_id: a.staff['a_rec1']!.id, up_to_seq: Number, read_at: String } });

  me.send({ type: 'text', conversation_id: cid, content: '  On my way  ' });
  const ack = await me.next((f) => f.type === 'acknowledgment' && f.status === 'received');
  t.match(ack, { conversation_id: cid, message_id: Number, timestamp: String });
  const seen = await colleague.next(isMessage('On my way'));
  t.match(seen.data, { id: ack.message_id, sender_type: 'staff', sender_id: a.staff['a_rec1']!.id, sender_name: String });
  const atGuest = await guestWs.next(isMessage('On my way'));
  t.equal(atGuest.data.id, ack.message_id, 'the guest socket receives staff replies');

  colleague.send({ type: 'subscribe_conversation', conversation_id: cid });
  await colleague.next((f) => f.type === 'acknowledgment' && f.status === 'subscribed');
  me.send({ type: 'typing', conversation_id: cid, is_typing: true });
  t.match(await colleague.next((f) => f.type === 'typing'), { data: { conversation_id: cid, user_id: a.staff['a_rec1']!.id, user_name: String, is_typing: true } });

  me.send({ type: 'reopen-temporary', conversation_id: cid });
  t.match(await me.next((f) => f.type === 'error'), { message: /WhatsApp/ }, 'without a provider the reopen button cannot be sent');

  me.send({ type: 'unsubscribe_conversation', conversation_id: cid });
  t.match(await me.next((f) => f.type === 'acknowledgment' && f.status === 'unsubscribed'), { conversation_id: cid });

  me.send({ type: 'close_conversation', conversation_id: cid });
  t.match(await me.next((f) => f.type === 'acknowledgment' && f.status === 'conversation_closed'), { conversation_id: cid });
  t.match(await colleague.next((f) => f.type === 'conversation_update'), { data: { type: 'conversation_closed', conversation_id: cid, status: 'closed' } });
  t.notOk(me.frames.some((f) => f.type === 'close_conversation'), 'no top-level close_conversation event (it blanks the dashboard list)');
  me.send({ type: 'text', conversation_id: cid, content: 'too late' });
  t.match(await me.next((f) => f.type === 'error'), { message: 'This conversation is closed' });
});

t.test('bad frames get an error frame and the socket stays open', async (t) => {
  const ws = await open(tok(a, 'a_rec1'));
  const cases: Array<[unknown, RegExp]> = [
    ['not json', /Invalid JSON/],
    [{ type: 'bogus' }, /Invalid message type/],
    [{ type: 'text', conversation_id: 1, content: '   ' }, /cannot be empty/],
    [{ type: 'text', content: 'hi' }, /conversation_id/],
    [{ type: 'text', conversation_id: 'x', content: 'hi' }, /conversation_id/],
    [{ type: 'media', conversation_id: 1, file_url: 'https://evil.example/x.png', filename: 'x.png', file_type: 'image' }, /file_url/],
    [{ type: 'media', conversation_id: 1, file_url: 'x', filename: 'x', file_type: 'spreadsheet' }, /file_type/],
    [{ type: 'mark_read', conversation_id: 999999 }, /not found/i],
    [{ type: 'subscribe_conversation', conversation_id: 1, extra: true }, /extra/],
    [[1, 2], /JSON object/],
  ];
  for (const [frame, pattern] of cases) {
    const from = ws.frames.length;
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    t.match((await ws.next((f) => f.type === 'error', 5000, from)).message, pattern, JSON.stringify(frame));
  }
  ws.send({ type: 'ping' });
  t.equal((await ws.next((f) => f.type === 'pong')).type, 'pong', 'still open');
  t.equal(ws.closed, null);
});

t.test('REST writes produce the same events as socket writes', async (t) => {
  const first = await webhook(app.base, { whatsapp_number: num(1), message: 'rest events', department: 'Housekeeping' });
  const cid: number = first.body.conversation_id;
  const ws = await open(tok(a, 'a_hk'));
  ws.send({ type: 'subscribe_conversation', conversation_id: cid });
  await ws.next((f) => f.type === 'acknowledgment' && f.status === 'subscribed');
  const rest = client(app.base, tok(a, 'a_rec2'));
  await rest.post('/api/chat/messages/typing/', { conversation_id: cid, is_typing: true });
  t.match(await ws.next((f) => f.type === 'typing'), { data: { conversation_id: cid, user_id: a.staff['a_rec2']!.id, is_typing: true } });
  await rest.post('/api/chat/messages/mark-read/', { conversation_id: cid });
  t.match(await ws.next((f) => f.type === 'read_receipt'), { data: { conversation_id: cid, reader_id: a.staff['a_rec2']!.id } });
  await rest.post('/api/chat/conversations/close/', { conversation_id: cid });
  t.match(await ws.next((f) => f.type === 'conversation_update'), { data: { type: 'conversation_closed', conversation_id: cid } });
});

t.test('presence: user_status on the first connection and the last disconnection', async (t) => {
  const [u] = await sql<{ id: number }[]>`
    insert into users (username, email, password_hash, first_name, last_name, user_type, hotel_id, departments)
    values ('a_fresh', 'a_fresh@test.example', 'x', 'Fresh', 'Face', 'department_staff', ${a.hotelId}, '{Housekeeping}') returning id`;
  const { accessToken } = await import('../helpers/chat-fixtures.js');
  const token = await accessToken(u!.id);
  const reception = await open(tok(a, 'a_rec1'));
  const hkWatcher = await open(tok(a, 'a_rec2'), 'housekeeping');
  const s1 = await WsClient.connect(staffUrl(token));
  t.match(await hkWatcher.next((f) => f.type === 'user_status' && f.data.user_id === u!.id), {
    data: { type: 'user_connected', user_name: 'Fresh Face', department: 'Housekeeping' },
  });
  const s2 = await WsClient.connect(staffUrl(token));
  s1.close();
  await s1.waitClose();
  s2.close();
  t.match(await hkWatcher.next((f) => f.type === 'user_status' && f.data.user_id === u!.id), { data: { type: 'user_disconnected' } });
  const connected = hkWatcher.frames.filter((f) => f.type === 'user_status' && f.data.user_id === u!.id && f.data.type === 'user_connected');
  t.equal(connected.length, 1, 'a second socket of the same user is not a new connection');
  t.notOk(reception.frames.some((f) => f.type === 'user_status' && f.data.user_id === u!.id), 'presence stays in its department');
});
