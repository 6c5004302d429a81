// JetStreamQueues made by tests: a queue on its own NATS link with the deps tests do not care
// about filled in, and its teardown (stop it, delete its stream and its lease bucket, close the
// link).
import { jetstreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Test } from 'tap';
import { JetStreamQueue, type JetStreamQueueDeps } from '../../src/jobs/queue-jetstream.js';
import { NatsLink } from '../../src/nats/link.js';
import { Registry } from '../../src/obs/metrics.js';
import { TEST_NATS_URL } from './env.js';

export function removeOnTeardown(t: Test, queue: JetStreamQueue, link: NatsLink): void {
  t.teardown(async () => {
    await queue.stop();
    if (link.connection) {
      const jsm = await jetstreamManager(link.connection);
      await jsm.streams.delete(queue.streamName).catch(() => undefined);
      await jsm.streams.delete(`KV_${queue.leaseBucket}`).catch(() => undefined);
    }
    await link.stop();
  });
}

type Options = Pick<JetStreamQueueDeps, 'prefix' | 'defaults'> & Partial<Omit<JetStreamQueueDeps, 'link' | 'log'>>;

/** A connected queue named `name` (its link's name too), removed when `t` ends. */
export async function testQueue(t: Test, name: string, log: Logger, opts: Options, metrics = new Registry()): Promise<{ queue: JetStreamQueue; link: NatsLink }> {
  const link = new NatsLink({ servers: [TEST_NATS_URL], name, log });
  link.start();
  t.ok(await link.ready(10_000), `${name} connected to NATS`);
  const queue = new JetStreamQueue({
    link,
    log,
    replicas: 1,
    deadLetter: async () => undefined,
    outcomes: metrics.counter('jobs_processed_total', 'outcomes'),
    depthGauge: metrics.gauge('jobs_queue_depth', 'depth'),
    nodeId: name,
    ...opts,
  });
  removeOnTeardown(t, queue, link);
  await queue.ready();
  return { queue, link };
}
