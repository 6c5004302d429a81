// WhatsApp templates against the fake Graph API: synced from a channel's Business Account across
// pages, listed per hotel (APPROVED by default), sent with their parameters from REST and the
// send_template frame — outside the 24-hour window too — and kept from other hotels.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { until } from '../helpers/cluster.js';
import { startFakeGraph, type FakeTemplate } from '../helpers/fake-graph.js';
import { client } from '../helpers/http.js';
import { WsClient } from '../helpers/ws.js';

const graph = await startFakeGraph(t);
const app = await startApp(t, { env: { WHATSAPP_API_URL: graph.url, JOB_BACKOFF_MS: '50' } });
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const uniq = Math.random().toString(36).slice(2, 8);

async function cloudChannel(hotelId: string, name: string) {
  const pnid = `${Date.now() % 1e9}${Math.floor(Math.random() * 1e6)}${name.length}`;
  const waba = `9${pnid}`;
  const [c] = await sql<{ id: number }[]>`
    insert into channels (hotel_id, provider, external_id, display_phone_number, waba_id, app_secret, verify_token, access_token)
    values (${hotelId}, 'whatsapp_cloud', ${pnid}, '', ${waba}, 'app-secret-123', ${`verify-${pnid}`}, ${`token-${name}-${uniq}`}) returning id`;
  return { id: c!.id, pnid, waba };
}

const a = await seedHotel(sql, {
  staff: [
    { username: `tpl_admin_${uniq}`, type: 'hotel_admin' },
    { username: `tpl_desk_${uniq}`, type: 'receptionist', departments: ['Reception'] },
  ],
  guests: [{ number: num(1), name: 'Tia Template', room: '101' }],
});
const chA = await cloudChannel(a.hotelId, 'a');
const b = await seedHotel(sql, { staff: [{ username: `tpl_other_${uniq}`, type: 'hotel_admin' }], guests: [{ number: num(2), name: 'Oz Other', room: '201' }] });
await cloudChannel(b.hotelId, 'b');
const admin = client(app.base, a.staff[`tpl_admin_${uniq}`]!.token);
const desk = client(app.base, a.staff[`tpl_desk_${uniq}`]!.token);
const other = client(app.base, b.staff[`tpl_other_${uniq}`]!.token);

const body = (text: string) => [{ type: 'HEADER', format: 'TEXT', text: 'Hotel' }, { type: 'BODY', text }, { type: 'FOOTER', text: 'Reply STOP to opt out' }];
const many: FakeTemplate[] = Array.from({ length: 118 }, (_, i) => ({
  name: `filler_${i}`,
  language: 'en_US',
  status: i % 2 ? 'APPROVED' : 'PENDING',
  category: 'UTILITY',
  components: body('Filler {{1}}'),
}));
graph.setTemplates(chA.waba, [
  { name: 'room_ready', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: body('Hello {{1}}, room {{2}} is ready.') },
  { name: 'hello_world', language: 'en_US', status: 'APPROVED', category: 'MARKETING', components: body('Hello from the hotel!') },
  { name: 'under_review', language: 'en_US', status: 'PENDING', category: 'UTILITY', components: body('Soon {{1}}') },
  ...many,
]);

let roomReady = 0;
let pending = 0;

t.test('templates are synced from the Business Account across pages; only admins and managers sync', async (t) => {
  t.equal((await desk.post('/api/whatsapp/templates/sync/', {})).status, 403, 'a receptionist cannot sync');
  const r = await admin.post('/api/whatsapp/templates/sync/', {});
  t.equal(r.status, 200);
  t.same(r.body.results, [{ channel_id: chA.id, stored: 121, removed: 0 }]);
  const lists = graph.requests.filter((q) => q.path === `/${chA.waba}/message_templates`);
  t.equal(lists.length, 2, 'two pages of 100');
  t.equal(lists[0]!.auth, `Bearer token-a-${uniq}`, 'the channel\'s own token');
  t.equal((await admin.post('/api/whatsapp/templates/sync/', { channel_id: 99_999_999 })).status, 404);
  t.equal((await admin.post('/api/whatsapp/templates/sync/', { channel: 1 })).status, 400, 'unknown field');

  // Meta no longer lists some: a later sync removes them.
  graph.setTemplates(chA.waba, [
    { name: 'room_ready', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: body('Hello {{1}}, room {{2}} is ready.') },
    { name: 'hello_world', language: 'en_US', status: 'APPROVED', category: 'MARKETING', components: body('Hello from the hotel!') },
    { name: 'under_review', language: 'en_US', status: 'PENDING', category: 'UTILITY', components: body('Soon {{1}}') },
  ]);
  t.same((await admin.post('/api/whatsapp/templates/sync/', {})).body.results, [{ channel_id: chA.id, stored: 3, removed: 118 }]);
});

t.test('listed per hotel: approved ones by default, every staff member reads', async (t) => {
  const list = await desk.get('/api/whatsapp/templates/');
  t.equal(list.status, 200);
  t.equal(list.body.count, 2, 'APPROVED only');
  const ready = list.body.results.find((x: { name: string }) => x.name === 'room_ready');
  t.match(ready, { language: 'en_US', status: 'APPROVED', category: 'UTILITY', parameter_count: 2, body_text: 'Hello {{1}}, room {{2}} is ready.', channel_id: chA.id });
  roomReady = ready.id;
  const p = await desk.get('/api/whatsapp/templates/?status=PENDING');
  t.equal(p.body.count, 1);
  pending = p.body.results[0].id;
  t.equal((await desk.get('/api/whatsapp/templates/?name=hello')).body.count, 1);
  t.equal((await desk.get('/api/whatsapp/templates/?status=MAYBE')).status, 400);
  t.equal((await other.get('/api/whatsapp/templates/')).body.count, 0, 'another hotel sees none of them');
  t.equal((await other.get(`/api/whatsapp/templates/${roomReady}/`)).status, 404);
});

t.test('a template reaches a guest outside the 24-hour window, with its parameters', async (t) => {
  const conv = (await webhook(app.base, { whatsapp_number: num(1), message: 'hi', department: 'Reception' })).body.conversation_id as number;
  await sql`update conversations set channel_id = ${chA.id}, last_guest_message_at = now() - interval '3 days' where id = ${conv}`;

  const wrong = await desk.post('/api/chat/send-template/', { conversation_id: conv, template_id: roomReady, parameters: ['Tia'] });
  t.equal(wrong.status, 400);
  t.match(wrong.body.details.fields, { parameters: /takes 2 parameter/ }, 'the field is named');
  t.equal((await desk.post('/api/chat/send-template/', { conversation_id: conv, template_id: roomReady, parameters: ['Tia', 'a\nb'] })).status, 400, 'no new lines');
  const notApproved = await desk.post('/api/chat/send-template/', { conversation_id: conv, template_id: pending, parameters: ['x'] });
  t.equal(notApproved.status, 400);
  t.match(notApproved.body.details.fields, { template_id: /PENDING/ });

  const r = await desk.post('/api/chat/send-template/', { conversation_id: conv, template_id: roomReady, parameters: ['Tia', '101'] });
  t.equal(r.status, 201);
  t.equal(r.body.content, 'Hello Tia, room 101 is ready.', 'staff read the rendered body');
  t.equal(r.body.message_type, 'text');
  await until(async () => (await sql`select 1 from messages where id = ${r.body.id} and delivery_status = 'sent'`).length === 1, 'the template send', 15_000);
  const sent = graph.sends(chA.pnid).find((s) => s.body?.type === 'template' && s.body.template.name === 'room_ready');
  t.ok(sent, 'sent although the window is closed');
  t.same(sent!.body.template, {
    name: 'room_ready',
    language: { code: 'en_US' },
    components: [{ type: 'body', parameters: [{ type: 'text', text: 'Tia' }, { type: 'text', text: '101' }] }],
  });

  // The same over the staff socket.
  const ws = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(a.staff[`tpl_desk_${uniq}`]!.token)}`);
  t.teardown(() => ws.close());
  const helloId = (await desk.get('/api/whatsapp/templates/?name=hello_world')).body.results[0].id;
  ws.send({ type: 'send_template', conversation_id: conv, template_id: helloId });
  const ack = await ws.next((f) => f.type === 'acknowledgment' && f.status === 'received');
  t.equal(ack.template_id, helloId);
  await until(async () => graph.sends(chA.pnid).some((s) => s.body?.template?.name === 'hello_world'), 'the frame\'s template send', 15_000);
  ws.send({ type: 'send_template', conversation_id: conv, template_id: roomReady, parameters: [] });
  t.match(await ws.next((f) => f.type === 'error'), { message: /takes 2 parameter/ });
  ws.send({ type: 'send_template', conversation_id: conv, template_id: 'x' });
  t.match(await ws.next((f) => f.type === 'error'), { message: /template_id/ });
});

t.test('another hotel cannot send this hotel\'s template', async (t) => {
  const conv = (await webhook(app.base, { whatsapp_number: num(2), message: 'hi', department: 'Reception' })).body.conversation_id as number;
  const r = await other.post('/api/chat/send-template/', { conversation_id: conv, template_id: roomReady, parameters: ['x', 'y'] });
  t.equal(r.status, 404);
  t.notOk(graph.sends().some((s) => s.body?.to === num(2).slice(1) && s.body?.type === 'template'), 'nothing sent');
});

t.test('a template of one Business Account is not sent on a number of another', async (t) => {
  const chA2 = await cloudChannel(a.hotelId, 'a2');
  const conv = (await webhook(app.base, { whatsapp_number: num(1), message: 'again', department: 'Reception' })).body.conversation_id as number;
  await sql`update conversations set channel_id = ${chA2.id} where id = ${conv}`;
  const r = await desk.post('/api/chat/send-template/', { conversation_id: conv, template_id: roomReady, parameters: ['Tia', '101'] });
  t.equal(r.status, 400);
  t.match(r.body.details.fields, { template_id: /another WhatsApp Business Account/ });
  t.equal(graph.sends(chA2.pnid).length, 0);
});
