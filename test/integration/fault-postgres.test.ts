// A Postgres restart under a node (a private server this test stops and starts): every request
// is answered while the database is away (503 with Retry-After, no hang), readiness and writes come
// back by themselves once Postgres accepts connections, and a webhook the provider retries after
// a 503 is stored exactly once.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { until } from '../helpers/cluster.js';
import { connect } from '../helpers/db.js';
import { request } from '../helpers/http.js';
import { postgresBin, startPrivatePg } from '../helpers/private-pg.js';

// Far above the 1 s acquire deadline (a busy CI core), far below postgres.js's old 20 s backoff.
const ANSWER_BOUND_MS = 6000;

/** The request's answer, or 'no answer' after the bound. */
async function answered<T>(p: Promise<T>): Promise<T | 'no answer'> {
  let timer: NodeJS.Timeout | undefined;
  const out = await Promise.race([p, new Promise<'no answer'>((r) => (timer = setTimeout(() => r('no answer'), ANSWER_BOUND_MS)))]);
  clearTimeout(timer);
  return out;
}

t.test('Postgres restart: bounded 503s, recovery, no duplicate', { skip: postgresBin() ? false : 'Postgres server binaries not installed' }, async (t) => {
  const pg = await startPrivatePg(t);
  const app = await startApp(t, { databaseUrl: pg.url, env: { DATABASE_POOL_MAX: '4' } });
  const sql = connect(t, pg.url);
  const num = numberFactory();
  const h = await seedHotel(sql, { staff: [{ username: 'rp', type: 'receptionist', departments: ['Reception'] }], guests: [{ number: num(1), name: 'Restart Guest', room: '101' }] });
  const token = h.staff['rp']!.token;
  const send = (i: number) => webhook(app.base, { whatsapp_number: num(1), message: `m${i}`, department: 'Reception', provider_message_id: `pg-${i}` });
  t.equal((await send(0)).status, 201, 'stored while Postgres is up');

  await pg.stop();
  const during = await Promise.all([
    ...Array.from({ length: 12 }, (_, i) => answered(send(i + 1)).then((r) => ['webhook', r] as const)),
    ...Array.from({ length: 6 }, () => answered(request(app.base, 'GET', '/api/chat/conversations/', { token })).then((r) => ['list', r] as const)),
    ...Array.from({ length: 3 }, () => answered(request(app.base, 'GET', '/readyz')).then((r) => ['readyz', r] as const)),
  ]);
  const unanswered = during.filter(([, r]) => r === 'no answer').map(([what]) => what);
  t.same(unanswered, [], 'every request is answered while Postgres is down');
  for (const [what, r] of during) {
    if (r === 'no answer') continue;
    t.equal(r.status, 503, `${what}: 503`);
    t.ok(r.headers.get('retry-after'), `${what}: with Retry-After`);
  }

  await pg.start();
  await until(async () => (await request(app.base, 'GET', '/readyz')).status === 200, 'readiness after Postgres is back', 15_000);
  // The provider retries what got 503: each is stored now, or was stored late and is a duplicate.
  for (let i = 1; i <= 12; i++) {
    const r = await send(i);
    t.equal(r.status, 201, `retry ${i} succeeds`);
  }
  const rows = await sql<{ n: number; d: number }[]>`
    select count(*)::int as n, count(distinct provider_message_id)::int as d from messages where provider_message_id like 'pg-%'`;
  t.same(rows[0], { n: 13, d: 13 }, 'every webhook stored exactly once');
  t.equal((await request(app.base, 'GET', '/api/chat/conversations/', { token })).status, 200, 'reads work again');
});
