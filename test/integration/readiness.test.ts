// Postgres or NATS down at start: the node starts anyway, keeps serving, says not-ready on
// /readyz, stops cleanly, and becomes ready once the dependency appears.
import net from 'node:net';
import t, { type Test } from 'tap';
import { run, type RunningApp } from '../../src/app/run.js';
import { loadConfig } from '../../src/config/load.js';
import { natsPrefix, testEnv } from '../helpers/app.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { TEST_NATS_URL } from '../helpers/env.js';
import { request } from '../helpers/http.js';

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

t.test('NATS unreachable: serving, not ready, stops cleanly', async (t) => {
  const app = await startNode(t, { DATABASE_URL: await freshDatabaseUrl(t), NATS_URL: CLOSED_NATS, NATS_PREFIX: natsPrefix() });
  const r = await readyz(app.base);
  t.equal(r.status, 503);
  t.equal(r.body.checks.bus, 'down');
  t.equal((await request(app.base, 'GET', '/healthz')).status, 200, '/healthz is still 200');
  t.equal(await app.stop(), true, 'stop() completes within the deadline');
});

t.test('both down at start, then back: the node becomes ready by itself', async (t) => {
  const dbUrl = new URL(await freshDatabaseUrl(t));
  const [pgPort, natsPort] = [await freePort(), await freePort()];
  const proxiedDb = new URL(dbUrl);
  proxiedDb.host = `127.0.0.1:${pgPort}`;
  const app = await startNode(t, { DATABASE_URL: proxiedDb.toString(), NATS_URL: `nats://127.0.0.1:${natsPort}`, NATS_PREFIX: natsPrefix() });
  t.match((await readyz(app.base)).body, { checks: { database: 'down', bus: 'down' } });

  await relay(t, pgPort, dbUrl);
  await relay(t, natsPort, new URL(TEST_NATS_URL));
  t.ok(await untilReady(app.base), '/readyz turns 200 once Postgres and NATS are reachable');
  t.same((await readyz(app.base)).body.checks, { database: 'ok', bus: 'ok', media: 'ok' });
  await app.ready(5000);
  t.equal(await app.stop(), true);
});
