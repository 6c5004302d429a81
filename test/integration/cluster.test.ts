// Three real server processes on one Postgres and one (private) NATS: cross-node fanout once and
// in seq order, interest-based subscriptions, a NATS restart during traffic, kill -9 of a node
// with queued webhooks in flight, cron once per cluster, and jobs:ping through JetStream.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { freshDatabaseUrl } from '../helpers/db.js';
import { connect } from '../helpers/db.js';
import { startNats, startNode, until, type NodeProc } from '../helpers/cluster.js';
import { natsPrefix, testEnv } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { WsClient, type Frame } from '../helpers/ws.js';
import { projectRoot } from '../../src/util/paths.js';

const databaseUrl = await freshDatabaseUrl(t);
const nats = await startNats(t);
const prefix = natsPrefix();
const env = {
  DATABASE_URL: databaseUrl,
  NATS_URL: nats.url,
  NATS_PREFIX: prefix,
  WEBHOOK_MODE: 'queued',
  JOB_ACK_WAIT_S: '3',
  CRON_ENABLED: 'true',
  CRON_PRESENCE_SCHEDULE: '* * * * * *',
  PRESENCE_TTL_S: '10',
  DATABASE_POOL_MAX: '4',
  WRITE_CONCURRENCY: '2',
};
const nodes: NodeProc[] = [];
for (const name of ['node-a', 'node-b', 'node-c']) nodes.push(await startNode(t, name, env));
const [A, B, C] = nodes as [NodeProc, NodeProc, NodeProc];
const sql = connect(t, databaseUrl);
const num = numberFactory();
const h = await seedHotel(sql, {
  staff: [
    { username: 'ra', type: 'receptionist', departments: ['Reception'] },
    { username: 'rb', type: 'receptionist', departments: ['Reception'] },
    { username: 'rc', type: 'receptionist', departments: ['Reception'] },
    { username: 'hk', type: 'department_staff', departments: ['Housekeeping'] },
  ],
  guests: [
    { number: num(1), name: 'Cluster Guest', room: '101' },
    { number: num(2), name: 'Outage Guest', room: '102' },
    { number: num(3), name: 'Killer Guest', room: '103' },
  ],
});
const staffWs = async (node: NodeProc, user: string) => {
  const ws = await WsClient.connect(`${node.wsBase}/ws/chat/?token=${encodeURIComponent(h.staff[user]!.token)}`);
  t.teardown(() => ws.close());
  return ws;
};
const messagesOf = (ws: WsClient, conversationId?: number) =>
  ws.frames.filter((f: Frame) => f.type === 'message' && (conversationId === undefined || f.data.conversation_id === conversationId));

t.test('staff on every node get a message posted to any node, once and in seq order', async (t) => {
  const sockets = [await staffWs(A, 'ra'), await staffWs(B, 'rb'), await staffWs(C, 'rc')];
  const total = 45;
  for (let i = 0; i < total; i++) {
    const r = await webhook(nodes[i % 3]!.base, { whatsapp_number: num(1), message: `x${i}`, department: 'Reception', provider_message_id: `cl-${i}` });
    t.equal(r.status, 202);
  }
  // Queued webhooks are processed by whichever node takes the job: wait for the count, not for
  // the last one posted.
  for (const ws of sockets) await until(async () => messagesOf(ws).length >= total, 'every message on every node', 20_000);
  for (const [i, ws] of sockets.entries()) {
    const got = messagesOf(ws).map((f) => f.data.seq);
    t.same(got, Array.from({ length: total }, (_, k) => k + 1), `node ${i}: every seq once, in order`);
  }
  // Queued webhooks of one guest are processed in the order they were accepted, whichever node
  // accepted or processed them.
  t.same(messagesOf(sockets[0]!).map((f) => f.data.content), Array.from({ length: total }, (_, k) => `x${k}`), 'stored in the order they were posted');
});

t.test('a node subscribes to a department only while it has sockets there', async (t) => {
  const before = await B.metric('fanout_subjects');
  const first = await staffWs(B, 'hk');
  await until(async () => (await B.metric('fanout_subjects')) === before + 1, 'the housekeeping subscription');
  // A second socket of the department shares the subscription; closing one of two keeps it.
  const second = await staffWs(B, 'hk');
  second.send({ type: 'ping' });
  await second.next((f) => f.type === 'pong');
  t.equal(await B.metric('fanout_subjects'), before + 1, 'one subscription for two sockets');
  first.close();
  await first.waitClose();
  second.send({ type: 'ping' });
  await second.next((f) => f.type === 'pong');
  t.equal(await B.metric('fanout_subjects'), before + 1, 'kept while a socket remains');
  second.close();
  await until(async () => (await B.metric('fanout_subjects')) === before, 'the subscription to be dropped after the last socket');
});

t.test('a NATS restart during traffic loses nothing', async (t) => {
  const onB = await staffWs(B, 'rb');
  const first = await webhook(A.base, { whatsapp_number: num(2), message: 'before outage', department: 'Reception', provider_message_id: 'out-0' });
  t.equal(first.status, 202);
  await onB.next((f) => f.type === 'message' && f.data.content === 'before outage', 10_000);
  await nats.stop();
  // Queued mode needs JetStream; while it is down, webhooks are refused with 503 (the provider
  // retries) — and nothing half-written is left behind.
  const refused = await webhook(A.base, { whatsapp_number: num(2), message: 'during outage', department: 'Reception', provider_message_id: 'out-x' });
  t.equal(refused.status, 503);
  await nats.start();
  // Every node the webhooks below go to must be back on JetStream, not only A and B.
  // 200 alone is "serving", also degraded without NATS: wait for every dependency to be back.
  const ready = async () =>
    (await Promise.all(nodes.map(async (n) => ((await (await fetch(`${n.base}/readyz`)).json()) as { status: string }).status))).every((s) => s === 'ready');
  await until(ready, 'every node to reconnect');
  for (let i = 1; i <= 10; i++) {
    const r = await webhook(nodes[i % 3]!.base, { whatsapp_number: num(2), message: `after ${i}`, department: 'Reception', provider_message_id: `out-${i}` });
    t.equal(r.status, 202);
  }
  const conv = messagesOf(onB).find((f) => f.data.content === 'before outage')!.data.conversation_id;
  await until(async () => messagesOf(onB, conv).length >= 11, 'the messages sent after the outage', 20_000);
  t.same(messagesOf(onB, conv).map((f) => f.data.seq), Array.from({ length: 11 }, (_, k) => k + 1), 'all seqs once and in order');
});

t.test('kill -9 of a node: queued webhooks are redelivered, clients resume elsewhere', async (t) => {
  const watcher = await staffWs(A, 'ra');
  const onC = await staffWs(C, 'rc');
  const total = 120;
  await Promise.all(
    Array.from({ length: total }, (_, i) =>
      webhook(nodes[i % 3]!.base, { whatsapp_number: num(3), message: `k${i}`, department: 'Reception', provider_message_id: `kill-${i}` }),
    ),
  );
  const firstSeen = await onC.next((f) => f.type === 'message' && f.data.content.startsWith('k'), 10_000);
  const lastSeenOnC = () => Math.max(...messagesOf(onC, firstSeen.data.conversation_id).map((f) => f.data.seq));
  C.proc.kill('SIGKILL');
  await C.exited;
  await onC.waitClose();
  const seenBefore = lastSeenOnC();
  // The client reconnects to another node and resumes from the last seq it saw.
  const again = await staffWs(B, 'rc');
  await until(async () => (await sql<{ n: number }[]>`select count(*)::int as n from messages where provider_message_id like 'kill-%'`)[0]!.n === total, 'every queued webhook to be processed', 30_000);
  again.send({ type: 'resume', conversation_id: firstSeen.data.conversation_id, since_seq: seenBefore });
  const ack = await again.next((f) => f.type === 'acknowledgment' && f.status === 'resumed', 10_000);
  const resumed = messagesOf(again, firstSeen.data.conversation_id).map((f) => f.data.seq).filter((s) => s <= ack.last_seq);
  const union = new Set([...messagesOf(onC, firstSeen.data.conversation_id).map((f) => f.data.seq), ...resumed]);
  t.equal(ack.last_seq, total, 'resume reaches the last message');
  t.same([...union].sort((a, b) => a - b), Array.from({ length: total }, (_, k) => k + 1), 'nothing lost across the node loss');
  const [{ n, d }] = (await sql<{ n: number; d: number }[]>`
    select count(*)::int as n, count(distinct provider_message_id)::int as d from messages where provider_message_id like 'kill-%'`) as unknown as [{ n: number; d: number }];
  t.equal(n, total, 'every webhook stored');
  t.equal(d, total, 'none stored twice');

  // Presence: node C never said goodbye; its rows expire (PRESENCE_TTL_S) on a cron tick of a
  // live node. rc is still connected on node B, so that expiry announces nothing; once rc's
  // last socket closes, the department hears it exactly once.
  const rc = h.staff['rc']!.id;
  await until(
    async () => (await sql<{ n: number }[]>`select count(*)::int as n from presence where node_id = 'node-c'`)[0]!.n === 0,
    "node C's presence rows to expire",
    30_000,
  );
  const [onB] = await sql<{ n: number }[]>`select count(*)::int as n from presence where node_id = 'node-b' and user_id = ${rc}`;
  t.equal(onB!.n, 1, 'rc is still present through node B');
  const from = watcher.frames.length;
  again.close();
  const gone = await watcher.next((f) => f.type === 'user_status' && f.data.type === 'user_disconnected' && f.data.user_id === rc, 20_000);
  t.match(gone.data, { department: 'Reception', user_id: rc });
  const sentinel = await webhook(A.base, { whatsapp_number: num(3), message: 'after rc left', department: 'Reception', provider_message_id: 'kill-sentinel' });
  t.equal(sentinel.status, 202);
  await watcher.next((f) => f.type === 'message' && f.data.content === 'after rc left', 20_000);
  const disconnects = watcher.frames.filter((f) => f.type === 'user_status' && f.data.type === 'user_disconnected' && f.data.user_id === rc);
  t.equal(disconnects.length, 1, 'announced once: not by the expiry of node C while rc was on node B');
  t.ok(watcher.frames.indexOf(disconnects[0]!) >= from, 'and only after the last socket closed');
});

t.test('cron ticks run once across the cluster', async (t) => {
  await until(async () => (await sql<{ n: number }[]>`select count(*)::int as n from cron_runs where key like 'expire-stale-presence:%'`)[0]!.n >= 3, 'three presence ticks');
  const ticks = (await sql<{ n: number }[]>`select count(*)::int as n from cron_runs where key like 'expire-stale-presence:%' and finished_at is not null`)[0]!.n;
  let runs = 0;
  for (const node of [A, B]) runs += await node.metric('cron_runs_total', 'outcome="ok",task="expire-stale-presence"');
  const killedRuns = (await sql<{ n: number }[]>`select count(*)::int as n from cron_runs where key like 'expire-stale-presence:%' and node_id = 'node-c'`)[0]!.n;
  t.ok(runs + killedRuns >= ticks, 'every finished tick was run by some node');
  t.ok(runs <= ticks, `no tick ran twice (${runs} runs on live nodes for ${ticks} ticks)`);
  const claimants = await sql<{ node_id: string }[]>`select distinct node_id from cron_runs`;
  t.ok(claimants.length >= 1);
});

t.test('jobs:ping goes through JetStream and a worker answers', async (t) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'jobs:ping', '--timeout-ms', '10000'], {
    cwd: projectRoot(),
    env: { ...process.env, ...testEnv({ ...env, LOG_LEVEL: 'warn' }) },
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /pong from node-[ab] in \d+ ms/);
});
