// Hostile tenant: staff, managers and admins of hotel B try every chat and directory action on
// hotel A's ids — REST, socket frames, A's media URLs, A's guest tokens and socket paths, and
// webhooks naming A's guest. Every attempt is refused (403/404, or 400 naming the field for a
// body that points at A), nothing is changed (every row of the tenant tables compared before and
// after), and nothing is delivered: A's and B's listening sockets get no frame caused by the
// attempts — a sentinel sent after them must be the first frame each one receives.
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { guestToken, numberFactory, seedHotel } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { webhookHeaders } from '../helpers/fuzz.js';
import { request } from '../helpers/http.js';
import { WsClient, type Frame } from '../helpers/ws.js';

const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'lbt-hostile-'));
t.teardown(() => rmSync(mediaDir, { recursive: true, force: true }));
const app = await startApp(t, { env: { MEDIA_DIR: mediaDir, USER_CACHE_TTL_MS: '0' } });
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const A = await seedHotel(sql, {
  name: 'Hotel A',
  staff: [
    { username: 'a_admin', type: 'hotel_admin', departments: ['Management'] },
    { username: 'a_rec', type: 'receptionist', departments: ['Reception'] },
    { username: 'a_hk', type: 'department_staff', departments: ['Housekeeping'] },
  ],
  guests: [
    { number: num(1), name: 'Alice Guest', room: '101' },
    // Staying at A and not written yet: the guest B tries to divert.
    { number: num(3), name: 'Carol Guest', room: '102' },
  ],
});
const B = await seedHotel(sql, {
  name: 'Hotel B',
  staff: [
    { username: 'b_admin', type: 'hotel_admin', departments: ['Management'] },
    { username: 'b_mgr', type: 'manager', departments: ['Management', 'Reception'] },
    { username: 'b_rec', type: 'receptionist', departments: ['Reception'] },
    { username: 'b_ds', type: 'department_staff', departments: ['Reception', 'Housekeeping'] },
  ],
  guests: [{ number: num(2), name: 'Bob Guest', room: '201' }],
});
const B_ROLES = ['b_admin', 'b_mgr', 'b_rec', 'b_ds'] as const;
const aGuest = A.guests[num(1)]!;
const bGuest = B.guests[num(2)]!;
const aNewGuest = A.guests[num(3)]!;

// The provider sends each guest's messages on the channel of the hotel the guest wrote to.
const channelOf = (number: string) => (number === bGuest.number ? B.channel : A.channel);
async function guestWrites(number: string, message: string, department = 'Reception', extra: Record<string, unknown> = {}) {
  const raw = JSON.stringify({ channel: channelOf(number), whatsapp_number: number, message, department, ...extra });
  return request(app.base, 'POST', '/api/chat/guest-webhook/', { raw, headers: webhookHeaders(raw) });
}
function upload(token: string, conversationId: number) {
  const form = new FormData();
  form.append('conversation_id', String(conversationId));
  form.append('file', new Blob([Buffer.from(`%PDF-1.4\n%%EOF\n${'x'.repeat(2000)}`)], { type: 'application/pdf' }), 'bill.pdf');
  return fetch(`${app.base}/api/chat/upload-media/`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
}
const staffSocket = async (token: string) => {
  const ws = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`);
  t.teardown(() => ws.close());
  return ws;
};

// A's world: two conversations, an upload attached to one (a signed media URL), a message id.
const aConv = (await guestWrites(aGuest.number, 'A reception')).body.conversation_id as number;
const aHkConv = (await guestWrites(aGuest.number, 'A housekeeping', 'Housekeeping')).body.conversation_id as number;
const bConv = (await guestWrites(bGuest.number, 'B reception')).body.conversation_id as number;
const aUpload = await upload(A.staff['a_rec']!.token, aConv);
const bUpload = await upload(B.staff['b_rec']!.token, bConv);
function setup(ok: boolean, what: string, got: unknown): void {
  if (!ok) throw new Error(`setup: ${what} (got ${JSON.stringify(got).slice(0, 300)})`);
}
setup(aUpload.status === 201 && bUpload.status === 201, 'A and B upload', [aUpload, bUpload]);
const aSender = await staffSocket(A.staff['a_rec']!.token);
aSender.send({ type: 'media', conversation_id: aConv, file_url: aUpload.body.file_url, filename: 'bill.pdf', file_type: 'document', caption: 'bill' });
const aMediaAck = await aSender.next((f) => f.type === 'acknowledgment' || f.type === 'error');
setup(aMediaAck.type === 'acknowledgment', "A's media message is stored", aMediaAck);
aSender.close();
const [aMsg] = await sql<{ id: number; media_key: string | null }[]>`select id, media_key from messages where conversation_id = ${aConv} and media_key is not null`;
const aMediaUrl = (await request(app.base, 'GET', `/api/chat/conversations/${aConv}/`, { token: A.staff['a_rec']!.token })).body.messages.find((m: any) => m.media_url)?.media_url as string;
const [aRoom] = await sql<{ id: number }[]>`select id from rooms where hotel_id = ${A.hotelId}`;
const [aStay] = await sql<{ id: number }[]>`select id from stays where hotel_id = ${A.hotelId}`;

// Every row a tenant owns; volatile bookkeeping (presence, throttles, job receipts) is left out.
const TABLES = ['hotels', 'users', 'rooms', 'guests', 'stays', 'conversations', 'messages', 'conversation_participants', 'media_objects', 'notifications', 'outbox', 'refresh_tokens'];
async function snapshot(): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLES) out[table] = await sql.unsafe(`select * from ${table} order by 1`);
  return out;
}

// Listeners: A's staff of both departments, A's guest, and a B socket that never sends anything.
const aRecWs = await staffSocket(A.staff['a_rec']!.token);
const aHkWs = await staffSocket(A.staff['a_hk']!.token);
const aGuestWs = await WsClient.connect(`${app.wsBase}/ws/guest/${encodeURIComponent(aGuest.number)}/?token=${encodeURIComponent(await guestToken(aGuest.id, aGuest.number))}`);
t.teardown(() => aGuestWs.close());
const bListener = await staffSocket(B.staff['b_ds']!.token);
const attackers = Object.fromEntries(await Promise.all(B_ROLES.map(async (r) => [r, await staffSocket(B.staff[r]!.token)] as const)));
const mark = { aRec: aRecWs.frames.length, aHk: aHkWs.frames.length, aGuest: aGuestWs.frames.length, b: bListener.frames.length };
const before = await snapshot();

const refused = (s: number) => s === 403 || s === 404;

t.test("REST: B's staff on A's conversations and directory objects are refused", async (t) => {
  const x = (method: string, p: string, body?: unknown, ok: (s: number) => boolean = refused) => ({ method, p, body, ok });
  const bodyPointsAtA = (s: number) => s === 400 || refused(s);
  const cases = [
    x('GET', `/api/chat/conversations/${aConv}/`),
    x('GET', `/api/chat/conversations/${aConv}/?since_seq=0`),
    x('POST', '/api/chat/conversations/close/', { conversation_id: aConv }),
    x('POST', '/api/chat/messages/mark-read/', { conversation_id: aConv }),
    x('POST', '/api/chat/messages/mark-read/', { conversation_id: aConv, message_ids: [aMsg!.id] }),
    x('POST', '/api/chat/messages/typing/', { conversation_id: aConv, is_typing: true }),
    x('POST', '/api/chat/conversations/create/', { guest_whatsapp_number: aGuest.number, department_type: 'Reception' }, bodyPointsAtA),
    x('GET', `/api/hotels/${A.hotelId}/`),
    x('PATCH', `/api/hotels/${A.hotelId}/`, { name: 'pwned' }),
    x('GET', `/api/users/${A.staff['a_rec']!.id}/`),
    x('PATCH', `/api/users/${A.staff['a_rec']!.id}/`, { last_name: 'pwned', department: ['Management'] }),
    x('DELETE', `/api/users/${A.staff['a_rec']!.id}/`),
    x('GET', `/api/rooms/${aRoom!.id}/`),
    x('PATCH', `/api/rooms/${aRoom!.id}/`, { status: 'out_of_order' }),
    x('DELETE', `/api/rooms/${aRoom!.id}/`),
    x('GET', `/api/guests/${aGuest.id}/`),
    x('PATCH', `/api/guests/${aGuest.id}/`, { full_name: 'pwned' }),
    x('POST', `/api/guests/${aGuest.id}/socket-token/`, {}),
    x('GET', `/api/stays/${aStay!.id}/`),
    x('PATCH', `/api/stays/${aStay!.id}/`, { number_of_guests: 9 }),
    x('POST', `/api/stays/${aStay!.id}/check-out/`, {}),
    x('POST', `/api/stays/${aStay!.id}/cancel/`, {}),
    x('POST', `/api/stays/${aStay!.id}/check-in/`, {}),
    x('POST', '/api/rooms/', { room_number: '999', floor: 9, hotel_id: A.hotelId }, bodyPointsAtA),
    x('POST', '/api/users/', { username: 'intruder', email: 'intruder@x.example', password: 'a-long-password', user_type: 'receptionist', hotel_id: A.hotelId }, bodyPointsAtA),
    x('POST', '/api/stays/', { guest_id: aGuest.id }, bodyPointsAtA),
    x('POST', '/api/stays/', { guest_id: bGuest.id, room_id: aRoom!.id }, bodyPointsAtA),
  ];
  for (const role of B_ROLES) {
    const token = B.staff[role]!.token;
    for (const c of cases) {
      const r = await request(app.base, c.method, c.p, { token, ...(c.body !== undefined ? { body: c.body } : {}) });
      t.ok(c.ok(r.status), `${role} ${c.method} ${c.p}${c.body ? ` ${JSON.stringify(c.body)}` : ''}: refused (${r.status} ${JSON.stringify(r.body).slice(0, 160)})`);
    }
    const up = await upload(token, aConv);
    t.ok(refused(up.status), `${role} upload-media to A's conversation: refused (${up.status})`);
    const list = await request(app.base, 'GET', '/api/chat/conversations/?page_size=100', { token });
    t.equal(list.status, 200, `${role} lists conversations`);
    t.notOk(list.body.results.some((c: any) => c.id === aConv || c.id === aHkConv || c.hotel === A.hotelId), `${role}: none of A's conversations listed`);
  }
});

t.test("frames: B's sockets on A's conversation ids are refused", async (t) => {
  const frames = (id: number) => [
    { type: 'text', conversation_id: id, content: 'hostile text' },
    { type: 'media', conversation_id: id, file_url: bUpload.body.file_url, filename: 'x.pdf', file_type: 'document' },
    { type: 'typing', conversation_id: id, is_typing: true },
    { type: 'mark_read', conversation_id: id },
    { type: 'mark_read', conversation_id: id, message_ids: [aMsg!.id] },
    { type: 'subscribe_conversation', conversation_id: id },
    { type: 'close_conversation', conversation_id: id },
    { type: 'reopen-temporary', conversation_id: id },
    { type: 'resume', conversation_id: id, since_seq: 0 },
  ];
  // A's upload (and A's signed message URL) attached to B's own conversation.
  const stolen = [
    { type: 'media', conversation_id: bConv, file_url: aUpload.body.file_url, filename: 'bill.pdf', file_type: 'document' },
    { type: 'media', conversation_id: bConv, file_url: aMediaUrl, filename: 'bill.pdf', file_type: 'document' },
  ];
  for (const role of B_ROLES) {
    const ws = attackers[role]!;
    for (const f of [...frames(aConv), ...frames(aHkConv), ...stolen]) {
      const from = ws.frames.length;
      ws.send(f);
      const reply = await ws.next((r) => r.conversation_id === f.conversation_id && ['error', 'acknowledgment', 'resume_failed'].includes(r.type), 5000, from).catch((e: Error) => ({ type: `none (${e.message.slice(0, 120)})` }) as Frame);
      t.equal(reply.type, 'error', `${role} ${JSON.stringify(f).slice(0, 140)}: refused with an error frame`);
      const leaked = ws.frames.slice(from).filter((r) => r.type === 'message' || r.type === 'typing' || r.type === 'read_receipt' || r.type === 'conversation_update');
      t.same(leaked, [], `${role}: no event of A's conversation came back`);
    }
  }
});

t.test("media URLs and guest sockets of A are out of B's reach", async (t) => {
  // B's valid signature does not open A's object.
  const b = new URL(bUpload.body.file_url);
  const a = new URL(aMediaUrl ?? aUpload.body.file_url);
  const forged = `${a.pathname}?${b.searchParams.toString()}`;
  const r = await request(app.base, 'GET', forged);
  t.ok(r.status === 403 || r.status === 404, `A's object with B's signature: refused (${r.status})`);
  const tries: Array<[string, string]> = [
    ['no token', ''],
    ["B's guest's token", await guestToken(bGuest.id, bGuest.number)],
    ["a B staff token", B.staff['b_admin']!.token],
  ];
  for (const [what, token] of tries) {
    const status = await WsClient.connect(`${app.wsBase}/ws/guest/${encodeURIComponent(aGuest.number)}/${token ? `?token=${encodeURIComponent(token)}` : ''}`).then(
      (ws) => (ws.close(), 101),
      (e: { status?: number }) => e.status ?? 0,
    );
    t.ok(status === 401 || status === 403, `A's guest socket with ${what}: refused (${status})`);
  }
});

t.test('nothing changed and nothing was delivered', async (t) => {
  t.same(await snapshot(), before, 'every tenant table is exactly as before the attempts');
  // Sentinels: the first frame each listener receives after the attempts must be its sentinel.
  const ownPresence = (f: Frame) => f.type === 'user_status' && [A.staff['a_rec']!.id, A.staff['a_hk']!.id].includes(f.data?.user_id);
  const firstAfter = async (ws: WsClient, from: number, pred: (f: Frame) => boolean, what: string) => {
    const got = await ws.next(pred, 10_000, from).catch(() => null);
    t.ok(got, `${what}: sentinel received`);
    const extra = ws.frames.slice(from, got ? ws.frames.indexOf(got) : undefined).filter((f) => !ownPresence(f) && f.type !== 'pong');
    t.same(extra, [], `${what}: no frame before the sentinel`);
  };
  await guestWrites(aGuest.number, 'sentinel A reception');
  await firstAfter(aRecWs, mark.aRec, (f) => f.type === 'message' && f.data.content === 'sentinel A reception', "A's reception");
  await guestWrites(aGuest.number, 'sentinel A housekeeping', 'Housekeeping');
  await firstAfter(aHkWs, mark.aHk, (f) => f.type === 'message' && f.data.content === 'sentinel A housekeeping', "A's housekeeping");
  aRecWs.send({ type: 'text', conversation_id: aConv, content: 'sentinel to guest' });
  await firstAfter(aGuestWs, mark.aGuest, (f) => f.type === 'message' && f.data.content === 'sentinel to guest', "A's guest");
  await guestWrites(bGuest.number, 'sentinel B');
  const bPresence = (f: Frame) => f.type === 'user_status';
  const got = await bListener.next((f) => f.type === 'message' && f.data.content === 'sentinel B', 10_000, mark.b).catch(() => null);
  t.ok(got, "B's listener: sentinel received");
  t.same(bListener.frames.slice(mark.b, got ? bListener.frames.indexOf(got) : undefined).filter((f) => !bPresence(f)), [], "B's listener: no frame before the sentinel (presence of B's own staff aside)");
});

t.test("webhooks naming A's guest never reach B", async (t) => {
  const admin = B.staff['b_admin']!.token;
  // B registers the number of a guest staying at A and checks it in at B (allowed: guest records
  // are per hotel); then that guest writes for the first time.
  const g = await request(app.base, 'POST', '/api/guests/', { token: admin, body: { whatsapp_number: aNewGuest.number, full_name: 'Claimed by B' } });
  t.equal(g.status, 201, 'B registers the number');
  const stay = await request(app.base, 'POST', '/api/stays/', { token: admin, body: { guest_id: g.body.id } });
  t.equal(stay.status, 201, 'B makes a stay');
  t.equal((await request(app.base, 'POST', `/api/stays/${stay.body.id}/check-in/`, { token: admin, body: {} })).status, 200, 'and checks it in');
  const bConvsBefore = await sql`select id, last_seq from conversations where hotel_id = ${B.hotelId} order by id`;
  const from = bListener.frames.length;
  const w1 = await guestWrites(aNewGuest.number, 'for hotel A only');
  t.ok(w1.status < 500, `the guest's message is answered (${w1.status})`);
  // A's guest naming B's conversation, and B's guest naming A's: never appended across hotels.
  const w2 = await guestWrites(aGuest.number, 'into B conversation?', 'Reception', { conversation_id: bConv });
  const w3 = await guestWrites(bGuest.number, 'into A conversation?', 'Reception', { conversation_id: aConv });
  t.ok(w2.status < 500 && w3.status < 500, `webhooks naming the other hotel's conversation answered (${w2.status}, ${w3.status})`);
  t.same(await sql`select id, last_seq from conversations where hotel_id = ${B.hotelId} order by id`, bConvsBefore, "no conversation of B was created or written");
  const crossed = await sql`select m.id, m.content from messages m join conversations c on c.id = m.conversation_id where (c.id = ${aConv} and m.content = 'into A conversation?') or (c.hotel_id = ${B.hotelId} and m.content in ('for hotel A only', 'into B conversation?'))`;
  t.same(crossed, [], 'no message crossed hotels');
  await guestWrites(bGuest.number, 'sentinel B 2');
  const got = await bListener.next((f) => f.type === 'message' && f.data.content === 'sentinel B 2', 10_000, from).catch(() => null);
  t.ok(got, "B's listener: sentinel received");
  t.same(bListener.frames.slice(from, got ? bListener.frames.indexOf(got) : undefined).filter((f) => f.type !== 'user_status'), [], "B's listener received nothing of A's guest");
});
