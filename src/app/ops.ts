// The operator console's wiring: this node's stats heartbeat (sampled from its metrics, socket
// hub and readiness every OPS_STATS_INTERVAL_MS, published on the bus), the cluster view fed by
// every node's heartbeats, and the console service the /api/ops routes call.
import { readFileSync } from 'node:fs';
import type { ChatCore } from '../chat/core.js';
import type { Config } from '../config/load.js';
import { OPS_STATS } from '../fanout/subjects.js';
import type { Logger } from '../obs/log.js';
import { Counter, Gauge, Histogram, type BucketSnapshot, type Registry } from '../obs/metrics.js';
import type { ProcessSample } from '../obs/process-metrics.js';
import { ClusterView, parseStats, type JobStats, type NodeStats } from '../ops/cluster.js';
import { OpsConsole } from '../ops/console.js';
import type { Sql } from '../store/db.js';
import type { Readiness } from '../transport/routes/readiness.js';
import type { SocketHub } from '../transport/ws/hub.js';
import type { Bus } from './bus.js';

const HISTORY_MS = 10 * 60_000;
const MAX_HOTELS_PER_BEAT = 200;
const enc = new TextEncoder();
const dec = new TextDecoder();

function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'lobbybee-realtime' && pkg.version) return pkg.version;
    } catch {
      // next candidate
    }
  }
  return 'unknown';
}

export interface OpsDeps {
  config: Config;
  sql: Sql;
  bus: Bus;
  metrics: Registry;
  hub: Pick<SocketHub, 'size' | 'census'>;
  chat: Pick<ChatCore, 'guestMessages' | 'staff'>;
  readiness: () => Promise<Readiness>;
  processSample: () => ProcessSample;
  startedAt: number;
  log: Logger;
}

export function startOps(p: OpsDeps) {
  const intervalMs = p.config.ops.statsIntervalMs;
  const cluster = new ClusterView({ intervalMs, keep: Math.max(10, Math.ceil(HISTORY_MS / intervalMs)) });
  const version = packageVersion();
  const m = p.metrics;
  const counter = (name: string) => (m.find(name) instanceof Counter ? (m.find(name) as Counter) : null);
  const gauge = (name: string) => (m.find(name) instanceof Gauge ? (m.find(name) as Gauge) : null);
  const buckets = (name: string, filter?: Record<string, string>): BucketSnapshot => {
    const h = m.find(name);
    return h instanceof Histogram ? h.snapshot(filter) : { bounds: [], counts: [], count: 0, sum: 0 };
  };

  const jobs = async (): Promise<JobStats[]> => {
    const byKind = new Map<string, JobStats>();
    const of = (kind: string) => {
      let j = byKind.get(kind);
      if (!j) byKind.set(kind, (j = { kind, depth: 0, done: 0, retry: 0, dead: 0, stalled: 0 }));
      return j;
    };
    for (const s of counter('jobs_processed_total')?.series() ?? []) {
      if (!s.labels['kind']) continue;
      const j = of(s.labels['kind']);
      const outcome = s.labels['outcome'];
      if (outcome === 'done' || outcome === 'retry' || outcome === 'dead') j[outcome] += s.value;
    }
    for (const s of gauge('jobs_queue_depth')?.series() ?? []) if (s.labels['kind']) of(s.labels['kind']).depth = s.value;
    for (const s of gauge('jobs_partitions_stalled')?.series() ?? []) if (s.labels['kind']) of(s.labels['kind']).stalled = s.value;
    // The in-process queue keeps no depth gauge: ask it (it answers from memory).
    if (p.bus.queue.kind === 'memory') for (const j of byKind.values()) j.depth = await p.bus.queue.depth(j.kind);
    return [...byKind.values()];
  };

  // A dependency check that hangs (an unanswered S3 request) must not stop the heartbeat.
  const checkReadiness = async (): Promise<Readiness> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Readiness>((resolve) => {
      timer = setTimeout(() => resolve({ status: 'degraded', checks: { readiness: 'down' }, degraded: ['readiness check timed out'] }), Math.min(2000, intervalMs));
    });
    try {
      return await Promise.race([p.readiness(), late]);
    } finally {
      clearTimeout(timer);
    }
  };

  const sample = async (): Promise<NodeStats> => {
    const r = await checkReadiness();
    const proc = p.processSample();
    const actors = gauge('actors_live')?.series() ?? [];
    const hotels = p.hub.census().sort((a, b) => b.staff + b.guests - (a.staff + a.guests)).slice(0, MAX_HOTELS_PER_BEAT);
    return {
      node: p.config.nodeId,
      version,
      started_at: p.startedAt,
      at: Date.now(),
      sockets: p.hub.size,
      actors: {
        conversation: actors.find((s) => s.labels['type'] === 'conversation')?.value ?? 0,
        department: actors.find((s) => s.labels['type'] === 'department')?.value ?? 0,
      },
      lag_p99_ms: Math.round(proc.lagP99S * 1e5) / 100,
      lag_max_ms: Math.round(proc.lagMaxS * 1e5) / 100,
      rss_bytes: proc.rssBytes,
      heap_bytes: proc.heapUsedBytes,
      ready: r.status,
      lacking: Object.entries(r.checks).filter(([, s]) => s === 'down').map(([name]) => name),
      degraded: r.degraded,
      stored: counter('messages_stored_total')?.total() ?? 0,
      delivered: counter('messages_delivered_total')?.total() ?? 0,
      webhook: buckets('http_request_duration_seconds', { route: '/api/chat/guest-webhook' }),
      socket: buckets('fanout_latency_seconds'),
      jobs: await jobs(),
      hotels,
    };
  };

  const off = p.bus.broker.subscribe(OPS_STATS, (data) => {
    const s = parseStats(dec.decode(data));
    // This node's own beats are recorded when taken (they arrive even while the bus is down).
    if (s && s.node !== p.config.nodeId) cluster.record(s);
  });
  let beating = false;
  const beat = async () => {
    if (beating) return;
    beating = true;
    try {
      const s = await sample();
      cluster.record(s);
      p.bus.broker.publish(OPS_STATS, enc.encode(JSON.stringify(s)));
    } catch (err) {
      p.log.debug({ err: (err as Error).message }, 'stats heartbeat failed');
    } finally {
      beating = false;
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();

  const service = new OpsConsole({
    sql: p.sql,
    cluster,
    queue: p.bus.queue,
    guestMessages: p.chat.guestMessages,
    staff: p.chat.staff,
    webhookMode: p.config.webhook.mode,
    simulator: p.config.env !== 'production',
    nodeId: p.config.nodeId,
    log: p.log,
  });
  return {
    service,
    cluster,
    stop: () => {
      clearInterval(timer);
      off();
    },
  };
}
