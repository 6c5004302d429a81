// The seed README's REST examples end to end, with every field the dashboard reads.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { connect } from '../helpers/db.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { client } from '../helpers/http.js';

const app = await startApp(t);
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const guestNumber = num(1);
const hotel = await seedHotel(sql, {
  staff: [
    { username: 'rita', type: 'receptionist', departments: ['Reception'], first: 'Rita', last: 'Desk' },
    { username: 'hank', type: 'department_staff', departments: ['Housekeeping'] },
    { username: 'mona', type: 'manager', departments: ['Management'] },
  ],
  guests: [
    { number: guestNumber, name: 'John Doe', room: '101' },
    { number: num(2), name: 'Pending Guest', status: 'pending_checkin' },
    { number: num(3), name: 'No Stay Guest', room: '201' },
  ],
});
const rita = client(app.base, hotel.staff['rita']!.token);
const hank = client(app.base, hotel.staff['hank']!.token);
const mona = client(app.base, hotel.staff['mona']!.token);

let conversationId = 0;

t.test('guest webhook (seed body) creates a service conversation and stores the message', async (t) => {
  const r = await webhook(app.base, {
    whatsapp_number: guestNumber.replace('+', ''),
    message: 'Hello, I need assistance',
    message_type: 'text',
    department: 'Reception',
  });
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.match(r.body, { message: 'Webhook processed successfully', seq: 1, department: 'Reception', conversation_type: 'service', conversation_created: true });
  t.type(r.body.message_id, 'number');
  t.type(r.body.conversation_id, 'number');
  conversationId = r.body.conversation_id;

  const again = await webhook(app.base, { whatsapp_number: guestNumber, message: 'Are you there?', department: 'reception' });
  t.equal(again.status, 201);
  t.equal(again.body.conversation_id, conversationId, 'the active conversation is reused');
  t.equal(again.body.seq, 2);
  t.equal(again.body.conversation_created, false);

  const explicit = await webhook(app.base, { whatsapp_number: guestNumber, message: 'Third', conversation_id: conversationId });
  t.equal(explicit.status, 201);
  t.equal(explicit.body.seq, 3);
});

t.test('webhook refusals', async (t) => {
  t.equal((await webhook(app.base, { whatsapp_number: guestNumber, message: 'x', department: 'Reception' }, { signature: null })).status, 401, 'unsigned');
  t.equal((await webhook(app.base, { whatsapp_number: guestNumber, message: 'x', department: 'Reception' }, { secret: 'wrong-secret' })).status, 401, 'bad signature');
  const unknown = await webhook(app.base, { whatsapp_number: '+15559999999', message: 'x', department: 'Reception' });
  t.equal(unknown.status, 404, 'unknown guest');
  t.match(unknown.body, { error: /Guest not found/ });
  const noNumber = await webhook(app.base, { message: 'x', department: 'Reception' });
  t.equal(noNumber.status, 400);
  t.ok(noNumber.body.details.fields.whatsapp_number, 'names the missing field');
  const noMessage = await webhook(app.base, { whatsapp_number: guestNumber, department: 'Reception' });
  t.equal(noMessage.status, 400);
  t.ok(noMessage.body.details.fields.message);
  const badDept = await webhook(app.base, { whatsapp_number: guestNumber, message: 'x', department: 'Spa' });
  t.equal(badDept.status, 400);
  t.ok(badDept.body.details.fields.department);
  const media = await webhook(app.base, { whatsapp_number: guestNumber, message: '', message_type: 'image', department: 'Reception' });
  t.equal(media.status, 400, 'media without a URL or id');
  const extra = await webhook(app.base, { whatsapp_number: guestNumber, message: 'x', department: 'Reception', foo: 1 });
  t.equal(extra.status, 400);
  t.equal(extra.body.details.fields.foo, 'is not a known field');
  const n = (await sql<{ n: number }[]>`select count(*)::int as n from messages`)[0]!.n;
  t.equal(n, 3, 'nothing stored by refused webhooks');
});

t.test('conversation types follow guest status; non-service types are not listed by default', async (t) => {
  const pending = await webhook(app.base, { whatsapp_number: num(2), message: 'checking in', department: 'Reception' });
  t.equal(pending.status, 201);
  t.equal(pending.body.conversation_type, 'checkin');
  const list = await rita.get('/api/chat/conversations/');
  t.notOk(list.body.results.some((c: { id: number }) => c.id === pending.body.conversation_id), 'checkin conversations stay out of the list');
});

t.test('GET /api/chat/conversations/ returns a page with everything the dashboard reads', async (t) => {
  const r = await rita.get('/api/chat/conversations/');
  t.equal(r.status, 200);
  t.match(r.body, { count: Number, next: null, previous: null, results: Array });
  const c = r.body.results.find((x: { id: number }) => x.id === conversationId);
  t.ok(c, 'the conversation is listed');
  t.match(c, {
    id: conversationId,
    guest: Number,
    hotel: hotel.hotelId,
    department: 'Reception',
    conversation_type: 'service',
    status: 'active',
    guest_info: { id: Number, full_name: 'John Doe', email: String, whatsapp_number: guestNumber, room_number: '101', floor: 1 },
    hotel_name: String,
    unread_count: 3,
    last_message_preview: 'Third',
    last_message: { content: 'Third', time_ago: 'Just now', sender_type: 'guest', is_read: false },
  });
  t.match(c.last_message_at, /^\d{4}-\d\d-\d\dT.*Z$/, 'ISO time with a zone');
  t.equal(typeof c.id, 'number');
  t.equal((await hank.get('/api/chat/conversations/')).body.count, 0, 'other departments see nothing');
  const manager = await mona.get('/api/chat/conversations/');
  t.ok(manager.body.results.some((x: { id: number }) => x.id === conversationId), 'managers see every department');
  t.equal((await client(app.base).get('/api/chat/conversations/')).status, 401);
});

t.test('GET /api/chat/conversations/<id> with and without the slash, oldest first, seq paging', async (t) => {
  for (const path of [`/api/chat/conversations/${conversationId}`, `/api/chat/conversations/${conversationId}/`]) {
    const r = await rita.get(path);
    t.equal(r.status, 200, path);
    t.same(r.body.messages.map((m: { seq: number }) => m.seq), [1, 2, 3]);
    t.equal(r.body.conversation.id, conversationId);
    const m = r.body.messages[0];
    t.match(m, {
      id: Number,
      conversation: conversationId,
      seq: 1,
      sender_type: 'guest',
      sender: null,
      sender_name: 'John',
      message_type: 'text',
      content: 'Hello, I need assistance',
      media_url: null,
      media_filename: null,
      is_read: false,
      read_at: null,
      time_ago: 'Just now',
      guest_info: { id: Number, name: 'John Doe', whatsapp_number: guestNumber, room_number: '101' },
    });
  }
  const page = await rita.get(`/api/chat/conversations/${conversationId}/?before_seq=3&limit=1`);
  t.same(page.body.messages.map((m: { seq: number }) => m.seq), [2]);
  const since = await rita.get(`/api/chat/conversations/${conversationId}/?since_seq=1`);
  t.same(since.body.messages.map((m: { seq: number }) => m.seq), [2, 3]);
  t.equal((await hank.get(`/api/chat/conversations/${conversationId}`)).status, 403, 'other department');
  t.equal((await rita.get('/api/chat/conversations/999999')).status, 404);
  t.equal((await rita.get('/api/chat/conversations/abc')).status, 404);
  t.equal((await rita.get(`/api/chat/conversations/${conversationId}?bogus=1`)).status, 400);
});

t.test('mark-read marks exactly the given messages, per staff member', async (t) => {
  const detail = await rita.get(`/api/chat/conversations/${conversationId}`);
  const [first, , third] = detail.body.messages as Array<{ id: number }>;
  const r = await rita.post('/api/chat/messages/mark-read/', { conversation_id: conversationId, message_ids: [first!.id, third!.id] });
  t.equal(r.status, 200);
  t.match(r.body, { message: 'Messages marked as read successfully', conversation_id: conversationId, messages_marked_read: 2 });
  const after = await rita.get(`/api/chat/conversations/${conversationId}`);
  t.same(after.body.messages.map((m: { is_read: boolean }) => m.is_read), [true, false, true], 'only the listed messages');
  t.equal(after.body.conversation.unread_count, 1);
  const forManager = await mona.get('/api/chat/conversations/');
  t.equal(forManager.body.results.find((c: { id: number }) => c.id === conversationId).unread_count, 3, 'read state is per staff member');
  const all = await rita.post('/api/chat/messages/mark-read/', { conversation_id: conversationId });
  t.equal(all.status, 200);
  t.equal((await rita.get('/api/chat/conversations/')).body.results.find((c: { id: number }) => c.id === conversationId).unread_count, 0);
  const foreign = await rita.post('/api/chat/messages/mark-read/', { conversation_id: conversationId, message_ids: [987654] });
  t.equal(foreign.status, 400, 'ids of other conversations are refused');
  t.equal((await hank.post('/api/chat/messages/mark-read/', { conversation_id: conversationId })).status, 403);
  t.equal((await rita.post('/api/chat/messages/mark-read/', {})).status, 400);
});

t.test('typing endpoint', async (t) => {
  const r = await rita.post('/api/chat/messages/typing/', { conversation_id: conversationId, is_typing: true });
  t.equal(r.status, 200);
  t.match(r.body, { success: true, conversation_id: conversationId, is_typing: true });
  t.equal((await rita.post('/api/chat/messages/typing/', { conversation_id: conversationId })).status, 400, 'is_typing is required');
  t.equal((await hank.post('/api/chat/messages/typing/', { conversation_id: conversationId, is_typing: true })).status, 403);
});

t.test('create conversation: 201, then 409 with the existing id', async (t) => {
  const created = await mona.post('/api/chat/conversations/create/', { guest_whatsapp_number: num(3), department_type: 'Room Service' });
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.match(created.body, { message: 'Conversation created successfully', conversation_id: Number, guest_name: 'No Stay Guest', department: 'Room Service' });
  const again = await mona.post('/api/chat/conversations/create/', { guest_whatsapp_number: num(3), department_type: 'room_service' });
  t.equal(again.status, 409);
  t.equal(again.body.details.conversation_id, created.body.conversation_id);
  const list = await mona.get('/api/chat/conversations/');
  const c = list.body.results.find((x: { id: number }) => x.id === created.body.conversation_id);
  t.ok(c.last_message, 'a created conversation already has a last_message');
  t.equal((await mona.post('/api/chat/conversations/create/', { guest_whatsapp_number: '+15559999999', department_type: 'Reception' })).status, 400);
  t.equal((await mona.post('/api/chat/conversations/create/', { guest_whatsapp_number: num(3), department_type: 'Café' })).status, 400);
  const wrongDept = await rita.post('/api/chat/conversations/create/', { guest_whatsapp_number: num(3), department_type: 'Housekeeping' });
  t.equal(wrongDept.status, 403, 'staff create only in their departments');
});

t.test('close conversation', async (t) => {
  t.equal((await hank.post('/api/chat/conversations/close/', { conversation_id: conversationId })).status, 403);
  const r = await rita.post('/api/chat/conversations/close/', { conversation_id: conversationId });
  t.equal(r.status, 200);
  t.match(r.body, { message: 'Conversation closed successfully', conversation_id: conversationId, status: 'closed' });
  t.equal((await rita.get(`/api/chat/conversations/${conversationId}`)).body.conversation.status, 'closed', 'closed conversations stay readable');
  const next = await webhook(app.base, { whatsapp_number: guestNumber, message: 'new topic', department: 'Reception' });
  t.equal(next.status, 201);
  t.not(next.body.conversation_id, conversationId, 'a message after closing opens a new conversation');
  t.equal(next.body.conversation_created, true);
  const toClosed = await webhook(app.base, { whatsapp_number: guestNumber, message: 'late', conversation_id: conversationId });
  t.equal(toClosed.status, 404, 'no messages into a closed conversation');
});
