// Ordered job kinds across nodes: each partition is drained by the holder of its lease, many jobs
// at a time, and jobs of one key still run once each and in enqueue order — while two nodes
// share the partitions, when one stops and hands them over, and when one loses NATS and the other
// takes its partitions after the lease TTL. Real NATS with JetStream; a short ack wait (1 s, so a
// 2 s lease TTL) keeps the takeover quick.
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { leasePlan } from '../../src/jobs/partition-leases.js';
import { partitionOf } from '../../src/jobs/queue.js';
import type { JetStreamQueue } from '../../src/jobs/queue-jetstream.js';
import type { NatsLink } from '../../src/nats/link.js';
import { natsPrefix } from '../helpers/app.js';
import { until } from '../helpers/cluster.js';
import { testQueue } from '../helpers/jetstream-queue.js';

const log = pino({ level: 'silent' });
const PARTITIONS = 8;

interface Ran {
  node: string;
  key: string;
  n: number;
}

async function node(
  t: Test,
  prefix: string,
  name: string,
  ran: Ran[],
  fails?: (key: string, n: number, deliveries: number) => boolean,
  backoffMs = 20,
): Promise<{ queue: JetStreamQueue; link: NatsLink }> {
  const { queue, link } = await testQueue(t, name, log, {
    prefix,
    defaults: { concurrency: 16, maxDeliveries: 10, backoffMs },
    ackWaitS: 1,
    partitions: { ordered: PARTITIONS },
    orderedInFlight: 16,
    stallMs: 0,
  });
  queue.work<{ key: string; n: number }>('ordered', async (job) => {
    // Uneven handler times, so a lane that did not hold its key would reorder.
    await new Promise((r) => setTimeout(r, Math.random() * 4));
    if (fails?.(job.payload.key, job.payload.n, job.deliveries)) throw new Error('not yet');
    ran.push({ node: name, key: job.payload.key, n: job.payload.n });
  });
  return { queue, link };
}

/** Two nodes on one prefix, once both drain partitions. */
async function twoNodes(t: Test, names: [string, string]) {
  const prefix = natsPrefix();
  const ran: Ran[] = [];
  const a = await node(t, prefix, names[0], ran);
  const b = await node(t, prefix, names[1], ran);
  await until(async () => a.queue.ownedPartitions.length > 0 && b.queue.ownedPartitions.length > 0, 'both nodes to own partitions', 20_000);
  return { a, b, ran };
}

/** Every key's jobs, by their first run, in enqueue order; and how many ran more than once. */
function check(ran: Ran[], keys: number, perKey: number) {
  const first = new Map<string, number[]>();
  const seen = new Set<string>();
  let repeats = 0;
  for (const r of ran) {
    const id = `${r.key}#${r.n}`;
    if (seen.has(id)) {
      repeats++;
      continue;
    }
    seen.add(id);
    first.set(r.key, [...(first.get(r.key) ?? []), r.n]);
  }
  const inOrder = [...first.values()].every((ns) => ns.every((n, i) => i === 0 || n > ns[i - 1]!));
  return { distinct: seen.size, inOrder, repeats, complete: seen.size === keys * perKey };
}

async function enqueueAll(queue: JetStreamQueue, keys: number, from: number, to: number): Promise<void> {
  for (let n = from; n < to; n++) {
    await Promise.all(Array.from({ length: keys }, (_, k) => queue.enqueue('ordered', { key: `guest-${k}`, n }, { id: `g${k}-${n}`, key: `guest-${k}` })));
  }
}

t.test('the fair share of partitions', async (t) => {
  t.same(leasePlan(8, 1, 0), { take: 8, give: 0 }, 'alone: every partition');
  t.same(leasePlan(8, 2, 8), { take: 0, give: 4 }, 'a second node joined: give half back');
  t.same(leasePlan(8, 3, 2), { take: 1, give: 0 }, 'three nodes: up to ceil(8 / 3) each');
  t.same(leasePlan(8, 0, 0), { take: 8, give: 0 }, 'no member listed yet counts as one');
});

t.test('two nodes share the partitions; each key runs once and in order', async (t) => {
  const prefix = natsPrefix();
  const ran: Ran[] = [];
  const a = await node(t, prefix, 'lease-a', ran);
  const b = await node(t, prefix, 'lease-b', ran);
  await until(async () => a.queue.ownedPartitions.length === PARTITIONS / 2 && b.queue.ownedPartitions.length === PARTITIONS / 2, 'the partitions to be split 4 / 4', 20_000);
  t.same([...a.queue.ownedPartitions, ...b.queue.ownedPartitions].sort(), Array.from({ length: PARTITIONS }, (_, p) => `ordered.p${p}`).sort(), 'every partition has one owner');
  await enqueueAll(a.queue, 20, 0, 15);
  await until(async () => check(ran, 20, 15).complete, 'all 300 jobs to run', 30_000);
  const c = check(ran, 20, 15);
  t.equal(c.repeats, 0, 'no job ran twice');
  t.ok(c.inOrder, 'every key ran in enqueue order');
  t.ok(ran.some((r) => r.node === 'lease-a') && ran.some((r) => r.node === 'lease-b'), 'both nodes ran jobs');
});

t.test('a node that stops hands its partitions over: nothing lost, nothing reordered', async (t) => {
  const { a, b, ran } = await twoNodes(t, ['stop-a', 'stop-b']);
  const sending = enqueueAll(b.queue, 20, 0, 20);
  await until(async () => ran.length >= 60, 'the first jobs to run', 20_000);
  await a.queue.stop();
  await sending;
  await until(async () => b.queue.ownedPartitions.length === PARTITIONS, 'the remaining node to own every partition', 20_000);
  await until(async () => check(ran, 20, 20).complete, 'all 400 jobs to run', 30_000);
  const c = check(ran, 20, 20);
  t.equal(c.repeats, 0, 'a graceful handover runs no job twice');
  t.ok(c.inOrder, 'every key ran in enqueue order across the handover');
});

t.test('a node that loses NATS loses its partitions after the lease TTL; its jobs move on in order', async (t) => {
  const { a, b, ran } = await twoNodes(t, ['cut-a', 'cut-b']);
  const sending = enqueueAll(b.queue, 20, 0, 20);
  await until(async () => ran.some((r) => r.node === 'cut-a') && ran.length >= 60, 'both nodes to be running jobs', 20_000);
  // No release: the connection just goes, with whatever A held unacknowledged.
  await a.link.stop();
  await sending;
  await until(async () => b.queue.ownedPartitions.length === PARTITIONS, 'the other node to own every partition', 20_000);
  await until(async () => check(ran, 20, 20).complete, 'all 400 jobs to run', 30_000);
  t.ok(check(ran, 20, 20).inOrder, 'every key ran in enqueue order (by first run) across the takeover');
});

t.test('a failing job waits for its retry holding its key; other keys go on', async (t) => {
  const prefix = natsPrefix();
  const ran: Ran[] = [];
  const tries: number[] = [];
  // guest-0's third job fails on its first three tries (20, 40, 80 ms of backoff).
  const { queue } = await node(t, prefix, 'retry-a', ran, (key, n, deliveries) => {
    if (key !== 'guest-0' || n !== 2) return false;
    tries.push(deliveries);
    return deliveries <= 3;
  });
  await until(async () => queue.ownedPartitions.length === PARTITIONS, 'the node to own every partition', 20_000);
  await enqueueAll(queue, 5, 0, 10);
  await until(async () => check(ran, 5, 10).complete, 'all 50 jobs to run', 30_000);
  const c = check(ran, 5, 10);
  t.equal(c.repeats, 0, 'no job ran twice');
  t.ok(c.inOrder, "guest-0's later jobs waited for the retried one");
  t.same(tries, [1, 2, 3, 4], 'the job was tried four times, counting its deliveries');
  const g0 = ran.findIndex((r) => r.key === 'guest-0' && r.n === 2);
  t.ok(ran.slice(0, g0).some((r) => r.key !== 'guest-0' && r.n > 2), 'other keys went on while it waited');
});

t.test('a partition given back while a key retries in place keeps that key in order', async (t) => {
  const prefix = natsPrefix();
  const ran: Ran[] = [];
  // Job 0 of every key fails twice: 1.5 s + 3 s waiting in place, longer than the 3 s lease TTL,
  // so the lease must be renewed while the partition is being given back.
  const fails = (_key: string, n: number, deliveries: number) => n === 0 && deliveries <= 2;
  const a = await node(t, prefix, 'rebal-a', ran, fails, 1500);
  await until(async () => a.queue.ownedPartitions.length === PARTITIONS, 'the first node to own every partition', 20_000);
  // One key per partition, so whichever partitions move hold a key that is retrying.
  const keys: string[] = [];
  for (let i = 0; keys.length < PARTITIONS; i++) if (!keys.some((k) => partitionOf(k, PARTITIONS) === partitionOf(`guest-${i}`, PARTITIONS))) keys.push(`guest-${i}`);
  const enqueue = (ns: number[]) => Promise.all(keys.flatMap((key) => ns.map((n) => a.queue.enqueue('ordered', { key, n }, { id: `${key}-${n}`, key }))));
  for (const n of [0, 1, 2]) await enqueue([n]);
  await until(async () => ran.length === 0 && a.queue.ownedPartitions.length === PARTITIONS, 'the first jobs to wait for their retry', 5_000);
  const b = await node(t, prefix, 'rebal-b', ran, fails, 1500);
  await until(async () => b.queue.ownedPartitions.length > 0, 'the second node to get its share', 20_000);
  for (const n of [3, 4]) await enqueue([n]);
  await until(async () => ran.length === PARTITIONS * 5, 'every job to run', 30_000);
  const byKey = new Map<string, number[]>();
  for (const r of ran) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.n]);
  t.same([...byKey.values()], keys.map(() => [0, 1, 2, 3, 4]), 'every key ran 0–4 once, in order, across the rebalance');
  t.ok(ran.some((r) => r.node === 'rebal-b'), 'the second node ran some');
});

t.test('a partition given back while every slot is busy: what it fetched runs once, in order', async (t) => {
  const prefix = natsPrefix();
  const ran: string[] = [];
  let hogging = false;
  const make = async (name: string) => {
    const { queue } = await testQueue(t, name, log, {
      prefix,
      defaults: { concurrency: 1, maxDeliveries: 10, backoffMs: 50 },
      ackWaitS: 1,
      partitions: { ordered: 2 },
      orderedInFlight: 16,
      stallMs: 0,
    });
    queue.work<{ key: string; n: number }>('ordered', async (job) => {
      if (job.payload.n === 0) {
        // The hog: holds the only slot while the other jobs wait for it, already fetched.
        hogging = true;
        await new Promise((r) => setTimeout(r, 6500));
      }
      ran.push(`${job.payload.key}#${job.payload.n}`);
    });
    return queue;
  };
  const a = await make('busy-a');
  await until(async () => a.ownedPartitions.length === 2, 'the first node to own both partitions', 20_000);
  const keyIn = (p: number) => {
    for (let i = 0; ; i++) if (partitionOf(`k${i}`, 2) === p) return `k${i}`;
  };
  const [k0, k1] = [keyIn(0), keyIn(1)];
  await a.enqueue('ordered', { key: k0, n: 0 }, { key: k0 });
  await until(async () => hogging, 'the hog to hold the slot', 10_000);
  // Jobs in both partitions, so whichever one is given back holds fetched jobs waiting for a slot.
  for (const n of [1, 2, 3]) for (const key of [k0, k1]) await a.enqueue('ordered', { key, n }, { key });
  await new Promise((r) => setTimeout(r, 300));
  const b = await make('busy-b');
  await until(async () => ran.length === 7, 'every job to run', 30_000);
  await b.stop();
  await until(async () => a.ownedPartitions.length === 2, 'the first node to own both again', 20_000);
  await new Promise((r) => setTimeout(r, 2500)); // a loop left behind would run its jobs again now
  t.same(ran.filter((r) => r.startsWith(`${k0}#`)), [0, 1, 2, 3].map((n) => `${k0}#${n}`), `${k0}: once each, in order`);
  t.same(ran.filter((r) => r.startsWith(`${k1}#`)), [1, 2, 3].map((n) => `${k1}#${n}`), `${k1}: once each, in order`);
  t.equal(ran.length, 7, 'nothing ran twice');
});
