// In-process job queue for a single node. Not durable across restarts (the embedded default runs
// one process); bounded, with the same retry, ordering and dead-letter behaviour as JetStream.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../obs/log.js';
import type { Counter } from '../obs/metrics.js';
import { OverloadedError } from '../core/errors.js';
import { Dispatcher } from './dispatch.js';
import type { DeadLetterSink, Job, JobHandler, JobQueue, WorkerOptions } from './queue.js';

interface Entry {
  job: Job;
}

interface Lane {
  ready: Entry[];
  delayed: Set<NodeJS.Timeout>;
  dispatcher: Dispatcher<unknown> | null;
  pumping: boolean;
}

export interface MemoryQueueDeps {
  log: Logger;
  deadLetter: DeadLetterSink;
  outcomes: Counter;
  defaults: WorkerOptions;
  capacity?: number;
  dedupeWindowMs?: number;
}

export class MemoryQueue implements JobQueue {
  readonly kind = 'memory' as const;
  private lanes = new Map<string, Lane>();
  private seen = new Map<string, number>();
  private size = 0;
  private stopped = false;

  constructor(private readonly deps: MemoryQueueDeps) {}

  private lane(kind: string): Lane {
    let lane = this.lanes.get(kind);
    if (!lane) this.lanes.set(kind, (lane = { ready: [], delayed: new Set(), dispatcher: null, pumping: false }));
    return lane;
  }

  async enqueue(kind: string, payload: unknown, opts: { id?: string; key?: string } = {}): Promise<{ id: string; duplicate: boolean }> {
    const id = opts.id ?? randomUUID();
    const now = Date.now();
    const window = this.deps.dedupeWindowMs ?? 120_000;
    if (opts.id !== undefined) {
      const at = this.seen.get(`${kind}:${id}`);
      if (at !== undefined && now - at < window) return { id, duplicate: true };
      this.seen.set(`${kind}:${id}`, now);
      if (this.seen.size > 200_000) {
        for (const [k, t] of this.seen) if (now - t >= window) this.seen.delete(k);
      }
    }
    if (this.size >= (this.deps.capacity ?? 100_000)) throw new OverloadedError('job queue is full');
    const lane = this.lane(kind);
    lane.ready.push({ job: { id, kind, payload: structuredClone(payload), deliveries: 1, ...(opts.key !== undefined ? { key: opts.key } : {}) } });
    this.size++;
    void this.pump(kind);
    return { id, duplicate: false };
  }

  work<P>(kind: string, handler: JobHandler<P>, opts: Partial<WorkerOptions> = {}): void {
    const lane = this.lane(kind);
    if (lane.dispatcher) throw new Error(`a worker for ${kind} is already registered`);
    const options = { ...this.deps.defaults, ...opts } as WorkerOptions;
    // A failing keyed job waits for its retry holding its key, as on JetStream: sent back to the
    // lane, the key's later jobs would run before it.
    lane.dispatcher = new Dispatcher(kind, handler as JobHandler<unknown>, options, this.deps, { retryInPlace: true });
    void this.pump(kind);
  }

  private async pump(kind: string): Promise<void> {
    const lane = this.lane(kind);
    if (lane.pumping || !lane.dispatcher) return;
    lane.pumping = true;
    try {
      while (!this.stopped && lane.ready.length > 0) {
        await lane.dispatcher.acquire();
        const entry = lane.ready.shift();
        if (!entry) {
          lane.dispatcher.cancel();
          break;
        }
        lane.dispatcher.run(this.delivery(kind, lane, entry));
      }
    } finally {
      lane.pumping = false;
    }
  }

  private delivery(kind: string, lane: Lane, entry: Entry) {
    return {
      job: entry.job,
      ack: () => {
        this.size--;
      },
      term: () => {
        this.size--;
      },
      retry: (delayMs: number) => {
        const t = setTimeout(() => {
          lane.delayed.delete(t);
          entry.job = { ...entry.job, deliveries: entry.job.deliveries + 1 };
          lane.ready.push(entry);
          void this.pump(kind);
        }, delayMs);
        lane.delayed.add(t);
      },
    };
  }

  async depth(kind: string): Promise<number> {
    const lane = this.lanes.get(kind);
    if (!lane) return 0;
    return lane.ready.length + lane.delayed.size + (lane.dispatcher?.inFlight ?? 0);
  }

  healthy(): boolean {
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const lane of this.lanes.values()) {
      // Retries waiting in place end at once (and are dropped below, as every delayed retry is).
      lane.dispatcher?.abort();
      await lane.dispatcher?.drained();
      for (const t of lane.delayed) clearTimeout(t);
      lane.delayed.clear();
    }
  }
}
