// A per-command authorization matrix: every staff command on a conversation (socket frames and
// REST), tried by staff of another department (403 / "forbidden") and of another hotel (404 /
// "not_found"). Each refusal must leave the database as it was (messages, read state, status,
// uploads) and publish nothing: a sentinel (the owner typing, then replying) sent afterwards is
// the first event every observer receives, and the intruder receives nothing but its refusal.
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import t from 'tap';
import { startApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';
import { guestToken, numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { client, type HttpResult } from '../helpers/http.js';
import { WsClient, type Frame } from '../helpers/ws.js';
import { createSigner } from '../../src/media/signer.js';
import type { Sql } from '../../src/store/db.js';

const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'lbt-safety-authz-'));
t.teardown(() => rmSync(mediaDir, { recursive: true, force: true }));
const app = await startApp(t, { env: { MEDIA_DIR: mediaDir } });
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const a = await seedHotel(sql, {
  staff: [
    { username: 'mx_desk', type: 'receptionist', departments: ['Reception'] },
    { username: 'mx_colleague', type: 'receptionist', departments: ['Reception'] },
    { username: 'mx_hk', type: 'department_staff', departments: ['Housekeeping'] },
  ],
  guests: [{ number: num(1), name: 'Matrix Guest', room: '101' }],
});
const b = await seedHotel(sql, { staff: [{ username: 'mx_foreign', type: 'receptionist', departments: ['Reception'] }], guests: [] });
const deskUser = a.staff['mx_desk']!;
const desk = client(app.base, deskUser.token);

const staffSocket = async (token: string) => {
  const ws = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`);
  t.teardown(() => ws.close());
  return ws;
};

// The conversation under attack: a guest message, a reply, and an upload of the owner.
const opened = await webhook(app.base, { whatsapp_number: num(1), message: 'my shower is broken', department: 'Reception' });
const conversationId = opened.body.conversation_id as number;
const deskWs = await staffSocket(deskUser.token);
const colleagueWs = await staffSocket(a.staff['mx_colleague']!.token);
const guestWs = await WsClient.connect(`${app.wsBase}/ws/guest/${encodeURIComponent(num(1))}/?token=${await guestToken(a.guests[num(1)]!.id, num(1))}`);
t.teardown(() => guestWs.close());
deskWs.send({ type: 'text', conversation_id: conversationId, content: 'on our way' });
await deskWs.next((f) => f.type === 'acknowledgment' && f.status === 'received');
colleagueWs.send({ type: 'subscribe_conversation', conversation_id: conversationId });
await colleagueWs.next((f) => f.type === 'acknowledgment' && f.status === 'subscribed');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n' + 'x'.repeat(500));
const fileUrl = (await upload(app, deskUser.token, conversationId)).body.file_url as string;

async function upload(app: TestApp, token: string, id: number): Promise<HttpResult> {
  const form = new FormData();
  form.append('conversation_id', String(id));
  form.append('file', new Blob([PDF], { type: 'application/pdf' }), 'bill.pdf');
  const r = await fetch(`${app.base}/api/chat/upload-media/`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: r.status, body: await r.json(), headers: r.headers };
}

/** Everything a refused command could have changed. */
async function snapshot(db: Sql): Promise<unknown> {
  return {
    messages: await db`select id, conversation_id, seq, sender_id, content, media_key, read_at from messages order by id`,
    conversations: await db`select id, status, last_seq, closed_by from conversations order by id`,
    participants: await db`select conversation_id, staff_id, last_read_seq, read_seqs from conversation_participants order by 1, 2`,
    media: await db`select key, conversation_id, message_id from media_objects order by key`,
  };
}

const EVENT_TYPES = new Set(['message', 'typing', 'read_receipt', 'new_conversation', 'conversation_update', 'message_status']);
const events = (ws: WsClient, from: number) => ws.frames.slice(from).filter((f) => EVENT_TYPES.has(f.type));

let sentinels = 0;
/**
 * The owner types and replies. Resolves with each observer's events since its mark, once the
 * reply reached all of them.
 */
async function sentinel(marks: Map<WsClient, number>): Promise<Map<WsClient, Frame[]>> {
  sentinels += 1;
  const content = `sentinel ${sentinels}`;
  const typing = await desk.post('/api/chat/messages/typing/', { conversation_id: conversationId, is_typing: true });
  if (typing.status !== 200) throw new Error(`sentinel typing: ${typing.status}`);
  await colleagueWs.next((f) => f.type === 'typing' && f.data.user_id === deskUser.id, 10_000, marks.get(colleagueWs));
  deskWs.send({ type: 'text', conversation_id: conversationId, content });
  for (const ws of marks.keys()) await ws.next((f) => f.type === 'message' && f.data.content === content, 10_000, marks.get(ws));
  return new Map([...marks].map(([ws, from]) => [ws, events(ws, from)]));
}
const isSentinel = (f: Frame) =>
  (f.type === 'typing' && f.data.user_id === deskUser.id) || (f.type === 'message' && /^sentinel \d+$/.test(f.data.content));

/** Everything but pongs the intruder's socket got from `from` until its own ping was answered. */
async function untilPong(ws: WsClient, from: number): Promise<Frame[]> {
  ws.send({ type: 'ping' });
  await ws.next((f) => f.type === 'pong', 10_000, from);
  return ws.frames.slice(from).filter((f) => f.type !== 'pong' && f.type !== 'user_status');
}

const intruders = [
  { who: 'another department', token: a.staff['mx_hk']!.token, status: 403, code: 'forbidden' },
  { who: 'another hotel', token: b.staff['mx_foreign']!.token, status: 404, code: 'not_found' },
];

type Attempt = { name: string } & ({ frame: Record<string, unknown> } | { rest: (token: string) => Promise<HttpResult> });
const attempts: Attempt[] = [
  { name: 'text frame', frame: { type: 'text', conversation_id: conversationId, content: 'not yours' } },
  { name: 'media frame', frame: { type: 'media', conversation_id: conversationId, file_url: fileUrl, filename: 'bill.pdf', file_type: 'document', caption: 'not yours' } },
  { name: 'mark_read frame', frame: { type: 'mark_read', conversation_id: conversationId } },
  { name: 'typing frame', frame: { type: 'typing', conversation_id: conversationId, is_typing: true } },
  { name: 'close_conversation frame', frame: { type: 'close_conversation', conversation_id: conversationId } },
  { name: 'subscribe_conversation frame', frame: { type: 'subscribe_conversation', conversation_id: conversationId } },
  { name: 'resume frame', frame: { type: 'resume', conversation_id: conversationId, since_seq: 0 } },
  { name: 'reopen-temporary frame', frame: { type: 'reopen-temporary', conversation_id: conversationId } },
  { name: 'REST mark-read', rest: (tok) => client(app.base, tok).post('/api/chat/messages/mark-read/', { conversation_id: conversationId }) },
  { name: 'REST typing', rest: (tok) => client(app.base, tok).post('/api/chat/messages/typing/', { conversation_id: conversationId, is_typing: true }) },
  { name: 'REST close', rest: (tok) => client(app.base, tok).post('/api/chat/conversations/close/', { conversation_id: conversationId }) },
  { name: 'REST detail', rest: (tok) => client(app.base, tok).get(`/api/chat/conversations/${conversationId}/`) },
  { name: 'REST upload-media', rest: (tok) => upload(app, tok, conversationId) },
];

for (const intruder of intruders) {
  t.test(`staff of ${intruder.who}`, async (t) => {
    const intruderWs = await staffSocket(intruder.token);
    for (const attempt of attempts) {
      await t.test(attempt.name, async (t) => {
        const before = await snapshot(sql);
        const marks = new Map([deskWs, colleagueWs, guestWs].map((ws) => [ws, ws.frames.length]));
        const from = intruderWs.frames.length;
        if ('frame' in attempt) {
          intruderWs.send(attempt.frame);
          const e = await intruderWs.next((f) => f.type === 'error' || f.type === 'acknowledgment' || f.type === 'message', 10_000, from);
          t.match(e, { type: 'error', code: intruder.code, conversation_id: conversationId }, `refused with ${intruder.code}`);
        } else {
          const r = await attempt.rest(intruder.token);
          t.equal(r.status, intruder.status, `refused with ${intruder.status}: ${JSON.stringify(r.body)}`);
        }
        t.same(await snapshot(sql), before, 'nothing was written');
        const seen = await sentinel(marks);
        for (const [ws, got] of seen) {
          const name = ws === deskWs ? 'owner' : ws === colleagueWs ? 'colleague' : 'guest';
          t.ok(got.length > 0 && isSentinel(got[0]!), `the sentinel is the first event the ${name} got (${JSON.stringify(got[0])})`);
          t.same(got.filter((f) => !isSentinel(f)), [], `the ${name} got nothing else`);
        }
        const own = await untilPong(intruderWs, from);
        t.same(own.filter((f) => f.type !== 'error'), [], 'the intruder got nothing but its refusal');
      });
    }
  });
}

t.test('refused commands on a conversation no actor holds yet allocate none', async (t) => {
  const [row] = await sql<{ id: number }[]>`
    insert into conversations (guest_id, hotel_id, department, conversation_type)
    values (${a.guests[num(1)]!.id}, ${a.hotelId}, 'Restaurant', 'service') returning id`;
  const cold = row!.id;
  // An upload of that conversation, written directly (an upload through the API would wake its actor).
  const key = `safety/${cold}/menu.pdf`;
  await sql`insert into media_objects (key, hotel_id, conversation_id, filename, content_type, size) values (${key}, ${a.hotelId}, ${cold}, 'menu.pdf', 'application/pdf', 1)`;
  const coldUrl = createSigner({ secret: TEST_JWT_SECRET, baseUrl: () => app.base, ttlS: 3600 }).url(key);
  const actors = async () => {
    const m = /^actors_live\{type="conversation"\} (\d+)$/m.exec(await (await fetch(`${app.base}/metrics`)).text());
    return Number(m![1]);
  };
  const before = await actors();
  for (const intruder of intruders) {
    const ws = await staffSocket(intruder.token);
    for (const frame of [
      { type: 'text', conversation_id: cold, content: 'x' },
      { type: 'media', conversation_id: cold, file_url: coldUrl, filename: 'menu.pdf', file_type: 'document' },
      { type: 'typing', conversation_id: cold, is_typing: true },
      { type: 'mark_read', conversation_id: cold },
      { type: 'close_conversation', conversation_id: cold },
      { type: 'subscribe_conversation', conversation_id: cold },
      { type: 'resume', conversation_id: cold, since_seq: 0 },
    ]) {
      const from = ws.frames.length;
      ws.send(frame);
      t.match(await ws.next((f) => f.type === 'error' || f.type === 'acknowledgment', 10_000, from), { type: 'error', code: intruder.code }, `${intruder.who}: ${frame.type} refused`);
    }
  }
  t.equal(await actors(), before, 'no actor was spawned for the refused commands');
  t.same(await sql`select count(*)::int as n from messages where conversation_id = ${cold}`, [{ n: 0 }]);
  t.same(await sql`select message_id from media_objects where key = ${key}`, [{ message_id: null }], 'the upload was not claimed');
});
