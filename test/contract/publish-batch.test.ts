// BatchPublisher against a real JetStream: publishes of one turn go out together, yet each caller
// gets the answer to its own message — stored, duplicate, or refused — and a bounded queue refuses
// what does not fit instead of growing.
import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import t from 'tap';
import { BatchPublisher } from '../../src/jobs/publish-batch.js';
import { natsPrefix } from '../helpers/app.js';
import { TEST_NATS_URL } from '../helpers/env.js';

const nc = await connect({ servers: TEST_NATS_URL });
t.teardown(() => nc.close());
const jsm = await jetstreamManager(nc);
const prefix = natsPrefix();
const stream = `${prefix}_PB`;
await jsm.streams.add({ name: stream, subjects: [`${prefix}.pb.>`], retention: RetentionPolicy.Workqueue, storage: StorageType.File, duplicate_window: 60_000_000_000 });
t.teardown(() => jsm.streams.delete(stream).then(() => undefined));
const enc = new TextEncoder();

t.test('each caller is answered for its own message, in one batch', async (t) => {
  const p = new BatchPublisher(() => nc, { maxInFlight: 100, maxQueued: 100, timeoutMs: 5000 });
  t.teardown(() => p.close());
  const outcomes = await Promise.allSettled([
    p.publish(`${prefix}.pb.a`, enc.encode('one'), 'm1'),
    p.publish(`${prefix}.nostream.a`, enc.encode('lost'), 'm2'), // no stream listens: refused
    p.publish(`${prefix}.pb.a`, enc.encode('two'), 'm3'),
    p.publish(`${prefix}.pb.a`, enc.encode('one again'), 'm1'), // same id: a duplicate
  ]);
  t.equal(outcomes[0]!.status, 'fulfilled');
  t.equal((outcomes[1] as PromiseRejectedResult).reason?.status, 503, 'the message no stream takes is a 503');
  t.equal(outcomes[2]!.status, 'fulfilled', 'its neighbours are not affected');
  t.same((outcomes[3] as PromiseFulfilledResult<{ duplicate: boolean }>).value.duplicate, true, 'the repeated id is a duplicate');
  t.notOk((outcomes[0] as PromiseFulfilledResult<{ duplicate: boolean }>).value.duplicate);
  const info = await jsm.streams.info(stream);
  t.equal(info.state.messages, 2, 'two messages stored');
  t.equal(p.pending, 0, 'nothing left waiting for an ack');
});

t.test('beyond the queue bound a publish is refused at once; the rest still go through', async (t) => {
  const p = new BatchPublisher(() => nc, { maxInFlight: 2, maxQueued: 3, timeoutMs: 5000 });
  t.teardown(() => p.close());
  const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => p.publish(`${prefix}.pb.b`, enc.encode(String(i)), `bound-${i}`)));
  t.same(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
  t.equal((outcomes[3] as PromiseRejectedResult).reason?.status, 503);
});

t.test('without a connection every publish is a 503', async (t) => {
  const p = new BatchPublisher(() => null, { maxInFlight: 2, maxQueued: 3, timeoutMs: 5000 });
  const err = await p.publish(`${prefix}.pb.c`, enc.encode('x'), 'c1').then(() => null, (e: { status?: number }) => e);
  t.equal(err?.status, 503);
});
