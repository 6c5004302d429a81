// Durable job queue on JetStream (works with NATS 2.9: one work-queue stream, durable pull
// consumers with a single filter subject each, delays through NAK with a delay — no per-message
// TTLs, priority groups or multi-filter consumers).
//
// Every node runs the same consumers, so they compete for jobs. The stream is bounded
// (discard new): a full queue refuses enqueues, which callers see as 503.
//
// Ordering: a kind listed in `partitions` is split into P subjects (<kind>.p<n>); a job's key
// picks its partition. Each partition is drained by one node at a time, the holder of its lease
// (partition-leases.ts), which takes up to ORDERED_IN_FLIGHT of its jobs at once and runs them
// through the dispatcher's key lanes: jobs of one key run one at a time, in order, across all
// nodes, while different keys — and P partitions spread over the nodes — run in parallel and
// share the group commit. A keyed job that fails waits for its retry in place, holding its key.
//
// A dead node holds its jobs only for the ack wait (5 s by default) and its partitions for the
// lease TTL (three ack waits): running and queued deliveries report progress (`working()`)
// every third of the ack wait, so only a node that stopped heartbeating loses its jobs to
// redelivery, and JetStream redelivers them before anything newer. A consumer that holds work
// without progress (see stall-watch.ts) is deleted and recreated; the work-queue stream replays
// what was not acked.
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
import { INGRESS_DEFAULTS, IngressPriority, type ShareTurn } from './ingress-priority.js';
import { Kvm } from '@nats-io/kv';
import { leaseOwner, PartitionLeases } from './partition-leases.js';
import { Halt, HALTED, sleep, settledWithin } from '../util/wait.js';
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
  /** Names this node's partition leases (a per-process suffix is added). */
  nodeId?: string;
  /** Jobs of one partition its owner holds at once (default 128). */
  orderedInFlight?: number;
}

interface Consumer {
  partition: number | undefined;
  /** Stops taking jobs (the current loop; held deliveries still settle). */
  stop(): void;
  /** Resolves when the consumer takes no more jobs. */
  done: Promise<void>;
  /** Deliveries taken and not yet settled (partition drains). */
  held: number;
  /** The partition's lease went to another node: take nothing more from this fetch. */
  lost?: boolean;
  /** The partition is being given back: its loop is not restarted. */
  releasing?: boolean;
  /** Ends the current loop at once, its fetch included (its connection is gone, or it is stuck). */
  abortFetch?: () => void;
  settled: Array<() => void>;
  /** Where the drain loop is waiting (for the log, when a stop has to leave it). */
  phase?: string;
  /**
   * When jobs of this partition were last let go unacknowledged (skipped, abandoned, or cut off
   * with a fetch): until they are due for redelivery, the lease must not go to another node early.
   */
  lastDrop: number;
}

const FETCH_EXPIRES_MS = 1000;
/** Longest a partition drain holds its next fetch back while the node accepts a burst. */
const YIELD_MAX_MS = 2000;
/**
 * What an idle drain asks for. Its pull request stays open, so every partition's idle pull is
 * filled the moment a burst starts, before the drains know of it: 32 partitions asking for 16 each
 * stored 512 jobs in the burst's first few hundred milliseconds, on the loop that accepts it. A
 * fetch that comes back full asks for twice as many next time, up to orderedInFlight.
 */
const IDLE_FETCH = 4;
/**
 * What a partition drain takes between its waits while the node accepts a burst (each partition
 * still makes progress).
 */
const BURST_FETCH = 16;
type PullConsumer = Awaited<ReturnType<JetStreamClient['consumers']['get']>>;

interface Worker {
  kind: string;
  dispatcher: Dispatcher<unknown>;
  options: WorkerOptions;
  /** By durable name: one consumer for a plain kind; one per partition this node drains. */
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
  private leases: PartitionLeases | null = null;
  private readonly owner: string;
  /** Partition drains wait until then after a new connection (see startWorker). */
  private fetchAfter = 0;
  private closing = false;
  private stopping: Promise<void> | null = null;
  private readonly ingress: IngressPriority;

  constructor(private readonly deps: JetStreamQueueDeps) {
    this.publisher = new BatchPublisher(() => deps.link.connection, {
      maxInFlight: deps.publishInFlight ?? 4096,
      maxQueued: deps.publishQueued ?? 16_384,
      timeoutMs: 5000,
    });
    this.ingress = new IngressPriority();
    this.dispatchDeps = { ...deps, heartbeatMs: this.ackWaitMs / 3 };
    this.owner = leaseOwner(deps.nodeId ?? 'node');
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

  private get orderedInFlight(): number {
    return this.deps.orderedInFlight ?? 128;
  }

  /** The lease key of a partition, and back. */
  private leaseKey(kind: string, partition: number): string {
    return `${kind}.p${partition}`;
  }

  private fromLeaseKey(key: string): { w: Worker; partition: number } | null {
    const m = /^(.+)\.p(\d+)$/.exec(key);
    const w = m ? this.workers.get(m[1]!) : undefined;
    return w && m ? { w, partition: Number(m[2]) } : null;
  }

  private leaseKeys(): string[] {
    const keys: string[] = [];
    for (const w of this.workers.values()) {
      const n = this.partitions(w.kind);
      if (n !== undefined) for (let p = 0; p < n; p++) keys.push(this.leaseKey(w.kind, p));
    }
    return keys;
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
      await this.startLeases();
      for (const w of this.workers.values()) await this.startWorker(w);
      if (!this.closing) this.leases?.start(this.leaseKeys());
    } catch (err) {
      this.deps.log.error({ err }, 'jetstream setup failed; retrying in 2 s');
      if (!this.closing) {
        await new Promise((r) => setTimeout(r, 2000));
        if (!this.closing) return this.init();
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
    this.ingress.published();
    const ack = await this.publisher.publish(this.subject(kind, partition), data, id);
    return { id, duplicate: ack.duplicate };
  }

  work<P>(kind: string, handler: JobHandler<P>, opts: Partial<WorkerOptions> = {}): void {
    if (this.workers.has(kind)) throw new Error(`a worker for ${kind} is already registered`);
    const options = { ...this.deps.defaults, ...opts } as WorkerOptions;
    const ordered = this.partitions(kind) !== undefined;
    const worker: Worker = {
      kind,
      options,
      dispatcher: new Dispatcher(kind, handler as JobHandler<unknown>, options, this.dispatchDeps, { retryInPlace: ordered }),
      consumers: new Map(),
    };
    this.workers.set(kind, worker);
    if (this.jsm) {
      this.startWorker(worker)
        .then(() => this.leases?.start(this.leaseKeys()))
        .catch((err) => {
          if (!this.stopped) this.deps.log.error({ err, kind }, 'starting the job consumer failed; retrying with the next connection');
        });
    }
  }

  /** Lease keys (`<kind>.p<n>`) of the partitions this node drains now. */
  get ownedPartitions(): string[] {
    return this.leases?.owned ?? [];
  }

  /** The KV bucket of the partition leases. */
  get leaseBucket(): string {
    return `${this.deps.prefix.replace(/[^\w-]/g, '_')}_job_leases`;
  }

  /**
   * The lease bucket on this connection. Its TTL is three ack waits (see partition-leases.ts); a
   * bucket made with a shorter one (a smaller JOB_ACK_WAIT_S before) is lengthened, and a longer
   * one is used as it is — a longer TTL only makes a takeover slower.
   */
  private async startLeases(): Promise<void> {
    const nc = this.deps.link.connection;
    if (!nc || !this.jsm || this.closing || !this.deps.partitions || Object.keys(this.deps.partitions).length === 0) return;
    const wanted = 3 * this.ackWaitMs;
    const kv = await new Kvm(nc).create(this.leaseBucket, { history: 1, ttl: wanted, replicas: this.deps.replicas });
    let ttlMs = (await kv.status()).ttl;
    if (ttlMs < wanted) {
      const stream = `KV_${this.leaseBucket}`;
      const info = await this.jsm.streams.info(stream);
      await this.jsm.streams.update(stream, { ...info.config, max_age: wanted * 1e6 });
      ttlMs = wanted;
    }
    if (this.leases) {
      this.leases.use(kv);
      return;
    }
    this.leases = new PartitionLeases(kv, this.owner, {
      acquired: (key) => {
        const at = this.fromLeaseKey(key);
        if (at) this.startDrain(at.w, at.partition);
      },
      release: async (key, why) => {
        const at = this.fromLeaseKey(key);
        return at ? this.stopDrain(at.w, this.durable(at.w.kind, at.partition), key, why) : true;
      },
    }, { ttlMs, log: this.deps.log });
  }

  private async startWorker(w: Worker): Promise<void> {
    if (!this.jsm || !this.js || this.closing) return;
    const n = this.partitions(w.kind);
    if (n === undefined) {
      await this.startConsumer(w, undefined);
    } else {
      // Every node keeps every partition's consumer configured; only a partition's lease holder drains it.
      for (let p = 0; p < n && !this.closing; p++) await this.ensureConsumer(w, p);
      // A new connection: the drains of the old one go on through it, once what the old one had
      // been handed and never acknowledged is due for redelivery (it then comes first).
      if (w.consumers.size > 0) this.fetchAfter = Date.now() + this.ackWaitMs;
      for (const c of w.consumers.values()) {
        c.abortFetch?.();
        // A partition being given back keeps its loop ended (its give-back waits for that).
        if (!c.releasing) this.runDrain(w, c);
      }
    }
    this.deps.log.info({ kind: w.kind, consumers: n ?? 1 }, 'job consumers started');
  }

  /** Creates (or updates) the durable consumer of a kind or partition. */
  private async ensureConsumer(w: Worker, partition: number | undefined): Promise<string> {
    const durable = this.durable(w.kind, partition);
    if (!this.jsm) return durable;
    const config = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: this.subject(w.kind, partition),
      // Short, so a dead node's jobs move on quickly; live ones heartbeat (see the header).
      ack_wait: this.ackWaitMs * 1e6, // ns
      max_deliver: -1, // the dispatcher counts deliveries and dead-letters itself
      max_ack_pending: partition === undefined ? Math.max(64, w.options.concurrency * 8) : this.orderedInFlight,
    };
    try {
      await this.jsm.consumers.info(this.streamName, durable);
      await this.jsm.consumers.update(this.streamName, durable, config);
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
      await this.jsm.consumers.add(this.streamName, config);
    }
    return durable;
  }

  /** A plain kind: every node consumes its one consumer. */
  private async startConsumer(w: Worker, partition: undefined): Promise<void> {
    if (!this.js) return;
    const durable = await this.ensureConsumer(w, partition);
    const consumer = await this.js.consumers.get(this.streamName, durable);
    const messages = await consumer.consume({ max_messages: Math.max(8, w.options.concurrency * 2) });
    if (this.closing) {
      // stop() ran while this consumer was being set up (a reconnect's init()): take nothing.
      messages.stop();
      return;
    }
    w.consumers.get(durable)?.stop();
    const c: Consumer = { partition, stop: () => messages.stop(), done: Promise.resolve(), held: 0, settled: [], lastDrop: 0 };
    c.done = this.consumeLoop(w, messages);
    w.consumers.set(durable, c);
  }

  /**
   * Drains a partition this node holds the lease of: fetches up to orderedInFlight jobs at a time
   * and hands them to the dispatcher (key lanes keep the order). When the partition is given
   * back, the jobs of the last fetch still run here first. While the lease is not trusted (lost,
   * or not renewed lately), no job starts and none is heartbeated: they are redelivered after
   * the ack wait, in sequence order, before anything newer — a NAK would requeue them behind
   * others.
   */
  private startDrain(w: Worker, partition: number): void {
    const durable = this.durable(w.kind, partition);
    if (w.consumers.has(durable) || !this.js || this.closing) return;
    const c: Consumer = { partition, stop: () => undefined, done: Promise.resolve(), held: 0, settled: [], lastDrop: 0 };
    w.consumers.set(durable, c);
    this.runDrain(w, c);
  }

  /**
   * (Re)starts the fetch loop of a partition drain; held deliveries stay counted on `c`. The loop
   * never waits between the jobs of a fetch: each is handed to the dispatcher as it arrives
   * (submit), so every job taken is held and heartbeated alike, and none can come due for
   * redelivery ahead of an earlier one of the same fetch.
   */
  private runDrain(w: Worker, c: Consumer): void {
    const partition = c.partition!;
    const durable = this.durable(w.kind, partition);
    const key = this.leaseKey(w.kind, partition);
    c.stop();
    let stopping = false;
    c.stop = () => (stopping = true);
    // Aborting ends every wait of the loop at once (a request to a NATS that just restarted can
    // take its full timeout); a fetch answered after that is stopped unread. An aborted loop
    // never takes a job again, even if this node wins the partition back meanwhile.
    let aborted = false;
    const halt = new Halt();
    let current: { stop(): void } | null = null;
    c.abortFetch = () => {
      aborted = true;
      if (current) c.lastDrop = Date.now();
      halt.halt();
      current?.stop();
    };
    // Jobs already taken run while the lease is ours; the loop takes new ones only while it runs.
    const leaseOk = () => !c.lost && (this.leases?.valid(key) ?? false);
    const running = () => !stopping && !aborted && !this.stopped;
    const settle = () => {
      if (--c.held === 0) for (const r of c.settled.splice(0)) r();
    };
    const drop = () => (c.lastDrop = Date.now());
    let consumer: PullConsumer | null = null;
    let size = IDLE_FETCH;
    // This drain's place in line for the credit of a shared burst.
    const turn = this.ingress.newTurn();
    const previous = c.done;
    c.done = (async () => {
      c.phase = 'previous loop';
      if ((await halt.race(previous)) === HALTED) return;
      while (running()) {
        if (!leaseOk() || Date.now() < this.fetchAfter) {
          c.phase = 'waiting for the lease';
          if ((await halt.race(sleep(100))) === HALTED) return;
          continue;
        }
        if (this.ingress.pressed()) {
          c.phase = 'giving way to accepting';
          const until = Date.now() + YIELD_MAX_MS;
          while (this.ingress.pressed() && running() && Date.now() < until) {
            if ((await halt.race(sleep(INGRESS_DEFAULTS.windowMs))) === HALTED) return;
          }
          if (!running()) break;
          // The lease may have gone meanwhile: what a fetch took now would only be dropped.
          if (!leaseOk()) continue;
        }
        // Small fetches until the burst has been over for a while.
        if (this.ingress.inBurst()) size = BURST_FETCH;
        // A burst past its deferral is shared: jobs are taken only as fast as others are accepted.
        // What was claimed from the shared credit and not taken goes back to it.
        let fetchMax = this.claimShare(size, turn);
        let claimed = this.ingress.sharing ? fetchMax : 0;
        if (fetchMax === 0) {
          // In line: credit comes in the order the drains began to wait, as jobs are accepted.
          c.phase = 'sharing the loop with accepting';
          const until = Date.now() + YIELD_MAX_MS;
          // A drain whose lease lapsed leaves the line at once: credit handed to it would only wait.
          while (fetchMax === 0 && running() && leaseOk() && Date.now() < until) {
            if ((await halt.race(this.ingress.granted(turn, INGRESS_DEFAULTS.windowMs))) === HALTED) {
              this.ingress.leave(turn);
              return;
            }
            fetchMax = this.claimShare(size, turn);
          }
          this.ingress.leave(turn);
          claimed = this.ingress.sharing ? fetchMax : 0;
          if (!running() || !leaseOk()) {
            this.ingress.refund(claimed);
            if (!running()) break;
            continue;
          }
          // Every partition still makes progress.
          if (fetchMax === 0) fetchMax = BURST_FETCH;
        }
        let batch;
        try {
          c.phase = 'consumer lookup';
          const found: PullConsumer | typeof HALTED = consumer ?? (await halt.race(this.js!.consumers.get(this.streamName, durable)));
          if (found === HALTED || !running()) return;
          consumer = found;
          c.phase = 'fetch request';
          // nats.js sends the pull only once the batch is iterated: one left unread asks for nothing.
          const pending = consumer.fetch({ max_messages: fetchMax, expires: FETCH_EXPIRES_MS });
          const fetched = await halt.race(pending);
          if (fetched === HALTED) {
            void pending.then((b) => b.stop(), () => undefined);
            return;
          }
          batch = fetched;
        } catch (err) {
          this.ingress.refund(claimed);
          if (running()) this.deps.log.warn({ kind: w.kind, consumer: durable, err: (err as Error).message }, 'job partition fetch failed; retrying');
          consumer = null;
          if ((await halt.race(sleep(1000))) === HALTED) return;
          continue;
        }
        current = batch;
        let taken = 0;
        try {
          c.phase = 'fetching';
          for await (const m of batch) {
            taken++;
            if (aborted || !leaseOk()) {
              // Not ours to run: left unacknowledged, redelivered after the ack wait (a NAK would
              // requeue it behind jobs that come due earlier).
              drop();
              continue;
            }
            c.held++;
            const d = this.delivery(w.kind, m, settle);
            w.dispatcher.submit({
              ...d,
              group: key,
              working: () => leaseOk() && d.working(),
              stale: () => !leaseOk(),
              abandon: () => {
                drop();
                d.abandon();
              },
            });
          }
        } catch (err) {
          if (running()) this.deps.log.warn({ kind: w.kind, consumer: durable, err: (err as Error).message }, 'job partition fetch ended early');
        } finally {
          current = null;
        }
        this.ingress.refund(claimed - taken);
        size = taken >= fetchMax ? Math.min(fetchMax * 2, this.orderedInFlight) : IDLE_FETCH;
      }
      c.phase = 'ended';
    })();
  }

  /** IngressPriority.claim for a partition drain; the node logs when a burst becomes shared and when that ends. */
  private claimShare(size: number, turn: ShareTurn): number {
    const before = this.ingress.sharing;
    const n = this.ingress.claim(size, BURST_FETCH, turn);
    if (this.ingress.sharing !== before) {
      if (before) this.deps.log.info('queued burst over: partition drains take what they ask again');
      else this.deps.log.info({ maxBurstMs: INGRESS_DEFAULTS.maxBurstMs }, 'queued burst longer than maxBurstMs: partition drains store one job per job accepted until it calms');
    }
    return n;
  }

  /**
   * Stops draining a partition and resolves once nothing of it is held here: true if the lease
   * can go to the next owner at once — nothing of it was let go unacknowledged lately, so nothing
   * of it can come due for redelivery after that owner has started on newer jobs.
   */
  private async stopDrain(w: Worker, durable: string, key: string, why: 'rebalance' | 'lost' | 'stop'): Promise<boolean> {
    const c = w.consumers.get(durable);
    if (!c) return true;
    c.lost = why === 'lost';
    c.releasing = true;
    // A rebalance waits for jobs retrying in place, so their keys keep their order (the lease is
    // renewed meanwhile). A node that stops, or lost the lease, sends them back with what is left
    // of their delay — first, so the slots they hold free up; the key's next jobs may then
    // overtake them.
    if (why !== 'rebalance') w.dispatcher.abort(key);
    c.stop();
    if (!(await settledWithin(c.done, FETCH_EXPIRES_MS + 1000))) {
      // A fetch that outlived its expiry is dead (its connection went) or stuck: end it.
      c.abortFetch?.();
      if (!(await settledWithin(c.done, 1000))) this.deps.log.warn({ kind: w.kind, consumer: durable, phase: c.phase }, 'job partition fetch did not end; leaving it');
    }
    if (c.held > 0) await new Promise<void>((r) => c.settled.push(r));
    w.dispatcher.resume(key);
    if (w.consumers.get(durable) === c) w.consumers.delete(durable);
    // What was let go is due by then: the ack wait, plus a pull the server may still have
    // answered after the fetch was cut.
    const dueBy = c.lastDrop + this.ackWaitMs + FETCH_EXPIRES_MS + 1000;
    return Date.now() >= dueBy && (this.leases?.valid(key) ?? false);
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
        // A job waiting in place for its retry holds its partition's ack floor on purpose.
        if (c.partition !== undefined && w.dispatcher.pausing(this.leaseKey(w.kind, c.partition))) {
          this.stalls.forget(durable);
          continue;
        }
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
    if (partition === undefined) {
      await this.startConsumer(w, undefined);
    } else {
      await this.ensureConsumer(w, partition);
      // What the old consumer had handed out is replayed by the new one; held jobs still settle.
      const c = w.consumers.get(durable);
      if (c && !c.releasing) this.runDrain(w, c);
    }
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

  private delivery(kind: string, m: JsMsg, settled?: () => void) {
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
    let open = true;
    const end = () => {
      if (open) settled?.();
      open = false;
    };
    return {
      job: { id, kind, payload, deliveries: m.info.deliveryCount, ...(key !== undefined ? { key } : {}) },
      ack: () => {
        m.ack();
        end();
      },
      retry: (delayMs: number) => {
        m.nak(delayMs);
        end();
      },
      term: () => {
        m.term();
        end();
      },
      // No outcome: JetStream redelivers it after the ack wait.
      abandon: end,
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

  /** Once: the job workers and the bus both stop the queue. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    this.offLink();
    // Partitions go back first (drained, so their next owner takes over at once).
    await this.leases?.stop();
    this.stopped = true;
    this.publisher.close();
    clearInterval(this.depthTimer);
    if (this.stallTimer) clearInterval(this.stallTimer);
    for (const w of this.workers.values()) {
      for (const c of w.consumers.values()) c.stop();
      w.dispatcher.abort();
      await w.dispatcher.drained();
    }
  }
}
