// Staff replies through WhatsApp Cloud API channels, against the fake Graph API on loopback: the
// conversation's channel (number and token) sends, else the hotel's only channel; one number's
// sends are paced; a throttling answer is retried after Meta's hold-off; a permanent refusal and
// a closed 24-hour window end `failed` with a reason that reaches the staff socket.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { until } from '../helpers/cluster.js';
import { GRAPH_ERRORS, startFakeGraph } from '../helpers/fake-graph.js';
import { WsClient } from '../helpers/ws.js';

const RATE = 5;
const graph = await startFakeGraph(t);
const app = await startApp(t, {
  env: { WHATSAPP_API_URL: graph.url, WHATSAPP_SEND_RATE_PER_S: String(RATE), JOB_BACKOFF_MS: '50', JOB_MAX_DELIVERIES: '4' },
});
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const uniq = Math.random().toString(36).slice(2, 8);

async function cloudChannel(hotelId: string, name: string): Promise<{ id: number; pnid: string; token: string }> {
  const pnid = `${Date.now() % 1e9}${Math.floor(Math.random() * 1e6)}${name.length}`;
  const token = `token-${name}-${uniq}`;
  const [c] = await sql<{ id: number }[]>`
    insert into channels (hotel_id, provider, external_id, display_phone_number, waba_id, app_secret, verify_token, access_token)
    values (${hotelId}, 'whatsapp_cloud', ${pnid}, '', ${`waba${pnid}`}, 'app-secret-123', ${`verify-${pnid}`}, ${token}) returning id`;
  return { id: c!.id, pnid, token };
}

const a = await seedHotel(sql, {
  staff: [{ username: `wa_a_${uniq}`, type: 'receptionist', departments: ['Reception'] }],
  guests: [
    { number: num(1), name: 'Ana Channel', room: '101' },
    { number: num(2), name: 'Ben Burst', room: '102' },
    { number: num(3), name: 'Cid Refused', room: '103' },
    { number: num(4), name: 'Dee Stale', room: '104' },
  ],
});
const a1 = await cloudChannel(a.hotelId, 'a1');
const a2 = await cloudChannel(a.hotelId, 'a2');
const b = await seedHotel(sql, { staff: [{ username: `wa_b_${uniq}`, type: 'receptionist', departments: ['Reception'] }], guests: [{ number: num(5), name: 'Eve Only', room: '201' }] });
const bOnly = await cloudChannel(b.hotelId, 'b');
const tokenA = a.staff[`wa_a_${uniq}`]!.token;
const tokenB = b.staff[`wa_b_${uniq}`]!.token;

const digits = (n: string) => n.replace(/^\+/, '');
const state = async (id: number) =>
  (await sql<{ delivery_status: string | null; delivery_error: string | null }[]>`select delivery_status, delivery_error from messages where id = ${id}`)[0]!;

/** A guest conversation opened by a guest message (the window is open), on a channel (or none). */
async function conversation(number: string, channelId: number | null): Promise<number> {
  const conv = (await webhook(app.base, { whatsapp_number: number, message: 'hello', department: 'Reception' })).body.conversation_id as number;
  await sql`update conversations set channel_id = ${channelId} where id = ${conv}`;
  return conv;
}

async function staffSocket(t: { teardown(fn: () => void): void }, token: string): Promise<WsClient> {
  const ws = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`);
  t.teardown(() => ws.close());
  return ws;
}

async function reply(ws: WsClient, conv: number, content: string): Promise<number> {
  ws.send({ type: 'text', conversation_id: conv, content });
  return (await ws.next((f) => f.type === 'acknowledgment' && f.status === 'received' && f.conversation_id === conv)).message_id;
}

t.test('a reply goes out from the conversation\'s channel, with that channel\'s token', async (t) => {
  const conv = await conversation(num(1), a2.id);
  const ws = await staffSocket(t, tokenA);
  const id = await reply(ws, conv, 'From the second number');
  await until(async () => (await state(id)).delivery_status === 'sent', 'the send', 15_000);
  const sent = graph.sends().filter((r) => r.body?.text?.body === 'From the second number');
  t.equal(sent.length, 1);
  t.equal(sent[0]!.path, `/${a2.pnid}/messages`, 'the number the guest wrote to');
  t.equal(sent[0]!.auth, `Bearer ${a2.token}`, 'that number\'s token');
  t.match(sent[0]!.body, { messaging_product: 'whatsapp', to: digits(num(1)), type: 'text' });
  const [m] = await sql<{ provider_message_id: string }[]>`select provider_message_id from messages where id = ${id}`;
  t.match(m!.provider_message_id, /^wamid\./, 'Meta\'s id is kept for the statuses');
  t.notOk(graph.sends(a1.pnid).some((r) => r.body?.text?.body === 'From the second number'), 'not from the hotel\'s other number');
});

t.test('without a channel on the conversation, the hotel\'s only channel sends', async (t) => {
  const conv = await conversation(num(5), null);
  const ws = await staffSocket(t, tokenB);
  const id = await reply(ws, conv, 'From the only number');
  await until(async () => (await state(id)).delivery_status === 'sent', 'the send', 15_000);
  const sent = graph.sends(bOnly.pnid).find((r) => r.body?.text?.body === 'From the only number');
  t.ok(sent, 'sent from hotel B\'s channel');
  t.equal(sent!.auth, `Bearer ${bOnly.token}`);
});

t.test('one number\'s sends are paced: no 1 s window holds more than rate + burst', async (t) => {
  const conv = await conversation(num(2), a1.id);
  const ws = await staffSocket(t, tokenA);
  const ids: number[] = [];
  for (let i = 0; i < 3 * RATE; i++) ids.push(await reply(ws, conv, `burst ${i}`));
  await until(async () => {
    const rows = await sql<{ n: number }[]>`select count(*)::int as n from messages where id = any(${ids}::bigint[]) and delivery_status = 'sent'`;
    return rows[0]!.n === ids.length;
  }, 'every burst message sent', 30_000);
  const at = graph.sends(a1.pnid).filter((r) => /^burst /.test(r.body?.text?.body ?? '')).map((r) => r.at).sort((x, y) => x - y);
  t.equal(at.length, ids.length, 'each sent once');
  let worst = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= 1000) j++;
    worst = Math.max(worst, i - j + 1);
  }
  // rate + burst (1 at this rate) + 1 for network jitter between our send and the fake's clock
  t.ok(worst <= RATE + 2, `at most ${RATE + 2} requests in any 1 s window (saw ${worst}); unpaced, all ${ids.length} would arrive at once`);
});

t.test('a throttling answer is retried after Meta\'s hold-off, then sent', async (t) => {
  const conv = await conversation(num(1), a1.id);
  const ws = await staffSocket(t, tokenA);
  graph.failNext(new RegExp(`^/${a1.pnid}/messages$`), GRAPH_ERRORS.rateLimit, 1);
  const id = await reply(ws, conv, 'after the throttle');
  await until(async () => (await state(id)).delivery_status === 'sent', 'the send after the throttle', 20_000);
  const tries = graph.requests.filter((r) => r.path === `/${a1.pnid}/messages` && r.body?.text?.body === 'after the throttle');
  t.equal(tries.length, 2, 'refused once (130429), then accepted');
  t.ok(tries[1]!.at - tries[0]!.at >= 900, `the retry waited for the hold-off (${tries[1]!.at - tries[0]!.at} ms)`);
});

t.test('a permanent refusal ends failed with Meta\'s code and title, live on the staff socket', async (t) => {
  graph.refuseRecipient(digits(num(3)), GRAPH_ERRORS.undeliverable);
  const conv = await conversation(num(3), a1.id);
  const ws = await staffSocket(t, tokenA);
  ws.send({ type: 'subscribe_conversation', conversation_id: conv });
  await ws.next((f) => f.type === 'acknowledgment' && f.status === 'subscribed');
  const id = await reply(ws, conv, 'you cannot get this');
  const status = await ws.next((f) => f.type === 'message_status' && f.data.message_id === id && f.data.status === 'failed');
  t.match(status.data.error, /131026.*Message Undeliverable/, 'the staff read why');
  t.match((await state(id)).delivery_error, /WhatsApp error 131026: Message Undeliverable/);
  const tries = graph.requests.filter((r) => r.body?.text?.body === 'you cannot get this');
  t.equal(tries.length, 1, 'no pointless retries');
});

t.test('outside the 24-hour window a free-form reply is not sent; it fails with the reason', async (t) => {
  const conv = await conversation(num(4), a1.id);
  await sql`update conversations c set last_guest_message_at = now() - interval '25 hours'
            from guests g where g.id = c.guest_id and g.whatsapp_number = ${num(4)}`;
  const ws = await staffSocket(t, tokenA);
  ws.send({ type: 'subscribe_conversation', conversation_id: conv });
  await ws.next((f) => f.type === 'acknowledgment' && f.status === 'subscribed');
  const id = await reply(ws, conv, 'too late for this');
  const status = await ws.next((f) => f.type === 'message_status' && f.data.message_id === id);
  t.equal(status.data.status, 'failed');
  t.match(status.data.error, /^outside_24h_window: .*template/);
  t.match((await state(id)).delivery_error, /^outside_24h_window/);
  t.notOk(graph.requests.some((r) => r.body?.text?.body === 'too late for this'), 'nothing reached Meta');
});
