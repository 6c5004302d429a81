// Durable job queue on JetStream (works with NATS 2.9: one work-queue stream, durable pull
// consumers with a single filter subject each, delays through NAK with a delay — no per-message
// TTLs, priority groups or multi-filter consumers).
//
// Every node runs the same consumers, so they compete for jobs. The stream is bounded
// (discard new): a full queue refuses enqueues, which callers see as 503.
//
// Ordering: a kind listed in `partitions` is split into P subjects (<kind>.p<n>); a job's key
// picks its partition, and each partition has its own consumer with max_ack_pending 1, so jobs of
// one key run one at a time, in order, across all nodes — while P partitions run in parallel.
//
// A dead node holds a partition only for the ack wait (5 s by default): running and queued
// deliveries report progress (`working()`) every third of it, so only a node that stopped
// heartbeating loses its jobs to redelivery. A consumer that holds work without progress (see
// stall-watch.ts) is deleted and recreated; the work-queue stream replays what was not acked.
import { randomUUID } from 'node:crypto';
import {
  AckPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger } from '../obs/log.js';
import type { Counter, Gauge } from '../obs/metrics.js';
import type { NatsLink } from '../nats/link.js';
import { jobSubjects } from '../fanout/subjects.js';
import { UnavailableError } from '../core/errors.js';
import { Dispatcher } from './dispatch.js';
import { StallWatch } from './stall-watch.js';
import { BatchPublisher } from './publish-batch.js';
import { partitionOf, type DeadLetterSink, type JobHandler, type JobQueue, type WorkerOptions } from './queue.js';

export interface JetStreamQueueDeps {
  link: NatsLink;
  prefix: string;
  replicas: number;
  log: Logger;
  deadLetter: DeadLetterSink;
  outcomes: Counter;
  depthGauge: Gauge;
  defaults: WorkerOptions;
  maxMessages?: number;
  /** Seconds before an unacknowledged job is redelivered (a worker or its node died). */
  ackWaitS?: number;
  /** Kinds whose jobs are ordered by key, and their number of partitions. */
  partitions?: Record<string, number>;
  /** Milliseconds a consumer may hold work without progress before it is recreated (0: never). */
  stallMs?: number;
  /** Consumers recreated because they stalled, by kind. */
  repairs?: Counter;
  /** Consumers found stalled at the last check, by kind. */
  stalledGauge?: Gauge;
  /** Deliveries that are not the first, by kind (a node died or a job failed). */
  redelivered?: Counter;
  /** Enqueues published and not yet acknowledged by JetStream (default 4096). */
  publishInFlight?: number;
  /** Enqueues waiting for a publish slot before one is refused with 503 (default 16384). */
  publishQueued?: number;
}

interface Consumer {
  partition: number | undefined;
  messages: ConsumerMessages;
}

interface Worker {
  kind: string;
  dispatcher: Dispatcher<unknown>;
  options: WorkerOptions;
  /** By durable name: one consumer for a plain kind; one per partition for a partitioned kind. */
  consumers: Map<string, Consumer>;
}

const dec = new TextDecoder();

export class JetStreamQueue implements JobQueue {
  private readonly dispatchDeps: JetStreamQueueDeps & { heartbeatMs: number };
  readonly kind = 'jetstream' as const;
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;
  private setup: Promise<void> | null = null;
  private workers = new Map<string, Worker>();
  private stopped = false;
  private offLink: () => void;
  private depthTimer: NodeJS.Timeout;
  private stallTimer: NodeJS.Timeout | null = null;
  private stalls: StallWatch;
  private publisher: BatchPublisher;

  constructor(private readonly deps: JetStreamQueueDeps) {
    this.publisher = new BatchPublisher(() => deps.link.connection, {
      maxInFlight: deps.publishInFlight ?? 4096,
      maxQueued: deps.publishQueued ?? 16_384,
      timeoutMs: 5000,
    });
    this.dispatchDeps = { ...deps, heartbeatMs: this.ackWaitMs / 3 };
    const stallMs = deps.stallMs ?? 30_000;
    this.stalls = new StallWatch(stallMs);
    if (stallMs > 0) {
      this.stallTimer = setInterval(() => void this.checkStalls(), Math.min(5000, Math.max(250, stallMs / 3)));
      this.stallTimer.unref();
    }
    this.offLink = deps.link.on((event) => {
      if (event === 'connected') this.setup = this.init();
    });
    if (deps.link.connection) this.setup = this.init();
    this.depthTimer = setInterval(() => void this.refreshDepth(), 5000);
    this.depthTimer.unref();
  }

  private get ackWaitMs(): number {
    return (this.deps.ackWaitS ?? 5) * 1000;
  }

  get streamName(): string {
    return jobSubjects.stream(this.deps.prefix);
  }

  private subject(kind: string, partition?: number): string {
    return jobSubjects.one(this.deps.prefix, kind, partition);
  }

  private durable(kind: string, partition?: number): string {
    return `${kind.replace(/[^\w-]/g, '_')}${partition === undefined ? '' : `_p${partition}`}`;
  }

  private partitions(kind: string): number | undefined {
    return this.deps.partitions?.[kind];
  }

  /** Creates (or updates) the stream, then (re)starts every registered worker. */
  private async init(): Promise<void> {
    const nc = this.deps.link.connection;
    if (!nc) return;
    try {
      this.jsm = await jetstreamManager(nc);
      this.js = jetstream(nc);
      const config = {
        name: this.streamName,
        subjects: [jobSubjects.all(this.deps.prefix)],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        discard: DiscardPolicy.New,
        max_msgs: this.deps.maxMessages ?? 1_000_000,
        duplicate_window: 120_000_000_000, // 2 min in ns
        num_replicas: this.deps.replicas,
      };
      try {
        await this.jsm.streams.info(this.streamName);
        await this.jsm.streams.update(this.streamName, config);
      } catch (err) {
        if (!/not found/i.test((err as Error).message)) throw err;
        await this.jsm.streams.add(config);
      }
      for (const w of this.workers.values()) await this.startWorker(w);
    } catch (err) {
      this.deps.log.error({ err }, 'jetstream setup failed; retrying in 2 s');
      if (!this.stopped) {
        await new Promise((r) => setTimeout(r, 2000));
        if (!this.stopped) return this.init();
      }
    }
  }

  /** Resolves once the stream exists (or rejects with 503 while NATS is unreachable). */
  async ready(): Promise<void> {
    if (!this.setup) throw new UnavailableError('job queue unavailable: NATS not connected');
    await this.setup;
  }

  async enqueue(kind: string, payload: unknown, opts: { id?: string; key?: string } = {}): Promise<{ id: string; duplicate: boolean }> {
    if (!this.js || !this.deps.link.connected) throw new UnavailableError('job queue unavailable: NATS not connected');
    const id = opts.id ?? randomUUID();
    // Buffer.from takes small strings from a pooled slab; TextEncoder allocates a buffer per call.
    const data = Buffer.from(JSON.stringify({ id, p: payload, ...(opts.key !== undefined ? { k: opts.key } : {}) }));
    const n = this.partitions(kind);
    const partition = n === undefined ? undefined : partitionOf(opts.key ?? id, n);
    // Batched with every other enqueue of this event-loop turn; resolves on this job's own ack.
    const ack = await this.publisher.publish(this.subject(kind, partition), data, id);
    return { id, duplicate: ack.duplicate };
  }

  work<P>(kind: string, handler: JobHandler<P>, opts: Partial<WorkerOptions> = {}): void {
    if (this.workers.has(kind)) throw new Error(`a worker for ${kind} is already registered`);
    const options = { ...this.deps.defaults, ...opts } as WorkerOptions;
    const worker: Worker = {
      kind,
      options,
      dispatcher: new Dispatcher(kind, handler as JobHandler<unknown>, options, this.dispatchDeps),
      consumers: new Map(),
    };
    this.workers.set(kind, worker);
    if (this.jsm) {
      this.startWorker(worker).catch((err) => {
        if (!this.stopped) this.deps.log.error({ err, kind }, 'starting the job consumer failed; retrying with the next connection');
      });
    }
  }

  private async startWorker(w: Worker): Promise<void> {
    if (!this.jsm || !this.js || this.stopped) return;
    for (const c of w.consumers.values()) c.messages.stop();
    w.consumers.clear();
    const n = this.partitions(w.kind);
    const parts = n === undefined ? [undefined] : Array.from({ length: n }, (_, i) => i);
    for (const partition of parts) {
      if (this.stopped) return;
      await this.startConsumer(w, partition);
    }
    this.deps.log.info({ kind: w.kind, consumers: parts.length }, 'job consumers started');
  }

  /** Creates (or updates) the durable consumer of a kind or partition and consumes from it. */
  private async startConsumer(w: Worker, partition: number | undefined): Promise<void> {
    if (!this.jsm || !this.js) return;
    const durable = this.durable(w.kind, partition);
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: this.subject(w.kind, partition),
      // Short, so a dead node's jobs move on quickly; live ones heartbeat (see the header).
      ack_wait: this.ackWaitMs * 1e6, // ns
      max_deliver: -1, // the dispatcher counts deliveries and dead-letters itself
      // A partition hands out its next job only after the previous one is acknowledged.
      max_ack_pending: partition === undefined ? Math.max(64, w.options.concurrency * 8) : 1,
    };
    try {
      await this.jsm.consumers.info(this.streamName, durable);
      await this.jsm.consumers.update(this.streamName, durable, config);
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
      await this.jsm.consumers.add(this.streamName, config);
    }
    const consumer = await this.js.consumers.get(this.streamName, durable);
    const messages = await consumer.consume({ max_messages: partition === undefined ? Math.max(8, w.options.concurrency * 2) : 2 });
    w.consumers.get(durable)?.messages.stop();
    w.consumers.set(durable, { partition, messages });
    void this.consumeLoop(w, messages);
  }

  /** One pass of the stall watch over every consumer of this node's workers. */
  private async checkStalls(): Promise<void> {
    const jsm = this.jsm;
    if (!jsm || this.stopped || !this.deps.link.connected) return;
    for (const w of this.workers.values()) {
      let stalled = 0;
      for (const [durable, c] of [...w.consumers]) {
        let info;
        try {
          info = await jsm.consumers.info(this.streamName, durable);
        } catch {
          continue; // NATS unreachable or the consumer is being recreated: next pass
        }
        const sample = {
          pending: info.num_pending,
          ackPending: info.num_ack_pending,
          delivered: info.delivered.consumer_seq,
          ackFloor: info.ack_floor.consumer_seq,
        };
        if (!this.stalls.observe(durable, sample, Date.now())) continue;
        stalled++;
        await this.repair(w, durable, c.partition, info.created, sample).catch((err) => {
          this.deps.log.error({ err, kind: w.kind, consumer: durable }, 'recreating a stalled job consumer failed; next pass retries');
        });
      }
      this.deps.stalledGauge?.set(stalled, { kind: w.kind });
    }
  }

  private async repair(w: Worker, durable: string, partition: number | undefined, created: string, sample: object): Promise<void> {
    const jsm = this.jsm;
    if (!jsm || this.stopped) return;
    this.deps.log.warn({ kind: w.kind, consumer: durable, ...sample }, 'job consumer holds work without progress; recreating it (unacked jobs are replayed)');
    // Another node may have repaired it since our sample: then there is nothing to do.
    const now = await jsm.consumers.info(this.streamName, durable).catch(() => null);
    if (now && now.created === created) await jsm.consumers.delete(this.streamName, durable).catch(() => undefined);
    this.stalls.forget(durable);
    await this.startConsumer(w, partition);
    this.deps.repairs?.inc({ kind: w.kind });
  }

  private async consumeLoop(w: Worker, messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        // A delivery waiting for a free slot is held by this node too: keep it from redelivery.
        const beat = setInterval(() => m.working(), this.dispatchDeps.heartbeatMs);
        await w.dispatcher.acquire().finally(() => clearInterval(beat));
        if (this.stopped) {
          w.dispatcher.cancel();
          m.nak();
          break;
        }
        w.dispatcher.run(this.delivery(w.kind, m));
      }
    } catch (err) {
      if (!this.stopped) this.deps.log.error({ err, kind: w.kind }, 'job consumer stopped');
    }
  }

  private delivery(kind: string, m: JsMsg) {
    let id = `${kind}:${m.seq}`;
    let payload: unknown = null;
    let key: string | undefined;
    try {
      const env = JSON.parse(dec.decode(m.data)) as { id: string; p: unknown; k?: string };
      id = env.id;
      payload = env.p;
      key = env.k;
    } catch {
      payload = { undecodable: Buffer.from(m.data).toString('base64') };
    }
    return {
      job: { id, kind, payload, deliveries: m.info.deliveryCount, ...(key !== undefined ? { key } : {}) },
      ack: () => m.ack(),
      retry: (delayMs: number) => m.nak(delayMs),
      term: () => m.term(),
      working: () => m.working(),
    };
  }

  /** Jobs of `kind` waiting or in progress; rejects when the stream cannot be asked. */
  async depth(kind: string): Promise<number> {
    if (!this.jsm) throw new Error('JetStream is not connected; the queue depth is unknown');
    // A work queue keeps a message until it is acked: the subjects' counts are the depth.
    const filter = this.partitions(kind) === undefined ? this.subject(kind) : jobSubjects.partitions(this.deps.prefix, kind);
    const info = await this.jsm.streams.info(this.streamName, { subjects_filter: filter });
    return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  }

  /** An unknown depth is NaN on the gauge (and a warning), never a reassuring 0. */
  private async refreshDepth(): Promise<void> {
    for (const kind of this.workers.keys()) {
      try {
        this.deps.depthGauge.set(await this.depth(kind), { kind });
      } catch (err) {
        this.deps.depthGauge.set(Number.NaN, { kind });
        if (!this.stopped) this.deps.log.warn({ kind, err: (err as Error).message }, 'could not read the job queue depth');
      }
    }
  }

  healthy(): boolean {
    return this.deps.link.connected && this.js !== null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offLink();
    this.publisher.close();
    clearInterval(this.depthTimer);
    if (this.stallTimer) clearInterval(this.stallTimer);
    for (const w of this.workers.values()) {
      for (const c of w.consumers.values()) c.messages.stop();
      await w.dispatcher.drained();
    }
  }
}
