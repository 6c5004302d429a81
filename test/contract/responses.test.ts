// Issue 16 — real responses of a running node against the response schemas their routes declare
// (the RouteDocs behind /openapi.json): auth, directory, channels, chat and operations, success
// and error replies alike. Response schemas are closed, so a presenter that adds, drops or
// retypes a field fails here until the schema says so.
import t, { type Test } from 'tap';
import type { TSchema } from 'typebox';
import type { ReplyDoc } from '../../src/protocol/contract.js';
import { ErrorReply } from '../../src/protocol/rest/replies.js';
import { problems } from '../../src/protocol/validate.js';
import { routeTable } from '../../scripts/gen-api-docs.js';
import { sign } from '../helpers/chat-fixtures.js';
import { createRoom, phone, staffedHotel, startDirectory, uniq, type Api } from '../helpers/directory-fixtures.js';
import { request, type HttpResult } from '../helpers/http.js';

const table = routeTable();

function declared(method: string, template: string, status: number): TSchema | undefined {
  const route = table.find((r) => r.method === method && r.path === template);
  if (!route?.doc) throw new Error(`no RouteDoc for ${method} ${template}`);
  const reply = route.doc.responses[status] as TSchema | ReplyDoc | undefined;
  if (!reply) return undefined;
  return 'schema' in reply || typeof (reply as ReplyDoc).description === 'string' && !('type' in reply) ? (reply as ReplyDoc).schema : (reply as TSchema);
}

let checked = 0;
/** Asserts `res` is a reply `method template` declares, and that its body fits the declared schema. */
function conforms(tt: Test, method: string, template: string, res: HttpResult, expected: number): HttpResult {
  tt.equal(res.status, expected, `${method} ${template} → ${expected} (${JSON.stringify(res.body).slice(0, 300)})`);
  const schema = res.status >= 400 ? ErrorReply : declared(method, template, res.status);
  if (res.status < 400) tt.ok(schema || res.status === 204, `${method} ${template} declares ${res.status}`);
  if (schema) tt.same(problems(schema, res.body, 'response'), {}, `${method} ${template} ${res.status} fits its schema`);
  checked++;
  return res;
}

t.test('responses match their declared schemas', async (t) => {
  const w = await startDirectory(t);
  const H = await staffedHotel(w, 'contract');
  const admin = w.as(H.staff.hotel_admin);
  const reception = w.as(H.staff.receptionist);
  const c = (method: string, template: string, res: HttpResult, expected: number) => conforms(t, method, template, res, expected);
  const call = async (api: Api, method: 'get' | 'post' | 'patch' | 'del', template: string, path: string, expected: number, body?: unknown) => {
    const res = method === 'get' || method === 'del' ? await api[method](path) : await api[method](path, body);
    return c(method === 'del' ? 'DELETE' : method.toUpperCase(), template, res, expected);
  };

  // ───── auth ─────
  const login = c('POST', '/api/login', await request(w.app.base, 'POST', '/api/login/', { body: { username: H.staff.manager.username, password: H.staff.manager.password } }), 200);
  c('POST', '/api/login/refresh', await request(w.app.base, 'POST', '/api/login/refresh/', { body: { refresh: login.body.refresh } }), 200);
  c('POST', '/api/login', await request(w.app.base, 'POST', '/api/login/', { body: { username: 'nobody-here', password: 'wrong-password' } }), 401);
  c('POST', '/api/login', await request(w.app.base, 'POST', '/api/login/', { body: { username: 'x' } }), 400);

  // ───── hotels ─────
  await call(admin, 'get', '/api/hotels/:id', `/api/hotels/${H.id}/`, 200);
  await call(admin, 'patch', '/api/hotels/:id', `/api/hotels/${H.id}/`, 200, { google_review_link: 'https://g.page/r/x', breakfast_time: '07:30', breakfast_reminder: true });
  await call(admin, 'get', '/api/hotels', '/api/hotels/', 200);
  await call(w.adminApi, 'post', '/api/hotels', '/api/hotels/', 201, { name: uniq('Contract Hotel ') });

  // ───── users ─────
  await call(admin, 'get', '/api/users', '/api/users/?page_size=3', 200);
  const u = await call(admin, 'post', '/api/users', '/api/users/', 201, { username: uniq('cu'), email: `${uniq('cu')}@x.example`, password: 'long-enough-pw', user_type: 'department_staff', department: ['Housekeeping'] });
  await call(admin, 'get', '/api/users/:id', `/api/users/${u.body.id}/`, 200);
  await call(admin, 'patch', '/api/users/:id', `/api/users/${u.body.id}/`, 200, { is_active_hotel_user: true, first_name: 'Ann' });
  await call(admin, 'get', '/api/users/:id', '/api/users/999999999/', 404);

  // ───── rooms ─────
  const room = await call(admin, 'post', '/api/rooms', '/api/rooms/', 201, { room_number: uniq('R'), floor: 2 });
  await createRoom(admin, { floor: 4 });
  await call(admin, 'get', '/api/rooms', '/api/rooms/?floor=2&page=1&page_size=10&search=&status=', 200);
  await call(admin, 'get', '/api/rooms/floors', '/api/rooms/floors/', 200);
  await call(admin, 'get', '/api/rooms/:id', `/api/rooms/${room.body.id}/`, 200);
  await call(admin, 'patch', '/api/rooms/:id', `/api/rooms/${room.body.id}/`, 200, { status: 'cleaning' });
  await call(admin, 'get', '/api/rooms', '/api/rooms/?floor=x', 400);

  // ───── guests and stays ─────
  const guest = await call(reception, 'post', '/api/guests', '/api/guests/', 201, { whatsapp_number: phone(), full_name: 'Contract Guest' });
  await call(reception, 'get', '/api/guests', '/api/guests/', 200);
  await call(reception, 'get', '/api/guests/:id', `/api/guests/${guest.body.id}/`, 200);
  await call(reception, 'post', '/api/guests/:id/socket-token', `/api/guests/${guest.body.id}/socket-token/`, 201, {});
  const stay = await call(reception, 'post', '/api/stays', '/api/stays/', 201, { guest_id: guest.body.id, room_id: room.body.id });
  await call(reception, 'get', '/api/stays', '/api/stays/', 200);
  await call(reception, 'post', '/api/stays/:id/check-in', `/api/stays/${stay.body.id}/check-in/`, 200, {});
  await call(reception, 'get', '/api/stays/:id', `/api/stays/${stay.body.id}/`, 200);

  // ───── notifications ─────
  await call(reception, 'get', '/api/notifications', '/api/notifications/', 200);
  await call(reception, 'post', '/api/notifications/mark-all-read', '/api/notifications/mark-all-read/', 200, {});

  // ───── channels ─────
  const channelId = uniq('relay-');
  const ch = await call(admin, 'post', '/api/channels', '/api/channels/', 201, { provider: 'relay', external_id: channelId });
  await call(admin, 'get', '/api/channels', '/api/channels/', 200);
  await call(admin, 'get', '/api/channels/:id', `/api/channels/${ch.body.id}/`, 200);
  await call(admin, 'patch', '/api/channels/:id', `/api/channels/${ch.body.id}/`, 200, { display_phone_number: '+15550001111' });

  // ───── chat ─────
  const raw = JSON.stringify({ channel: channelId, whatsapp_number: guest.body.whatsapp_number, message: 'Towels please', department: 'Reception', provider_message_id: uniq('wamid.') });
  const hook = c('POST', '/api/chat/guest-webhook', await request(w.app.base, 'POST', '/api/chat/guest-webhook/', { raw, headers: { 'content-type': 'application/json', 'x-lobbybee-signature': sign(raw) } }), 201);
  const conv = hook.body.conversation_id as number;
  c('POST', '/api/chat/guest-webhook', await request(w.app.base, 'POST', '/api/chat/guest-webhook/', { raw, headers: { 'content-type': 'application/json', 'x-lobbybee-signature': 't=1,v1=00' } }), 401);
  await call(reception, 'get', '/api/chat/conversations', '/api/chat/conversations/', 200);
  await call(reception, 'get', '/api/chat/conversations/:id', `/api/chat/conversations/${conv}`, 200);
  await call(reception, 'post', '/api/chat/messages/mark-read', '/api/chat/messages/mark-read/', 200, { conversation_id: conv });
  await call(reception, 'post', '/api/chat/messages/typing', '/api/chat/messages/typing/', 200, { conversation_id: conv, is_typing: true });
  await call(reception, 'post', '/api/chat/conversations/close', '/api/chat/conversations/close/', 200, { conversation_id: conv });
  await call(reception, 'post', '/api/chat/conversations/reopen', '/api/chat/conversations/reopen/', 200, { conversation_id: conv });
  await call(reception, 'post', '/api/chat/conversations/create', '/api/chat/conversations/create/', 409, { guest_whatsapp_number: guest.body.whatsapp_number, department_type: 'Reception' });
  const second = await call(reception, 'post', '/api/guests', '/api/guests/', 201, { whatsapp_number: phone(), full_name: 'Second Guest' });
  const room2 = await createRoom(admin, { floor: 5 });
  const stay2 = await call(reception, 'post', '/api/stays', '/api/stays/', 201, { guest_id: second.body.id });
  await call(reception, 'post', '/api/stays/:id/check-in', `/api/stays/${stay2.body.id}/check-in/`, 200, { room_id: room2.id });
  await call(reception, 'post', '/api/chat/conversations/create', '/api/chat/conversations/create/', 201, { guest_whatsapp_number: second.body.whatsapp_number, department_type: 'Reception' });
  await call(reception, 'post', '/api/chat/conversations/create', '/api/chat/conversations/create/', 403, { guest_whatsapp_number: second.body.whatsapp_number, department_type: 'Housekeeping' });
  await call(reception, 'get', '/api/chat/conversations/:id', '/api/chat/conversations/abc', 404);
  const status = JSON.stringify({ provider_message_id: 'wamid.unknown', status: 'delivered' });
  c('POST', '/api/chat/provider-status', await request(w.app.base, 'POST', '/api/chat/provider-status/', { raw: status, headers: { 'content-type': 'application/json', 'x-lobbybee-signature': sign(status) } }), 200);

  // ───── operations, then the session's end ─────
  c('GET', '/healthz', await request(w.app.base, 'GET', '/healthz'), 200);
  c('GET', '/readyz', await request(w.app.base, 'GET', '/readyz'), 200);
  await call(reception, 'post', '/api/stays/:id/check-out', `/api/stays/${stay.body.id}/check-out/`, 200, {});
  await call(w.as(login.body.access), 'post', '/api/logout', '/api/logout/', 200, { refresh: (await request(w.app.base, 'POST', '/api/login/', { body: { username: H.staff.manager.username, password: H.staff.manager.password } })).body.refresh });
  await call(w.as(H.staff.other_staff), 'post', '/api/change-password', '/api/change-password/', 200, { old_password: H.staff.other_staff.password, new_password: 'another-long-pw' });
  await call(admin, 'del', '/api/users/:id', `/api/users/${u.body.id}/`, 204);
  await call(admin, 'del', '/api/channels/:id', `/api/channels/${ch.body.id}/`, 204);
  t.ok(checked >= 50, `${checked} responses checked`);
});
