// Issue 16 — real socket frames against the AsyncAPI contract: every frame a staff or guest socket
// receives while the dashboard's frames are exercised has a schema in OutboundFrames, under its
// own type, and fits it (schemas are closed: a new key or type fails here until it is declared).
import t from 'tap';
import type { Test } from 'tap';
import { OutboundFrames, SocketContracts, type OutboundType } from '../../src/protocol/frames.js';
import { problems } from '../../src/protocol/validate.js';
import { guestToken, numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { startFakeGraph } from '../helpers/fake-graph.js';
import { client } from '../helpers/http.js';
import { WsClient, type Frame } from '../helpers/ws.js';
import { startApp } from '../helpers/app.js';

// Meta's side for the WhatsApp frames (send_template, a failed reply's message_status).
const graph = await startFakeGraph(t);
const app = await startApp(t, { env: { WHATSAPP_API_URL: graph.url, JOB_BACKOFF_MS: '50' } });
const sql = connect(t, app.databaseUrl);
const num = numberFactory();

/** Each frame is one of the endpoint's outbound types and fits its schema; returns the types seen. */
function fits(t: Test, who: string, frames: Frame[], allowed: readonly OutboundType[], seen = new Set<string>()): Set<string> {
  for (const f of frames) {
    const type = String(f.type);
    seen.add(type);
    t.ok(allowed.includes(type as OutboundType), `${who}: ${type} is a frame of this endpoint`);
    const schema = Object.hasOwn(OutboundFrames, type) ? OutboundFrames[type as OutboundType] : undefined;
    if (!schema) {
      t.fail(`${who}: frame type ${type} has no schema`);
      continue;
    }
    t.same(problems(schema, f, 'frame'), {}, `${who}: ${type} fits its schema`);
  }
  return seen;
}

t.test('frames received on both sockets fit their schemas', async (t) => {
  const h = await seedHotel(sql, {
    staff: [
      { username: `fr_rec_${num(9)}`, type: 'receptionist', departments: ['Reception'] },
      { username: `fr_mate_${num(9)}`, type: 'department_staff', departments: ['Reception'] },
    ],
    guests: [{ number: num(1), name: 'Frame Guest', room: '101' }],
  });
  const [rec, mate] = Object.values(h.staff);
  const staffUrl = (token: string) => `${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`;
  const staff = await WsClient.connect(staffUrl(rec!.token));
  t.teardown(() => staff.close());

  const first = await webhook(app.base, { whatsapp_number: num(1), message: 'Hello there', department: 'Reception' });
  t.equal(first.status, 201);
  const conv = first.body.conversation_id as number;
  await staff.next((f) => f.type === 'message' && f.data.conversation_id === conv);

  const colleague = await WsClient.connect(staffUrl(mate!.token));
  t.teardown(() => colleague.close());
  await staff.next((f) => f.type === 'user_status');

  const guest = await WsClient.connect(`${app.wsBase}/ws/guest/${encodeURIComponent(num(1))}/?token=${encodeURIComponent(await guestToken(h.guests[num(1)]!.id, num(1)))}`);
  t.teardown(() => guest.close());

  const send = (ws: WsClient, frame: unknown) => ws.send(JSON.stringify(frame));
  send(staff, { type: 'subscribe_conversation', conversation_id: conv });
  await staff.next((f) => f.type === 'acknowledgment' && f.status === 'subscribed');
  send(staff, { type: 'text', conversation_id: conv, content: 'On their way' });
  await staff.next((f) => f.type === 'acknowledgment' && f.status === 'received');
  await guest.next((f) => f.type === 'message' && f.data.content === 'On their way');
  send(staff, { type: 'mark_read', conversation_id: conv });
  await staff.next((f) => f.type === 'acknowledgment' && f.status === 'marked_read');
  send(guest, { type: 'typing', conversation_id: conv, is_typing: true });
  await staff.next((f) => f.type === 'typing');
  send(staff, { type: 'resume', conversation_id: conv, since_seq: 0 });
  await staff.next((f) => f.type === 'acknowledgment' && f.status === 'resumed');
  send(staff, { type: 'ping' });
  await staff.next((f) => f.type === 'pong');
  send(guest, { type: 'ping' });
  await guest.next((f) => f.type === 'pong');
  send(staff, { type: 'text', conversation_id: 'x' });
  await staff.next((f) => f.type === 'error');
  send(guest, { type: 'text', conversation_id: conv, content: 'hi' });
  await guest.next((f) => f.type === 'error');
  send(staff, { type: 'close_conversation', conversation_id: conv });
  await staff.next((f) => f.type === 'acknowledgment' && f.status === 'conversation_closed');
  await staff.next((f) => f.type === 'conversation_update');
  await guest.next((f) => f.type === 'conversation_update');
  const again = await webhook(app.base, { whatsapp_number: num(1), message: 'One more thing', department: 'Reception' });
  t.equal(again.status, 201);
  await colleague.next((f) => f.type === 'message' && f.data.content === 'One more thing');
  send(staff, { type: 'unsubscribe_conversation', conversation_id: conv });
  await staff.next((f) => f.type === 'acknowledgment' && f.status === 'unsubscribed');

  const seen = new Set<string>();
  const check = (who: string, frames: Frame[], allowed: readonly OutboundType[]) => fits(t, who, frames, allowed, seen);
  check('staff', staff.frames, SocketContracts.staff.outbound);
  check('colleague', colleague.frames, SocketContracts.staff.outbound);
  check('guest', guest.frames, SocketContracts.guest.outbound);
  for (const type of ['message', 'new_conversation', 'user_status', 'acknowledgment', 'typing', 'pong', 'error', 'conversation_update']) t.ok(seen.has(type), `saw ${type}`);
});

t.test('WhatsApp frames: a send_template acknowledgment and a failed reply\'s message_status with its reason', async (t) => {
  const u = `${process.pid.toString(36)}${num(9).slice(-6)}`;
  const h = await seedHotel(sql, {
    staff: [
      { username: `fr_wa_admin_${u}`, type: 'hotel_admin' },
      { username: `fr_wa_rec_${u}`, type: 'receptionist', departments: ['Reception'] },
    ],
    guests: [{ number: num(2), name: 'Wendy Window', room: '102' }],
  });
  const admin = client(app.base, h.staff[`fr_wa_admin_${u}`]!.token);
  const rec = h.staff[`fr_wa_rec_${u}`]!;
  const pnid = `7${Date.now() % 1e9}${Math.floor(Math.random() * 1e5)}`;
  const waba = `8${pnid}`;
  const ch = await admin.post('/api/channels/', { provider: 'whatsapp_cloud', external_id: pnid, waba_id: waba, app_secret: `secret-${u}`, verify_token: `verify-${u}`, access_token: `token-${u}` });
  t.equal(ch.status, 201, JSON.stringify(ch.body));
  graph.setTemplates(waba, [{ name: 'room_ready', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hello {{1}}, your room is ready.' }] }]);
  t.same((await admin.post('/api/whatsapp/templates/sync/', {})).body.results, [{ channel_id: ch.body.id, stored: 1, removed: 0 }]);
  const template = (await admin.get('/api/whatsapp/templates/')).body.results[0].id as number;
  // A conversation the staff opened: the guest never wrote, so the 24-hour window is closed.
  const created = await client(app.base, rec.token).post('/api/chat/conversations/create/', { guest_whatsapp_number: num(2), department_type: 'Reception' });
  t.equal(created.status, 201);
  const conv = created.body.conversation_id as number;

  const staff = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(rec.token)}`);
  t.teardown(() => staff.close());
  staff.send({ type: 'subscribe_conversation', conversation_id: conv });
  await staff.next((f) => f.type === 'acknowledgment' && f.status === 'subscribed');
  staff.send({ type: 'send_template', conversation_id: conv, template_id: template, parameters: ['Wendy'] });
  const ack = await staff.next((f) => f.type === 'acknowledgment' && f.template_id === template);
  t.equal(ack.status, 'received');
  staff.send({ type: 'text', conversation_id: conv, content: 'A free-form reply, too late' });
  const textAck = await staff.next((f) => f.type === 'acknowledgment' && f.status === 'received' && f.message_type === 'text' && f.template_id === undefined);
  const failed = await staff.next((f) => f.type === 'message_status' && f.data.message_id === textAck.message_id && f.data.status === 'failed');
  t.match(failed.data.error, /^outside_24h_window/, 'the reason is in the frame');
  staff.send({ type: 'send_template', conversation_id: conv, template_id: template, parameters: [] });
  await staff.next((f) => f.type === 'error' && f.conversation_id === conv);

  const seen = fits(t, 'staff', staff.frames, SocketContracts.staff.outbound);
  for (const type of ['acknowledgment', 'message', 'message_status', 'error']) t.ok(seen.has(type), `saw ${type}`);
});
