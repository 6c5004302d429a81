// What the console shows of the cluster. Every node publishes a small heartbeat (NodeStats) every
// few seconds on the bus; every node keeps the last minutes of heartbeats of every node it hears
// (bounded), so whichever node serves the console answers for the whole cluster. Heartbeats carry
// cumulative counters and histogram buckets: rates and windowed percentiles come from the
// difference of two heartbeats of one node, so a lost heartbeat only widens one window.
import { quantileOf, snapshotDelta, type BucketSnapshot } from '../obs/metrics.js';

export interface JobStats {
  kind: string;
  depth: number;
  done: number;
  retry: number;
  dead: number;
  stalled: number;
}

export interface HotelSockets {
  hotel_id: string;
  staff: number;
  guests: number;
  departments: Record<string, number>;
}

export interface NodeStats {
  node: string;
  version: string;
  started_at: number;
  /** When the heartbeat was taken (ms since epoch, the sender's clock). */
  at: number;
  sockets: number;
  actors: { conversation: number; department: number };
  lag_p99_ms: number;
  lag_max_ms: number;
  rss_bytes: number;
  heap_bytes: number;
  ready: 'ready' | 'degraded' | 'not_ready';
  /** Dependencies that are down, and what that costs. */
  lacking: string[];
  degraded: string[];
  stored: number;
  delivered: number;
  webhook: BucketSnapshot;
  socket: BucketSnapshot;
  jobs: JobStats[];
  hotels: HotelSockets[];
}

export interface TrafficPoint {
  t: number;
  stored_per_s: number;
  delivered_per_s: number;
  webhook_p50_ms: number | null;
  webhook_p99_ms: number | null;
  socket_p50_ms: number | null;
  socket_p99_ms: number | null;
}

export interface JobSummary extends JobStats {
  /** Jobs finished per second (all outcomes) over the last window, cluster-wide. */
  per_s: number;
  failures_per_min: number;
}

const MAX_NODES = 256;

function ms(v: number): number | null {
  return Number.isFinite(v) ? Math.round(v * 1e5) / 100 : null;
}

function addSnapshots(a: BucketSnapshot | undefined, b: BucketSnapshot): BucketSnapshot {
  if (!a) return { bounds: b.bounds, counts: [...b.counts], count: b.count, sum: b.sum };
  return { bounds: a.bounds, counts: a.counts.map((c, i) => c + (b.counts[i] ?? 0)), count: a.count + b.count, sum: a.sum + b.sum };
}

export class ClusterView {
  private history = new Map<string, NodeStats[]>();

  constructor(
    private readonly opts: {
      /** Heartbeat period (ms): windows are aligned to it. */
      intervalMs: number;
      /** Heartbeats kept per node. */
      keep: number;
    },
  ) {}

  /** Records a heartbeat; out-of-order or repeated ones are ignored. */
  record(s: NodeStats): void {
    let h = this.history.get(s.node);
    if (!h) {
      if (this.history.size >= MAX_NODES) this.forgetOldest();
      this.history.set(s.node, (h = []));
    }
    const last = h[h.length - 1];
    if (last && s.at <= last.at) return;
    h.push(s);
    if (h.length > this.opts.keep) h.splice(0, h.length - this.opts.keep);
  }

  private forgetOldest(): void {
    let oldest: [string, number] | null = null;
    for (const [node, h] of this.history) {
      const at = h[h.length - 1]?.at ?? 0;
      if (!oldest || at < oldest[1]) oldest = [node, at];
    }
    if (oldest) this.history.delete(oldest[0]);
  }

  /** Nodes heard within the retained window; `stale` when the last heartbeat is 3 periods old. */
  nodes(now = Date.now()): Array<NodeStats & { stale: boolean; age_ms: number }> {
    const horizon = this.opts.intervalMs * this.opts.keep;
    const out: Array<NodeStats & { stale: boolean; age_ms: number }> = [];
    for (const [node, h] of this.history) {
      const last = h[h.length - 1];
      if (!last) continue;
      const age = now - last.at;
      if (age > horizon) {
        this.history.delete(node);
        continue;
      }
      out.push({ ...last, stale: age > this.opts.intervalMs * 3, age_ms: age });
    }
    return out.sort((a, b) => a.node.localeCompare(b.node));
  }

  /** Cluster traffic per heartbeat period: rates summed over nodes, percentiles of the merged buckets. */
  traffic(): TrafficPoint[] {
    const slots = new Map<number, { stored: number; delivered: number; seconds: number; webhook?: BucketSnapshot; socket?: BucketSnapshot }>();
    for (const h of this.history.values()) {
      for (let i = 1; i < h.length; i++) {
        const [a, b] = [h[i - 1]!, h[i]!];
        const seconds = (b.at - a.at) / 1000;
        if (seconds <= 0 || b.started_at !== a.started_at) continue;
        const t = Math.floor(b.at / this.opts.intervalMs) * this.opts.intervalMs;
        const slot = slots.get(t) ?? { stored: 0, delivered: 0, seconds: 0 };
        slot.stored += Math.max(0, b.stored - a.stored) / seconds;
        slot.delivered += Math.max(0, b.delivered - a.delivered) / seconds;
        slot.webhook = addSnapshots(slot.webhook, snapshotDelta(b.webhook, a.webhook));
        slot.socket = addSnapshots(slot.socket, snapshotDelta(b.socket, a.socket));
        slots.set(t, slot);
      }
    }
    return [...slots.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([t, s]) => ({
        t,
        stored_per_s: Math.round(s.stored * 10) / 10,
        delivered_per_s: Math.round(s.delivered * 10) / 10,
        webhook_p50_ms: s.webhook ? ms(quantileOf(s.webhook, 0.5)) : null,
        webhook_p99_ms: s.webhook ? ms(quantileOf(s.webhook, 0.99)) : null,
        socket_p50_ms: s.socket ? ms(quantileOf(s.socket, 0.5)) : null,
        socket_p99_ms: s.socket ? ms(quantileOf(s.socket, 0.99)) : null,
      }));
  }

  /** Per job kind: queue depth (the stream's, so the largest any node saw), counts summed over nodes. */
  jobs(): JobSummary[] {
    const out = new Map<string, JobSummary>();
    for (const h of this.history.values()) {
      const b = h[h.length - 1];
      if (!b) continue;
      const a = h.length > 1 ? h[h.length - 2] : undefined;
      const seconds = a && a.started_at === b.started_at ? (b.at - a.at) / 1000 : 0;
      for (const j of b.jobs) {
        const prev = a?.jobs.find((x) => x.kind === j.kind);
        const sum = out.get(j.kind) ?? { kind: j.kind, depth: 0, done: 0, retry: 0, dead: 0, stalled: 0, per_s: 0, failures_per_min: 0 };
        sum.depth = Math.max(sum.depth, Number.isFinite(j.depth) ? j.depth : 0);
        sum.done += j.done;
        sum.retry += j.retry;
        sum.dead += j.dead;
        sum.stalled += j.stalled;
        if (prev && seconds > 0) {
          const finished = j.done + j.retry + j.dead - (prev.done + prev.retry + prev.dead);
          const failed = j.retry + j.dead - (prev.retry + prev.dead);
          sum.per_s += Math.max(0, finished) / seconds;
          sum.failures_per_min += (Math.max(0, failed) / seconds) * 60;
        }
        out.set(j.kind, sum);
      }
    }
    return [...out.values()]
      .map((j) => ({ ...j, per_s: Math.round(j.per_s * 10) / 10, failures_per_min: Math.round(j.failures_per_min * 10) / 10 }))
      .sort((a, b) => a.kind.localeCompare(b.kind));
  }

  /** Sockets per hotel and department, summed over the nodes' latest heartbeats. */
  hotels(hotelId: string | null): HotelSockets[] {
    const out = new Map<string, HotelSockets>();
    for (const h of this.history.values()) {
      const b = h[h.length - 1];
      if (!b) continue;
      for (const x of b.hotels) {
        if (hotelId !== null && x.hotel_id !== hotelId) continue;
        const sum = out.get(x.hotel_id) ?? { hotel_id: x.hotel_id, staff: 0, guests: 0, departments: {} };
        sum.staff += x.staff;
        sum.guests += x.guests;
        for (const [d, n] of Object.entries(x.departments)) sum.departments[d] = (sum.departments[d] ?? 0) + n;
        out.set(x.hotel_id, sum);
      }
    }
    return [...out.values()];
  }
}

/** A heartbeat decoded from the bus, or null when it is not one (bad JSON or shape). */
export function parseStats(text: string): NodeStats | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const s = v as Partial<NodeStats> | null;
  if (!s || typeof s !== 'object' || typeof s.node !== 'string' || typeof s.at !== 'number' || !Array.isArray(s.jobs) || !Array.isArray(s.hotels)) return null;
  if (!s.webhook || !s.socket || !Array.isArray(s.webhook.counts) || !Array.isArray(s.socket.counts)) return null;
  return s as NodeStats;
}
