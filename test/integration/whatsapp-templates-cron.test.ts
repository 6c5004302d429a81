// The scheduled template sync: every active channel's Business Account is read on
// WHATSAPP_TEMPLATE_SYNC_SCHEDULE (one node per tick) and its templates stored for the hotel;
// a channel whose token Meta refuses is reported and does not stop the others.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { seedHotel } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { until } from '../helpers/cluster.js';
import { GRAPH_ERRORS, startFakeGraph } from '../helpers/fake-graph.js';

const graph = await startFakeGraph(t);
const app = await startApp(t, { env: { WHATSAPP_API_URL: graph.url, CRON_ENABLED: 'true', WHATSAPP_TEMPLATE_SYNC_SCHEDULE: '*/1 * * * * *' } });
const sql = connect(t, app.databaseUrl);
const h = await seedHotel(sql, { staff: [], guests: [] });
const uniq = `${Date.now() % 1e9}${Math.floor(Math.random() * 1e5)}`;
// Both channels in one statement, so every tick of the per-second schedule sees both or neither;
// the refused one first, since a tick syncs channels one after another in id order: once the good
// one's templates are stored, that tick has already asked (and been refused for) the other.
const row = (n: number) => ({
  hotel_id: h.hotelId,
  provider: 'whatsapp_cloud',
  external_id: `${uniq}${n}`,
  waba_id: `7${uniq}${n}`,
  app_secret: 'app-secret-1',
  verify_token: `verify-${uniq}${n}`,
  access_token: `token-${uniq}${n}`,
});
const ids = await sql<{ id: number; external_id: string }[]>`insert into channels ${sql([row(2), row(1)])} returning id, external_id`;
const idOf = (n: number) => ids.find((r) => r.external_id === `${uniq}${n}`)!.id;
const good = idOf(1);
const refused = idOf(2);
if (refused > good) throw new Error('the refused channel must sync first');
graph.setTemplates(`7${uniq}1`, [{ name: 'checkout_soon', language: 'en', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hi {{1}}' }] }]);
graph.failNext(new RegExp(`^/7${uniq}2/message_templates$`), GRAPH_ERRORS.invalidToken, 1000);

t.test('the schedule syncs every channel; one refused account does not stop the others', async (t) => {
  await until(async () => (await sql`select 1 from whatsapp_templates where channel_id = ${good} and name = 'checkout_soon'`).length === 1, 'the scheduled sync', 20_000);
  const [row] = await sql<{ hotel_id: string; param_count: number; status: string }[]>`select hotel_id, param_count, status from whatsapp_templates where channel_id = ${good}`;
  t.match(row, { hotel_id: h.hotelId, param_count: 1, status: 'APPROVED' });
  t.ok(graph.requests.some((r) => r.path === `/7${uniq}2/message_templates`), 'the refused account was asked too');
  t.equal((await sql`select 1 from whatsapp_templates where channel_id = ${refused}`).length, 0);
  t.ok((await sql`select 1 from cron_runs where key like 'sync-whatsapp-templates%'`).length >= 1, 'the tick was claimed through the cluster cron lock');
});
