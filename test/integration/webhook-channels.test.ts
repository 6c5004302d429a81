// Issue 11 #8: the channel an inbound message arrived on decides its hotel. Another hotel that
// registers a guest's number and checks it in must not receive what the guest writes to the hotel
// they are staying at — in sync and in queued webhook mode.
import t from 'tap';
import { startApp, type TestApp } from '../helpers/app.js';
import { connect } from '../helpers/db.js';
import { numberFactory, seedHotel, sign, webhook } from '../helpers/chat-fixtures.js';
import { client, request } from '../helpers/http.js';
import { WsClient, type Frame } from '../helpers/ws.js';

const app = await startApp(t);
const queued = await startApp(t, { databaseUrl: app.databaseUrl, nats: true, env: { WEBHOOK_MODE: 'queued' } });
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const shared = num(1);
const a = await seedHotel(sql, {
  name: 'Hotel A',
  staff: [
    { username: 'a_rec', type: 'receptionist', departments: ['Reception'] },
    { username: 'a_admin', type: 'hotel_admin' },
  ],
  guests: [{ number: shared, name: 'Alice Guest', room: '101' }],
});
// Hotel B registers A's guest's number and checks it in after A did: the most recent active stay.
const b = await seedHotel(sql, {
  name: 'Hotel B',
  staff: [
    { username: 'b_rec', type: 'receptionist', departments: ['Reception'] },
    { username: 'b_admin', type: 'hotel_admin' },
  ],
  guests: [
    { number: shared, name: 'Captured Guest', room: '301' },
    { number: num(2), name: 'Bob Guest', room: '302' },
  ],
});

const isMessage = (content: string) => (f: Frame) => f.type === 'message' && f.data.content === content;
const open = async (target: TestApp, token: string) => {
  const ws = await WsClient.connect(`${target.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`);
  t.teardown(() => ws.close());
  return ws;
};
const storedAt = async (content: string) =>
  sql<{ hotel_id: string; guest_id: number }[]>`
    select c.hotel_id, c.guest_id from messages m join conversations c on c.id = m.conversation_id where m.content = ${content}`;

for (const [mode, target, created] of [['sync', app, 201], ['queued', queued, 202]] as const) {
  t.test(`${mode}: a message to A's channel reaches A, never the hotel that registered the same number`, async (t) => {
    const aRec = await open(target, a.staff['a_rec']!.token);
    const bRec = await open(target, b.staff['b_rec']!.token);
    const secret = `room key please (${mode})`;
    const r = await webhook(target.base, { channel: a.channel, whatsapp_number: shared, message: secret, department: 'Reception' });
    t.equal(r.status, created, JSON.stringify(r.body));
    const m = await aRec.next(isMessage(secret));
    t.equal(m.data.guest_info.id, a.guests[shared]!.id, "A's guest record");

    // A marker on B's own channel: once B's socket has it, A's message would have arrived too.
    const marker = `b marker (${mode})`;
    t.equal((await webhook(target.base, { channel: b.channel, whatsapp_number: num(2), message: marker, department: 'Reception' })).status, created);
    await bRec.next(isMessage(marker));
    t.notOk(bRec.frames.some(isMessage(secret)), 'no frame at hotel B');
    const rows = await storedAt(secret);
    t.same(rows, [{ hotel_id: a.hotelId, guest_id: a.guests[shared]!.id }], 'one row, at hotel A');
  });
}

t.test('a message to B\'s channel is B\'s: the guest wrote to B', async (t) => {
  const r = await webhook(app.base, { channel: b.channel, whatsapp_number: shared, message: 'hello B', department: 'Reception' });
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.same(await storedAt('hello B'), [{ hotel_id: b.hotelId, guest_id: b.guests[shared]!.id }]);
});

t.test('a guest unknown at the channel\'s hotel is not found, even if another hotel knows the number', async (t) => {
  const r = await webhook(app.base, { channel: a.channel, whatsapp_number: num(2), message: 'wrong hotel', department: 'Reception' });
  t.equal(r.status, 404, JSON.stringify(r.body));
  t.same(await storedAt('wrong hotel'), []);
});

t.test('the channel is required and must be a known, active channel; each refusal names the field', async (t) => {
  const post = (payload: Record<string, unknown>) => {
    const raw = JSON.stringify(payload);
    return request(app.base, 'POST', '/api/chat/guest-webhook/', { raw, headers: { 'content-type': 'application/json', 'x-lobbybee-signature': sign(raw) } });
  };
  const body = { whatsapp_number: shared, message: 'x', department: 'Reception' };
  const missing = await post(body);
  t.equal(missing.status, 400);
  t.ok(missing.body.details.fields.channel, JSON.stringify(missing.body));
  const unknown = await post({ ...body, channel: 'relay-nobody' });
  t.equal(unknown.status, 400);
  t.match(unknown.body.details.fields, { channel: /no active relay channel/ });
  const malformed = await post({ ...body, channel: 'has spaces' });
  t.equal(malformed.status, 400);
  t.ok(malformed.body.details.fields.channel);

  // Deactivated through the API: refused at once on this node.
  const admin = client(app.base, a.staff['a_admin']!.token);
  const made = await admin.post('/api/channels/', { external_id: `tmp-${a.channel}` });
  t.equal(made.status, 201, JSON.stringify(made.body));
  t.equal((await post({ ...body, channel: `tmp-${a.channel}`, message: 'via tmp' })).status, 201);
  t.equal((await admin.patch(`/api/channels/${made.body.id}/`, { is_active: false })).status, 200);
  const inactive = await post({ ...body, channel: `tmp-${a.channel}` });
  t.equal(inactive.status, 400);
  t.ok(inactive.body.details.fields.channel);
});
