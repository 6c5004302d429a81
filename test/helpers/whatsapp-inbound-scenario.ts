// The WhatsApp inbound end-to-end scenario, run by test/integration/whatsapp-inbound*.test.ts in
// the in-process mode (answer after commit) and the queued mode (answer after JetStream):
// signed Meta deliveries with several entries and messages → the right hotel's and department's
// staff sockets, each message once → a staff reply reaches the (fake) Graph API → its statuses
// reach the socket in order and never move back; replays, bad signatures and numbers of other
// apps or of no hotel store nothing; the department menu; media downloaded with the channel's token.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Test } from 'tap';
import { startApp } from './app.js';
import { numberFactory, seedHotel } from './chat-fixtures.js';
import { until } from './cluster.js';
import { connect } from './db.js';
import { startFakeGraph } from './fake-graph.js';
import { client, request } from './http.js';
import { delivery, listReply, postDelivery, status, text, wamid } from './meta-webhook.js';
import { WsClient, type Frame } from './ws.js';

const digits = (n: string) => n.replace(/\D/g, '');
const rnd = () => String(100000000000 + Math.floor(Math.random() * 899999999999));

export async function whatsappInboundScenario(t: Test, mode: 'sync' | 'queued'): Promise<void> {
  const graph = await startFakeGraph(t);
  const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'lbt-wa-in-'));
  t.teardown(() => rmSync(mediaDir, { recursive: true, force: true }));
  const app = await startApp(t, {
    nats: mode === 'queued',
    captureLog: 'warn',
    env: {
      WEBHOOK_MODE: mode,
      WHATSAPP_API_URL: graph.url,
      WHATSAPP_TOKEN: 'global-token',
      WHATSAPP_PHONE_NUMBER_ID: '1000',
      JOB_BACKOFF_MS: '50',
      MEDIA_DRIVER: 'disk',
      MEDIA_DIR: mediaDir,
    },
  });
  const sql = connect(t, app.databaseUrl);
  const num = numberFactory();
  const [g1, g2, g3, g4, gb, stranger] = [num(1), num(2), num(3), num(4), num(5), num(6)];
  const a = await seedHotel(sql, {
    staff: [
      { username: `a_admin_${mode}`, type: 'hotel_admin' },
      { username: `a_rec_${mode}`, type: 'receptionist', departments: ['Reception'] },
      { username: `a_hk_${mode}`, type: 'department_staff', departments: ['Housekeeping'] },
    ],
    guests: [
      { number: g1, name: 'Ana Lima', room: '101' },
      { number: g2, name: 'Bo Berg', room: '102' },
      { number: g3, name: 'Cy Chen', room: '103' },
      { number: g4, name: 'Di Dao', room: '104' },
    ],
  });
  const b = await seedHotel(sql, {
    staff: [{ username: `b_admin_${mode}`, type: 'hotel_admin' }, { username: `b_rec_${mode}`, type: 'receptionist', departments: ['Reception'] }],
    guests: [{ number: gb, name: 'Eve Berg', room: '201' }],
  });
  const tok = (h: typeof a, u: string) => h.staff[`${u}_${mode}`]!.token;

  // Each hotel connects its number through the channel API (its own Meta app here).
  const [PA, PB, SA, SB] = [rnd(), rnd(), `app-secret-a-${rnd()}`, `app-secret-b-${rnd()}`];
  const TA = `token-a-${rnd()}`;
  const VA = `verify-a-${rnd()}`;
  const ca = await client(app.base, tok(a, 'a_admin')).post('/api/channels/', {
    provider: 'whatsapp_cloud', external_id: PA, waba_id: '1022901', app_secret: SA, verify_token: VA, access_token: TA,
  });
  // Setup outside subtests throws rather than asserts (an assertion here would end the root test).
  if (ca.status !== 201) throw new Error(`channel A: ${JSON.stringify(ca.body)}`);
  const cb = await client(app.base, tok(b, 'b_admin')).post('/api/channels/', {
    provider: 'whatsapp_cloud', external_id: PB, waba_id: '1022902', app_secret: SB, verify_token: `verify-b-${rnd()}`, access_token: `token-b-${rnd()}`,
  });
  if (cb.status !== 201) throw new Error(`channel B: ${JSON.stringify(cb.body)}`);

  const admin = client(app.base, tok(a, 'a_admin'));
  const conv1 = (await admin.post('/api/chat/conversations/create/', { guest_whatsapp_number: g1, department_type: 'Reception' })).body.conversation_id;
  const conv2 = (await admin.post('/api/chat/conversations/create/', { guest_whatsapp_number: g2, department_type: 'Housekeeping' })).body.conversation_id;
  await client(app.base, tok(b, 'b_admin')).post('/api/chat/conversations/create/', { guest_whatsapp_number: gb, department_type: 'Reception' });
  if (!conv1 || !conv2) throw new Error('service conversations were not created');

  const ws = async (token: string) => {
    const c = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`);
    t.teardown(() => c.close());
    return c;
  };
  const rec = await ws(tok(a, 'a_rec'));
  const hk = await ws(tok(a, 'a_hk'));
  const bRec = await ws(tok(b, 'b_rec'));
  const messageCount = async () => (await sql<{ n: number }[]>`select count(*)::int as n from messages`)[0]!.n;
  const stored = async (id: string) => (await sql`select 1 from messages where provider_message_id = ${id}`).length > 0;
  const contents = (c: WsClient, type = 'message') => c.frames.filter((f) => f.type === type).map((f) => f.data.content as string);

  t.test('the subscription handshake', async (t) => {
    const ok = await request(app.base, 'GET', `/api/webhooks/whatsapp/?hub.mode=subscribe&hub.verify_token=${VA}&hub.challenge=1158201444`);
    t.equal(ok.status, 200);
    t.equal(ok.body, 1158201444, 'the challenge, as the plain body');
    t.match(ok.headers.get('content-type'), /^text\/plain/);
    t.equal((await request(app.base, 'GET', '/api/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1')).status, 403);
    t.equal((await request(app.base, 'GET', `/api/webhooks/whatsapp/?hub.mode=unsubscribe&hub.verify_token=${VA}&hub.challenge=1`)).status, 403);
    const bad = await request(app.base, 'GET', `/api/webhooks/whatsapp/?hub.mode=subscribe&hub.verify_token=${VA}`);
    t.equal(bad.status, 400);
    t.match(JSON.stringify(bad.body), /hub\.challenge/);
  });

  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff3366' } }).png().toBuffer();
  const mediaId = `media-${rnd()}`;
  graph.addMedia(mediaId, { bytes: png, mime: 'image/png' });
  const first = {
    m1: text(digits(g1), 'Two more towels please'),
    m2: text(digits(g2), 'The shower is cold'),
    img: { from: digits(g1), id: wamid(), timestamp: '1730000000', type: 'image', image: { caption: 'this stain', mime_type: 'image/jpeg', sha256: 'x', id: mediaId } },
    loc: { from: digits(g1), id: wamid(), timestamp: '1730000000', type: 'location', location: { latitude: 38.72, longitude: -9.13, name: 'Lobby' } },
    m3: text(digits(g2), 'Also no hot water'),
    odd: { from: digits(g1), id: wamid(), timestamp: '1730000000', type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown' }] },
  };
  const body1 = delivery([
    [{ phoneNumberId: PA, messages: [first.m1, first.m2, first.img, first.loc] }],
    [{ phoneNumberId: PA, messages: [first.m3, first.odd] }],
  ]);
  const bMsg = text(digits(gb), 'Hotel B guest here');

  t.test('a delivery with several entries reaches the right hotel and department, each message once', async (t) => {
    const r = await postDelivery(app.base, body1, SA);
    t.equal(r.status, 200, JSON.stringify(r.body));
    t.match(r.body, { messages: 6, statuses: 0, refused: 0 });
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PB, messages: [bMsg] }]]), SB)).status, 200);
    await rec.next((f) => f.type === 'message' && f.data.content === 'Two more towels please');
    await rec.next((f) => f.type === 'message' && f.data.message_type === 'image' && f.data.content === 'this stain');
    await rec.next((f) => f.type === 'message' && /Lobby/.test(f.data.content));
    const note = await rec.next((f) => f.type === 'message' && f.data.message_type === 'system');
    t.match(note.data.content, /131051/, 'an unsupported message is a note');
    await hk.next((f) => f.type === 'message' && f.data.content === 'The shower is cold');
    await hk.next((f) => f.type === 'message' && f.data.content === 'Also no hot water');
    await bRec.next((f) => f.type === 'message' && f.data.content === 'Hotel B guest here');
    const hkM = await sql<{ content: string; seq: number }[]>`select content, seq from messages where conversation_id = ${conv2} and sender_type = 'guest' order by seq`;
    t.same(hkM.map((m) => m.content), ['The shower is cold', 'Also no hot water'], 'one guest\'s messages in order');
    // Recorded right after the message is stored (the socket may see the message first).
    const channelOf = async (id: number) => Number((await sql<{ channel_id: number | null }[]>`select channel_id from conversations where id = ${id}`)[0]?.channel_id);
    await until(async () => (await channelOf(conv1)) === ca.body.id, 'the conversation remembers the channel the guest wrote on', 20_000);
    t.pass('the conversation remembers the channel the guest wrote on');
    // Hotel and department isolation.
    t.notOk(contents(rec).includes('The shower is cold'), 'Reception does not get Housekeeping');
    t.notOk(contents(hk).includes('Two more towels please'), 'Housekeeping does not get Reception');
    t.notOk(contents(rec).includes('Hotel B guest here') || contents(hk).includes('Hotel B guest here'), 'hotel A never sees hotel B');
    t.notOk(contents(bRec).some((c) => c !== 'Hotel B guest here'), 'hotel B sees only its own');
  });

  t.test('the guest\'s media is downloaded with the channel\'s token and follows', async (t) => {
    const updated = await rec.next((f) => f.type === 'message_updated' && f.data.message_type === 'image', 20_000);
    t.ok(updated.data.media_url, 'the message now points at our copy');
    const lookup = graph.requests.find((r) => r.path === `/${mediaId}`);
    t.equal(lookup?.auth, `Bearer ${TA}`, 'media id → URL with the channel\'s token');
    t.ok(graph.requests.some((r) => r.path.startsWith('/media-bytes/') && r.auth === `Bearer ${TA}`), 'URL → bytes with the same token');
    const [m] = await sql<{ media_key: string; media_content_type: string }[]>`select media_key, media_content_type from messages where provider_message_id = ${first.img.id}`;
    t.ok(m!.media_key);
    t.equal(m!.media_content_type, 'image/png', 'the type comes from the bytes, not from what Meta declared');
  });

  t.test('a replay stores nothing new; bad or missing signatures get 401 and store nothing', async (t) => {
    const before = await messageCount();
    const again = await postDelivery(app.base, body1, SA);
    t.equal(again.status, 200);
    const forged = text(digits(g1), 'forged');
    const bad = await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [forged] }]]), SA, `sha256=${'0'.repeat(64)}`);
    t.equal(bad.status, 401);
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [forged] }]]), SA, null)).status, 401);
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [forged] }]]), 'some-other-secret')).status, 401, 'a secret no channel has');
    // A marker after the replay: once it is stored and delivered, the replay has been processed.
    const marker = text(digits(g1), 'marker after replay');
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [marker] }]]), SA)).status, 200);
    await rec.next((f) => f.type === 'message' && f.data.content === 'marker after replay');
    t.equal(await messageCount(), before + 1, 'only the marker was added');
    t.notOk(await stored(forged.id), 'nothing forged was stored');
    for (const c of ['Two more towels please', 'this stain', 'marker after replay']) t.equal(contents(rec).filter((x) => x === c).length, 1, `"${c}" reached Reception once`);
    for (const c of ['The shower is cold', 'Also no hot water']) t.equal(contents(hk).filter((x) => x === c).length, 1, `"${c}" reached Housekeeping once`);
  });

  t.test('a number no hotel owns, or one of another app, is refused, stores nothing and is logged once', async (t) => {
    const ghost = rnd();
    const m1 = text(digits(g1), 'to a ghost number');
    const m2 = text(digits(g1), 'to a ghost number again');
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: ghost, messages: [m1] }]]), SA)).status, 403);
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: ghost, messages: [m2] }]]), SA)).status, 403);
    const stolen = text(digits(gb), 'B\'s number under A\'s secret');
    const r = await postDelivery(app.base, delivery([[{ phoneNumberId: PB, messages: [stolen] }]]), SA);
    t.equal(r.status, 403, 'hotel A\'s app cannot post for hotel B\'s number');
    // Mixed: the change of A's number is accepted, the other is skipped.
    const ok = text(digits(g1), 'mixed delivery, own number');
    const mixed = await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [ok] }, { phoneNumberId: ghost, messages: [text(digits(g1), 'ghost again')] }]]), SA);
    t.equal(mixed.status, 200);
    t.match(mixed.body, { messages: 1, refused: 1 });
    await rec.next((f) => f.type === 'message' && f.data.content === 'mixed delivery, own number');
    t.notOk((await stored(m1.id)) || (await stored(m2.id)) || (await stored(stolen.id)), 'nothing refused was stored');
    const refusedLines = app.logLines.filter((l) => l.phone_number_id === ghost);
    t.equal(refusedLines.length, 1, 'the unknown number is logged once, not per message');
    t.equal(app.logLines.filter((l) => l.phone_number_id === PB).length, 1, 'so is the other app\'s number');
    t.notOk(JSON.stringify(app.logLines).includes(SA), 'no secret in the log');
  });

  t.test('a staff reply reaches the Graph API; sent, delivered, read reach the socket in order and never move back', async (t) => {
    rec.send({ type: 'text', conversation_id: conv1, content: 'On their way!' });
    const ack = await rec.next((f) => f.type === 'acknowledgment' && f.status === 'received');
    const sentFrame = await rec.next((f) => f.type === 'message_status' && f.data.message_id === ack.message_id && f.data.status === 'sent', 20_000);
    // From the number the guest wrote to, with that channel's token (not the global sender).
    const out = graph.sends(PA).find((s) => s.body.text?.body === 'On their way!');
    t.ok(out, 'the reply reached the Graph API from the channel the guest wrote on');
    t.equal(out?.auth, `Bearer ${TA}`);
    t.equal(graph.sends('1000').length, 0, 'nothing went out from the global sender');
    t.equal(out?.body.to, digits(g1));
    const [row] = await sql<{ provider_message_id: string }[]>`select provider_message_id from messages where id = ${ack.message_id}`;
    const id = row!.provider_message_id;
    t.match(id, /^wamid\./);
    const post = (s: string, errors?: unknown[]) => postDelivery(app.base, delivery([[{ phoneNumberId: PA, statuses: [status(id, s, digits(g1), errors)] }]]), SA);
    t.equal((await post('sent')).status, 200);
    t.equal((await post('delivered')).status, 200);
    const delivered = await rec.next((f) => f.type === 'message_status' && f.data.message_id === ack.message_id && f.data.status === 'delivered', 20_000);
    t.equal((await post('read')).status, 200);
    const read = await rec.next((f) => f.type === 'message_status' && f.data.message_id === ack.message_id && f.data.status === 'read', 20_000);
    const order = [sentFrame, delivered, read].map((f) => rec.frames.indexOf(f));
    t.ok(order[0]! < order[1]! && order[1]! < order[2]!, 'sent, delivered, read in this order');
    t.equal((await post('delivered')).status, 200, 'a late delivered');
    await until(async () => (await sql`select 1 from messages where id = ${ack.message_id} and delivery_status = 'read'`).length === 1, 'read', 10_000);

    // A second reply whose read overtakes its delivered.
    rec.send({ type: 'text', conversation_id: conv1, content: 'Anything else?' });
    const ack2 = await rec.next((f) => f.type === 'acknowledgment' && f.status === 'received' && f.message_id !== ack.message_id);
    await rec.next((f) => f.type === 'message_status' && f.data.message_id === ack2.message_id && f.data.status === 'sent', 20_000);
    const id2 = (await sql<{ provider_message_id: string }[]>`select provider_message_id from messages where id = ${ack2.message_id}`)[0]!.provider_message_id;
    const post2 = (s: string) => postDelivery(app.base, delivery([[{ phoneNumberId: PA, statuses: [status(id2, s, digits(g1))] }]]), SA);
    t.equal((await post2('read')).status, 200);
    await rec.next((f) => f.type === 'message_status' && f.data.message_id === ack2.message_id && f.data.status === 'read', 20_000);
    t.equal((await post2('delivered')).status, 200);
    // A marker status (a failed reply) after it: processed after the late delivered in both modes.
    rec.send({ type: 'text', conversation_id: conv1, content: 'Third reply' });
    const ack3 = await rec.next((f) => f.type === 'acknowledgment' && f.status === 'received' && f.message_id !== ack.message_id && f.message_id !== ack2.message_id);
    await rec.next((f) => f.type === 'message_status' && f.data.message_id === ack3.message_id && f.data.status === 'sent', 20_000);
    const id3 = (await sql<{ provider_message_id: string }[]>`select provider_message_id from messages where id = ${ack3.message_id}`)[0]!.provider_message_id;
    const failed = await postDelivery(app.base, delivery([[{ phoneNumberId: PA, statuses: [status(id3, 'failed', digits(g1), [{ code: 131026, title: 'Message Undeliverable' }])] }]]), SA);
    t.equal(failed.status, 200);
    const failedFrame = await rec.next((f) => f.type === 'message_status' && f.data.message_id === ack3.message_id && f.data.status === 'failed', 20_000);
    t.match(failedFrame.data.error, /^131026: Message Undeliverable/, 'staff see why it failed');
    const [f3] = await sql<{ delivery_error: string }[]>`select delivery_error from messages where id = ${ack3.message_id}`;
    t.match(f3!.delivery_error, /131026: Message Undeliverable/, 'Meta\'s code and title are kept');
    const [r2] = await sql<{ delivery_status: string }[]>`select delivery_status from messages where id = ${ack2.message_id}`;
    t.equal(r2!.delivery_status, 'read', 'a delivered after read does not move it back');
    t.notOk(rec.frames.some((f: Frame) => f.type === 'message_status' && f.data.message_id === ack2.message_id && f.data.status === 'delivered'), 'and sends nothing');
    t.notOk(bRec.frames.some((f) => f.type === 'message_status'), 'hotel B sees no status of A');
    // A status for a wamid of hotel A signed by hotel B's app changes nothing.
    const crossed = await postDelivery(app.base, delivery([[{ phoneNumberId: PA, statuses: [status(id3, 'read', digits(g1))] }]]), SB);
    t.equal(crossed.status, 403);
  });

  t.test('a checked-in guest without a conversation gets the department menu; the choice opens it', async (t) => {
    const hello = text(digits(g3), 'Hello, anyone there?');
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [hello] }]]), SA)).status, 200);
    await until(async () => graph.sends(PA).some((s) => s.body.to === digits(g3) && s.body.type === 'interactive'), 'the menu', 20_000);
    const menu = graph.sends(PA).find((s) => s.body.to === digits(g3))!;
    t.equal(menu.auth, `Bearer ${TA}`, 'sent from the number the guest wrote to, with its token');
    t.equal(menu.body.interactive.type, 'list');
    const rows = menu.body.interactive.action.sections.flatMap((s: { rows: Array<{ id: string; title: string }> }) => s.rows);
    t.same(rows.map((r: { id: string }) => r.id), ['dept:Reception', 'dept:Housekeeping'], 'the departments the hotel\'s staff work in');
    t.notOk(await stored(hello.id), 'held until the guest chooses');
    const again = text(digits(g3), 'Hello?');
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [again] }]]), SA)).status, 200);
    const choice = listReply(digits(g3), 'dept:Housekeeping', 'Housekeeping');
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [choice] }]]), SA)).status, 200);
    const h1 = await hk.next((f) => f.type === 'message' && f.data.content === 'Hello, anyone there?', 20_000);
    const h2 = await hk.next((f) => f.type === 'message' && f.data.content === 'Hello?');
    const h3 = await hk.next((f) => f.type === 'message' && f.data.content === 'Housekeeping');
    t.ok(h1.data.seq < h2.data.seq && h2.data.seq < h3.data.seq, 'what the guest wrote comes first, then the choice');
    t.equal(graph.sends(PA).filter((s) => s.body.to === digits(g3)).length, 1, 'one menu for the messages held together');
    t.notOk(contents(rec).includes('Hello, anyone there?'), 'not Reception');
    const [c] = await sql<{ department: string }[]>`select department from conversations where id = ${h3.data.conversation_id}`;
    t.match(c, { department: 'Housekeeping' });
    await until(async () => Number((await sql<{ channel_id: number | null }[]>`select channel_id from conversations where id = ${h3.data.conversation_id}`)[0]?.channel_id) === ca.body.id, 'the channel of the new conversation', 20_000);
    t.equal((await sql`select 1 from whatsapp_held_messages where guest_id = ${a.guests[g3]!.id}`).length, 0, 'nothing left held');
    // The next message continues that conversation.
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [text(digits(g3), 'Thanks')] }]]), SA)).status, 200);
    const h4 = await hk.next((f) => f.type === 'message' && f.data.content === 'Thanks');
    t.equal(h4.data.conversation_id, h3.data.conversation_id);
  });

  t.test('a stranger becomes a guest pending check-in, routed to the reply systems; reactions are small messages', async (t) => {
    const hi = text(digits(stranger), 'Do you have rooms tonight?');
    const r = await postDelivery(app.base, { ...delivery([[{ phoneNumberId: PA, messages: [hi], names: { [digits(stranger)]: 'Walk In' } }]]) }, SA);
    t.equal(r.status, 200);
    await until(() => stored(hi.id), 'the stranger\'s message', 20_000);
    const [g] = await sql<{ full_name: string; status: string; hotel_id: string }[]>`select full_name, status, hotel_id from guests where whatsapp_number = ${stranger}`;
    t.match(g, { full_name: 'Walk In', status: 'pending_checkin', hotel_id: a.hotelId });
    const [conv] = await sql<{ conversation_type: string; department: string }[]>`
      select c.conversation_type, c.department from messages m join conversations c on c.id = m.conversation_id where m.provider_message_id = ${hi.id}`;
    t.match(conv, { conversation_type: 'checkin', department: 'Reception' });
    t.notOk(contents(rec).includes('Do you have rooms tonight?'), 'not broadcast to staff live');

    const reaction = { from: digits(g1), id: wamid(), timestamp: '1730000000', type: 'reaction', reaction: { message_id: (await sql<{ provider_message_id: string }[]>`select provider_message_id from messages where conversation_id = ${conv1} and sender_type = 'staff' order by seq limit 1`)[0]!.provider_message_id, emoji: '👍' } };
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [reaction] }]]), SA)).status, 200);
    const rf = await rec.next((f) => f.type === 'message' && /^Reacted 👍/.test(f.data.content), 20_000);
    t.equal(rf.data.content, 'Reacted 👍 to “On their way!”');
  });

  t.test('signed but malformed deliveries are 400s naming the field; odd messages are notes, not refusals', async (t) => {
    const notJson = await postDelivery(app.base, '{"object":', SA);
    t.equal(notJson.status, 400);
    const noNumber = await postDelivery(app.base, { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: {} } }] }] }, SA);
    t.equal(noNumber.status, 400);
    t.match(JSON.stringify(noNumber.body), /entry\.0\.changes\.0\.value\.metadata\.phone_number_id/);
    const badEntry = await postDelivery(app.base, { object: 'whatsapp_business_account', entry: 'all of them' }, SA);
    t.equal(badEntry.status, 400);
    t.match(JSON.stringify(badEntry.body), /entry/);
    const other = await postDelivery(app.base, { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'account_update', value: { anything: true } }] }] }, SA);
    t.equal(other.status, 200, 'fields other than messages are skipped');
    const odd = { from: digits(g1), id: wamid(), timestamp: '1730000000', type: 'text', text: { body: 42 } };
    const r = await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [odd] }]]), SA);
    t.equal(r.status, 200);
    const note = await rec.next((f) => f.type === 'message' && f.data.message_type === 'system' && /text message that could not be read/.test(f.data.content), 20_000);
    t.equal(note.data.conversation_id, conv1);
  });

  t.test('a channel change applies at once: a deactivated number is refused, and accepted again when reactivated', async (t) => {
    const bAdmin = client(app.base, tok(b, 'b_admin'));
    t.equal((await bAdmin.patch(`/api/channels/${cb.body.id}/`, { is_active: false })).status, 200);
    const m = text(digits(gb), 'while the channel is off');
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PB, messages: [m] }]]), SB)).status, 401, 'its app secret is no longer active');
    t.notOk(await stored(m.id));
    t.equal((await bAdmin.patch(`/api/channels/${cb.body.id}/`, { is_active: true })).status, 200);
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PB, messages: [m] }]]), SB)).status, 200, 'Meta\'s retry is stored');
    await bRec.next((f) => f.type === 'message' && f.data.content === 'while the channel is off', 20_000);
  });

  t.test('messages held for the menu go to a conversation staff opened meanwhile, first', async (t) => {
    const first = text(digits(g4), 'Is the pool open?');
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [first] }]]), SA)).status, 200);
    await until(async () => (await sql`select 1 from whatsapp_held_messages where wamid = ${first.id}`).length === 1, 'the held message', 20_000);
    const opened = await admin.post('/api/chat/conversations/create/', { guest_whatsapp_number: g4, department_type: 'Reception' });
    t.equal(opened.status, 201);
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: [text(digits(g4), 'Hello again')] }]]), SA)).status, 200);
    const h1 = await rec.next((f) => f.type === 'message' && f.data.content === 'Is the pool open?', 20_000);
    const h2 = await rec.next((f) => f.type === 'message' && f.data.content === 'Hello again', 20_000);
    t.equal(h1.data.conversation_id, opened.body.conversation_id);
    t.equal(h2.data.conversation_id, opened.body.conversation_id);
    t.ok(h1.data.seq < h2.data.seq, 'the held message comes first');
    t.equal((await sql`select 1 from whatsapp_held_messages where guest_id = ${a.guests[g4]!.id}`).length, 0);
  });

  t.test('a change of long messages is split into jobs that stay in order', async (t) => {
    const long = [1, 2, 3].map((k) => text(digits(g1), `${k}:${'é'.repeat(60_000)}`));
    t.equal((await postDelivery(app.base, delivery([[{ phoneNumberId: PA, messages: long }]]), SA)).status, 200);
    await until(async () => (await sql`select 1 from messages where provider_message_id = ${long[2]!.id}`).length === 1, 'the long messages', 20_000);
    const rows = await sql<{ provider_message_id: string }[]>`
      select provider_message_id from messages where provider_message_id = any(${long.map((m) => m.id)}::text[]) order by seq`;
    t.same(rows.map((r) => r.provider_message_id), long.map((m) => m.id));
  });
}
