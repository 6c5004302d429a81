// Outbound WhatsApp through the job queue, against a local stand-in for the Cloud API (a real
// HTTP server on loopback): staff replies are sent (with retries), delivery receipts move the
// status forward only, the reopen button goes out, and a permanent refusal ends as failed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, sign, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { until } from '../helpers/cluster.js';
import { client, request } from '../helpers/http.js';
import { WsClient } from '../helpers/ws.js';

interface Sent {
  path: string;
  auth: string;
  body: any;
}
const sent: Sent[] = [];
let failNext = 0;
let refuseTo = '';
const graph = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => (raw += c));
  req.on('end', () => {
    const body = JSON.parse(raw);
    if (failNext > 0) {
      failNext--;
      res.writeHead(500).end('{"error":"try later"}');
      return;
    }
    if (body.to === refuseTo) {
      res.writeHead(400).end('{"error":{"message":"recipient not on WhatsApp"}}');
      return;
    }
    sent.push({ path: req.url!, auth: req.headers['authorization'] ?? '', body });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messages: [{ id: `wamid.out-${sent.length}` }] }));
  });
});
await new Promise<void>((r) => graph.listen(0, '127.0.0.1', r));
t.teardown(() => graph.close());

const app = await startApp(t, {
  env: {
    WHATSAPP_API_URL: `http://127.0.0.1:${(graph.address() as AddressInfo).port}/v22.0`,
    WHATSAPP_TOKEN: 'graph-token',
    WHATSAPP_PHONE_NUMBER_ID: '1234567890',
    JOB_BACKOFF_MS: '50',
    JOB_MAX_DELIVERIES: '3',
  },
});
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const h = await seedHotel(sql, {
  staff: [{ username: 'wa_desk', type: 'receptionist', departments: ['Reception'] }],
  guests: [
    { number: num(1), name: 'Wanda Whatsapp', room: '101' },
    { number: num(2), name: 'Unreachable Guest', room: '102' },
  ],
});
const token = h.staff['wa_desk']!.token;
const status = async (id: number) => (await sql<{ delivery_status: string | null }[]>`select delivery_status from messages where id = ${id}`)[0]!.delivery_status;
const receipt = (body: Record<string, unknown>) => {
  const raw = JSON.stringify(body);
  return request(app.base, 'POST', '/api/chat/provider-status/', { raw, headers: { 'content-type': 'application/json', 'x-lobbybee-signature': sign(raw) } });
};

t.test('a staff reply is sent to WhatsApp through the queue, retried after a failure', async (t) => {
  const conv = (await webhook(app.base, { whatsapp_number: num(1), message: 'hello', department: 'Reception' })).body.conversation_id;
  const ws = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`);
  t.teardown(() => ws.close());
  failNext = 1;
  ws.send({ type: 'text', conversation_id: conv, content: 'Towels are on the way' });
  const ack = await ws.next((f) => f.type === 'acknowledgment' && f.status === 'received');
  await until(async () => (await status(ack.message_id)) === 'sent', 'the send job', 15_000);
  const out = sent.find((s) => s.body.text?.body === 'Towels are on the way')!;
  t.ok(out, 'the provider got the message');
  t.equal(out.path, '/v22.0/1234567890/messages');
  t.equal(out.auth, 'Bearer graph-token');
  t.match(out.body, { messaging_product: 'whatsapp', to: num(1).slice(1), type: 'text' });
  t.equal(failNext, 0, 'the first attempt failed and was retried');

  ws.send({ type: 'subscribe_conversation', conversation_id: conv });
  await ws.next((f) => f.type === 'acknowledgment' && f.status === 'subscribed');
  const pid = (await sql<{ provider_message_id: string }[]>`select provider_message_id from messages where id = ${ack.message_id}`)[0]!.provider_message_id;
  t.match(pid, /^wamid\.out-/, 'the provider id is recorded');
  t.same((await receipt({ provider_message_id: pid, status: 'read' })).body, { updated: true });
  t.match(await ws.next((f) => f.type === 'message_status' && f.data.status === 'sent'), { data: { message_id: ack.message_id } }, 'the send job told the department');
  t.match(await ws.next((f) => f.type === 'message_status' && f.data.status === 'read'), { data: { message_id: ack.message_id, status: 'read', is_read: true } });
  t.same((await receipt({ provider_message_id: pid, status: 'delivered' })).body, { updated: false }, 'status never moves back');
  t.equal(await status(ack.message_id), 'read');
  const detail = await client(app.base, token).get(`/api/chat/conversations/${conv}`);
  t.equal(detail.body.messages.find((m: { id: number }) => m.id === ack.message_id).is_read, true, 'the dashboard shows the double tick');
  t.same((await receipt({ provider_message_id: 'wamid.unknown', status: 'read' })).body, { updated: false });
  t.equal((await receipt({ provider_message_id: pid, status: 'seen' })).status, 400);
  t.equal((await request(app.base, 'POST', '/api/chat/provider-status/', { body: { provider_message_id: pid, status: 'read' } })).status, 401, 'unsigned');
});

t.test('reopen-temporary sends the Continue button', async (t) => {
  const conv = (await webhook(app.base, { whatsapp_number: num(1), message: 'are you there', department: 'Reception' })).body.conversation_id;
  const ws = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`);
  t.teardown(() => ws.close());
  ws.send({ type: 'reopen-temporary', conversation_id: conv });
  t.match(await ws.next((f) => f.type === 'acknowledgment'), { status: 'reopen_button_sent', conversation_id: conv });
  await until(async () => sent.some((s) => s.body.type === 'interactive'), 'the button message');
  const button = sent.find((s) => s.body.type === 'interactive')!;
  t.match(button.body.interactive, { type: 'button', body: { text: /Reception conversation/ }, action: { buttons: [{ reply: { id: `accept_reopen_conversation_conv#${conv}`, title: 'Continue' } }] } });
});

t.test('a permanent refusal by the provider ends as failed, dead-lettered once', async (t) => {
  refuseTo = num(2).slice(1);
  const conv = (await webhook(app.base, { whatsapp_number: num(2), message: 'hi', department: 'Reception' })).body.conversation_id;
  const r = await client(app.base, token).post('/api/chat/messages/typing/', { conversation_id: conv, is_typing: true });
  t.equal(r.status, 200);
  const ws = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`);
  t.teardown(() => ws.close());
  ws.send({ type: 'text', conversation_id: conv, content: 'you will not get this' });
  const ack = await ws.next((f) => f.type === 'acknowledgment' && f.status === 'received');
  await until(async () => (await status(ack.message_id)) === 'failed', 'the failure to be recorded', 15_000);
  const dead = await sql<{ reason: string; deliveries: number }[]>`select reason, deliveries from job_dead_letters where kind = 'whatsapp.send'`;
  t.equal(dead.length, 1);
  t.match(dead[0]!.reason, /permanent: WhatsApp API answered 400/);
  t.equal(dead[0]!.deliveries, 1, 'no pointless retries of a 400');
});
