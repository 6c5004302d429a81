// Postgres or NATS down: the node starts anyway and keeps serving. Without Postgres /readyz is 503
// (nothing works); without NATS it is 200 "degraded" with the capabilities lost (sync webhooks and
// same-node delivery still work), so a broker outage does not take every node out of the load
// balancer. It stops cleanly and becomes ready once the dependency appears.
import net from 'node:net';
import t, { type Test } from 'tap';
import { run, type RunningApp } from '../../src/app/run.js';
import { loadConfig } from '../../src/config/load.js';
import { natsPrefix, testEnv } from '../helpers/app.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { TEST_NATS_URL } from '../helpers/env.js';
import { request } from '../helpers/http.js';
import { startNats, until } from '../helpers/cluster.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { WsClient, type Frame } from '../helpers/ws.js';

const CLOSED_PG = 'postgres://postgres@127.0.0.1:1/none';
const CLOSED_NATS = 'nats://127.0.0.1:1';

/** Starts a node without waiting for ready(): its dependencies may be unreachable. */
async function startNode(t: Test, env: Record<string, string>): Promise<RunningApp & { base: string }> {
  const app = await run(loadConfig(testEnv(env)));
  t.teardown(() => app.stop());
  return { ...app, base: `http://127.0.0.1:${app.port}` };
}

const readyz = (base: string) => request(base, 'GET', '/readyz');

/** Polls /readyz until it is 200 (the link and migration retries have no event to wait on). */
async function untilReady(base: string, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await readyz(base)).status === 200) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP relay on `port` to `target`: the dependency "comes back" when it starts listening. */
async function relay(t: Test, port: number, target: URL): Promise<void> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('error', () => undefined);
      s.on('close', () => (open.delete(s), client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => {
    for (const s of open) s.destroy();
    server.close(() => r());
  }));
}

t.test('database unreachable: serving, not ready, stops cleanly', async (t) => {
  const app = await startNode(t, { DATABASE_URL: CLOSED_PG });
  for (let i = 0; i < 3; i++) {
    const r = await readyz(app.base);
    t.equal(r.status, 503, '/readyz is 503');
    t.equal(r.body.checks.database, 'down');
    t.equal(r.body.checks.bus, 'ok', 'the in-process bus is fine');
    t.equal(r.headers.get('retry-after'), '2');
  }
  t.equal((await request(app.base, 'GET', '/healthz')).status, 200, 'the process is alive');
  t.equal(await app.stop(), true, 'stop() completes within the deadline');
});

t.test('NATS unreachable: serving, ready but degraded, stops cleanly', async (t) => {
  const app = await startNode(t, { DATABASE_URL: await freshDatabaseUrl(t), NATS_URL: CLOSED_NATS, NATS_PREFIX: natsPrefix() });
  t.ok(await untilReady(app.base), '/readyz is 200 once the database is migrated');
  const r = await readyz(app.base);
  t.equal(r.status, 200, 'a broker outage does not take the node out');
  t.equal(r.body.status, 'degraded');
  t.equal(r.body.checks.bus, 'down');
  t.same(r.body.degraded, ['cross_node_delivery', 'background_jobs'], 'what the node cannot do (sync webhooks)');
  t.equal((await request(app.base, 'GET', '/healthz')).status, 200, '/healthz is still 200');
  t.equal(await app.stop(), true, 'stop() completes within the deadline');
});

t.test('both down at start, then back: the node becomes ready by itself', async (t) => {
  const dbUrl = new URL(await freshDatabaseUrl(t));
  const [pgPort, natsPort] = [await freePort(), await freePort()];
  const proxiedDb = new URL(dbUrl);
  proxiedDb.host = `127.0.0.1:${pgPort}`;
  const app = await startNode(t, { DATABASE_URL: proxiedDb.toString(), NATS_URL: `nats://127.0.0.1:${natsPort}`, NATS_PREFIX: natsPrefix() });
  const both = await readyz(app.base);
  t.equal(both.status, 503, 'no database: not ready');
  t.match(both.body, { status: 'not_ready', checks: { database: 'down', bus: 'down' } });
  t.ok(both.body.degraded.includes('everything'));

  await relay(t, pgPort, dbUrl);
  await relay(t, natsPort, new URL(TEST_NATS_URL));
  t.ok(await untilReady(app.base), '/readyz turns 200 once Postgres and NATS are reachable');
  await until(async () => (await readyz(app.base)).body.status === 'ready', 'the bus to be back too');
  t.same((await readyz(app.base)).body.checks, { database: 'ok', bus: 'ok', media: 'ok' });
  await app.ready(5000);
  t.equal(await app.stop(), true);
});

t.test('nats-server kill -9 and restart: degraded, sync webhooks keep working, then ready again', async (t) => {
  const nats = await startNats(t);
  const databaseUrl = await freshDatabaseUrl(t);
  const app = await startNode(t, { DATABASE_URL: databaseUrl, NATS_URL: nats.url, NATS_PREFIX: natsPrefix(), WEBHOOK_MODE: 'sync' });
  await app.ready(20_000);
  await until(async () => (await readyz(app.base)).body.status === 'ready', 'ready on NATS');
  const sql = connect(t, databaseUrl);
  const num = numberFactory();
  const h = await seedHotel(sql, { staff: [{ username: 'rx', type: 'receptionist', departments: ['Reception'] }], guests: [{ number: num(1), name: 'Outage Guest', room: '101' }] });
  const staff = await WsClient.connect(`${app.base.replace('http', 'ws')}/ws/chat/?token=${encodeURIComponent(h.staff['rx']!.token)}`);
  t.teardown(() => staff.close());

  await nats.stop(); // SIGKILL
  await until(async () => (await readyz(app.base)).body.checks.bus === 'down', 'the node to notice NATS is gone');
  const r = await readyz(app.base);
  t.equal(r.status, 200, 'still in the load balancer');
  t.match(r.body, { status: 'degraded', checks: { database: 'ok', bus: 'down' } });
  const sent = await webhook(app.base, { whatsapp_number: num(1), message: 'while NATS is down', department: 'Reception', provider_message_id: 'nats-down-1' });
  t.ok(sent.status === 200 || sent.status === 201, `a sync webhook is stored (${sent.status})`);
  const seen = await staff.next((f: Frame) => f.type === 'message' && f.data.content === 'while NATS is down', 10_000);
  t.ok(seen, 'and reaches a staff socket on the same node');

  await nats.start();
  await until(async () => (await readyz(app.base)).body.status === 'ready', 'ready again after NATS is back', 30_000);
  t.same((await readyz(app.base)).body.degraded, []);
  // Right after the restart its job drains may still wait on requests to the new server.
  t.equal(await app.stop(), true, 'stop() completes within the deadline, every part stopped');
});
