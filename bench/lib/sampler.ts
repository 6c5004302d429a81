// Samples, once a second during a run: CPU and RSS of every process group (server nodes, client
// processes, this bench process, the Postgres backends of the bench database plus its WAL
// writer/checkpointer, nats-server) from /proc, the whole machine's busy time (so load from other
// programs shows up as "other"), and each node's /metrics (event-loop lag, sockets, heap).
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type postgres from 'postgres';

const TICK = 100; // USER_HZ on Linux
const PAGE = 4096;

function procStat(pid: number): { ticks: number; start: number; rss: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): utime = field 14 → f[11], stime f[12], starttime f[19], rss f[21]
    return { ticks: Number(f[11]) + Number(f[12]), start: Number(f[19]), rss: Number(f[21]) * PAGE };
  } catch {
    return null;
  }
}

function machine(): { busy: number; irq: number; total: number } {
  const line = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  // irq + softirq: mostly the kernel's loopback network work, not charged to any process
  return { busy: total - idle, irq: (line[5] ?? 0) + (line[6] ?? 0), total };
}

function uptimeTicks(): number {
  return Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]) * TICK;
}

export function findPids(comm: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'latin1').trim() === comm) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

export function httpGet(url: string, timeoutMs = 3000, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Prometheus text → name → list of [labels, value]. */
export type Prom = Map<string, Array<[Record<string, string>, number]>>;

export function parseProm(text: string): Prom {
  const out: Prom = new Map();
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) for (const kv of m[3].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[kv[1]!] = kv[2]!;
    let l = out.get(m[1]!);
    if (!l) out.set(m[1]!, (l = []));
    l.push([labels, Number(m[4])]);
  }
  return out;
}

export function promValue(p: Prom, name: string, match: Record<string, string> = {}): number | undefined {
  const l = p.get(name);
  if (!l) return undefined;
  let sum: number | undefined;
  for (const [labels, v] of l) {
    if (Object.entries(match).every(([k, x]) => labels[k] === x)) sum = (sum ?? 0) + v;
  }
  return sum;
}

export interface PromHistSummary {
  count: number;
  mean: number;
  p50: number;
  p99: number;
}

/**
 * A histogram metric between two scrapes (after − before), summed over label sets that match,
 * with quantiles interpolated inside the cumulative buckets. Values in the metric's unit.
 */
export function promHistDelta(before: Prom | null, after: Prom, name: string, match: Record<string, string> = {}): PromHistSummary | null {
  const buckets = new Map<number, number>();
  const collect = (p: Prom | null, sign: number) => {
    for (const [labels, v] of p?.get(`${name}_bucket`) ?? []) {
      if (!Object.entries(match).every(([k, x]) => labels[k] === x)) continue;
      const le = labels['le'] === '+Inf' ? Infinity : Number(labels['le']);
      buckets.set(le, (buckets.get(le) ?? 0) + sign * v);
    }
  };
  collect(after, 1);
  collect(before, -1);
  const count = (promValue(after, `${name}_count`, match) ?? 0) - (before ? promValue(before, `${name}_count`, match) ?? 0 : 0);
  const sum = (promValue(after, `${name}_sum`, match) ?? 0) - (before ? promValue(before, `${name}_sum`, match) ?? 0 : 0);
  if (!buckets.size || count <= 0) return null;
  const les = [...buckets.keys()].sort((a, b) => a - b);
  const q = (quant: number) => {
    const target = quant * count;
    let prevLe = 0;
    let prevC = 0;
    for (const le of les) {
      const c = buckets.get(le)!;
      if (c >= target) {
        if (le === Infinity) return prevLe;
        const frac = c === prevC ? 1 : (target - prevC) / (c - prevC);
        return prevLe + (le - prevLe) * frac;
      }
      prevLe = le;
      prevC = c;
    }
    return prevLe;
  };
  return { count, mean: sum / count, p50: q(0.5), p99: q(0.99) };
}

export interface NodeRef {
  name: string;
  pid: number;
  metricsUrl: string | null;
}

export interface Sample {
  t: number;
  cpu: Record<string, number>;
  rssMB: Record<string, number>;
  nodes: Array<{ name: string; cpu: number; rssMB: number; lagP99Ms: number | null; lagMaxMs: number | null; sockets: number | null; heapMB: number | null }>;
  machineBusy: number;
  /** kernel interrupt/softirq time (loopback networking), % of one core */
  irq: number;
  other: number;
}

export class Sampler {
  private prev = new Map<number, number>();
  private groups = new Map<string, () => number[]>();
  private nodes: NodeRef[] = [];
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private lastMachine = machine();
  private pgPids: number[] = [];
  samples: Sample[] = [];
  readonly cores: number;

  constructor(private readonly sql: postgres.Sql | null, private readonly dbName: string) {
    this.cores = readFileSync('/proc/stat', 'latin1').split('\n').filter((l) => /^cpu\d+/.test(l)).length || 1;
    this.group('postgres', () => this.pgPids);
    this.group('bench', () => [process.pid]);
    const nats = findPids('nats-server');
    this.group('nats', () => nats);
  }

  group(name: string, pids: () => number[]): void {
    this.groups.set(name, pids);
  }

  setNodes(nodes: NodeRef[]): void {
    this.nodes = nodes;
  }

  private async refreshPg(): Promise<void> {
    if (!this.sql) return;
    try {
      const rows = await this.sql<{ pid: number }[]>`
        select pid from pg_stat_activity
        where datname = ${this.dbName} or backend_type in ('walwriter', 'checkpointer', 'background writer')`;
      this.pgPids = rows.map((r) => Number(r.pid));
    } catch {
      /* keep the old list */
    }
  }

  /** CPU (% of one core) of a pid since the previous call. */
  private cpuOf(pid: number, dtTicks: number, bootTicks: number): { cpu: number; rss: number } {
    const st = procStat(pid);
    if (!st) return { cpu: 0, rss: 0 };
    const before = this.prev.get(pid);
    this.prev.set(pid, st.ticks);
    let delta: number;
    if (before !== undefined) delta = st.ticks - before;
    else delta = st.start > bootTicks - dtTicks ? st.ticks : 0; // born in this interval: all of it
    return { cpu: dtTicks > 0 ? (100 * delta) / dtTicks : 0, rss: st.rss };
  }

  async sample(): Promise<Sample> {
    await this.refreshPg();
    const t = Date.now();
    const dtTicks = this.last ? ((t - this.last) / 1000) * TICK : 0;
    this.last = t;
    const boot = uptimeTicks();
    const cpu: Record<string, number> = {};
    const rssMB: Record<string, number> = {};
    let known = 0;
    const nodeCpu = new Map<number, { cpu: number; rss: number }>();
    for (const n of this.nodes) {
      const c = this.cpuOf(n.pid, dtTicks, boot);
      nodeCpu.set(n.pid, c);
      cpu['server'] = (cpu['server'] ?? 0) + c.cpu;
      rssMB['server'] = (rssMB['server'] ?? 0) + c.rss / 2 ** 20;
    }
    known += cpu['server'] ?? 0;
    for (const [name, pids] of this.groups) {
      let c = 0;
      let r = 0;
      for (const pid of pids()) {
        const x = this.cpuOf(pid, dtTicks, boot);
        c += x.cpu;
        r += x.rss;
      }
      cpu[name] = c;
      rssMB[name] = r / 2 ** 20;
      known += c;
    }
    const m = machine();
    const dTotal = m.total - this.lastMachine.total;
    const busy = dTotal > 0 ? ((m.busy - this.lastMachine.busy) / dTotal) * 100 * this.cores : 0;
    const irq = dTotal > 0 ? ((m.irq - this.lastMachine.irq) / dTotal) * 100 * this.cores : 0;
    this.lastMachine = m;
    const nodes = await Promise.all(
      this.nodes.map(async (n) => {
        const c = nodeCpu.get(n.pid) ?? { cpu: 0, rss: 0 };
        let lagP99Ms: number | null = null;
        let lagMaxMs: number | null = null;
        let sockets: number | null = null;
        let heapMB: number | null = null;
        if (n.metricsUrl) {
          try {
            const r = await httpGet(n.metricsUrl, 3000);
            const p = parseProm(r.body);
            const l99 = promValue(p, 'nodejs_eventloop_lag_seconds', { quantile: '0.99' });
            const lmax = promValue(p, 'nodejs_eventloop_lag_seconds', { quantile: '1' });
            lagP99Ms = l99 === undefined ? null : l99 * 1000;
            lagMaxMs = lmax === undefined ? null : lmax * 1000;
            sockets = promValue(p, 'ws_sockets') ?? null;
            const heap = promValue(p, 'nodejs_heap_used_bytes');
            heapMB = heap === undefined ? null : heap / 2 ** 20;
          } catch {
            /* a node too busy to answer within 3 s shows as a gap */
          }
        }
        return { name: n.name, cpu: c.cpu, rssMB: c.rss / 2 ** 20, lagP99Ms, lagMaxMs, sockets, heapMB };
      }),
    );
    const s: Sample = { t, cpu, rssMB, nodes, machineBusy: busy, irq, other: Math.max(0, busy - known - irq) };
    return s;
  }

  private running = false;
  private pgTimer: NodeJS.Timeout | null = null;
  /** What the bench database's active backends were doing, counted over fast samples. */
  pgActivity = new Map<string, number>();
  pgActivitySamples = 0;

  /** One sample per interval, never overlapping (the first one only sets the baselines). */
  start(intervalMs = 1000): void {
    this.samples = [];
    this.pgActivity.clear();
    this.pgActivitySamples = 0;
    this.running = true;
    let first = true;
    const loop = async () => {
      const t = Date.now();
      try {
        const s = await this.sample();
        if (!first && this.running) this.samples.push(s);
      } catch {
        /* keep sampling */
      }
      first = false;
      if (this.running) this.timer = setTimeout(loop, Math.max(50, intervalMs - (Date.now() - t)));
    };
    void loop();
    const pgLoop = async () => {
      await this.samplePg();
      if (this.running) this.pgTimer = setTimeout(pgLoop, 100);
    };
    if (this.sql) void pgLoop();
  }

  resetPg(): void {
    this.pgActivity.clear();
    this.pgActivitySamples = 0;
  }

  private async samplePg(): Promise<void> {
    try {
      const rows = await this.sql!<{ q: string; w: string | null }[]>`
        select left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 110) as q, wait_event_type || ':' || wait_event as w
        from pg_stat_activity
        where datname = ${this.dbName} and state = 'active' and pid <> pg_backend_pid()`;
      this.pgActivitySamples++;
      for (const r of rows) {
        const k = `${r.w ?? 'CPU'} | ${r.q}`;
        this.pgActivity.set(k, (this.pgActivity.get(k) ?? 0) + 1);
      }
    } catch {
      /* ignore */
    }
  }

  stop(): Sample[] {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.pgTimer) clearTimeout(this.pgTimer);
    this.timer = null;
    return this.samples;
  }

  /** Top entries of the Postgres activity sampling: share of samples with a backend in that state. */
  pgTop(n = 12): Array<{ what: string; avgBackends: number }> {
    const total = Math.max(1, this.pgActivitySamples);
    return [...this.pgActivity.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([what, c]) => ({ what, avgBackends: c / total }));
  }
}

export interface CpuSummary {
  /** mean % of one core over the window, by group */
  cpu: Record<string, number>;
  machineBusy: number;
  irq: number;
  other: number;
  nodes: Array<{ name: string; cpu: number; lagP99Ms: number | null; lagMaxMs: number | null; rssMB: number }>;
}

/** Means over the samples inside [from, to] (epoch ms); lag: mean of p99s and max of maxes. */
export function summarize(samples: Sample[], from: number, to: number): CpuSummary {
  const w = samples.filter((s) => s.t >= from + 500 && s.t <= to + 1500);
  const use = w.length ? w : samples;
  const mean = (f: (s: Sample) => number) => (use.length ? use.reduce((a, s) => a + f(s), 0) / use.length : 0);
  const groups = new Set<string>();
  for (const s of use) for (const k of Object.keys(s.cpu)) groups.add(k);
  const cpu: Record<string, number> = {};
  for (const g of groups) cpu[g] = mean((s) => s.cpu[g] ?? 0);
  const names = use[0]?.nodes.map((n) => n.name) ?? [];
  const nodes = names.map((name) => {
    const ns = use.map((s) => s.nodes.find((n) => n.name === name)).filter((n): n is NonNullable<typeof n> => !!n);
    const lags = ns.map((n) => n.lagP99Ms).filter((x): x is number => x !== null);
    const maxes = ns.map((n) => n.lagMaxMs).filter((x): x is number => x !== null);
    return {
      name,
      cpu: ns.reduce((a, n) => a + n.cpu, 0) / Math.max(1, ns.length),
      lagP99Ms: lags.length ? lags.reduce((a, b) => a + b, 0) / lags.length : null,
      lagMaxMs: maxes.length ? Math.max(...maxes) : null,
      rssMB: ns.length ? Math.max(...ns.map((n) => n.rssMB)) : 0,
    };
  });
  return { cpu, machineBusy: mean((s) => s.machineBusy), irq: mean((s) => s.irq), other: mean((s) => s.other), nodes };
}
