// Real responses of the template and WhatsApp webhook routes against the reply schemas their
// RouteDocs declare (what /openapi.json publishes): a hotel connects a whatsapp_cloud channel
// through the API, syncs templates from the fake Graph API, sends one, manages the dashboard's
// global and custom templates (JSON and multipart), and Meta calls the webhook. Schemas are
// closed, so a presenter that adds, drops or retypes a field fails here.
import t, { type Test } from 'tap';
import type { TSchema } from 'typebox';
import type { ReplyDoc } from '../../src/protocol/contract.js';
import { ErrorReply } from '../../src/protocol/rest/replies.js';
import { problems } from '../../src/protocol/validate.js';
import { routeTable } from '../../scripts/gen-api-docs.js';
import { createGuest, createRoom, expectStatus, staffedHotel, startDirectory, uniq, type Api } from '../helpers/directory-fixtures.js';
import { GRAPH_ERRORS, startFakeGraph } from '../helpers/fake-graph.js';
import { request, type HttpResult } from '../helpers/http.js';
import { delivery, postDelivery, text } from '../helpers/meta-webhook.js';

const table = routeTable();

function declared(method: string, template: string, status: number): TSchema | ReplyDoc | undefined {
  const route = table.find((r) => r.method === method && r.path === template);
  if (!route?.doc) throw new Error(`no RouteDoc for ${method} ${template}`);
  return route.doc.responses[status];
}
const isReplyDoc = (v: TSchema | ReplyDoc): v is ReplyDoc => typeof (v as ReplyDoc).description === 'string' && !('type' in v) && !('anyOf' in v);

const routesChecked = new Set<string>();
/** `res` has the expected status, the route declares it, and the body fits the declared schema (or content type). */
function conforms(tt: Test, method: string, template: string, res: HttpResult, expected: number): HttpResult {
  tt.equal(res.status, expected, `${method} ${template} → ${expected} (${JSON.stringify(res.body).slice(0, 300)})`);
  const reply = declared(method, template, res.status);
  if (res.status < 400 || reply) tt.ok(reply, `${method} ${template} declares ${res.status}`);
  const schema = res.status >= 400 ? ErrorReply : reply && (isReplyDoc(reply) ? reply.schema : reply);
  if (schema) tt.same(problems(schema, res.body, 'response'), {}, `${method} ${template} ${res.status} fits its schema`);
  else if (reply && isReplyDoc(reply) && reply.contentType) tt.match(res.headers.get('content-type'), new RegExp(`^${reply.contentType}`), `${method} ${template} ${res.status} is ${reply.contentType}`);
  if (res.status < 300) routesChecked.add(`${method} ${template}`);
  return res;
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1]);

t.test('template and WhatsApp webhook responses match their declared schemas', async (t) => {
  const graph = await startFakeGraph(t);
  const w = await startDirectory(t, { WHATSAPP_API_URL: graph.url, JOB_BACKOFF_MS: '50' });
  const H = await staffedHotel(w, 'wacontract');
  const admin = w.as(H.staff.hotel_admin);
  const desk = w.as(H.staff.receptionist);
  const root = w.adminApi;
  type Verb = 'get' | 'post' | 'put' | 'patch' | 'del';
  const call = async (api: Api, verb: Verb, template: string, path: string, expected: number, body?: unknown) => {
    const res = verb === 'get' || verb === 'del' ? await api[verb](path) : await api[verb](path, body);
    return conforms(t, verb === 'del' ? 'DELETE' : verb.toUpperCase(), template, res, expected);
  };
  /** A multipart request as the dashboard's template page sends it. */
  const form = async (token: string, method: 'POST' | 'PUT' | 'PATCH', template: string, path: string, expected: number, fields: Record<string, string>, file?: { field: string; name: string }) => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    if (file) fd.append(file.field, new Blob([PNG], { type: 'image/png' }), file.name);
    const res = await fetch(w.app.base + path, { method, headers: { authorization: `Bearer ${token}` }, body: fd });
    const raw = await res.text();
    return conforms(t, method, template, { status: res.status, body: raw ? JSON.parse(raw) : null, headers: res.headers }, expected);
  };

  // ───── a whatsapp_cloud channel, through the API ─────
  const pnid = `5${Date.now() % 1e9}${Math.floor(Math.random() * 1e5)}`;
  const waba = `6${pnid}`;
  const secret = uniq('app-secret-');
  const verify = uniq('verify-');
  const ch = await call(admin, 'post', '/api/channels', '/api/channels/', 201, {
    provider: 'whatsapp_cloud', external_id: pnid, waba_id: waba, app_secret: secret, verify_token: verify, access_token: uniq('token-'),
  });
  t.match(ch.body, { waba_id: waba, has_app_secret: true, has_verify_token: true, has_access_token: true });
  await call(admin, 'get', '/api/channels/:id', `/api/channels/${ch.body.id}/`, 200);
  await call(admin, 'patch', '/api/channels/:id', `/api/channels/${ch.body.id}/`, 200, { display_phone_number: '+15550002222' });
  await call(admin, 'get', '/api/channels', '/api/channels/?provider=whatsapp_cloud', 200);

  // ───── Meta's webhook ─────
  const hs = await request(w.app.base, 'GET', `/api/webhooks/whatsapp/?hub.mode=subscribe&hub.verify_token=${verify}&hub.challenge=challenge-${pnid}`);
  conforms(t, 'GET', '/api/webhooks/whatsapp', hs, 200);
  t.equal(hs.body, `challenge-${pnid}`, 'the challenge comes back as the body');
  conforms(t, 'GET', '/api/webhooks/whatsapp', await request(w.app.base, 'GET', '/api/webhooks/whatsapp/?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1'), 403);
  conforms(t, 'GET', '/api/webhooks/whatsapp', await request(w.app.base, 'GET', '/api/webhooks/whatsapp/?hub.mode=subscribe'), 400);
  const guestNumber = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const accepted = conforms(t, 'POST', '/api/webhooks/whatsapp', await postDelivery(w.app.base, delivery([[{ phoneNumberId: pnid, messages: [text(guestNumber.slice(1), 'Hello from WhatsApp')] }]], waba), secret), 200);
  t.match(accepted.body, { status: 'accepted', messages: 1, statuses: 0, refused: 0 });
  conforms(t, 'POST', '/api/webhooks/whatsapp', await postDelivery(w.app.base, delivery([[{ phoneNumberId: pnid, messages: [] }]], waba), secret, 'sha256=00'), 401);
  conforms(t, 'POST', '/api/webhooks/whatsapp', await postDelivery(w.app.base, { object: 'whatsapp_business_account', entry: 'x' }, secret), 400);
  conforms(t, 'POST', '/api/webhooks/whatsapp', await postDelivery(w.app.base, delivery([[{ phoneNumberId: `9${pnid}`, messages: [text('15550009999', 'wrong number')] }]], waba), secret), 403);

  // ───── WhatsApp templates ─────
  graph.setTemplates(waba, [
    { name: 'room_ready', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'HEADER', format: 'TEXT', text: 'Hotel' }, { type: 'BODY', text: 'Hello {{1}}, room {{2}} is ready.' }] },
    { name: 'under_review', language: 'en_US', status: 'PENDING', category: 'MARKETING', components: [{ type: 'BODY', text: 'Soon' }] },
  ]);
  const synced = await call(admin, 'post', '/api/whatsapp/templates/sync', '/api/whatsapp/templates/sync/', 200, {});
  t.same(synced.body.results, [{ channel_id: ch.body.id, stored: 2, removed: 0 }]);
  graph.failNext(/message_templates/, GRAPH_ERRORS.invalidToken);
  const failed = await call(admin, 'post', '/api/whatsapp/templates/sync', '/api/whatsapp/templates/sync/', 200, { channel_id: ch.body.id });
  t.match(failed.body.results, [{ channel_id: ch.body.id, error: String }], 'a failed account is reported');
  await call(admin, 'post', '/api/whatsapp/templates/sync', '/api/whatsapp/templates/sync/', 400, { channel: 1 });
  await call(desk, 'post', '/api/whatsapp/templates/sync', '/api/whatsapp/templates/sync/', 403, {});
  const list = await call(desk, 'get', '/api/whatsapp/templates', '/api/whatsapp/templates/', 200);
  t.equal(list.body.count, 1, 'APPROVED by default');
  const tpl = list.body.results[0].id as number;
  await call(desk, 'get', '/api/whatsapp/templates', '/api/whatsapp/templates/?status=PENDING&page_size=5', 200);
  await call(desk, 'get', '/api/whatsapp/templates', '/api/whatsapp/templates/?status=MAYBE', 400);
  await call(desk, 'get', '/api/whatsapp/templates/:id', `/api/whatsapp/templates/${tpl}/`, 200);
  await call(desk, 'get', '/api/whatsapp/templates/:id', '/api/whatsapp/templates/999999999/', 404);

  // A reply as a template, in a conversation the staff opened.
  const guest = await createGuest(desk, { whatsapp_number: `+1556${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`, full_name: 'Tess Template' });
  const room = await createRoom(admin, { floor: 1 });
  const stay = expectStatus(await desk.post('/api/stays/', { guest_id: guest.id, room_id: room.id }), 201, 'stay');
  expectStatus(await desk.post(`/api/stays/${stay.body.id}/check-in/`, {}), 200, 'check-in');
  const conv = await call(desk, 'post', '/api/chat/conversations/create', '/api/chat/conversations/create/', 201, { guest_whatsapp_number: guest.whatsapp_number, department_type: 'Reception' });
  const sent = await call(desk, 'post', '/api/chat/send-template', '/api/chat/send-template/', 201, { conversation_id: conv.body.conversation_id, template_id: tpl, parameters: ['Tess', '101'] });
  t.equal(sent.body.content, 'Hello Tess, room 101 is ready.');
  await call(desk, 'post', '/api/chat/send-template', '/api/chat/send-template/', 400, { conversation_id: conv.body.conversation_id, template_id: tpl, parameters: ['Tess'] });

  // ───── the dashboard's templates: global ─────
  const globals = await call(desk, 'get', '/api/chat/templates', '/api/chat/templates/?page_size=3', 200);
  t.ok(globals.body.count > 0, 'the seeded global templates');
  await call(desk, 'get', '/api/chat/templates', '/api/chat/templates/?template_type=nope', 400);
  await call(desk, 'get', '/api/chat/templates/types', '/api/chat/templates/types/', 200);
  await call(desk, 'get', '/api/chat/templates/variables', '/api/chat/templates/variables/', 200);
  const g = await call(root, 'post', '/api/chat/templates', '/api/chat/templates/', 201, { name: uniq('Global '), template_type: 'general', text_content: 'Welcome to {{hotel_name}}, {{guest_name}}', variables: ['hotel_name', 'guest_name'] });
  await call(desk, 'post', '/api/chat/templates', '/api/chat/templates/', 403, { name: uniq('Nope '), text_content: 'x' });
  await call(root, 'get', '/api/chat/templates/:id', `/api/chat/templates/${g.body.id}/`, 200);
  await call(root, 'put', '/api/chat/templates/:id', `/api/chat/templates/${g.body.id}/`, 200, { name: uniq('Global '), text_content: 'Hi {{guest_name}}', template_type: 'greeting', is_customizable: true });
  await form(w.admin.access, 'PATCH', '/api/chat/templates/:id', `/api/chat/templates/${g.body.id}/`, 200, { description: 'with an image', is_active: 'true' }, { field: 'media_file', name: 'welcome.png' });
  await call(root, 'get', '/api/chat/templates/:id/preview', `/api/chat/templates/${g.body.id}/preview/`, 200);
  await call(root, 'del', '/api/chat/templates/:id', `/api/chat/templates/${g.body.id}/`, 204);
  await call(root, 'get', '/api/chat/templates/:id', `/api/chat/templates/${g.body.id}/`, 404);

  // ───── the dashboard's templates: the hotel's own ─────
  const upload = await form(H.staff.hotel_admin.access, 'POST', '/api/chat/upload-template-media', '/api/chat/upload-template-media/', 201, {}, { field: 'file', name: 'lobby.png' });
  await form(H.staff.hotel_admin.access, 'POST', '/api/chat/upload-template-media', '/api/chat/upload-template-media/', 400, {});
  const custom = await form(H.staff.hotel_admin.access, 'POST', '/api/chat/custom-templates', '/api/chat/custom-templates/', 201, {
    name: uniq('Custom '),
    template_type: 'checkin',
    category: 'checkin',
    text_content: 'Room {{room_number}} is ready, {{guest_name}}',
    variables: '["room_number","guest_name"]',
    is_active: 'true',
  }, { field: 'media_file', name: 'room.png' });
  t.ok(custom.body.media_url, 'the stored image has a link');
  const json = await call(admin, 'post', '/api/chat/custom-templates', '/api/chat/custom-templates/', 201, { name: uniq('Custom '), text_content: 'See you soon', template_type: 'farewell', media_url: upload.body.file_url, base_template: globals.body.results[0].id });
  await call(admin, 'post', '/api/chat/custom-templates', '/api/chat/custom-templates/', 400, { name: '', text_content: 'x' });
  await call(desk, 'get', '/api/chat/custom-templates', '/api/chat/custom-templates/?is_active=true', 200);
  await call(desk, 'get', '/api/chat/custom-templates/:id', `/api/chat/custom-templates/${custom.body.id}/`, 200);
  await call(admin, 'put', '/api/chat/custom-templates/:id', `/api/chat/custom-templates/${json.body.id}/`, 200, { name: uniq('Custom '), text_content: 'Goodbye {{guest_name}}', base_template: null });
  await form(H.staff.hotel_admin.access, 'PATCH', '/api/chat/custom-templates/:id', `/api/chat/custom-templates/${custom.body.id}/`, 200, { is_active: 'false', media_url: '' });
  await call(desk, 'get', '/api/chat/custom-templates/:id/preview', `/api/chat/custom-templates/${custom.body.id}/preview/`, 200);
  await call(admin, 'del', '/api/chat/custom-templates/:id', `/api/chat/custom-templates/${json.body.id}/`, 204);
  await call(admin, 'del', '/api/chat/custom-templates/:id', `/api/chat/custom-templates/${json.body.id}/`, 404);

  // Every template and WhatsApp webhook route answered with a success reply checked above.
  const mine = table.filter((r) => /^\/api\/(whatsapp|webhooks\/whatsapp|chat\/(send-template|templates|custom-templates|upload-template-media))/.test(r.path));
  const unchecked = mine.map((r) => `${r.method} ${r.path}`).filter((k) => !routesChecked.has(k));
  t.same(unchecked, [], 'every template and WhatsApp webhook route had a success reply checked');
  t.ok(mine.length >= 23, `${mine.length} routes`);
});
