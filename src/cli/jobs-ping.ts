// The equivalent of the original `test_celery`: a ping job goes through JetStream and a worker of
// a running node answers on a reply subject.
import { createInbox } from '@nats-io/transport-node';
import type { Config } from '../config/load.js';
import { JetStreamQueue } from '../jobs/queue-jetstream.js';
import { NatsLink } from '../nats/link.js';
import { createLogger } from '../obs/log.js';
import { Registry } from '../obs/metrics.js';
import { CliError } from './errors.js';

export async function pingJobs(config: Config, timeoutMs: number): Promise<string> {
  if (config.nats.servers.length === 0) {
    throw new CliError('jobs:ping needs NATS_URL: without it the job queue lives inside the server process');
  }
  const log = createLogger({ level: 'warn', nodeId: `${config.nodeId}-cli` });
  const link = new NatsLink({ servers: config.nats.servers, name: `${config.nodeId}:cli`, log });
  link.start();
  try {
    if (!(await link.ready(timeoutMs))) throw new CliError('NATS not reachable');
    const metrics = new Registry();
    const queue = new JetStreamQueue({
      link,
      prefix: config.nats.prefix,
      replicas: config.nats.replicas,
      log,
      deadLetter: async () => undefined,
      outcomes: metrics.counter('x', 'x'),
      depthGauge: metrics.gauge('y', 'y'),
      defaults: { concurrency: 1, maxDeliveries: 1, backoffMs: 1000 },
    });
    await queue.ready();
    const nc = link.connection!;
    const reply = createInbox();
    const sub = nc.subscribe(reply, { max: 1 });
    const started = performance.now();
    const { id } = await queue.enqueue('ping', { reply, sent_at: new Date().toISOString() });
    const timer = setTimeout(() => sub.unsubscribe(), timeoutMs);
    for await (const m of sub) {
      clearTimeout(timer);
      const answer = m.json<{ node: string }>();
      await queue.stop();
      return `pong from ${answer.node} in ${Math.round(performance.now() - started)} ms (job ${id})`;
    }
    await queue.stop();
    throw new CliError(`no worker answered within ${timeoutMs} ms (is a node running with NATS_URL=${config.nats.servers.join(',')} and NATS_PREFIX=${config.nats.prefix}?)`);
  } finally {
    await link.stop();
  }
}
