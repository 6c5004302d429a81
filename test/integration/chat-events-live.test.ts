// Changes made by jobs, cron and provider traffic reach the department's staff sockets live, as
// events, because they go through the conversation's actor like staff commands do: a WhatsApp
// send the provider refuses (message_status failed), a reopen, an archive by the cron sweep, and a
// guest's media copied in by the media.ingest job (message_updated). And the orphan media sweep
// never deletes an object a message references, however old it is.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { until } from '../helpers/cluster.js';
import { connect } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { WsClient } from '../helpers/ws.js';

const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#3366ff' } }).png().toBuffer();
// A stand-in for the Cloud API that refuses every send (a permanent 400), and a media host.
const provider = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url?.startsWith('/files/')) {
    res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    return;
  }
  req.resume();
  req.on('end', () => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"recipient not on WhatsApp"}}'));
});
await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
t.teardown(() => provider.close());
const providerBase = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;

const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'lbt-events-'));
t.teardown(() => rmSync(mediaDir, { recursive: true, force: true }));
const app = await startApp(t, {
  env: {
    WHATSAPP_API_URL: `${providerBase}/v22.0`,
    WHATSAPP_TOKEN: 'graph-token',
    WHATSAPP_PHONE_NUMBER_ID: '1234567890',
    JOB_BACKOFF_MS: '50',
    JOB_MAX_DELIVERIES: '2',
    MEDIA_DIR: mediaDir,
    CRON_ENABLED: 'true',
    CRON_ARCHIVE_SCHEDULE: '* * * * * *',
    CRON_MEDIA_SCHEDULE: '* * * * * *',
    MEDIA_ORPHAN_HOURS: '1',
    WORKER_THREADS: '2',
  },
});
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const h = await seedHotel(sql, {
  staff: [
    { username: 'ev_desk', type: 'receptionist', departments: ['Reception'] },
    { username: 'ev_mate', type: 'receptionist', departments: ['Reception'] },
  ],
  guests: [1, 2, 3, 4, 5].map((n) => ({ number: num(n), name: `Event Guest${n}`, room: `10${n}` })),
});
const desk = h.staff['ev_desk']!.token;
const mate = h.staff['ev_mate']!.token;
const socket = async (token: string) => {
  const ws = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`);
  t.teardown(() => ws.close());
  return ws;
};
const conversationOf = async (n: number, message = 'hello') => (await webhook(app.base, { whatsapp_number: num(n), message, department: 'Reception' })).body.conversation_id as number;
const post = (path: string, token: string, body: unknown) => request(app.base, 'POST', path, { token, body });

t.test('a reply WhatsApp refuses reaches the staff sockets as message_status failed', async (t) => {
  const conv = await conversationOf(1);
  const [ws, colleague] = [await socket(desk), await socket(mate)];
  ws.send({ type: 'text', conversation_id: conv, content: 'Your taxi is booked' });
  const ack = await ws.next((f) => f.type === 'acknowledgment' && f.status === 'received');
  const status = await colleague.next((f) => f.type === 'message_status' && f.data.message_id === ack['message_id'], 20_000);
  t.match(status.data, { conversation_id: conv, message_id: ack['message_id'], status: 'failed' });
  const [row] = await sql<{ delivery_status: string; delivery_error: string }[]>`select delivery_status, delivery_error from messages where id = ${ack['message_id']}`;
  t.equal(row!.delivery_status, 'failed', 'stored as failed');
  t.match(row!.delivery_error, /not on WhatsApp/);
});

t.test('a reopen reaches the staff sockets as conversation_reopened', async (t) => {
  const conv = await conversationOf(2);
  const ws = await socket(mate);
  t.equal((await post('/api/chat/conversations/close/', desk, { conversation_id: conv })).status, 200);
  await ws.next((f) => f.type === 'conversation_update' && f.data.conversation_id === conv && f.data.type === 'conversation_closed');
  const r = await post('/api/chat/conversations/reopen/', desk, { conversation_id: conv });
  t.equal(r.status, 200);
  const ev = await ws.next((f) => f.type === 'conversation_update' && f.data.conversation_id === conv && f.data.type === 'conversation_reopened');
  t.match(ev.data, { status: 'active', department: 'Reception', updated_by_id: h.staff['ev_desk']!.id });
  t.equal((await sql`select status from conversations where id = ${conv}`)[0]!['status'], 'active');
  t.equal((await post('/api/chat/conversations/reopen/', desk, { conversation_id: conv })).status, 409, 'an active conversation is not reopened');
  const outsider = await seedHotel(sql, { name: 'Other Events Hotel', staff: [{ username: 'ev_other', type: 'receptionist', departments: ['Reception'] }], guests: [] });
  t.equal((await post('/api/chat/conversations/reopen/', outsider.staff['ev_other']!.token, { conversation_id: conv })).status, 404, 'another hotel: not found');
});

t.test('the archive sweep reaches the staff sockets as conversation_archived', async (t) => {
  const conv = await conversationOf(3);
  const ws = await socket(mate);
  await post('/api/chat/conversations/close/', desk, { conversation_id: conv });
  await sql`update conversations set closed_at = now() - interval '400 days' where id = ${conv}`;
  const ev = await ws.next((f) => f.type === 'conversation_update' && f.data.conversation_id === conv && f.data.type === 'conversation_archived', 20_000);
  t.match(ev.data, { status: 'archived', updated_by: 'System' });
  t.equal((await sql`select status from conversations where id = ${conv}`)[0]!['status'], 'archived');
});

t.test("a guest's media copied in by media.ingest reaches the staff sockets as message_updated", async (t) => {
  const ws = await socket(mate);
  const r = await webhook(app.base, { whatsapp_number: num(4), message: 'the stain', message_type: 'image', media_url: `${providerBase}/files/stain.png`, department: 'Reception' });
  t.equal(r.status, 201);
  const first = await ws.next((f) => f.type === 'message' && f.data.id === r.body.message_id);
  t.notMatch(first.data.media_url ?? '', /\/media\/chat\//, 'first shown with the provider URL');
  const updated = await ws.next((f) => f.type === 'message_updated' && f.data.id === r.body.message_id, 20_000);
  t.match(updated.data, { conversation_id: r.body.conversation_id, seq: first.data.seq, message_type: 'image', media_url: /\/media\/chat\// });
});

t.test('the orphan sweep never deletes an object a message references, however old', async (t) => {
  const conv = await conversationOf(5);
  const object = (key: string) => sql`
    insert into media_objects (key, hotel_id, conversation_id, filename, content_type, size, created_at)
    values (${key}, ${h.hotelId}, ${conv}, 'f.png', 'image/png', ${png.length}, now() - interval '30 days')`;
  const put = (key: string) => {
    mkdirSync(path.dirname(path.join(mediaDir, key)), { recursive: true });
    writeFileSync(path.join(mediaDir, key), png);
  };
  const used = `chat/${h.hotelId}/${conv}/used.png`;
  const unused = `chat/${h.hotelId}/${conv}/unused.png`;
  for (const key of [used, unused]) {
    await object(key);
    put(key);
  }
  // A message points at `used` but no claim was recorded (a row written before claims existed,
  // or a claim lost): the reference alone must keep it.
  const [m] = await sql<{ id: number }[]>`
    insert into messages (conversation_id, seq, sender_type, message_type, content, media_key)
    values (${conv}, 100, 'staff', 'image', 'f.png', ${used}) returning id`;
  await sql`update media_objects set message_id = null where key = ${used}`;
  // The row goes first, then the bytes: wait for both.
  await until(async () => (await sql`select 1 from media_objects where key = ${unused}`).length === 0 && !existsSync(path.join(mediaDir, unused)), 'a sweep run', 20_000);
  t.pass('the unused object is gone: the sweep ran');
  t.equal((await sql`select 1 from media_objects where key = ${used}`).length, 1, 'the referenced object keeps its row');
  t.ok(existsSync(path.join(mediaDir, used)), 'and its bytes');
  t.equal((await sql`select media_key from messages where id = ${m!.id}`)[0]!['media_key'], used, 'the message still points at it');

  // An upload forgotten by the sweep cannot be attached afterwards: the insert is refused.
  await t.rejects(sql`insert into messages (conversation_id, seq, sender_type, message_type, content, media_key) values (${conv}, 101, 'staff', 'image', 'g', ${unused})`, { code: '23503' });
});

t.test('reading a conversation writes nothing; the reader joins on the first read it marks', async (t) => {
  const conv = await conversationOf(1, 'is breakfast included?');
  const participants = async () => (await sql`select staff_id from conversation_participants where conversation_id = ${conv} and staff_id = ${h.staff['ev_mate']!.id}`).length;
  const detail = await request(app.base, 'GET', `/api/chat/conversations/${conv}/`, { token: mate });
  t.equal(detail.status, 200);
  t.ok(detail.body.conversation.unread_count > 0, 'unread for this staff member');
  t.equal(await participants(), 0, 'GET wrote no participant row');
  t.equal((await post('/api/chat/messages/mark-read/', mate, { conversation_id: conv })).status, 200);
  t.equal(await participants(), 1, 'marking read joins');
  t.equal((await request(app.base, 'GET', `/api/chat/conversations/${conv}/`, { token: mate })).body.conversation.unread_count, 0);
});
