// Picks the bus: NATS (core fanout + JetStream jobs) when NATS_URL is set, else in-process.
import type { Config } from '../config/load.js';
import type { Broker } from '../fanout/broker.js';
import { MemoryBroker } from '../fanout/broker-memory.js';
import { NatsBroker } from '../fanout/broker-nats.js';
import type { JobQueue, WorkerOptions } from '../jobs/queue.js';
import { MemoryQueue } from '../jobs/queue-memory.js';
import { JetStreamQueue } from '../jobs/queue-jetstream.js';
import { NatsLink } from '../nats/link.js';
import type { Logger } from '../obs/log.js';
import type { Registry } from '../obs/metrics.js';
import type { Sql } from '../store/db.js';
import { settledWithin } from '../util/wait.js';
import { insertDeadLetter } from '../store/jobs.js';

export interface Bus {
  broker: Broker;
  queue: JobQueue;
  /** The NATS link (null for the in-process bus). */
  link: NatsLink | null;
  healthy(): boolean;
  stop(leftMs?: number): Promise<void>;
}

export interface BusDeps {
  nats: Config['nats'];
  jobs: Config['jobs'];
  nodeId: string;
  log: Logger;
  metrics: Registry;
  sql: Sql;
}

export function openBus(deps: BusDeps): Bus {
  const { log, metrics } = deps;
  const defaults: WorkerOptions = { concurrency: 8, maxDeliveries: deps.jobs.maxDeliveries, backoffMs: deps.jobs.backoffMs };
  const outcomes = metrics.counter('jobs_processed_total', 'Background jobs by kind and outcome (done, retry, dead)');
  const depthGauge = metrics.gauge('jobs_queue_depth', 'Background jobs waiting or in progress');
  const deadLetter = (rec: Parameters<typeof insertDeadLetter>[1]) => insertDeadLetter(deps.sql, rec);
  const dropped = metrics.counter('fanout_dropped_total', 'Events that could not be sent to other nodes');

  if (deps.nats.servers.length === 0) {
    const broker = new MemoryBroker(log);
    const queue = new MemoryQueue({ log, deadLetter, outcomes, defaults });
    return {
      broker,
      queue,
      link: null,
      healthy: () => true,
      stop: async () => {
        await queue.stop();
        await broker.stop();
      },
    };
  }

  // Fanout and jobs use separate connections: fanout needs noEcho, request/reply does not.
  const fanoutLink = new NatsLink({ servers: deps.nats.servers, name: `${deps.nodeId}:fanout`, log: log.child({ nats: 'fanout' }), noEcho: true });
  const jobsLink = new NatsLink({ servers: deps.nats.servers, name: `${deps.nodeId}:jobs`, log: log.child({ nats: 'jobs' }) });
  fanoutLink.start();
  jobsLink.start();
  const broker = new NatsBroker({ link: fanoutLink, prefix: deps.nats.prefix, log, dropped });
  const queue = new JetStreamQueue({
    link: jobsLink,
    prefix: deps.nats.prefix,
    replicas: deps.nats.replicas,
    log,
    deadLetter,
    outcomes,
    depthGauge,
    defaults,
    ackWaitS: deps.jobs.ackWaitS,
    stallMs: deps.jobs.stallS * 1000,
    repairs: metrics.counter('jobs_consumer_repairs_total', 'Job consumers recreated because they held work without progress'),
    stalledGauge: metrics.gauge('jobs_partitions_stalled', 'Job consumers holding work without progress at the last check'),
    redelivered: metrics.counter('jobs_redelivered_total', 'Job deliveries that were not the first (a node died or a job failed)'),
    partitions: { 'inbound.webhook': deps.jobs.inboundPartitions, 'whatsapp.inbound': deps.jobs.inboundPartitions },
    nodeId: deps.nodeId,
  });
  metrics.gauge('jobs_partitions_owned', 'Ordered job partitions this node drains now (its leases)').collect(() => [[undefined, queue.ownedPartitions.length]]);
  return {
    broker,
    queue,
    link: jobsLink,
    healthy: () => broker.healthy() && queue.healthy(),
    // Waits for the queue (already asked to stop by the job workers' hook) only while the shutdown
    // deadline lasts: the broker and both connections are closed either way.
    stop: async (leftMs = 5000) => {
      await settledWithin(queue.stop(), leftMs - 500);
      await broker.stop();
      await Promise.all([fanoutLink.stop(), jobsLink.stop()]);
    },
  };
}
