// The operator console's real replies against the schemas its routes declare (the RouteDocs
// behind /openapi.json): every /api/ops route called by a platform administrator, a few error
// replies, and the static console routes' statuses, content types and named headers. The reply
// schemas are closed, so a field added to src/ops/console.ts or the cluster view fails here
// until src/protocol/rest/ops-replies.ts says so.
import { existsSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { waitFor } from '../helpers/wait.js';
import type { TSchema } from 'typebox';
import type { ReplyDoc } from '../../src/protocol/contract.js';
import { ErrorReply } from '../../src/protocol/rest/replies.js';
import { problems } from '../../src/protocol/validate.js';
import { createLogger } from '../../src/obs/log.js';
import { createDb } from '../../src/store/db.js';
import { CONSOLE_ASSETS } from '../../src/transport/routes/console.js';
import { routeTable } from '../../scripts/gen-api-docs.js';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel } from '../helpers/chat-fixtures.js';
import { client, type HttpResult } from '../helpers/http.js';

const table = routeTable();

function declared(method: string, template: string, status: number): TSchema | ReplyDoc | undefined {
  const route = table.find((r) => r.method === method && r.path === template);
  if (!route?.doc) throw new Error(`no RouteDoc for ${method} ${template}`);
  return route.doc.responses[status] as TSchema | ReplyDoc | undefined;
}

const isReplyDoc = (v: TSchema | ReplyDoc): v is ReplyDoc => typeof (v as ReplyDoc).description === 'string' && !('type' in v || 'anyOf' in v);


let checked = 0;
/** Asserts `res` has the expected status, that the route declares it, and that its JSON body fits the declared schema. */
function conforms(tt: Test, method: string, template: string, res: HttpResult, expected: number): HttpResult {
  tt.equal(res.status, expected, `${method} ${template} → ${expected} (${JSON.stringify(res.body).slice(0, 300)})`);
  const reply = res.status >= 400 ? ErrorReply : declared(method, template, res.status);
  tt.ok(reply, `${method} ${template} declares ${res.status}`);
  const schema = reply && (isReplyDoc(reply) ? reply.schema : reply);
  tt.ok(schema, `${method} ${template} ${res.status} has a body schema`);
  if (schema) tt.same(problems(schema, res.body, 'response'), {}, `${method} ${template} ${res.status} fits its schema`);
  checked++;
  return res;
}

/** A non-JSON reply: declared status, its content type (unless declared generic) and the headers it names. */
async function conformsRaw(tt: Test, template: string, url: string, expected: number): Promise<void> {
  const res = await fetch(url, { redirect: 'manual' });
  const body = await res.arrayBuffer();
  tt.equal(res.status, expected, `GET ${url} → ${expected}`);
  const reply = declared('GET', template, res.status);
  tt.ok(reply && isReplyDoc(reply), `GET ${template} declares ${res.status} as a described reply`);
  if (!reply || !isReplyDoc(reply)) return;
  if (reply.contentType && reply.contentType !== 'application/octet-stream') tt.match(res.headers.get('content-type') ?? '', reply.contentType, `GET ${template} ${res.status} is ${reply.contentType}`);
  if (reply.contentType) tt.ok(body.byteLength > 0, `GET ${template} ${res.status} has content`);
  for (const h of Object.keys(reply.headers ?? {})) tt.ok(res.headers.get(h), `GET ${template} ${res.status} sends ${h}`);
  if (reply.headers?.['location']) tt.equal(res.headers.get('location'), reply.headers['location'], `GET ${template} leads to ${reply.headers['location']}`);
  checked++;
}

t.test('console replies match their declared schemas', async (t) => {
  const app = await startApp(t, { env: { OPS_STATS_INTERVAL_MS: '250' } });
  const sql = createDb({ url: app.databaseUrl, poolMax: 2, statementTimeoutMs: 15000, applicationName: 'console-contract', log: createLogger({ level: 'silent', nodeId: 't' }) });
  t.teardown(() => sql.end({ timeout: 2 }));
  const num = numberFactory();
  const guestNumber = num(1);
  const h = await seedHotel(sql, {
    staff: [
      { username: `cc_admin_${num(1).slice(-7)}`, type: 'hotel_admin' },
      { username: `cc_rec_${num(1).slice(-7)}`, type: 'receptionist', departments: ['Reception'] },
      { username: `cc_root_${num(1).slice(-7)}`, type: 'platform_admin' },
    ],
    guests: [{ number: guestNumber, name: 'Contract Guest', room: '101' }],
  });
  const [, reception, root] = Object.values(h.staff).map((s) => client(app.base, s.token));
  const c = (method: string, template: string, res: HttpResult, expected: number) => conforms(t, method, template, res, expected);
  const guest = h.guests[guestNumber]!;

  // Two open dead letters of this hotel, as the job queue records them (a webhook of a number no guest has).
  const deadLetter = async () => {
    const payload = { hotel_id: h.hotelId, channel: h.channel, whatsapp_number: num(9), message: 'nobody here', department: 'Reception', provider_message_id: `dl-${num(9)}` };
    const [row] = await sql<{ id: number }[]>`
      insert into job_dead_letters (kind, job_id, payload, deliveries, reason)
      values ('inbound.webhook', ${payload.provider_message_id}, ${sql.json(payload)}, 2, 'permanent: no such guest') returning id::int as id`;
    return row!.id;
  };
  const toRetry = await deadLetter();
  const toDiscard = await deadLetter();

  // ───── simulator (sync webhook mode: the message is stored before the reply) ─────
  const guests = c('GET', '/api/ops/simulator/guests', await root!.get('/api/ops/simulator/guests/'), 200);
  t.ok(guests.body.guests.some((g: any) => g.guest_id === guest.id && g.channel === h.channel), 'the seeded guest is offered');
  const sent = c('POST', '/api/ops/simulator/send', await root!.post('/api/ops/simulator/send/', { guest_id: guest.id, message: 'towels please', department: 'Reception' }), 202);
  t.equal(sent.body.mode, 'sync', 'the sync variant');
  const conv = sent.body.conversation_id as number;
  const reply = c('POST', '/api/ops/simulator/reply', await root!.post('/api/ops/simulator/reply/', { conversation_id: conv, message: 'on the way' }), 201);
  t.equal(reply.body.message.content, 'on the way', 'the stored reply is returned');
  const thread = c('GET', '/api/ops/simulator/guests/:id/thread', await root!.get(`/api/ops/simulator/guests/${guest.id}/thread`), 200);
  t.ok(thread.body.conversations.some((x: any) => x.conversation.id === conv && x.events.length >= 2), 'the thread holds both messages');

  // ───── conversations and hotels ─────
  const events = c('GET', '/api/ops/conversations/:id', await root!.get(`/api/ops/conversations/${conv}?limit=10`), 200);
  t.ok(events.body.events.some((e: any) => e.sender_type === 'staff' && e.delivery_status !== undefined), 'staff reply listed');
  const hotels = c('GET', '/api/ops/hotels', await root!.get('/api/ops/hotels/'), 200);
  t.ok(hotels.body.hotels.some((x: any) => x.hotel_id === h.hotelId && x.departments.Reception?.active_conversations >= 1), 'the hotel with its active conversation');

  // ───── dead letters ─────
  const list = c('GET', '/api/ops/dead-letters', await root!.get('/api/ops/dead-letters/?limit=200'), 200);
  t.ok(list.body.dead_letters.some((d: any) => d.id === toRetry && d.hotel_id === h.hotelId && typeof d.payload === 'object'), 'the dead letter is listed');
  c('POST', '/api/ops/dead-letters/:id/retry', await root!.post(`/api/ops/dead-letters/${toRetry}/retry/`), 200);
  c('POST', '/api/ops/dead-letters/:id/discard', await root!.post(`/api/ops/dead-letters/${toDiscard}/discard/`, {}), 200);

  // ───── overview: wait for this node's heartbeats, traffic between two of them and a job kind ─────
  const overview = await waitFor('the cluster view', async () => {
    const r = await root!.get('/api/ops/overview');
    return r.status === 200 && r.body.nodes?.some((n: any) => n.node === app.config.nodeId) && r.body.traffic?.length > 0 && r.body.jobs?.length > 0 && r;
  });
  c('GET', '/api/ops/overview', overview, 200);
  t.equal(overview.body.scope, 'platform');

  // ───── error replies ─────
  c('GET', '/api/ops/conversations/:id', await root!.get('/api/ops/conversations/999999999999'), 404);
  c('POST', '/api/ops/dead-letters/:id/retry', await root!.post(`/api/ops/dead-letters/${toRetry}/retry`), 404);
  c('POST', '/api/ops/dead-letters/:id/discard', await root!.post('/api/ops/dead-letters/abc/discard', {}), 400);
  c('POST', '/api/ops/dead-letters/:id/discard', await root!.post(`/api/ops/dead-letters/${toDiscard}/discard`, { extra: 1 }), 400);
  c('GET', '/api/ops/dead-letters', await root!.get('/api/ops/dead-letters?limit=0'), 400);
  c('GET', '/api/ops/overview', await reception!.get('/api/ops/overview'), 403);
  c('POST', '/api/ops/simulator/send', await root!.post('/api/ops/simulator/send', { guest_id: guest.id }), 400);

  // ───── the console page and its files ─────
  await conformsRaw(t, '/', `${app.base}/`, 302);
  await conformsRaw(t, '/console', `${app.base}/console`, 301);
  const built = existsSync(path.join(CONSOLE_ASSETS, 'index.html'));
  if (built) {
    await conformsRaw(t, '/console', `${app.base}/console/`, 200);
    await conformsRaw(t, '/console/*', `${app.base}/console/app.js`, 200);
  } else {
    c('GET', '/console', await root!.get('/console/'), 404);
  }
  c('GET', '/console/*', await root!.get('/console/nope.js'), 404);

  t.ok(checked >= 22, `${checked} responses checked`);
});
