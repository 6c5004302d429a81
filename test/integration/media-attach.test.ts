// A media frame attaches only what was uploaded for that very conversation, through a link this
// server signed and that has not expired; the message type is the sniffed one (the frame's
// file_type is ignored). Refusals write nothing and deliver nothing. The message insert claims
// its upload in the same statement.
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import t, { type Test } from 'tap';
import { startApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';
import { guestToken, numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { WsClient, type Frame } from '../helpers/ws.js';
import { createSigner } from '../../src/media/signer.js';
import type { Sql } from '../../src/store/db.js';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n' + 'x'.repeat(2_000));

async function upload(app: TestApp, token: string, conversationId: number, name = 'bill.pdf'): Promise<{ file_url: string; filename: string; file_type: string }> {
  const form = new FormData();
  form.append('conversation_id', String(conversationId));
  form.append('file', new Blob([PDF], { type: 'application/pdf' }), name);
  const r = await fetch(`${app.base}/api/chat/upload-media/`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const body = (await r.json()) as any;
  if (r.status !== 201) throw new Error(`upload answered ${r.status}: ${JSON.stringify(body)}`);
  return body;
}

async function messageCount(sql: Sql): Promise<number> {
  const [r] = await sql<{ n: number }[]>`select count(*)::int as n from messages`;
  return r!.n;
}

/** Everything a socket got from frame `from` until its own ping was answered. */
async function framesUntilPong(ws: WsClient, from = ws.frames.length): Promise<Frame[]> {
  ws.send({ type: 'ping' });
  await ws.next((f) => f.type === 'pong', 10_000, from);
  return ws.frames.slice(from).filter((f) => f.type !== 'pong' && f.type !== 'user_status');
}

t.test('media frames', async (t) => {
  const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'lbt-media-attach-'));
  t.teardown(() => rmSync(mediaDir, { recursive: true, force: true }));
  const app = await startApp(t, { env: { MEDIA_DIR: mediaDir } });
  const sql = connect(t, app.databaseUrl);
  const num = numberFactory();
  const a = await seedHotel(sql, {
    staff: [
      { username: 'ma_both', type: 'receptionist', departments: ['Reception', 'Housekeeping'] },
      { username: 'ma_hk', type: 'department_staff', departments: ['Housekeeping'] },
    ],
    guests: [{ number: num(1), name: 'Attach Guest', room: '201' }],
  });
  const both = a.staff['ma_both']!.token;
  const reception = (await webhook(app.base, { whatsapp_number: num(1), message: 'the bill please', department: 'Reception' })).body.conversation_id as number;
  const housekeeping = (await webhook(app.base, { whatsapp_number: num(1), message: 'towels please', department: 'Housekeeping' })).body.conversation_id as number;
  const sender = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(both)}`);
  const colleague = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(a.staff['ma_hk']!.token)}`);
  const guest = await WsClient.connect(`${app.wsBase}/ws/guest/${encodeURIComponent(num(1))}/?token=${await guestToken(a.guests[num(1)]!.id, num(1))}`);
  t.teardown(() => [sender, colleague, guest].forEach((w) => w.close()));

  /** Sends a media frame that must be refused naming file_url; nothing is written or delivered. */
  const refused = async (t: Test, frame: Record<string, unknown>, why: RegExp) => {
    const before = await messageCount(sql);
    const sockets = [['sender', sender], ['colleague', colleague], ['guest', guest]] as const;
    const marks = sockets.map(([, ws]) => ws.frames.length);
    const from = sender.frames.length;
    sender.send({ type: 'media', filename: 'bill.pdf', file_type: 'document', ...frame });
    const e = await sender.next((f) => f.type === 'error' || f.type === 'acknowledgment', 10_000, from);
    t.equal(e.type, 'error', `refused: ${JSON.stringify(e)}`);
    t.match(e['message'], why);
    t.equal(await messageCount(sql), before, 'no message written');
    for (const [i, [name, ws]] of sockets.entries()) {
      const got = (await framesUntilPong(ws, marks[i])).filter((f) => f !== e);
      t.same(got, [], `nothing but the refusal reached the ${name}`);
    }
  };

  await t.test("an upload of one department's conversation cannot be attached to another's", async (t) => {
    const up = await upload(app, both, reception);
    await refused(t, { conversation_id: housekeeping, file_url: up.file_url }, /file_url: is not a file uploaded for this conversation/);
    const [o] = await sql<{ message_id: number | null }[]>`select message_id from media_objects where filename = 'bill.pdf' order by created_at desc limit 1`;
    t.equal(o!.message_id, null, 'the upload was not claimed');
  });

  await t.test('a link on a foreign host, a relative link, or a tampered one is refused', async (t) => {
    const up = await upload(app, both, reception);
    const foreign = new URL(up.file_url);
    foreign.host = 'evil.example';
    await refused(t, { conversation_id: reception, file_url: foreign.href }, /file_url: must be a link this server signed/);
    const relative = up.file_url.slice(app.base.length);
    await refused(t, { conversation_id: reception, file_url: relative }, /file_url: must be a link this server signed/);
    const tampered = new URL(up.file_url);
    tampered.searchParams.set('exp', String(Number(tampered.searchParams.get('exp')) + 60));
    await refused(t, { conversation_id: reception, file_url: tampered.href }, /file_url: must be a link this server signed/);
  });

  await t.test('an expired link is refused, not signed again', async (t) => {
    const up = await upload(app, both, reception);
    const key = decodeURIComponent(new URL(up.file_url).pathname.slice('/media/'.length));
    const expired = createSigner({ secret: TEST_JWT_SECRET, baseUrl: () => app.base, ttlS: 3600 }).url(key, -10);
    await refused(t, { conversation_id: reception, file_url: expired }, /file_url: has expired/);
  });

  await t.test("the message type is the upload's sniffed type, whatever file_type says; the upload is claimed", async (t) => {
    const up = await upload(app, both, reception, 'invoice.pdf');
    t.equal(up.file_type, 'document');
    sender.send({ type: 'media', conversation_id: reception, file_url: up.file_url, filename: 'holiday.jpg', file_type: 'image', caption: 'Your invoice' });
    const ack = await sender.next((f) => f.type === 'acknowledgment' && f.status === 'received');
    t.equal(ack['message_type'], 'document', 'the ack reports the sniffed type');
    const m = await guest.next((f) => f.type === 'message' && f.data.id === ack['message_id']);
    t.match(m.data, { message_type: 'document', media_filename: 'invoice.pdf', content: 'Your invoice' });
    const [row] = await sql<{ message_type: string; media_filename: string }[]>`select message_type, media_filename from messages where id = ${ack['message_id']}`;
    t.same(row, { message_type: 'document', media_filename: 'invoice.pdf' });
    const [o] = await sql<{ message_id: number }[]>`select message_id from media_objects where filename = 'invoice.pdf'`;
    t.equal(o!.message_id, ack['message_id'], 'the upload is claimed by its message');
  });
});

t.test('the message insert itself claims an upload of its own conversation, and only that', async (t) => {
  const app = await startApp(t);
  const sql = connect(t, app.databaseUrl);
  const num = numberFactory();
  const a = await seedHotel(sql, { staff: [], guests: [{ number: num(1), name: 'Row Guest' }] });
  const mine = (await webhook(app.base, { whatsapp_number: num(1), message: 'a', department: 'Reception' })).body.conversation_id as number;
  const other = (await webhook(app.base, { whatsapp_number: num(1), message: 'b', department: 'Housekeeping' })).body.conversation_id as number;
  for (const key of ['k/mine.pdf', 'k/stolen.pdf']) {
    await sql`insert into media_objects (key, hotel_id, conversation_id, filename, content_type, size) values (${key}, ${a.hotelId}, ${mine}, 'f.pdf', 'application/pdf', 1)`;
  }
  const insert = (conversation: number, seq: number, key: string) => sql<{ id: number }[]>`
    insert into messages (conversation_id, seq, sender_type, message_type, content, media_key)
    values (${conversation}, ${seq}, 'staff', 'document', 'f.pdf', ${key}) returning id`;
  const [m1] = await insert(mine, 100, 'k/mine.pdf');
  const [m2] = await insert(other, 100, 'k/stolen.pdf');
  const [m3] = await insert(mine, 101, 'k/mine.pdf');
  const claims = Object.fromEntries((await sql<{ key: string; message_id: number | null }[]>`select key, message_id from media_objects`).map((r) => [r.key, r.message_id]));
  t.equal(claims['k/mine.pdf'], m1!.id, 'claimed by the first message that used it');
  t.not(claims['k/mine.pdf'], m3!.id);
  t.equal(claims['k/stolen.pdf'], null, "a message of another conversation does not claim it");
  void m2;
});
