// A job consumer that holds work but makes no progress is found and recreated. The broker bug
// that caused it (nats-server 2.9 counting a pending delivery of a deleted message) cannot be
// triggered on purpose, so the same state is built with the JetStream API: a foreign client takes
// every ack-pending slot of the partition (two here) and never acknowledges them (with a 60 s ack
// wait), so the partition holds five jobs and delivers none. The queue must notice, recreate the consumer, run
// every job once and in order, count the repair and log it.
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import t from 'tap';
import type { Job } from '../../src/jobs/queue.js';
import { Registry } from '../../src/obs/metrics.js';
import { natsPrefix, type LogLine } from '../helpers/app.js';
import { until } from '../helpers/cluster.js';
import { testQueue } from '../helpers/jetstream-queue.js';

t.test('a partition stuck behind a delivery nobody acknowledges is repaired', async (t) => {
  const lines: LogLine[] = [];
  const log = pino({ level: 'warn', formatters: { level: (label) => ({ level: label }) } }, { write: (l: string) => void lines.push(JSON.parse(l) as LogLine) });
  const metrics = new Registry();
  const repairs = metrics.counter('jobs_consumer_repairs_total', 'repairs');
  const prefix = natsPrefix();
  const { queue, link } = await testQueue(t, 'stuck-test', log, {
    prefix,
    defaults: { concurrency: 4, maxDeliveries: 5, backoffMs: 50 },
    ackWaitS: 60, // the phantom delivery would not expire during the test
    partitions: { ordered: 1 },
    orderedInFlight: 2,
    stallMs: 1500,
    repairs,
    stalledGauge: metrics.gauge('jobs_partitions_stalled', 'stalled'),
  }, metrics);
  for (let i = 0; i < 5; i++) await queue.enqueue('ordered', { n: i }, { id: `job-${i}`, key: 'guest-1' });

  // The partition's consumer, as the queue creates it, with both its ack-pending slots taken.
  const jsm = await jetstreamManager(link.connection!);
  const durable = 'ordered_p0';
  await jsm.consumers.add(queue.streamName, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    filter_subject: `${prefix}.jobs.ordered.p0`,
    ack_wait: 60e9,
    max_deliver: -1,
    max_ack_pending: 2,
  });
  const ghost = await jetstream(link.connection!).consumers.get(queue.streamName, durable);
  t.ok(await ghost.next({ expires: 5000 }), 'the foreign client holds the first job and never acknowledges it');
  t.ok(await ghost.next({ expires: 5000 }), 'and the second');
  const stuck = await jsm.consumers.info(queue.streamName, durable);
  t.match(stuck, { num_ack_pending: 2, num_pending: 3 }, 'work, and no slot to deliver it');

  const seen: Job[] = [];
  queue.work<{ n: number }>('ordered', async (job) => void seen.push(job));
  await until(async () => seen.length >= 5, 'every job of the stuck partition to run', 30_000);
  t.same(seen.map((j) => j.id), ['job-0', 'job-1', 'job-2', 'job-3', 'job-4'], 'each job once, in enqueue order');
  t.ok(repairs.get({ kind: 'ordered' }) >= 1, 'the repair is counted in jobs_consumer_repairs_total');
  t.ok(lines.some((l) => l.level === 'warn' && /without progress/.test(l.msg ?? '') && l['consumer'] === durable), 'and logged as a warning naming the consumer');
  await until(async () => (await queue.depth('ordered')) === 0, 'the stream to be empty');
});
