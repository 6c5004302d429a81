// Two nodes on one NATS prefix and database: each node's stats heartbeat reaches the other over
// the bus, so either node's console lists both; a stopped node's row goes stale.
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { natsPrefix, startApp } from '../helpers/app.js';
import { seedHotel } from '../helpers/chat-fixtures.js';
import { client } from '../helpers/http.js';
import { createDb } from '../../src/store/db.js';
import { createLogger } from '../../src/obs/log.js';
import { TEST_NATS_URL } from '../helpers/env.js';


t.test('every node sees every node', async (t) => {
  const prefix = natsPrefix();
  const env = (id: string) => ({ NATS_URL: TEST_NATS_URL, NATS_PREFIX: prefix, NODE_ID: `${prefix}-${id}`, OPS_STATS_INTERVAL_MS: '500' });
  const a = await startApp(t, { env: env('a') });
  const b = await startApp(t, { env: env('b'), databaseUrl: a.databaseUrl });
  const sql = createDb({ url: a.databaseUrl, poolMax: 1, statementTimeoutMs: 15000, applicationName: 'console-cluster', log: createLogger({ level: 'silent', nodeId: 't' }) });
  t.teardown(() => sql.end({ timeout: 2 }));
  const h = await seedHotel(sql, { staff: [{ username: `cc_root_${prefix}`, type: 'platform_admin' }], guests: [] });
  const token = Object.values(h.staff)[0]!.token;
  for (const [name, node] of [['a', a], ['b', b]] as const) {
    const nodes = await waitFor(`both nodes in ${name}'s view`, async () => {
      const r = await client(node.base, token).get('/api/ops/overview');
      const ids = (r.body.nodes ?? []).map((n: any) => n.node);
      // Under load a heartbeat can come late (stale for a moment): wait for a fresh, ready pair.
      return ids.includes(`${prefix}-a`) && ids.includes(`${prefix}-b`) && r.body.nodes.every((n: any) => n.ready === 'ready' && !n.stale) && r.body.nodes;
    });
    t.equal(nodes.length, 2, `${name} lists both nodes, ready`);
  }
  await b.stop();
  const gone = await waitFor('b to go stale in a’s view', async () => {
    const r = await client(a.base, token).get('/api/ops/overview');
    return r.body.nodes.find((n: any) => n.node === `${prefix}-b` && n.stale);
  });
  t.ok(gone, 'a stopped node shows as stale');
});
