// The flows shared by the scenarios: start a target, spread its sockets over client processes,
// connect them, prime the conversations, drive webhooks (fixed rate, burst or one by one), wait
// for deliveries to drain, collect every client's records and the server's own metrics.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Options } from './args.js';
import { ClientPool, mergeSent } from './clients.js';
import type { BenchEnv, Conv, Staff, World } from './env.js';
import { Histogram, type HistJSON, type Percentiles } from './hist.js';
import { now, type DeliveryCounts, type RecvReport, type SendPlan, type SentReport, type SocketSpec } from './protocol.js';
import { httpGet, parseProm, promHistDelta, promValue, summarize, type CpuSummary, type Prom, type PromHistSummary, type Sample, type Sampler } from './sampler.js';
import { profilesIn, summarizeProfile, type ProfileSummary } from './cpuprof.js';
import { startTarget, TARGET_LABEL, type RunningTarget, type TargetName } from './targets.js';

export interface Ctx {
  /** marker of this attempt's messages (the run id plus the attempt number) */
  runTag: string;
  o: Options;
  env: BenchEnv;
  world: World;
  sampler: Sampler;
  logDir: string;
  runtime: 'tsx' | 'dist';
}

export interface ConnectResult {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  wallMs: number;
  perSocket: Percentiles;
  hist: HistJSON;
  framesWhileConnecting?: number;
  settleMs?: number;
}

export interface SendResult {
  sent: number;
  resent: number;
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  errors: string[];
  wallMs: number;
  achievedRate: number;
  resp: Percentiles;
  respHist: HistJSON;
  schedLag: Percentiles;
  queueWait: Percentiles;
  series: Array<[number, number]>;
}

export interface RecvResult extends DeliveryCounts {
  deliveredPerSec: number;
  latency: Percentiles;
  hist: HistJSON;
  sameNode: Percentiles | null;
  crossNode: Percentiles | null;
  sameHist: HistJSON;
  crossHist: HistJSON;
  series: RecvReport['series'];
}

export interface RunResult {
  target: TargetName;
  label: string;
  runtime: string;
  nodes: Array<{ name: string; port: number; pid: number }>;
  sockets: number;
  startedAt: number;
  measureFrom: number;
  measureTo: number;
  connect?: ConnectResult;
  send?: SendResult;
  recv?: RecvResult;
  fanout?: { messages: number; sockets: number; complete: number; lastSocket: Percentiles; firstSocket: Percentiles; perMessage: Array<[number, number, number, number]> };
  memory?: { rssBeforeMB: number; rssAfterMB: number; perSocketKB: number; heapBeforeMB: number | null; heapAfterMB: number | null; heapPerSocketKB: number | null; socketsReported: number | null; openAtEnd: number; perNode: Array<{ name: string; before: number; after: number }> };
  burst?: { acceptedPerSec: number; acceptWallMs: number; persistedMs: number | null; deliveredMs: number | null; deliveredAll: boolean; rows: number | null; uniq: number | null; expectedRows: number };
  uploads?: Record<string, unknown>;
  cpu: CpuSummary;
  samples: Sample[];
  serverMetrics: Record<string, PromHistSummary | null>;
  serverCounters: Record<string, number>;
  /** ws_closed_total by reason over the whole run (server side). */
  closedByServer: Record<string, number>;
  /** What the bench database's backends were doing during the measured window (pg_stat_activity every 100 ms). */
  pgActivity: Array<{ what: string; avgBackends: number }>;
  cpuProfiles: ProfileSummary[];
  /** offered webhook rate of the fields above (rate scenarios) */
  rate?: number;
  /** rate sweep (--rates): one entry per offered rate */
  steps: StepResult[];
  /** server processes that ended before the bench stopped them */
  nodeExits: string[];
  /** 1-based attempt (--repeat) */
  attempt: number;
  error?: string;
}

export interface StepResult {
  rate: number;
  send: SendResult;
  recv: RecvResult;
  cpu: CpuSummary;
  serverMetrics: Record<string, PromHistSummary | null>;
  pgActivity: Array<{ what: string; avgBackends: number }>;
  measureFrom: number;
  measureTo: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`);
}
export { log };

/** Sockets of one staff list on nodes: the j-th socket of a department goes to node (key + j) % nodes. */
export function socketSpecs(target: RunningTarget, staff: Staff[]): SocketSpec[] {
  const seen = new Map<number, number>();
  const nodes = target.nodes.length;
  return staff.map((s) => {
    const j = seen.get(s.key) ?? 0;
    seen.set(s.key, j + 1);
    const node = (s.key + j) % nodes;
    return { url: target.socketUrl(s, node), key: s.key, node, token: s.token };
  });
}

async function scrape(target: RunningTarget): Promise<Prom | null> {
  const merged: Prom = new Map();
  let any = false;
  for (let i = 0; i < target.nodes.length; i++) {
    try {
      const r = await httpGet(target.metricsUrl(i), 5000);
      const p = parseProm(r.body);
      any = true;
      for (const [k, v] of p) merged.set(k, [...(merged.get(k) ?? []), ...v]);
    } catch {
      /* node too busy */
    }
  }
  return any ? merged : null;
}

function serverMetrics(before: Prom | null, after: Prom | null): { hists: Record<string, PromHistSummary | null>; counters: Record<string, number> } {
  if (!after) return { hists: {}, counters: {} };
  const h = (name: string, match: Record<string, string> = {}) => promHistDelta(before, after, name, match);
  const c = (name: string, match: Record<string, string> = {}) => (promValue(after, name, match) ?? 0) - (before ? promValue(before, name, match) ?? 0 : 0);
  return {
    hists: {
      'webhook handling (s)': h('http_request_duration_seconds', { method: 'POST' }),
      'event publish → local delivery (s)': h('fanout_latency_seconds'),
      'messages per insert statement': h('message_write_batch_size'),
      'actor mailbox batch (s)': h('actor_batch_seconds'),
    },
    counters: {
      messages_stored_total: c('messages_stored_total'),
      messages_delivered_total: c('messages_delivered_total'),
      fanout_duplicates_dropped_total: c('fanout_duplicates_dropped_total'),
      fanout_gap_repaired_total: c('fanout_gap_repaired_total'),
      fanout_dropped_total: c('fanout_dropped_total'),
      actor_mailbox_rejected_total: c('actor_mailbox_rejected_total'),
      ws_closed_total: c('ws_closed_total'),
    },
  };
}

function sendResult(s: SentReport): SendResult {
  const wallMs = s.lastAt - s.firstAt;
  return {
    sent: s.sent,
    resent: s.resent,
    ok: s.ok,
    failed: s.failed.length,
    statuses: s.statuses,
    errors: s.errors,
    wallMs,
    achievedRate: wallMs > 0 ? (s.sent / wallMs) * 1000 : 0,
    resp: Histogram.from(s.resp).summary(),
    respHist: s.resp,
    schedLag: Histogram.from(s.schedLag).summary(),
    queueWait: Histogram.from(s.queueWait).summary(),
    series: s.series,
  };
}

function recvResult(r: RecvReport, windowMs: number): RecvResult {
  const same = Histogram.from(r.same);
  const cross = Histogram.from(r.cross);
  return {
    delivered: r.delivered,
    expected: r.expected,
    missing: r.missing,
    missingOnClosed: r.missingOnClosed,
    closedSockets: r.closedSockets,
    duplicates: r.duplicates,
    foreign: r.foreign,
    outOfOrder: r.outOfOrder,
    otherFrames: r.otherFrames,
    closes: r.closes,
    missingSamples: r.missingSamples,
    deliveredPerSec: windowMs > 0 ? (r.delivered / windowMs) * 1000 : 0,
    latency: Histogram.from(r.hist).summary(),
    hist: r.hist,
    sameNode: same.count ? same.summary() : null,
    crossNode: cross.count ? cross.summary() : null,
    sameHist: r.same,
    crossHist: r.cross,
    series: r.series,
  };
}

function rssOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]) * 4096;
  } catch {
    return 0;
  }
}

export interface Session {
  ctx: Ctx;
  target: RunningTarget;
  pool: ClientPool | null;
  receivers: number[];
  senders: number[];
  specs: SocketSpec[];
  perKey: Map<number, number>;
  result: RunResult;
}

/**
 * Starts the target and the sampler, runs `body`, and always stops clients, sampler and target.
 * A failure inside is recorded in the result (the report still gets written).
 */
export async function withTarget(ctx: Ctx, name: TargetName, body: (s: Session) => Promise<void>, nodes = ctx.o.nodes): Promise<RunResult> {
  const result: RunResult = {
    target: name,
    label: TARGET_LABEL[name],
    runtime: '',
    nodes: [],
    sockets: 0,
    startedAt: Date.now(),
    measureFrom: 0,
    measureTo: 0,
    cpu: { cpu: {}, machineBusy: 0, irq: 0, other: 0, nodes: [] },
    samples: [],
    serverMetrics: {},
    serverCounters: {},
    closedByServer: {},
    pgActivity: [],
    cpuProfiles: [],
    steps: [],
    nodeExits: [],
    attempt: 1,
  };
  log(`[${result.label}] starting ${name === 'server' ? `${nodes} node(s), ${ctx.runtime}, bus ${ctx.o.bus}, webhooks ${ctx.o.mode}` : ''}`);
  let target: RunningTarget;
  const profDir = path.join(ctx.logDir, `cpuprof-${name}`);
  try {
    target = await startTarget(name, ctx.env, ctx.world, {
      nodes: name === 'server' ? nodes : 1,
      bus: ctx.o.bus,
      webhookMode: ctx.o.mode,
      poolMax: ctx.o.pool,
      runtime: ctx.runtime,
      logDir: ctx.logDir,
      extraEnv: {},
      nodeArgs: ctx.o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    });
  } catch (err) {
    result.error = (err as Error).message;
    log(`[${result.label}] could not start: ${result.error}`);
    return result;
  }
  result.runtime = target.runtime;
  result.nodes = target.nodes.map((n) => ({ name: n.name, port: n.port, pid: n.pid }));
  const session: Session = { ctx, target, pool: null, receivers: [], senders: [], specs: [], perKey: new Map(), result };
  let stopping = false;
  for (const n of target.nodes) {
    void n.proc.exited.then((code) => {
      if (stopping) return;
      const msg = `${n.name} (pid ${n.pid}) exited with ${code} during the run at ${new Date().toISOString()}; see ${n.proc.log}`;
      result.nodeExits.push(msg);
      log(`[${result.label}] !! ${msg}`);
    });
  }
  ctx.sampler.setNodes(target.nodes.map((n, i) => ({ name: n.name, pid: n.pid, metricsUrl: target.metricsUrl(i) })));
  ctx.sampler.group('clients', () => session.pool?.pids ?? []);
  ctx.sampler.start(1000);
  const firstScrape = await scrape(target);
  const progress = setInterval(() => {
    if (!session.pool) return;
    const t = session.pool.totals();
    log(`[${result.label}] sockets open ${t.open}, webhooks sent ${t.sent}, deliveries ${t.recv}, requests waiting ${t.waiting}`);
  }, 5000);
  try {
    await body(session);
  } catch (err) {
    result.error = (err as Error).message;
    log(`[${result.label}] failed: ${(err as Error).stack ?? result.error}`);
  } finally {
    clearInterval(progress);
    result.samples = ctx.sampler.stop();
    const lastScrape = await scrape(target).catch(() => null);
    if (lastScrape) {
      for (const [labels, v] of lastScrape.get('ws_closed_total') ?? []) {
        const before = firstScrape?.get('ws_closed_total')?.find(([l]) => l['reason'] === labels['reason'])?.[1] ?? 0;
        if (v - before > 0) result.closedByServer[labels['reason'] ?? '?'] = (result.closedByServer[labels['reason'] ?? '?'] ?? 0) + v - before;
      }
    }
    if (!result.measureFrom) {
      result.measureFrom = result.startedAt;
      result.measureTo = Date.now();
    }
    result.cpu = summarize(result.samples, result.measureFrom, result.measureTo);
    if (!result.pgActivity.length) result.pgActivity = ctx.sampler.pgTop();
    if (session.pool) await session.pool.close();
    stopping = true;
    await target.stop();
    log(`[${result.label}] stopped`);
    if (ctx.o.cpuProf) {
      for (const f of profilesIn(profDir)) {
        try {
          result.cpuProfiles.push(summarizeProfile(f));
        } catch (err) {
          log(`[${result.label}] could not read ${f}: ${(err as Error).message}`);
        }
      }
    }
  }
  return result;
}

/** Forks client processes: `receivers` holding the sockets, `senders` for webhooks. */
export async function startClients(s: Session, staff: Staff[], convs: Conv[], opts: { receivers: number; senders: number; perMessage: boolean }): Promise<void> {
  const specs = socketSpecs(s.target, staff);
  s.specs = specs;
  s.result.sockets = specs.length;
  for (const sp of specs) s.perKey.set(sp.key, (s.perKey.get(sp.key) ?? 0) + 1);
  const localAddrs = Array.from({ length: s.ctx.o.localAddrs }, (_, i) => `127.0.0.${i + 1}`);
  const base = { run: s.ctx.runTag, kind: s.target.kind, convKeys: convs.map((c) => c.key), localAddrs, perMessage: opts.perMessage };
  const inits = [
    ...Array.from({ length: opts.receivers }, (_, w) => ({ ...base, sockets: specs.filter((_, i) => i % opts.receivers === w) })),
    ...Array.from({ length: opts.senders }, () => ({ ...base, sockets: [] })),
  ];
  s.pool = await ClientPool.start(inits);
  s.receivers = Array.from({ length: opts.receivers }, (_, i) => i);
  s.senders = Array.from({ length: opts.senders }, (_, i) => opts.receivers + i);
}

export async function connectAll(s: Session): Promise<ConnectResult> {
  const t0 = now();
  const c = await s.pool!.connect(s.receivers, s.ctx.o.connectConcurrency, 30_000);
  const wallMs = now() - t0;
  const r: ConnectResult = { ok: c.ok, failed: c.failed, errors: c.errors, wallMs, perSocket: Histogram.from(c.hist).summary(), hist: c.hist };
  log(`[${s.result.label}] ${c.ok} sockets connected in ${(wallMs / 1000).toFixed(1)} s${c.failed ? `, ${c.failed} FAILED ${JSON.stringify(c.errors)}` : ''}`);
  s.result.connect = r;
  await settle(s);
  return r;
}

/**
 * After connecting, the server may still be sending presence (user_status) frames: every staff
 * member who comes online is announced to the department. Waits until no such frame arrived for
 * 2.5 s (at most 60 s) so that the measurement starts on a quiet server.
 */
async function settle(s: Session): Promise<void> {
  const t0 = now();
  let last = -1;
  let since = t0;
  for (;;) {
    await sleep(250);
    const other = s.pool!.totals().other;
    const t = now();
    if (other !== last) {
      last = other;
      since = t;
    } else if (t - since >= 2500) break;
    if (t - t0 > 60_000) break;
  }
  s.result.connect!.framesWhileConnecting = last;
  s.result.connect!.settleMs = now() - t0;
  if (last > 0) log(`[${s.result.label}] ${last} other frames (presence) received while connecting; quiet after ${((now() - t0) / 1000).toFixed(1)} s`);
}

export function plans(s: Session, convs: Conv[], p: Omit<SendPlan, 't' | 'targets' | 'convs' | 'secret' | 'stride' | 'offset' | 'conns' | 'providerIds' | 'resend'> & { resend?: number }): Array<[number, SendPlan]> {
  const stride = s.senders.length;
  const targets = s.target.sendTargets();
  const conns = p.mode === 'burst' ? Math.max(1, Math.ceil(p.concurrency / stride / targets.length)) : s.ctx.o.conns;
  return s.senders.map((w, offset) => [
    w,
    {
      t: 'send',
      ...p,
      concurrency: Math.max(1, Math.ceil(p.concurrency / stride)),
      targets,
      convs: convs.map((c) => ({ number: c.number, channel: c.channel, department: c.department })),
      secret: s.ctx.env.webhookSecret,
      stride,
      offset,
      conns,
      providerIds: s.ctx.o.providerIds,
      resend: p.resend ?? 0,
    },
  ]);
}

/** Sends one message to every conversation (creating them) plus `warmupS` seconds at the rate. */
export async function prime(s: Session, convs: Conv[], rate: number, warmupS: number): Promise<void> {
  const count = Math.max(convs.length, Math.round(rate * warmupS));
  log(`[${s.result.label}] priming: ${count} warm-up messages (${convs.length} conversations)`);
  const reps = await s.pool!.send(plans(s, convs, { mode: 'rate', tag: 'w', n0: 0, count, rate: Math.min(rate, 5000), concurrency: 64, intervalMs: 0 }), 300_000);
  const m = mergeSent(reps);
  if (m.failed.length) log(`[${s.result.label}] priming: ${m.failed.length} webhooks failed: ${m.errors.slice(0, 3).join(' | ')}`);
  // Statistics, as a database in service has them (autovacuum analyzes a table within about a
  // minute of this much writing; a run is shorter). Without them Postgres looked up a message's
  // conversation through a partial index, reading every active conversation for each message.
  await s.ctx.env.sql`analyze`;
  await sleep(1000);
}

function expectedDeliveries(s: Session, convs: Conv[], n0: number, count: number, failed: number[]): number {
  const f = new Set(failed);
  const ratio = s.result.connect && s.specs.length ? s.result.connect.ok / s.specs.length : 1;
  let e = 0;
  for (let n = n0; n < n0 + count; n++) if (!f.has(n)) e += s.perKey.get(convs[n % convs.length]!.key) ?? 0;
  return Math.round(e * ratio);
}

/** Waits until the clients have every expected delivery, or nothing arrived for quietMs, or the cap. */
export async function drain(s: Session, expected: number, capMs: number, quietMs = 3000): Promise<number> {
  const t0 = now();
  let last = -1;
  let lastChange = t0;
  for (;;) {
    const recv = s.pool!.totals().recv;
    const t = now();
    if (recv >= expected) return t;
    if (recv !== last) {
      last = recv;
      lastChange = t;
    } else if (t - lastChange > quietMs) {
      log(`[${s.result.label}] deliveries stalled at ${recv} of ${expected}`);
      return t;
    }
    if (t - t0 > capMs) {
      log(`[${s.result.label}] drain cap reached: ${recv} of ${expected}`);
      return t;
    }
    await sleep(100);
  }
}

/** Fixed-rate load: the latency, cluster and uploads scenarios. */
export async function rateRun(s: Session, convs: Conv[], p: { rate: number; durationS: number; n0?: number; during?: (t0: number) => Promise<void> }): Promise<void> {
  const o = s.ctx.o;
  const count = Math.round(p.rate * p.durationS);
  const n0 = p.n0 ?? 0;
  const before = await scrape(s.target);
  s.result.measureFrom = Date.now();
  s.ctx.sampler.resetPg();
  const t0 = now();
  log(`[${s.result.label}] measuring: ${count} webhooks at ${p.rate}/s over ${convs.length} conversations, ${s.result.sockets} sockets`);
  const sending = s.pool!.send(plans(s, convs, { mode: 'rate', tag: 'b', n0, count, rate: p.rate, concurrency: 64, intervalMs: 0 }), p.durationS * 3000 + 120_000);
  const side = p.during ? p.during(t0) : Promise.resolve();
  const sent = mergeSent(await sending);
  const tSent = now();
  const tEnd = await drain(s, expectedDeliveries(s, convs, n0, count, sent.failed), o.drain * 1000);
  await side;
  s.result.measureTo = Date.now();
  s.result.pgActivity = s.ctx.sampler.pgTop();
  const after = await scrape(s.target);
  const rep = await s.pool!.report(s.receivers, { t: 'report', tag: 'b', n0, count, failed: sent.failed });
  s.result.send = sendResult(sent);
  s.result.recv = recvResult(rep, tSent - t0);
  const m = serverMetrics(before, after);
  s.result.serverMetrics = m.hists;
  s.result.serverCounters = m.counters;
  s.result.rate = p.rate;
  void tEnd;
}

/**
 * A rate sweep on one set of connected sockets: each rate in turn (ascending), the clients'
 * records cleared in between. Every step is kept in result.steps; the step at `mainRate` (or the
 * last) also fills the result's own fields, which the table and the budgets read.
 */
export async function sweep(s: Session, convs: Conv[], rates: number[], durationS: number, mainRate: number): Promise<void> {
  let n0 = 0;
  let main: StepResult | null = null;
  for (const [i, rate] of rates.entries()) {
    if (i > 0) {
      await s.pool!.reset();
      await sleep(2000);
    }
    await rateRun(s, convs, { rate, durationS, n0 });
    n0 += Math.round(rate * durationS);
    const r = s.result;
    const step: StepResult = {
      rate,
      send: r.send!,
      recv: r.recv!,
      cpu: summarize(s.ctx.sampler.samples, r.measureFrom, r.measureTo),
      serverMetrics: r.serverMetrics,
      pgActivity: r.pgActivity,
      measureFrom: r.measureFrom,
      measureTo: r.measureTo,
    };
    s.result.steps.push(step);
    log(`[${r.label}] ${rate}/s: p50 ${step.recv.latency.p50.toFixed(2)} ms, p99 ${step.recv.latency.p99.toFixed(2)} ms, missing ${step.recv.missing}`);
    if (rate === mainRate) main = step;
  }
  const m = main ?? s.result.steps[s.result.steps.length - 1]!;
  Object.assign(s.result, { send: m.send, recv: m.recv, serverMetrics: m.serverMetrics, pgActivity: m.pgActivity, measureFrom: m.measureFrom, measureTo: m.measureTo, rate: m.rate });
  // the CPU summary of the whole result is taken over [measureFrom, measureTo] of that step
}

/** K webhooks as fast as the concurrency allows; then wait until persisted and delivered. */
export async function burstRun(s: Session, convs: Conv[], count: number): Promise<void> {
  const o = s.ctx.o;
  const before = await scrape(s.target);
  s.result.measureFrom = Date.now();
  s.ctx.sampler.resetPg();
  log(`[${s.result.label}] burst: ${count} webhooks, ${o.concurrency} in flight${o.resend && s.target.name !== 'uws' ? `, ${Math.round(o.resend * 100)} % sent twice` : ''}`);
  // the raw uWS server has no idempotency: copies with the same provider id would only measure that
  const resend = s.target.name === 'uws' ? 0 : o.resend;
  const sending = s.pool!.send(plans(s, convs, { mode: 'burst', tag: 'b', n0: 0, count, rate: 0, concurrency: o.concurrency, intervalMs: 0, resend }), 600_000);
  const sent = mergeSent(await sending);
  const firstAt = sent.firstAt;
  const acceptWallMs = sent.lastAt - sent.firstAt;
  log(`[${s.result.label}] burst answered: ${sent.ok} accepted of ${sent.sent} in ${(acceptWallMs / 1000).toFixed(2)} s (${Math.round((sent.ok / acceptWallMs) * 1000)}/s) ${JSON.stringify(sent.statuses)}`);
  // persisted: poll the database
  let persistedMs: number | null = null;
  let rows: number | null = null;
  let uniq: number | null = null;
  const capAt = now() + Math.max(60_000, o.drain * 1000);
  const prefix = `b|${s.ctx.runTag}|`;
  const first = await s.target.persisted(prefix);
  if (first) {
    for (;;) {
      const r = await s.target.persisted(prefix);
      rows = r!.rows;
      uniq = r!.uniq;
      if (r!.uniq >= sent.ok) {
        persistedMs = now() - firstAt;
        break;
      }
      if (now() > capAt) break;
      await sleep(100);
    }
    log(`[${s.result.label}] persisted ${uniq} distinct messages (${rows} rows) ${persistedMs !== null ? `after ${(persistedMs / 1000).toFixed(2)} s` : 'before the cap'}`);
  }
  const tDelivered = await drain(s, expectedDeliveries(s, convs, 0, count, sent.failed), o.drain * 1000 + 30_000);
  const deliveredMs = tDelivered - firstAt;
  await sleep(1000); // late duplicates would show up here
  if (first) {
    const r = await s.target.persisted(prefix);
    rows = r!.rows;
    uniq = r!.uniq;
  }
  s.result.measureTo = Date.now();
  s.result.pgActivity = s.ctx.sampler.pgTop();
  const after = await scrape(s.target);
  const rep = await s.pool!.report(s.receivers, { t: 'report', tag: 'b', n0: 0, count, failed: sent.failed });
  s.result.send = sendResult(sent);
  s.result.recv = recvResult(rep, deliveredMs);
  s.result.burst = {
    acceptedPerSec: acceptWallMs > 0 ? (sent.ok / acceptWallMs) * 1000 : 0,
    acceptWallMs,
    persistedMs,
    deliveredMs,
    deliveredAll: rep.missing === 0,
    rows,
    uniq,
    expectedRows: sent.ok,
  };
  const m = serverMetrics(before, after);
  s.result.serverMetrics = m.hists;
  s.result.serverCounters = m.counters;
}

/** One message at a time to every socket of one department. */
export async function fanoutRun(s: Session, convs: Conv[], count: number, intervalMs: number): Promise<void> {
  const before = await scrape(s.target);
  s.result.measureFrom = Date.now();
  log(`[${s.result.label}] fanout: ${count} messages, one every ${intervalMs} ms, to ${s.result.connect?.ok ?? 0} sockets`);
  const sent = mergeSent(await s.pool!.send(plans(s, convs, { mode: 'sequence', tag: 'b', n0: 0, count, rate: 0, concurrency: 1, intervalMs }), count * (intervalMs + 30_000)));
  const t1 = await drain(s, expectedDeliveries(s, convs, 0, count, sent.failed), s.ctx.o.drain * 1000);
  s.result.measureTo = Date.now();
  const after = await scrape(s.target);
  const rep = await s.pool!.report(s.receivers, { t: 'report', tag: 'b', n0: 0, count, failed: sent.failed });
  s.result.send = sendResult(sent);
  s.result.recv = recvResult(rep, t1 - sent.firstAt);
  const connected = s.result.connect?.ok ?? 0;
  const last = new Histogram();
  const firstH = new Histogram();
  let complete = 0;
  for (const [, c, maxUs, minUs] of rep.perMessage) {
    if (c >= connected) {
      complete++;
      last.recordUs(maxUs);
    }
    firstH.recordUs(minUs);
  }
  s.result.fanout = { messages: count, sockets: connected, complete, lastSocket: last.summary(), firstSocket: firstH.summary(), perMessage: rep.perMessage };
  const m = serverMetrics(before, after);
  s.result.serverMetrics = m.hists;
  s.result.serverCounters = m.counters;
}

/** Idle sockets: RSS (and heap) of the server before and after, per socket. */
export async function connectionsRun(s: Session): Promise<void> {
  const settle = s.ctx.o.settle * 1000;
  const pids = s.target.nodes.map((n) => n.pid);
  // RSS moves with garbage collection: take the median of five readings, 500 ms apart.
  const steadyRss = async () => {
    const reads: number[][] = [];
    for (let i = 0; i < 5; i++) {
      reads.push(pids.map(rssOf));
      await sleep(500);
    }
    return pids.map((_, k) => reads.map((r) => r[k]!).sort((a, b) => a - b)[2]!);
  };
  await sleep(2000);
  const beforeNode = await steadyRss();
  const heapOf = async () => {
    let sum = 0;
    let sockets = 0;
    for (let i = 0; i < s.target.nodes.length; i++) {
      try {
        const p = parseProm((await httpGet(s.target.metricsUrl(i), 5000)).body);
        const h = promValue(p, 'nodejs_heap_used_bytes');
        if (h === undefined) return null;
        sum += h;
        sockets += promValue(p, 'ws_sockets') ?? 0;
      } catch {
        return null;
      }
    }
    return { heap: sum, sockets };
  };
  const hb = await heapOf();
  s.result.measureFrom = Date.now();
  const c = await connectAll(s);
  log(`[${s.result.label}] settling ${s.ctx.o.settle} s`);
  await sleep(settle);
  const afterNode = await steadyRss();
  const ha = await heapOf();
  const openAtEnd = s.pool!.totals().open;
  s.result.measureTo = Date.now();
  const before = beforeNode.reduce((a, b) => a + b, 0);
  const after = afterNode.reduce((a, b) => a + b, 0);
  s.result.memory = {
    rssBeforeMB: before / 2 ** 20,
    rssAfterMB: after / 2 ** 20,
    perSocketKB: c.ok ? (after - before) / c.ok / 1024 : 0,
    heapBeforeMB: hb ? hb.heap / 2 ** 20 : null,
    heapAfterMB: ha ? ha.heap / 2 ** 20 : null,
    heapPerSocketKB: hb && ha && c.ok ? (ha.heap - hb.heap) / c.ok / 1024 : null,
    socketsReported: ha ? ha.sockets : null,
    openAtEnd,
    perNode: s.target.nodes.map((n, i) => ({ name: n.name, before: beforeNode[i]! / 2 ** 20, after: afterNode[i]! / 2 ** 20 })),
  };
}
