// One contract suite for the durable JobQueue, run against the in-process queue and JetStream
// (a fresh stream per test under a random prefix, deleted at teardown). Waits are on events —
// handler calls and dead letters — except depth(), whose JetStream value is polled with a deadline.
import { jetstreamManager } from '@nats-io/jetstream';
import t, { type Test } from 'tap';
import { MemoryQueue } from '../../src/jobs/queue-memory.js';
import { JetStreamQueue } from '../../src/jobs/queue-jetstream.js';
import { PermanentJobError, partitionOf, type DeadLetter, type Job, type JobHandler, type JobQueue, type WorkerOptions } from '../../src/jobs/queue.js';
import { NatsLink } from '../../src/nats/link.js';
import type { Sql } from '../../src/store/db.js';
import { insertDeadLetter } from '../../src/store/jobs.js';
import { createLogger } from '../../src/obs/log.js';
import { Registry } from '../../src/obs/metrics.js';
import { natsPrefix } from '../helpers/app.js';
import { freshDb } from '../helpers/db.js';
import { TEST_NATS_URL } from '../helpers/env.js';
import { removeOnTeardown } from '../helpers/jetstream-queue.js';

const WAIT_MS = 10_000;
const log = createLogger({ level: 'silent', nodeId: 'queue-test' });
const defaults: WorkerOptions = { concurrency: 4, maxDeliveries: 3, backoffMs: 20 };

/** An append-only list whose readers can wait until it satisfies a condition. */
class Recorded<T> {
  readonly items: T[] = [];
  private waiters = new Set<() => void>();
  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) w();
  }
  until(pred: (items: T[]) => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pred(this.items)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.items).slice(0, 500)}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

interface Fixture {
  queue: JobQueue;
  dead: Recorded<DeadLetter>;
}

/** persist: also write each dead letter to this database first, as the server does. */
function deps(persist?: Sql) {
  const metrics = new Registry();
  const dead = new Recorded<DeadLetter>();
  const common = {
    log,
    defaults,
    outcomes: metrics.counter('jobs_processed_total', 'outcomes'),
    deadLetter: async (rec: DeadLetter) => {
      if (persist) await insertDeadLetter(persist, rec);
      dead.push(rec);
    },
  };
  return { dead, common, depthGauge: metrics.gauge('jobs_queue_depth', 'depth') };
}

function memoryFixture(t: Test, persist?: Sql): Fixture {
  const { dead, common } = deps(persist);
  const queue = new MemoryQueue(common);
  t.teardown(() => queue.stop());
  return { queue, dead };
}

async function jetstreamFixture(t: Test, persist?: Sql): Promise<Fixture> {
  const { dead, common, depthGauge } = deps(persist);
  const link = new NatsLink({ servers: [TEST_NATS_URL], name: 'queue-test', log });
  link.start();
  t.ok(await link.ready(WAIT_MS), 'connected to NATS');
  // Keyed kinds are partitioned on JetStream; 'a' and 'b' must land in different partitions.
  const queue = new JetStreamQueue({ ...common, link, prefix: natsPrefix(), replicas: 1, depthGauge, partitions: { ordered: 8, backlog: 8, many: MANY_PARTITIONS } });
  removeOnTeardown(t, queue, link);
  await queue.ready();
  return { queue, dead };
}

/** Polls depth() until it equals `want` (JetStream reports it from consumer info). */
async function depthBecomes(queue: JobQueue, kind: string, want: number): Promise<number> {
  const deadline = Date.now() + WAIT_MS;
  let depth = await queue.depth(kind);
  while (depth !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    depth = await queue.depth(kind);
  }
  return depth;
}

/** Registers a worker whose handler always throws; counts its calls. */
function alwaysFailing(queue: JobQueue, kind: string, error: () => Error): { calls: number } {
  const handler = { calls: 0 };
  queue.work(kind, async () => {
    handler.calls++;
    throw error();
  });
  return handler;
}

/** Partitions of the kind 'many' in the JetStream fixture (GATE_KEY is picked with it). */
const MANY_PARTITIONS = 8;
/** A key other than 'a' in the same partition as 'a', so its jobs are fetched in line with a's. */
const GATE_KEY = (() => {
  for (let i = 0; ; i++) if (partitionOf(`g${i}`, MANY_PARTITIONS) === partitionOf('a', MANY_PARTITIONS)) return `g${i}`;
})();

type Item = { key: string; i: number };
const tag = (job: Job<Item>) => `${job.payload.key}${job.payload.i}`;
const tagsOf = (n: number) => Array.from({ length: n }, (_, i) => `a${i}`);

/**
 * A worker of kind 'many' whose handler has a `many` form, for jobs a0..a(n-1) of key 'a'
 * enqueued by enqueueBacklog. a0 holds its key until the gate job has started: enqueued after
 * every a-job, into the same partition, it reaches the dispatcher after them, so by then a1..
 * wait behind a0 and the batch that follows is deterministic. `single` and `run` decide the
 * outcome of each form; a job is recorded as done only when the single form resolved for it, or
 * when `run` counted it (index < n).
 */
function batchingWorker(
  queue: JobQueue,
  opts: { max: number; single?: (job: Job<Item>) => void; run?: (jobs: Job<Item>[], call: number) => Promise<number> },
) {
  const done = new Recorded<string>();
  const gate = new Recorded<string>();
  /** Key a only: `single a3#1` (tag, delivery), `many a1,a2`, in the order they started. */
  const events: string[] = [];
  const batches: string[][] = [];
  let active = 0;
  let overlap = false;
  const enter = () => {
    if (++active > 1) overlap = true;
  };
  const handler: JobHandler<Item> = async (job) => {
    if (job.payload.key === GATE_KEY) return gate.push(tag(job));
    enter();
    try {
      events.push(`single ${tag(job)}#${job.deliveries}`);
      if (job.payload.i === 0) await gate.until((g) => g.length > 0, 'the gate job to start while a0 runs');
      await new Promise((r) => setImmediate(r));
      opts.single?.(job);
      done.push(tag(job));
    } finally {
      active--;
    }
  };
  handler.many = {
    max: opts.max,
    run: async (jobs) => {
      enter();
      try {
        const tags = jobs.map(tag);
        events.push(`many ${tags.join(',')}`);
        batches.push(tags);
        await new Promise((r) => setImmediate(r));
        const n = opts.run ? await opts.run(jobs, batches.length - 1) : jobs.length;
        for (const t of tags.slice(0, n)) done.push(t);
        return n;
      } finally {
        active--;
      }
    },
  };
  queue.work<Item>('many', handler);
  return {
    done,
    events,
    batches,
    get overlap() {
      return overlap;
    },
  };
}

/** Enqueues a0..a(n-1) of key 'a', then the gate job (see batchingWorker). */
async function enqueueBacklog(queue: JobQueue, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await queue.enqueue('many', { key: 'a', i }, { key: 'a' });
  await queue.enqueue('many', { key: GATE_KEY, i: 0 }, { key: GATE_KEY });
}

function suite(t: Test, make: (t: Test, persist?: Sql) => Fixture | Promise<Fixture>): void {
  t.test('a job is handled once and acknowledged', async (t) => {
    const { queue } = await make(t);
    const seen = new Recorded<Job>();
    queue.work('once', async (job) => seen.push(job));
    const { id, duplicate } = await queue.enqueue('once', { hello: 'world' });
    t.equal(duplicate, false);
    await seen.until((s) => s.length === 1, 'the job');
    t.match(seen.items[0], { id, kind: 'once', payload: { hello: 'world' }, deliveries: 1 });
    t.equal(await depthBecomes(queue, 'once', 0), 0, 'acked: nothing waiting or in progress');
    t.equal(seen.items.length, 1, 'handled once');
  });

  t.test('a job failing twice then succeeding is handled 3 times', async (t) => {
    const { queue, dead } = await make(t);
    const deliveries = new Recorded<number>();
    queue.work('flaky', async (job) => {
      deliveries.push(job.deliveries);
      if (job.deliveries < 3) throw new Error(`transient ${job.deliveries}`);
    });
    await queue.enqueue('flaky', { n: 1 });
    await deliveries.until((d) => d.length === 3, 'three deliveries');
    t.equal(await depthBecomes(queue, 'flaky', 0), 0, 'acked after the third');
    t.same(deliveries.items, [1, 2, 3]);
    t.same(dead.items, [], 'not dead-lettered');
  });

  t.test('a poison job is dead-lettered after maxDeliveries with the reason', async (t) => {
    const { queue, dead } = await make(t);
    const handler = alwaysFailing(queue, 'poison', () => new Error('always broken'));
    const { id } = await queue.enqueue('poison', { bad: true });
    await dead.until((d) => d.length === 1, 'the dead letter');
    t.match(dead.items[0], { kind: 'poison', jobId: id, payload: { bad: true }, deliveries: 3, reason: /failed 3 times; last: always broken/ });
    t.equal(handler.calls, 3, 'handled maxDeliveries times');
    t.equal(await depthBecomes(queue, 'poison', 0), 0, 'gone from the queue');
  });

  t.test('PermanentJobError dead-letters at once', async (t) => {
    const { queue, dead } = await make(t);
    const handler = alwaysFailing(queue, 'permanent', () => new PermanentJobError('object is gone'));
    const { id } = await queue.enqueue('permanent', {});
    await dead.until((d) => d.length === 1, 'the dead letter');
    t.match(dead.items[0], { jobId: id, deliveries: 1, reason: /permanent: object is gone/ });
    t.equal(handler.calls, 1, 'not retried');
  });

  t.test('a job whose payload Postgres refuses is dead-lettered, not redelivered forever', async (t) => {
    const { sql } = await freshDb(t);
    const { queue, dead } = await make(t, sql);
    // The handler stores the payload the way a job's side effect would, and Postgres refuses it.
    const calls = new Recorded<number>();
    queue.work('unstorable', async (job) => {
      calls.push(job.deliveries);
      await sql`select ${sql.json(job.payload as never)}::jsonb`;
    });
    const payload = { text: 'bad \u0000 byte', half: 'emoji \ud83d', 'key\u0000': 1, ok: 'caf\u00e9 \u{1F600}' };
    const { id } = await queue.enqueue('unstorable', payload);
    await dead.until((d) => d.length === 1, 'the dead letter');
    t.same(calls.items, [1, 2, 3], 'tried maxDeliveries times');
    const [row] = await sql<{ job_id: string; payload: unknown; deliveries: number; reason: string }[]>`
      select job_id, payload, deliveries, reason from job_dead_letters where kind = 'unstorable'`;
    t.match(row, { job_id: id, deliveries: 3, reason: /failed 3 times; last: .*payload text repaired/ });
    t.same(row!.payload, { text: 'bad \ufffd byte', half: 'emoji \ufffd', 'key\ufffd': 1, ok: 'caf\u00e9 \u{1F600}' }, 'stored with the bad text replaced');
    t.equal(await depthBecomes(queue, 'unstorable', 0), 0, 'gone from the queue');
    t.equal(calls.items.length, 3, 'not delivered again');
  });

  t.test('enqueue with the same id twice is a duplicate', async (t) => {
    const { queue } = await make(t);
    const first = await queue.enqueue('dedupe', { n: 1 }, { id: 'provider-msg-1' });
    const second = await queue.enqueue('dedupe', { n: 2 }, { id: 'provider-msg-1' });
    t.same([first.duplicate, second.duplicate], [false, true]);
    t.equal(second.id, 'provider-msg-1');
    const seen = new Recorded<Job>();
    queue.work('dedupe', async (job) => seen.push(job));
    await seen.until((s) => s.length === 1, 'the job');
    t.equal(await depthBecomes(queue, 'dedupe', 0), 0);
    t.same(seen.items.map((j) => j.payload), [{ n: 1 }], 'stored and handled once');
  });

  t.test('one key runs one at a time in enqueue order; other keys run meanwhile', async (t) => {
    const { queue } = await make(t);
    const started = new Recorded<string>();
    const active: Record<string, number> = {};
    let overlap = false;
    queue.work<{ key: string; i: number }>('ordered', async (job) => {
      const { key, i } = job.payload;
      active[key] = (active[key] ?? 0) + 1;
      if (active[key] > 1) overlap = true;
      started.push(`${key}${i}`);
      // a0 holds its key until a job of key b has started: only possible if keys run concurrently.
      if (key === 'a' && i === 0) await started.until((s) => s.includes('b0'), 'b0 to start while a0 runs');
      await new Promise((r) => setImmediate(r));
      active[key]--;
    });
    for (let i = 0; i < 5; i++) {
      await queue.enqueue('ordered', { key: 'a', i }, { key: 'a' });
      await queue.enqueue('ordered', { key: 'b', i }, { key: 'b' });
    }
    await started.until((s) => s.length === 10, 'all ten jobs');
    t.notOk(overlap, 'never two jobs of one key at once');
    for (const key of ['a', 'b']) {
      t.same(started.items.filter((s) => s[0] === key), [0, 1, 2, 3, 4].map((i) => `${key}${i}`), `key ${key} in enqueue order`);
    }
    t.ok(started.items.indexOf('b0') < started.items.indexOf('a1'), 'b0 ran while a0 was still in progress');
  });

  t.test('a backlog on one key does not hold up other keys', async (t) => {
    const { queue } = await make(t);
    const started = new Recorded<string>();
    let blocked = false;
    queue.work<{ key: string; i: number }>('backlog', async (job) => {
      const { key, i } = job.payload;
      started.push(`${key}${i}`);
      if (key === 'a' && i === 0) await started.until((s) => s.includes('b0'), 'b0', 2000).catch(() => (blocked = true));
    }, { concurrency: 2 });
    for (let i = 0; i < 4; i++) await queue.enqueue('backlog', { key: 'a', i }, { key: 'a' });
    await queue.enqueue('backlog', { key: 'b', i: 0 }, { key: 'b' });
    await started.until((s) => s.length === 5, 'all five jobs');
    t.notOk(blocked, 'b0 started while a0 ran, although more a-jobs than worker slots were queued');
  });

  t.test('jobs waiting behind a key reach many.run together, in enqueue order', async (t) => {
    const { queue, dead } = await make(t);
    const w = batchingWorker(queue, { max: 4 });
    await enqueueBacklog(queue, 6);
    await w.done.until((d) => d.length >= 6, 'all six jobs done');
    t.equal(await depthBecomes(queue, 'many', 0), 0, 'all acknowledged');
    t.notOk(w.overlap, 'never two runs of one key at once');
    t.same(w.done.items, tagsOf(6), 'done in enqueue order, each once');
    // a1..a5 were all waiting when a0 finished: the first batch is the next max of them.
    t.same(w.batches[0], ['a1', 'a2', 'a3', 'a4'], 'the jobs right behind a0, up to max, in order');
    t.ok(w.batches.every((b) => b.length <= 4), 'no batch beyond max');
    const singles = w.events.filter((e) => e.startsWith('single')).map((e) => e.split(/[ #]/)[1]!);
    t.same([...singles, ...w.batches.flat()].sort(), tagsOf(6), 'each job handed to a handler exactly once');
    t.same(dead.items, []);
  });

  t.test('a batch done in part: the first job not done runs alone, the rest follow in order', async (t) => {
    const { queue, dead } = await make(t);
    // max 4 of 7 waiting: a5.. stay queued behind the batch, and a4 must go back ahead of them.
    const w = batchingWorker(queue, { max: 4, run: async (jobs, call) => (call === 0 ? 2 : jobs.length) });
    await enqueueBacklog(queue, 8);
    await w.done.until((d) => d.length >= 8, 'all eight jobs done');
    t.equal(await depthBecomes(queue, 'many', 0), 0, 'all acknowledged');
    t.notOk(w.overlap, 'never two runs of one key at once');
    t.same(w.batches[0], ['a1', 'a2', 'a3', 'a4'], 'the jobs right behind a0, up to max');
    // Only a1 and a2 were counted: a3 goes through the single form next, before a4.. run again.
    const first = w.events.indexOf(`many ${w.batches[0]!.join(',')}`);
    t.equal(w.events[first + 1], 'single a3#1', 'the first job not done runs alone, right after the batch');
    t.same(w.done.items, tagsOf(8), 'done in enqueue order, none twice');
    t.same(dead.items, []);
  });

  t.test('a batch that throws counts as none done; its jobs still run once each, in order', async (t) => {
    const { queue, dead } = await make(t);
    const w = batchingWorker(queue, {
      max: 10,
      // The first call rejects, the second throws before returning a promise; later ones succeed.
      run: (jobs, call) => {
        if (call === 0) return Promise.reject(new Error('batch write failed'));
        if (call === 1) throw new Error('batch refused');
        return Promise.resolve(jobs.length);
      },
    });
    await enqueueBacklog(queue, 7);
    await w.done.until((d) => d.length >= 7, 'all seven jobs done');
    t.equal(await depthBecomes(queue, 'many', 0), 0, 'all acknowledged');
    t.notOk(w.overlap, 'never two runs of one key at once');
    t.same(w.done.items, tagsOf(7), 'done in enqueue order, none twice');
    // Each failed batch hands its first job to the single form; the rest are batched again.
    const failed = w.batches.slice(0, 2).map((b) => w.events.indexOf(`many ${b.join(',')}`));
    t.same(failed.map((i) => w.events[i + 1]), ['single a1#1', 'single a2#1'], 'after each failed batch its first job ran alone');
    t.same(w.batches.slice(0, 3).map((b) => b[0]), ['a1', 'a2', 'a3'], 'the rest batched again, from the next job on');
    t.same(dead.items, []);
  });

  t.test('a job left by a batch whose single run fails once is retried before later jobs of its key are done', async (t) => {
    const { queue, dead } = await make(t);
    const failedOnce = new Set<string>();
    const w = batchingWorker(queue, {
      max: 10,
      run: async (jobs, call) => (call === 0 ? 0 : jobs.length),
      single: (job) => {
        if (tag(job) !== 'a1' || failedOnce.has('a1')) return;
        failedOnce.add('a1');
        throw new Error('transient');
      },
    });
    await enqueueBacklog(queue, 5);
    await w.done.until((d) => d.length >= 5, 'all five jobs done');
    t.equal(await depthBecomes(queue, 'many', 0), 0, 'all acknowledged');
    t.notOk(w.overlap, 'never two runs of one key at once');
    t.same(w.batches[0], ['a1', 'a2', 'a3', 'a4'], 'everything behind a0 in one batch');
    t.same(w.events.filter((e) => e.startsWith('single a1')), ['single a1#1', 'single a1#2'], 'a1 ran alone, failed, and ran again on its next delivery');
    t.same([...w.done.items].sort(), tagsOf(5), 'every job done, none twice');
    // A keyed job retries in place, holding its key: nothing after a1 is done before it.
    t.same(w.done.items, tagsOf(5), 'done in enqueue order');
    t.same(dead.items, []);
  });

  t.test('depth() counts waiting and in-progress jobs', async (t) => {
    const { queue } = await make(t);
    t.equal(await queue.depth('depth'), 0, 'an unknown kind is empty');
    for (let i = 0; i < 3; i++) await queue.enqueue('depth', { i });
    t.equal(await queue.depth('depth'), 3, 'jobs waiting before any worker exists');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const started = new Recorded<number>();
    queue.work<{ i: number }>('depth', async (job) => {
      started.push(job.payload.i);
      await gate;
    }, { concurrency: 1 });
    await started.until((s) => s.length === 1, 'the first job to start');
    t.equal(await depthBecomes(queue, 'depth', 3), 3, 'one in progress plus two waiting');
    release();
    await started.until((s) => s.length === 3, 'the rest');
    t.equal(await depthBecomes(queue, 'depth', 0), 0, 'empty once all are done');
  });
}

t.test('MemoryQueue', async (t) => suite(t, memoryFixture));
t.test('JetStreamQueue', async (t) => suite(t, jetstreamFixture));

t.test('JetStreamQueue: a depth it cannot read is an error, never 0', async (t) => {
  const { common, depthGauge } = deps();
  // No server listens there: the queue never gets a JetStream context.
  const link = new NatsLink({ servers: ['nats://127.0.0.1:1'], name: 'queue-test-offline', log });
  const queue = new JetStreamQueue({ ...common, link, prefix: natsPrefix(), replicas: 1, depthGauge, partitions: {} });
  t.teardown(async () => {
    await queue.stop();
    await link.stop();
  });
  await t.rejects(queue.depth('anything'), /depth is unknown/);
});

t.test('JetStreamQueue: concurrent enqueues are batched, each answered by its own acknowledgement', async (t) => {
  const { common, depthGauge } = deps();
  const link = new NatsLink({ servers: [TEST_NATS_URL], name: 'queue-test-batch', log });
  link.start();
  t.ok(await link.ready(WAIT_MS), 'connected to NATS');
  // A stream of 5 messages (discard new) and no worker yet: 5 of 12 fit, the rest are refused.
  const queue = new JetStreamQueue({ ...common, link, prefix: natsPrefix(), replicas: 1, depthGauge, maxMessages: 5, partitions: { keyed: 4 } });
  removeOnTeardown(t, queue, link);
  await queue.ready();

  // All enqueued in one event-loop turn: one batch of publishes.
  const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => queue.enqueue('keyed', { n: i }, { id: `batch-${i}`, key: `k${i % 3}` })));
  const ok = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as { status?: number; message?: string }] : []));
  t.equal(ok.length, 5, 'exactly the room of the stream was accepted');
  t.equal(refused.length, 7, 'the rest were refused');
  t.ok(refused.every((e) => e.status === 503 && /full/.test(e.message ?? '')), 'each refusal is its own 503 "queue is full"');
  for (const i of ok) t.same((outcomes[i] as PromiseFulfilledResult<{ id: string; duplicate: boolean }>).value, { id: `batch-${i}`, duplicate: false });

  // A second enqueue of an accepted id in a concurrent batch is a duplicate, not a new job.
  const again = await Promise.all([queue.enqueue('keyed', { n: ok[0] }, { id: `batch-${ok[0]}`, key: 'k0' }), queue.enqueue('keyed', { n: ok[1] }, { id: `batch-${ok[1]}`, key: 'k0' })]);
  t.same(again.map((a) => a.duplicate), [true, true], 'resends inside the window are duplicates');

  // Every accepted job is handled exactly once.
  const seen = new Recorded<number>();
  queue.work<{ n: number }>('keyed', async (job) => seen.push(job.payload.n));
  await seen.until((s) => s.length >= 5, 'the accepted jobs');
  await depthBecomes(queue, 'keyed', 0);
  t.same([...seen.items].sort((a, b) => a - b), ok, 'the accepted jobs, each once, and none of the refused');
});

t.test('JetStreamQueue: many concurrent enqueues beyond the in-flight bound are all stored once', async (t) => {
  const { common, depthGauge } = deps();
  const link = new NatsLink({ servers: [TEST_NATS_URL], name: 'queue-test-bound', log });
  link.start();
  t.ok(await link.ready(WAIT_MS), 'connected to NATS');
  // An in-flight bound far below the burst: the rest wait for a slot instead of failing.
  const queue = new JetStreamQueue({ ...common, link, prefix: natsPrefix(), replicas: 1, depthGauge, partitions: {}, publishInFlight: 16, publishQueued: 1000 });
  removeOnTeardown(t, queue, link);
  await queue.ready();
  const n = 300;
  const acks = await Promise.all(Array.from({ length: n }, (_, i) => queue.enqueue('plain', { n: i }, { id: `many-${i}` })));
  t.equal(acks.filter((a) => !a.duplicate).length, n, 'every enqueue acknowledged as new');
  const seen = new Recorded<number>();
  queue.work<{ n: number }>('plain', async (job) => seen.push(job.payload.n), { concurrency: 16 });
  await seen.until((s) => s.length >= n, 'every job');
  await depthBecomes(queue, 'plain', 0);
  t.equal(new Set(seen.items).size, n, 'each job handled');
  t.equal(seen.items.length, n, 'none twice');
  // Beyond the queued bound a publish is refused at once instead of growing memory.
  const tiny = new JetStreamQueue({ ...common, link, prefix: natsPrefix(), replicas: 1, depthGauge, partitions: {}, publishInFlight: 1, publishQueued: 2 });
  t.teardown(async () => {
    await tiny.stop();
    const jsm = await jetstreamManager(link.connection!);
    await jsm.streams.delete(tiny.streamName).catch(() => undefined);
  });
  await tiny.ready();
  const burst = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => tiny.enqueue('plain', { n: i })));
  t.ok(burst.some((o) => o.status === 'rejected' && (o.reason as { status?: number }).status === 503), 'the overflow is a 503');
  t.ok(burst.filter((o) => o.status === 'fulfilled').length >= 2, 'what fitted was stored');
});

t.test('JetStreamQueue: jobs held longer than the ack wait are heartbeated, not redelivered', async (t) => {
  const { common, depthGauge } = deps();
  const link = new NatsLink({ servers: [TEST_NATS_URL], name: 'queue-test-heartbeat', log });
  link.start();
  t.ok(await link.ready(WAIT_MS), 'connected to NATS');
  // Ack wait 1 s: each job below is held three to four times as long.
  const queue = new JetStreamQueue({ ...common, link, prefix: natsPrefix(), replicas: 1, depthGauge, ackWaitS: 1, stallMs: 0, partitions: { ordered: 2 } });
  removeOnTeardown(t, queue, link);
  await queue.ready();
  const runs = new Recorded<string>();
  const slow = () => new Promise((r) => setTimeout(r, 3500));
  queue.work<{ n: number }>('plain', async (job) => {
    await slow();
    runs.push(`plain#${job.payload.n} delivery ${job.deliveries}`);
  });
  queue.work<{ n: number }>('ordered', async (job) => {
    // #0 runs long; #1 waits behind it on the same key for as long, holding no slot.
    if (job.payload.n === 0) await slow();
    runs.push(`ordered#${job.payload.n} delivery ${job.deliveries}`);
  });
  await queue.enqueue('plain', { n: 0 });
  for (const n of [0, 1]) await queue.enqueue('ordered', { n }, { key: 'guest' });
  await runs.until((r) => r.length >= 3, 'the three jobs');
  await new Promise((r) => setTimeout(r, 2500)); // a redelivery would run by now
  t.same([...runs.items].sort(), ['ordered#0 delivery 1', 'ordered#1 delivery 1', 'plain#0 delivery 1'], 'each ran once, on its first delivery');
});
