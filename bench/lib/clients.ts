// The orchestrator's side of the client processes: fork them, hand each its share of sockets or
// of the webhook load, wait for their answers, merge their histograms and counts.
import type { ChildProcess } from 'node:child_process';
import { Histogram } from './hist.js';
import { forkWorker, stopChild } from './procs.js';
import type { ConnectedReport, FromWorker, InitMsg, RecvReport, ReportReq, SendPlan, SentReport, TickMsg, ToWorker } from './protocol.js';

interface Worker {
  id: number;
  cp: ChildProcess;
  tick: TickMsg | null;
  waiters: Array<{ t: string; resolve: (m: FromWorker) => void; reject: (e: Error) => void }>;
  dead: Error | null;
}

export class ClientPool {
  readonly workers: Worker[] = [];

  static async start(inits: Array<Omit<InitMsg, 'id' | 't'>>): Promise<ClientPool> {
    const pool = new ClientPool();
    inits.forEach((_, i) => {
      const cp = forkWorker();
      const w: Worker = { id: i, cp, tick: null, waiters: [], dead: null };
      cp.on('message', (m: FromWorker) => {
        if (m.t === 'tick') {
          w.tick = m;
          return;
        }
        if (m.t === 'fatal') {
          const err = new Error(`client ${i}: ${m.error}`);
          for (const x of w.waiters.splice(0)) x.reject(err);
          return;
        }
        const idx = w.waiters.findIndex((x) => x.t === m.t);
        if (idx >= 0) w.waiters.splice(idx, 1)[0]!.resolve(m);
      });
      cp.on('exit', (code, sig) => {
        w.dead = new Error(`client ${i} exited (${code ?? sig})`);
        for (const x of w.waiters.splice(0)) x.reject(w.dead);
      });
      pool.workers.push(w);
    });
    await Promise.all(pool.workers.map((w, i) => pool.ask(w, { t: 'init', id: i, ...inits[i]! }, 'ready', 60_000)));
    return pool;
  }

  get pids(): number[] {
    return this.workers.filter((w) => !w.dead).map((w) => w.cp.pid!);
  }

  ask<T extends FromWorker>(w: Worker, msg: ToWorker, reply: T['t'], timeoutMs: number): Promise<T> {
    if (w.dead) return Promise.reject(w.dead);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client ${w.id}: no "${reply}" within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      w.waiters.push({
        t: reply,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      w.cp.send(msg);
    });
  }

  totals(): { recv: number; other: number; sent: number; open: number; waiting: number } {
    const t = { recv: 0, other: 0, sent: 0, open: 0, waiting: 0 };
    for (const w of this.workers) {
      if (!w.tick) continue;
      t.recv += w.tick.recv;
      t.other += w.tick.other;
      t.sent += w.tick.sent;
      t.open += w.tick.open;
      t.waiting += w.tick.waiting;
    }
    return t;
  }

  async connect(ids: number[], concurrency: number, timeoutMs: number): Promise<ConnectedReport> {
    const reps = await Promise.all(
      ids.map((i) => this.ask<ConnectedReport>(this.workers[i]!, { t: 'connect', concurrency, timeoutMs }, 'connected', timeoutMs * 4 + 600_000)),
    );
    const hist = new Histogram();
    const errors: Record<string, number> = {};
    let ok = 0;
    let failed = 0;
    for (const r of reps) {
      hist.merge(r.hist);
      ok += r.ok;
      failed += r.failed;
      for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    }
    return {
      t: 'connected',
      ok,
      failed,
      errors,
      hist: hist.toJSON(),
      startedAt: Math.min(...reps.map((r) => r.startedAt)),
      doneAt: Math.max(...reps.map((r) => r.doneAt)),
    };
  }

  send(plans: Array<[number, SendPlan]>, timeoutMs: number): Promise<SentReport[]> {
    return Promise.all(plans.map(([i, p]) => this.ask<SentReport>(this.workers[i]!, p, 'sent', timeoutMs)));
  }

  async report(ids: number[], req: ReportReq): Promise<RecvReport> {
    const reps = await Promise.all(ids.map((i) => this.ask<RecvReport>(this.workers[i]!, req, 'report', 120_000)));
    return mergeRecv(reps);
  }

  /** Clears the clients' delivery records (rate sweep steps). */
  async reset(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        await this.ask(w, { t: 'reset' }, 'resetDone', 30_000);
        w.tick = null;
      }),
    );
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.dead) return;
        try {
          await this.ask(w, { t: 'close' }, 'closed', 15_000);
        } catch {
          /* stopped below */
        }
        await stopChild(w.cp, 3000);
      }),
    );
  }
}

export function mergeSent(reps: SentReport[]): SentReport {
  const resp = new Histogram();
  const lag = new Histogram();
  const qwait = new Histogram();
  const statuses: Record<string, number> = {};
  const series = new Map<number, number>();
  const out: SentReport = { t: 'sent', sent: 0, resent: 0, ok: 0, statuses, failed: [], errors: [], resp: resp.toJSON(), schedLag: lag.toJSON(), queueWait: qwait.toJSON(), firstAt: Infinity, lastAt: 0, series: [] };
  for (const r of reps) {
    out.sent += r.sent;
    out.resent += r.resent;
    out.ok += r.ok;
    out.failed.push(...r.failed);
    out.errors.push(...r.errors);
    resp.merge(r.resp);
    lag.merge(r.schedLag);
    qwait.merge(r.queueWait);
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
    for (const [s, c] of r.series) series.set(s, (series.get(s) ?? 0) + c);
    if (r.firstAt) out.firstAt = Math.min(out.firstAt, r.firstAt);
    out.lastAt = Math.max(out.lastAt, r.lastAt);
  }
  out.resp = resp.toJSON();
  out.schedLag = lag.toJSON();
  out.queueWait = qwait.toJSON();
  out.series = [...series.entries()].sort((a, b) => a[0] - b[0]);
  out.errors = out.errors.slice(0, 20);
  if (out.firstAt === Infinity) out.firstAt = 0;
  return out;
}

function mergeRecv(reps: RecvReport[]): RecvReport {
  const hist = new Histogram();
  const same = new Histogram();
  const cross = new Histogram();
  const series = new Map<number, { count: number; p50: number; p99: number; max: number; w: number }>();
  const perMessage = new Map<number, [number, number, number, number]>();
  const out: RecvReport = {
    t: 'report',
    hist: hist.toJSON(),
    same: same.toJSON(),
    cross: cross.toJSON(),
    series: [],
    delivered: 0,
    expected: 0,
    missing: 0,
    missingOnClosed: 0,
    closedSockets: 0,
    duplicates: 0,
    foreign: 0,
    outOfOrder: 0,
    otherFrames: 0,
    closes: {},
    missingSamples: [],
    perMessage: [],
  };
  for (const r of reps) {
    hist.merge(r.hist);
    same.merge(r.same);
    cross.merge(r.cross);
    out.delivered += r.delivered;
    out.expected += r.expected;
    out.missing += r.missing;
    out.missingOnClosed += r.missingOnClosed;
    out.closedSockets += r.closedSockets;
    out.duplicates += r.duplicates;
    out.foreign += r.foreign;
    out.outOfOrder += r.outOfOrder;
    out.otherFrames += r.otherFrames;
    for (const [k, v] of Object.entries(r.closes)) out.closes[k] = (out.closes[k] ?? 0) + v;
    out.missingSamples.push(...r.missingSamples);
    // Per-second percentiles cannot be merged exactly: weight p50 by count, keep the worst p99/max.
    for (const s of r.series) {
      const e = series.get(s.sec);
      if (!e) series.set(s.sec, { count: s.count, p50: s.p50 * s.count, p99: s.p99, max: s.max, w: s.count });
      else {
        e.count += s.count;
        e.p50 += s.p50 * s.count;
        e.w += s.count;
        e.p99 = Math.max(e.p99, s.p99);
        e.max = Math.max(e.max, s.max);
      }
    }
    for (const m of r.perMessage) {
      const e = perMessage.get(m[0]);
      if (!e) perMessage.set(m[0], [...m]);
      else {
        e[1] += m[1];
        e[2] = Math.max(e[2], m[2]);
        e[3] = Math.min(e[3], m[3]);
      }
    }
  }
  out.hist = hist.toJSON();
  out.same = same.toJSON();
  out.cross = cross.toJSON();
  out.series = [...series.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([sec, e]) => ({ sec, count: e.count, p50: e.w ? e.p50 / e.w : 0, p99: e.p99, max: e.max }));
  out.perMessage = [...perMessage.values()].sort((a, b) => a[0] - b[0]);
  out.missingSamples = out.missingSamples.slice(0, 10);
  return out;
}
