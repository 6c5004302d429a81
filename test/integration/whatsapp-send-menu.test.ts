// The department menu job (what the inbound side enqueues for a checked-in guest without an
// active conversation): an interactive list from the named channel, rows `dept:<Department>`,
// against the fake Graph API; a job that cannot be sent ends at once (permanent).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { whatsappSendHandler } from '../../src/jobs/handlers/whatsapp-send.js';
import { PermanentJobError, type Job } from '../../src/jobs/queue.js';
import { SendPacers } from '../../src/jobs/whatsapp-senders.js';
import type { MediaSigner } from '../../src/media/signer.js';
import { createLogger } from '../../src/obs/log.js';
import { graphSend } from '../../src/providers/whatsapp.js';
import { freshDb } from '../helpers/db.js';
import { startFakeGraph } from '../helpers/fake-graph.js';

const graph = await startFakeGraph(t);
const { sql } = await freshDb(t);
const suffix = randomBytes(3).toString('hex');
const [hotel] = await sql<{ id: string }[]>`
  insert into hotels (name, address, city, country, phone, email, status)
  values (${`Menu ${suffix}`}, '1 St', 'Town', 'Land', '+15550000000', ${`menu-${suffix}@test.example`}, 'verified') returning id`;
const channel = async (pnid: string, active: boolean) =>
  (await sql<{ id: number }[]>`
    insert into channels (hotel_id, provider, external_id, waba_id, is_active, app_secret, verify_token, access_token)
    values (${hotel!.id}, 'whatsapp_cloud', ${pnid}, '123', ${active}, 'app-secret-1', ${`verify-${pnid}`}, ${`token-${pnid}`}) returning id`)[0]!.id;
const live = await channel(`55${suffix}1`, true);
const off = await channel(`55${suffix}2`, false);

const handler = whatsappSendHandler({
  sql,
  apiUrl: graph.url,
  legacy: null,
  delivery: { deliveryStatus: async () => true },
  send: (s, m) => graphSend(s, m),
  pacers: new SendPacers(80),
  signer: { url: () => 'http://unused.invalid/' } as unknown as MediaSigner,
  maxDeliveries: 3,
  log: createLogger({ level: 'silent', nodeId: 'test' }),
});
const job = (payload: Record<string, unknown>): Job<any> => ({ id: randomBytes(4).toString('hex'), kind: 'whatsapp.send', payload, deliveries: 1 });

t.test('the department menu is a list from the named channel, one row per department', async (t) => {
  await handler(job({ action: 'department_menu', channel_id: live, to: '+447700900123', departments: ['Reception', 'room service', 'Nope', 'Housekeeping', 'Reception'] }));
  const sent = graph.sends(`55${suffix}1`);
  t.equal(sent.length, 1);
  t.equal(sent[0]!.auth, `Bearer token-55${suffix}1`);
  t.match(sent[0]!.body, { messaging_product: 'whatsapp', to: '447700900123', type: 'interactive', interactive: { type: 'list', body: { text: String }, action: { button: 'Departments' } } });
  const rows = sent[0]!.body.interactive.action.sections[0].rows;
  t.same(rows.map((r: { id: string }) => r.id), ['dept:Reception', 'dept:Room Service', 'dept:Housekeeping'], 'canonical names, unknown ones and repeats left out');
  t.same(rows.map((r: { title: string }) => r.title), ['Reception', 'Room Service', 'Housekeeping']);
});

t.test('a menu that cannot be sent ends at once', async (t) => {
  const before = graph.requests.length;
  await t.rejects(handler(job({ action: 'department_menu', channel_id: off, to: '+447700900123', departments: ['Reception'] })), PermanentJobError, 'an inactive channel');
  await t.rejects(handler(job({ action: 'department_menu', channel_id: live, to: '+447700900123', departments: ['Nope'] })), PermanentJobError, 'no known department');
  await t.rejects(handler(job({ action: 'department_menu', channel_id: live, to: 'not a number', departments: ['Reception'] })), PermanentJobError, 'no recipient');
  await t.rejects(handler(job({ action: 'department_menu', to: '+447700900123', departments: ['Reception'] })), PermanentJobError, 'no channel');
  t.equal(graph.requests.length, before, 'nothing reached Meta');
});
