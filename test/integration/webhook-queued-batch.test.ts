// Queued webhooks (WEBHOOK_MODE=queued): concurrent requests share batched JetStream publishes,
// yet each is answered by its own publish — 202 once it is stored durably, 503 when the broker
// refused it — and what was accepted is processed exactly once.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import t from 'tap';
import { jobSubjects } from '../../src/fanout/subjects.js';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { until } from '../helpers/cluster.js';
import { connect } from '../helpers/db.js';
import { TEST_NATS_URL } from '../helpers/env.js';

const app = await startApp(t, { nats: true, env: { WEBHOOK_MODE: 'queued' } });
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const h = await seedHotel(sql, {
  staff: [],
  guests: [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ number: num(n), name: `Queued Guest${n}`, room: `30${n}` })),
});
const run = `q${Date.now().toString(36)}`;
const stored = async (prefix: string) =>
  sql<{ provider_message_id: string; n: number }[]>`
    select provider_message_id, count(*)::int as n from messages where provider_message_id like ${`${prefix}%`} group by provider_message_id`;

t.test('concurrent webhooks, some sent twice at once: every one 202, each stored once', async (t) => {
  const ids = Array.from({ length: 40 }, (_, i) => `${run}-a-${i}`);
  const payload = (id: string, i: number) => ({ channel: h.channel, whatsapp_number: num((i % 8) + 1), message: `burst ${id}`, department: 'Reception', provider_message_id: id });
  const sends = [...ids.map((id, i) => webhook(app.base, payload(id, i))), ...ids.slice(0, 10).map((id, i) => webhook(app.base, payload(id, i)))];
  const answers = await Promise.all(sends);
  t.same([...new Set(answers.map((a) => a.status))], [202], 'all accepted');
  for (const id of ids.slice(0, 10)) {
    const mine = answers.filter((a) => a.body.provider_message_id === id);
    t.same(mine.map((a) => a.body.duplicate).sort(), [false, true], `${id}: one new, one duplicate`);
  }
  await until(async () => (await stored(`${run}-a-`)).length === ids.length, 'every accepted webhook processed', 30_000);
  const rows = await stored(`${run}-a-`);
  t.equal(rows.length, 40, 'forty distinct messages');
  t.ok(rows.every((r) => r.n === 1), 'none stored twice');
});

t.test('a publish the broker refuses answers 503 for its request only', async (t) => {
  const nc = await natsConnect({ servers: TEST_NATS_URL });
  t.teardown(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const stream = jobSubjects.stream(app.config.nats.prefix);
  const info = await jsm.streams.info(stream);
  // Messages above 1 KB are refused by the stream from now on: the long webhooks below.
  await jsm.streams.update(stream, { ...info.config, max_msg_size: 1024 });
  t.teardown(() => jsm.streams.update(stream, { ...info.config, max_msg_size: -1 }).then(() => undefined));
  const sends = Array.from({ length: 20 }, (_, i) => {
    const id = `${run}-b-${i}`;
    const long = i % 2 === 1;
    return webhook(app.base, { channel: h.channel, whatsapp_number: num((i % 8) + 1), message: long ? `long ${id} ${'x'.repeat(2000)}` : `short ${id}`, department: 'Reception', provider_message_id: id });
  });
  const answers = await Promise.all(sends);
  answers.forEach((a, i) => t.equal(a.status, i % 2 === 1 ? 503 : 202, `webhook ${i} (${i % 2 === 1 ? 'refused by the broker' : 'accepted'}): ${JSON.stringify(a.body).slice(0, 120)}`));
  await until(async () => (await stored(`${run}-b-`)).length >= 10, 'the accepted webhooks processed', 30_000);
  const rows = await stored(`${run}-b-`);
  t.same(rows.map((r) => r.provider_message_id).sort(), Array.from({ length: 10 }, (_, i) => `${run}-b-${i * 2}`).sort(), 'exactly the accepted ones, none of the refused');
  t.ok(rows.every((r) => r.n === 1));
});
