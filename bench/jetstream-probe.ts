// The broker's own ceiling for queued webhooks: N publishes through the server's BatchPublisher
// (the same batching, dedupe header and acks as the webhook route) to a work-queue stream of its
// own, optionally with P partition consumers draining it the way the job queue does
// (max_ack_pending 1, ack only, no work). Deletes its stream at the end, on errors and on Ctrl-C.
//
//   npx tsx bench/jetstream-probe.ts [--count 20000] [--in-flight 256] [--consume] [--partitions 32]
//                                    [--memory] [--nats 127.0.0.1:4222]
import { parseArgs } from 'node:util';
import { AckPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { BatchPublisher } from '../src/jobs/publish-batch.js';

const { values: o } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    'in-flight': { type: 'string', default: '256' },
    consume: { type: 'boolean', default: false },
    partitions: { type: 'string', default: '32' },
    memory: { type: 'boolean', default: false },
    nats: { type: 'string', default: process.env.BENCH_NATS_URL ?? '127.0.0.1:4222' },
  },
});
function positive(name: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    console.error(`probe: --${name} must be a whole number from 1 to ${max}, not ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}
const count = positive('count', o.count!, 10_000_000);
const inFlight = positive('in-flight', o['in-flight']!, 100_000);
const parts = positive('partitions', o.partitions!, 1024);

const nc = await connect({ servers: o.nats, timeout: 5000 });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
const name = `PROBE_${process.pid}`;
const subject = (p: number) => `probe${process.pid}.p${p}`;
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await jsm.streams.delete(name).catch(() => undefined);
  await nc.close().catch(() => undefined);
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
const deadline = setTimeout(() => {
  console.error('probe: no result within 120 s');
  void cleanup().then(() => process.exit(1));
}, 120_000);

try {
  await jsm.streams.add({
    name,
    subjects: [`probe${process.pid}.>`],
    retention: RetentionPolicy.Workqueue,
    storage: o.memory ? StorageType.Memory : StorageType.File,
    discard: DiscardPolicy.New,
    max_msgs: 1_000_000,
    duplicate_window: 120e9,
  });
  let consumed = 0;
  if (o.consume) {
    for (let p = 0; p < parts; p++) {
      await jsm.consumers.add(name, { durable_name: `c${p}`, ack_policy: AckPolicy.Explicit, filter_subject: subject(p), max_ack_pending: 1, ack_wait: 5e9 });
      const messages = await (await js.consumers.get(name, `c${p}`)).consume({ max_messages: 2 });
      void (async () => {
        for await (const m of messages) {
          consumed++;
          m.ack();
        }
      })();
    }
  }
  const publisher = new BatchPublisher(() => nc, { maxInFlight: 4096, maxQueued: count, timeoutMs: 10_000 });
  // A webhook-sized job, as the route enqueues it.
  const body = Buffer.from(JSON.stringify({ id: 'x', p: { hotel_id: '7d0c6a3e-1f5b-4c1e-9a61-2b9d3f0e8c11', channel: 'relay-1', whatsapp_number: '+4915112345678', message: 'b|run|12345|1790000000000.123|1 hello from the probe', department: 'Reception', provider_message_id: 'pm-0123456789' }, k: '4915112345678' }));
  let sent = 0;
  let acked = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const next = (): void => {
      if (sent >= count) return;
      const i = sent++;
      publisher.publish(subject(i % parts), body, `probe-${process.pid}-${i}`).then(() => {
        if (++acked === count) resolve();
        else next();
      }, reject);
    };
    for (let i = 0; i < Math.min(inFlight, count); i++) next();
  });
  const acceptedMs = performance.now() - t0;
  console.log(`${count} publishes acknowledged in ${acceptedMs.toFixed(0)} ms: ${Math.round(count / (acceptedMs / 1000))}/s (${o.memory ? 'memory' : 'file'} storage, ${inFlight} in flight${o.consume ? `, ${parts} consumers draining, ${consumed} consumed meanwhile` : ''})`);
  if (o.consume) {
    while (consumed < count) await new Promise((r) => setTimeout(r, 20));
    console.log(`all ${count} consumed after ${(performance.now() - t0).toFixed(0)} ms (${parts} partitions, one job in flight each)`);
  }
} finally {
  clearTimeout(deadline);
  await cleanup();
}
