// Issue 11 (#3, #4, #10) — hostile text and numbers over HTTP: NUL and unpaired surrogates in any
// body, query or webhook, integers beyond the safe range and a 100 KB email are each a 400 naming
// the field (they were 500s with a stack trace, or froze the node); good webhooks sent alongside
// bad ones are stored.
import t from 'tap';
import { numberFactory, seedHotel, sign, webhook } from '../helpers/chat-fixtures.js';
import { fields, phone, staffedHotel, startDirectory, uniq } from '../helpers/directory-fixtures.js';
import { request, type HttpResult } from '../helpers/http.js';

const nextNumber = numberFactory();

t.test('hostile input is a 400 naming the field', async (t) => {
  const w = await startDirectory(t);
  const H = await staffedHotel(w, 'text');
  const boss = w.as(H.staff.hotel_admin);
  const desk = w.as(H.staff.receptionist);
  const seeded = await seedHotel(w.sql, { staff: [], guests: [{ number: nextNumber(1), name: 'Tess Text' }] });
  const guestNumber = Object.keys(seeded.guests)[0]!;
  const signed = (path: string, body: unknown) => {
    const raw = JSON.stringify(body);
    return request(w.app.base, 'POST', path, { raw, headers: { 'content-type': 'application/json', 'x-lobbybee-signature': sign(raw) } });
  };

  const cases: Array<[string, () => Promise<HttpResult>, string]> = [
    ['login', () => w.anon.post('/api/login/', { username: 'root\u0000', password: 'x' }), 'username'],
    ['hotel create', () => w.adminApi.post('/api/hotels/', { name: 'Nul\u0000 Hotel' }), 'name'],
    ['hotel patch', () => w.adminApi.patch(`/api/hotels/${H.id}/`, { city: 'half \ud83d' }), 'city'],
    ['user create', () => boss.post('/api/users/', { username: uniq('u'), email: `${uniq('u')}@x.example`, password: 'long-enough-1', user_type: 'receptionist', first_name: 'A\u0000' }), 'first_name'],
    ['user patch (self)', () => desk.patch(`/api/users/${H.staff.receptionist.id}/`, { last_name: '\ude00 low' }), 'last_name'],
    ['room', () => boss.post('/api/rooms/', { room_number: '1\u0000', floor: 1 }), 'room_number'],
    ['guest', () => boss.post('/api/guests/', { whatsapp_number: phone(), full_name: 'G\u0000' }), 'full_name'],
    ['guest webhook', () => webhook(w.app.base, { whatsapp_number: guestNumber, message: 'hi \u0000' }), 'message'],
    ['guest webhook surrogate', () => webhook(w.app.base, { whatsapp_number: guestNumber, message: 'hi \ud83d' }), 'message'],
    ['provider status', () => signed('/api/chat/provider-status/', { provider_message_id: 'wamid.\u0000', status: 'sent' }), 'provider_message_id'],
    ['query string', () => boss.get('/api/guests/?search=a%00b'), 'search'],
    ['mark-read ids', () => desk.post('/api/chat/messages/mark-read/', { conversation_id: 1, message_ids: [1e20] }), 'message_ids.0'],
    ['detail since_seq', () => desk.get('/api/chat/conversations/1/?since_seq=1e20'), 'since_seq'],
    ['rooms floor', () => boss.get('/api/rooms/?floor=1e20'), 'floor'],
    ['100 KB email (self)', () => desk.patch(`/api/users/${H.staff.receptionist.id}/`, { email: `a@${'a.'.repeat(50_000)} ` }), 'email'],
  ];
  for (const [name, call, field] of cases) {
    const r = await call();
    t.equal(r.status, 400, `${name}: 400 (${JSON.stringify(r.body).slice(0, 200)})`);
    t.ok(fields(r)[field], `${name}: names ${field}`);
  }
  const [stored] = await w.sql<{ n: number }[]>`select count(*)::int as n from messages`;
  t.equal(stored!.n, 0, 'nothing stored from the refused webhooks');
});

t.test('good webhooks sent together with bad ones are stored', async (t) => {
  const w = await startDirectory(t);
  const numbers = [2, 3, 4, 5].map((i) => nextNumber(i));
  await seedHotel(w.sql, { staff: [], guests: numbers.map((n, i) => ({ number: n, name: `Guest ${i}` })) });
  const sends = numbers.flatMap((n, i) => [
    webhook(w.app.base, { whatsapp_number: n, department: 'Reception', message: `good ${i}`, provider_message_id: `good-${i}` }),
    webhook(w.app.base, { whatsapp_number: n, department: 'Reception', message: `bad \u0000 ${i}`, provider_message_id: `bad-nul-${i}` }),
    webhook(w.app.base, { whatsapp_number: n, department: 'Reception', message: `bad \ud83d ${i}`, provider_message_id: `bad-half-${i}` }),
  ]);
  const replies = await Promise.all(sends);
  t.same(replies.map((r) => r.status), numbers.flatMap(() => [201, 400, 400]), JSON.stringify(replies.map((r) => r.body)).slice(0, 600));
  const rows = await w.sql<{ provider_message_id: string }[]>`select provider_message_id from messages order by provider_message_id`;
  t.same(rows.map((r) => r.provider_message_id), numbers.map((_, i) => `good-${i}`));
});
