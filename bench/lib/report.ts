// Output of a bench run: a table on stdout, report.json for machines, report.html for people
// (self-contained: inline SVG, no external assets).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Options } from './args.js';
import type { Budget } from './budgets.js';
import { Histogram } from './hist.js';
import type { RunResult } from './run.js';

export interface Report {
  meta: {
    date: string;
    host: string;
    cpus: number;
    cpuModel: string;
    memGiB: number;
    node: string;
    commit: string;
    runtime: string;
    command: string;
    durationS: number;
    database: string;
    natsPrefix: string;
  };
  scenario: string;
  preset: string | null;
  presetText: string | null;
  options: Options;
  world: { hotels: number; departments: number; staff: number; conversations: number; staffPerDepartment: number };
  runs: RunResult[];
  /** with --repeat: the summaries of the attempts not shown in the table */
  attempts: Array<Record<string, unknown>>;
  budgets: Budget[];
  notes: string[];
}

type Dir = 'lower' | 'higher' | 'none';
interface Row {
  label: string;
  get: (r: RunResult) => number | string | null | undefined;
  dir: Dir;
  digits?: number;
}

const cpuOf = (r: RunResult, g: string) => r.cpu.cpu[g];

function rows(scenario: string): Row[] {
  const common: Row[] = [
    { label: 'server CPU % (all nodes, of one core)', get: (r) => cpuOf(r, 'server'), dir: 'lower', digits: 0 },
    { label: 'Postgres CPU % (bench db backends + WAL/checkpointer)', get: (r) => cpuOf(r, 'postgres'), dir: 'none', digits: 0 },
    { label: 'nats-server CPU %', get: (r) => cpuOf(r, 'nats'), dir: 'none', digits: 0 },
    { label: 'client processes CPU %', get: (r) => cpuOf(r, 'clients'), dir: 'none', digits: 0 },
    { label: 'kernel irq/softirq CPU % (loopback network)', get: (r) => r.cpu.irq, dir: 'none', digits: 0 },
    { label: 'other programs CPU % (not this bench)', get: (r) => r.cpu.other, dir: 'none', digits: 0 },
    { label: 'whole machine busy CPU % (100 per core)', get: (r) => r.cpu.machineBusy, dir: 'none', digits: 0 },
    { label: 'event-loop lag p99, mean over samples (ms)', get: (r) => avg(r.cpu.nodes.map((n) => n.lagP99Ms)), dir: 'lower', digits: 2 },
    { label: 'event-loop lag max (ms)', get: (r) => max(r.cpu.nodes.map((n) => n.lagMaxMs)), dir: 'lower', digits: 1 },
    { label: 'server RSS max (MB, all nodes)', get: (r) => sum(r.cpu.nodes.map((n) => n.rssMB)), dir: 'lower', digits: 0 },
  ];
  const connect: Row[] = [
    { label: 'sockets connected', get: (r) => r.connect?.ok, dir: 'none', digits: 0 },
    { label: 'sockets failed', get: (r) => r.connect?.failed, dir: 'lower', digits: 0 },
    { label: 'time to connect all (s)', get: (r) => (r.connect ? r.connect.wallMs / 1000 : null), dir: 'lower', digits: 2 },
    { label: 'connect time per socket p50 / p99 (ms)', get: (r) => (r.connect ? `${r.connect.perSocket.p50.toFixed(1)} / ${r.connect.perSocket.p99.toFixed(1)}` : null), dir: 'none' },
    { label: 'presence frames while connecting / quiet after (s)', get: (r) => (r.connect?.framesWhileConnecting !== undefined ? `${r.connect.framesWhileConnecting} / ${((r.connect.settleMs ?? 0) / 1000).toFixed(1)}` : null), dir: 'none' },
  ];
  const latency: Row[] = [
    { label: 'webhooks sent', get: (r) => r.send?.sent, dir: 'none', digits: 0 },
    { label: 'webhooks failed (non-2xx)', get: (r) => r.send?.failed, dir: 'lower', digits: 0 },
    { label: 'webhooks answered/s (sent ÷ time to last answer)', get: (r) => r.send?.achievedRate, dir: 'higher', digits: 0 },
    { label: 'deliveries/s', get: (r) => r.recv?.deliveredPerSec, dir: 'higher', digits: 0 },
    { label: 'latency p50 (ms)', get: (r) => r.recv?.latency.p50, dir: 'lower', digits: 2 },
    { label: 'latency p90 (ms)', get: (r) => r.recv?.latency.p90, dir: 'lower', digits: 2 },
    { label: 'latency p99 (ms)', get: (r) => r.recv?.latency.p99, dir: 'lower', digits: 2 },
    { label: 'latency p99.9 (ms)', get: (r) => r.recv?.latency.p999, dir: 'lower', digits: 2 },
    { label: 'latency max (ms)', get: (r) => r.recv?.latency.max, dir: 'lower', digits: 1 },
    { label: 'delivered / expected', get: (r) => (r.recv ? `${r.recv.delivered} / ${r.recv.expected}` : null), dir: 'none' },
    { label: 'missing', get: (r) => r.recv?.missing, dir: 'lower', digits: 0 },
    { label: '  of which on sockets closed by the server', get: (r) => r.recv?.missingOnClosed, dir: 'none', digits: 0 },
    { label: 'sockets closed during the run', get: (r) => r.recv?.closedSockets, dir: 'lower', digits: 0 },
    { label: 'duplicates', get: (r) => r.recv?.duplicates, dir: 'lower', digits: 0 },
    { label: 'foreign (wrong department)', get: (r) => r.recv?.foreign, dir: 'lower', digits: 0 },
    { label: 'out of seq order', get: (r) => r.recv?.outOfOrder, dir: 'lower', digits: 0 },
    { label: 'webhook response p50 (ms)', get: (r) => r.send?.resp.p50, dir: 'lower', digits: 2 },
    { label: 'webhook response p99 (ms)', get: (r) => r.send?.resp.p99, dir: 'lower', digits: 2 },
    { label: '  of which queued in the client pool p99 (ms)', get: (r) => r.send?.queueWait.p99, dir: 'none', digits: 2 },
    { label: 'sender schedule lag p99 (ms)', get: (r) => r.send?.schedLag.p99, dir: 'none', digits: 2 },
  ];
  if (scenario === 'cluster') {
    latency.splice(9, 0,
      { label: 'same-node latency p99 (ms)', get: (r) => r.recv?.sameNode?.p99, dir: 'lower', digits: 2 },
      { label: 'cross-node latency p50 / p99 (ms)', get: (r) => (r.recv?.crossNode ? `${r.recv.crossNode.p50.toFixed(2)} / ${r.recv.crossNode.p99.toFixed(2)}` : null), dir: 'none' },
    );
  }
  switch (scenario) {
    case 'fanout':
      return [
        ...connect,
        { label: 'messages', get: (r) => r.fanout?.messages, dir: 'none', digits: 0 },
        { label: 'messages that reached every socket', get: (r) => r.fanout?.complete, dir: 'higher', digits: 0 },
        { label: 'time to LAST socket p50 (ms)', get: (r) => r.fanout?.lastSocket.p50, dir: 'lower', digits: 2 },
        { label: 'time to LAST socket max (ms)', get: (r) => r.fanout?.lastSocket.max, dir: 'lower', digits: 2 },
        { label: 'time to first socket p50 (ms)', get: (r) => r.fanout?.firstSocket.p50, dir: 'lower', digits: 2 },
        { label: 'all deliveries p50 (ms)', get: (r) => r.recv?.latency.p50, dir: 'lower', digits: 2 },
        { label: 'all deliveries p99 (ms)', get: (r) => r.recv?.latency.p99, dir: 'lower', digits: 2 },
        { label: 'missing', get: (r) => r.recv?.missing, dir: 'lower', digits: 0 },
        { label: 'duplicates', get: (r) => r.recv?.duplicates, dir: 'lower', digits: 0 },
        { label: 'webhook response p50 (ms)', get: (r) => r.send?.resp.p50, dir: 'lower', digits: 2 },
        ...common,
      ];
    case 'connections':
      return [
        ...connect,
        { label: 'server RSS before (MB)', get: (r) => r.memory?.rssBeforeMB, dir: 'none', digits: 1 },
        { label: 'server RSS after (MB)', get: (r) => r.memory?.rssAfterMB, dir: 'none', digits: 1 },
        { label: 'RSS per idle socket (KB)', get: (r) => r.memory?.perSocketKB, dir: 'lower', digits: 2 },
        { label: 'V8 heap per idle socket (KB)', get: (r) => r.memory?.heapPerSocketKB, dir: 'lower', digits: 2 },
        { label: 'sockets the server reports', get: (r) => r.memory?.socketsReported, dir: 'none', digits: 0 },
        { label: 'sockets still open at the end (client side)', get: (r) => r.memory?.openAtEnd, dir: 'none', digits: 0 },
        ...common,
      ];
    case 'burst':
      return [
        ...connect.slice(0, 2),
        { label: 'webhooks sent (+ copies with the same id)', get: (r) => (r.send ? `${r.send.sent} (+${r.send.resent})` : null), dir: 'none' },
        { label: 'answers by status', get: (r) => (r.send ? JSON.stringify(r.send.statuses) : null), dir: 'none' },
        { label: 'accepted/s', get: (r) => r.burst?.acceptedPerSec, dir: 'higher', digits: 0 },
        { label: 'time to accept all (s)', get: (r) => (r.burst ? r.burst.acceptWallMs / 1000 : null), dir: 'lower', digits: 2 },
        { label: 'time until all persisted (s)', get: (r) => (r.burst?.persistedMs != null ? r.burst.persistedMs / 1000 : null), dir: 'lower', digits: 2 },
        { label: 'time until delivered (s; * = some never arrived)', get: (r) => (r.burst?.deliveredMs != null ? `${(r.burst.deliveredMs / 1000).toFixed(2)}${r.burst.deliveredAll ? '' : '*'}` : null), dir: 'none' },
        { label: 'rows stored / distinct messages', get: (r) => (r.burst?.rows != null ? `${r.burst.rows} / ${r.burst.uniq}` : 'n/a'), dir: 'none' },
        { label: 'response p50 (ms)', get: (r) => r.send?.resp.p50, dir: 'lower', digits: 2 },
        { label: 'response p99 (ms)', get: (r) => r.send?.resp.p99, dir: 'lower', digits: 2 },
        { label: 'webhook→socket p50 (ms)', get: (r) => r.recv?.latency.p50, dir: 'lower', digits: 1 },
        { label: 'webhook→socket p99 (ms)', get: (r) => r.recv?.latency.p99, dir: 'lower', digits: 1 },
        { label: 'missing', get: (r) => r.recv?.missing, dir: 'lower', digits: 0 },
        { label: 'duplicates', get: (r) => r.recv?.duplicates, dir: 'lower', digits: 0 },
        { label: 'out of seq order', get: (r) => r.recv?.outOfOrder, dir: 'lower', digits: 0 },
        ...common,
      ];
    case 'uploads':
      return [
        ...connect.slice(0, 2),
        ...latency,
        { label: 'uploads by status', get: (r) => (r.uploads ? JSON.stringify(r.uploads['statuses']) : null), dir: 'none' },
        { label: 'upload time p50 / max (ms)', get: (r) => (r.uploads ? `${(r.uploads['ms'] as { p50: number }).p50.toFixed(0)} / ${(r.uploads['ms'] as { max: number }).max.toFixed(0)}` : null), dir: 'none' },
        { label: 'server RSS growth during uploads (MB)', get: (r) => r.uploads?.['rssGrowthMB'] as number | undefined, dir: 'lower', digits: 1 },
        { label: 'socket latency p99 during uploads (ms)', get: (r) => (r.uploads?.['latencyDuring'] as { p99: number | null } | undefined)?.p99, dir: 'lower', digits: 2 },
        ...common,
      ];
    default:
      return [...connect, ...latency, ...common];
  }
}

function avg(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}
function max(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
}
function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function fmt(v: number | string | null | undefined, digits = 2): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '—';
  if (typeof v === 'string') return v;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** How many times better this server is (> 1: better, < 1: worse); null when not comparable. */
function advantage(row: Row, server: RunResult, other: RunResult | undefined): string {
  if (!other || row.dir === 'none') return '';
  const a = row.get(server);
  const b = row.get(other);
  if (typeof a !== 'number' || typeof b !== 'number' || a < 0 || b < 0) return '';
  if (a === 0 && b === 0) return '=';
  const x = row.dir === 'lower' ? (a === 0 ? Infinity : b / a) : b === 0 ? Infinity : a / b;
  if (!Number.isFinite(x)) return '∞';
  return `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×`;
}

export function table(rep: Report): { head: string[]; body: string[][] } {
  const server = rep.runs.find((r) => r.target === 'server');
  const base = rep.runs.find((r) => r.target === 'baseline');
  const raw = rep.runs.find((r) => r.target === 'uws');
  const cols = rep.runs;
  const head = ['metric', ...cols.map((r) => r.label)];
  if (server && base) head.push('server vs baseline');
  if (server && raw) head.push('server vs raw uWS');
  const body = rows(rep.scenario).map((row) => {
    const line = [row.label, ...cols.map((r) => fmt(row.get(r), row.digits))];
    if (server && base) line.push(advantage(row, server, base));
    if (server && raw) line.push(advantage(row, server, raw));
    return line;
  });
  return { head, body };
}

function sweepTable(rep: Report): { head: string[]; body: string[][] } | null {
  const runs = rep.runs.filter((r) => r.steps?.length);
  if (!runs.length) return null;
  const head = ['target', 'offered/s', 'answered/s', 'deliveries/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'resp p99 ms', 'missing', 'dup', 'server CPU%', 'PG CPU%', 'clients CPU%', 'other CPU%', 'lag p99 ms'];
  const body = runs.flatMap((r) =>
    r.steps.map((st) => [
      r.label,
      String(st.rate),
      fmt(st.send.achievedRate, 0),
      fmt(st.recv.deliveredPerSec, 0),
      fmt(st.recv.latency.p50, 2),
      fmt(st.recv.latency.p90, 2),
      fmt(st.recv.latency.p99, 2),
      fmt(st.recv.latency.p999, 2),
      fmt(st.recv.latency.max, 1),
      fmt(st.send.resp.p99, 2),
      String(st.recv.missing),
      String(st.recv.duplicates),
      fmt(st.cpu.cpu['server'], 0),
      fmt(st.cpu.cpu['postgres'], 0),
      fmt(st.cpu.cpu['clients'], 0),
      fmt(st.cpu.other, 0),
      fmt(avg(st.cpu.nodes.map((n) => n.lagP99Ms)), 1),
    ]),
  );
  return { head, body };
}

export function printTable(rep: Report): string {
  const { head, body } = table(rep);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out: string[] = [];
  out.push('');
  out.push(`${rep.scenario}${rep.preset ? ` --preset ${rep.preset}` : ''} — ${rep.meta.date}, ${rep.meta.cpus} cores, Node ${rep.meta.node}, server on ${rep.meta.runtime}`);
  if (rep.presetText) out.push(rep.presetText);
  out.push(`world: ${rep.world.hotels} hotels × ${rep.world.departments} departments, ${rep.world.staff} staff (${rep.world.staffPerDepartment}/department), ${rep.world.conversations} conversations`);
  out.push('');
  out.push(line(head));
  out.push(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of body) out.push(line(r));
  const sw = sweepTable(rep);
  if (sw) {
    const w2 = sw.head.map((h, i) => Math.max(h.length, ...sw.body.map((r) => (r[i] ?? '').length)));
    const l2 = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w2[i]!) : c.padStart(w2[i]!))).join('  ');
    out.push('');
    out.push('rate sweep (the table above is the row at --rate):');
    out.push(l2(sw.head));
    for (const r of sw.body) out.push(l2(r));
  }
  out.push('');
  out.push('"server vs X": how many times better this server is (above 1: better, below 1: worse); blank: not comparable.');
  for (const r of rep.runs) if (r.error) out.push(`!! ${r.label}: ${r.error}`);
  for (const r of rep.runs) for (const e of r.nodeExits ?? []) out.push(`!! ${r.label}: ${e}`);
  for (const r of rep.runs) {
    if (r.recv?.missingSamples.length) out.push(`${r.label}: missing e.g. ${r.recv.missingSamples.slice(0, 3).join('; ')}`);
    if (r.recv && Object.keys(r.recv.closes).length) out.push(`${r.label}: sockets closed during the run: ${JSON.stringify(r.recv.closes)}`);
    if (Object.keys(r.closedByServer ?? {}).length) out.push(`${r.label}: sockets the server closed (ws_closed_total by reason, whole run): ${JSON.stringify(r.closedByServer)}`);
    if (r.send?.errors.length) out.push(`${r.label}: webhook errors e.g. ${r.send.errors.slice(0, 3).join(' | ')}`);
    const sm = Object.entries(r.serverMetrics).filter(([, v]) => v);
    if (sm.length) {
      out.push(`${r.label} — server's own metrics over the measured window:`);
      for (const [k, v] of sm) {
        const unit = k.endsWith('(s)') ? 1000 : 1;
        const u = unit === 1000 ? ' ms' : '';
        out.push(`   ${k.replace(' (s)', '')}: n=${v!.count}, mean ${(v!.mean * unit).toFixed(2)}${u}, p50≈${(v!.p50 * unit).toFixed(2)}${u}, p99≈${(v!.p99 * unit).toFixed(2)}${u}`);
      }
      const c = Object.entries(r.serverCounters).filter(([, v]) => v);
      if (c.length) out.push(`   counters: ${c.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    if (r.pgActivity?.length) {
      out.push(`${r.label} — Postgres backends of the bench database (pg_stat_activity every 100 ms; average number of backends in that state):`);
      for (const a of r.pgActivity.slice(0, 6)) out.push(`   ${a.avgBackends.toFixed(2)}  ${a.what}`);
    }
    for (const p of r.cpuProfiles ?? []) {
      out.push(`${r.label} — CPU profile ${path.basename(p.file)}: busy ${(p.busyMs / 1000).toFixed(1)} s of ${(p.totalMs / 1000).toFixed(1)} s; self time by area:`);
      out.push('   ' + p.categories.slice(0, 10).map(([k, v]) => `${k} ${v.toFixed(1)}%`).join(', '));
      out.push('   hottest: ' + p.top.slice(0, 8).map(([k, v]) => `${k} ${v.toFixed(1)}%`).join('; '));
    }
  }
  if (rep.budgets.length) {
    out.push('');
    out.push('budgets (this server):');
    for (const b of rep.budgets) {
      const verdict = b.pass === null ? 'n/a ' : b.pass ? 'MET ' : 'MISSED';
      out.push(`  ${verdict.padEnd(6)} ${b.issue} ${b.name}: ${b.limit} — measured ${b.measured}${b.atScale ? '' : '  [reduced scale: not a verdict]'}`);
    }
  }
  for (const n of rep.notes) out.push(`note: ${n}`);
  out.push('');
  return out.join('\n');
}

// ───────────── HTML ─────────────

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const TARGET_COLOR: Record<string, string> = { server: '#1f77b4', baseline: '#d62728', uws: '#2ca02c' };

interface Series {
  name: string;
  color: string;
  pts: Array<[number, number]>;
  dash?: boolean;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function chart(title: string, series: Series[], o: { xLabel: string; yLabel: string; logX?: boolean; logY?: boolean; xTicks?: Array<[number, string]>; w?: number; h?: number; step?: boolean }): string {
  const W = o.w ?? 640;
  const H = o.h ?? 280;
  const m = { l: 64, r: 16, t: 28, b: 44 };
  const all = series.flatMap((s) => s.pts).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logX || x > 0) && (!o.logY || y > 0));
  if (!all.length) return `<figure class="chart"><figcaption>${esc(title)}</figcaption><p class="empty">no data</p></figure>`;
  const tx = (v: number) => (o.logX ? Math.log10(v) : v);
  const ty = (v: number) => (o.logY ? Math.log10(v) : v);
  let x0 = Math.min(...all.map((p) => tx(p[0])));
  let x1 = Math.max(...all.map((p) => tx(p[0])));
  let y0 = o.logY ? Math.min(...all.map((p) => ty(p[1]))) : Math.min(0, ...all.map((p) => p[1]));
  let y1 = Math.max(...all.map((p) => ty(p[1])));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  if (o.logY) {
    y0 = Math.floor(y0);
    y1 = Math.ceil(y1);
  } else y1 = y1 * 1.05;
  if (o.logX && !o.xTicks) {
    x0 = Math.floor(x0);
    x1 = Math.ceil(x1);
  }
  const X = (v: number) => m.l + ((tx(v) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (v: number) => H - m.b - ((ty(v) - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">`);
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`);
  const yt = o.logY ? Array.from({ length: y1 - y0 + 1 }, (_, i) => 10 ** (y0 + i)) : niceTicks(y0, y1);
  for (const v of yt) {
    const y = Y(v);
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${fmtTick(v)}</text>`);
  }
  const xt: Array<[number, string]> = o.xTicks ?? (o.logX ? Array.from({ length: x1 - x0 + 1 }, (_, i) => [10 ** (x0 + i), fmtTick(10 ** (x0 + i))] as [number, string]) : niceTicks(x0, x1).map((v) => [v, fmtTick(v)] as [number, string]));
  for (const [v, label] of xt) {
    const x = X(v);
    if (x < m.l - 1 || x > W - m.r + 1) continue;
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/><text x="${x}" y="${H - m.b + 14}" text-anchor="middle">${esc(label)}</text>`);
  }
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#333"/><line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#333"/>`);
  parts.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.pts.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logX || x > 0) && (!o.logY || y > 0));
    if (!pts.length) return;
    let d = '';
    pts.forEach(([x, y], k) => {
      if (o.step && k > 0) d += ` L${X(x).toFixed(1)},${Y(pts[k - 1]![1]).toFixed(1)}`;
      d += `${k ? ' L' : 'M'}${X(x).toFixed(1)},${Y(y).toFixed(1)}`;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dash ? ' stroke-dasharray="5 3"' : ''}/>`);
    if (pts.length < 40) for (const [x, y] of pts) parts.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="2.2" fill="${s.color}"/>`);
    parts.push(`<rect x="${m.l + 8}" y="${m.t + 4 + i * 15}" width="10" height="3" fill="${s.color}"/><text x="${m.l + 22}" y="${m.t + 9 + i * 15}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return `<figure class="chart">${parts.join('')}</figure>`;
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 1) return String(Number(v.toPrecision(4)));
  return String(Number(v.toPrecision(2)));
}

function percentileChart(title: string, runs: Array<{ name: string; color: string; hist: Histogram }>): string {
  const qs = [0, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999];
  const x = (q: number) => 1 / (1 - Math.min(q, 0.99999));
  const series: Series[] = runs
    .filter((r) => r.hist.count > 0)
    .map((r) => ({ name: r.name, color: r.color, pts: [...qs.map((q) => [x(q), Math.max(0.001, r.hist.quantileMs(q))] as [number, number]), [x(0.99999), Math.max(0.001, r.hist.max / 1000)]] }));
  return chart(title, series, {
    xLabel: 'percentile',
    yLabel: 'ms',
    logX: true,
    logY: true,
    xTicks: [[1, '0%'], [2, '50%'], [10, '90%'], [100, '99%'], [1000, '99.9%'], [10000, '99.99%'], [100000, 'max']],
  });
}

function histChart(title: string, runs: Array<{ name: string; color: string; hist: Histogram }>): string {
  const series: Series[] = runs
    .filter((r) => r.hist.count > 0)
    .map((r) => ({ name: r.name, color: r.color, pts: r.hist.bins(10).map((b) => [Math.sqrt(b.lo * b.hi), (100 * b.count) / r.hist.count] as [number, number]) }));
  return chart(title, series, { xLabel: 'latency (ms, log scale)', yLabel: '% of deliveries', logX: true });
}

function t0Of(r: RunResult): number {
  return r.measureFrom || r.startedAt;
}

function runCharts(r: RunResult): string {
  const out: string[] = [];
  const t0 = t0Of(r) / 1000;
  const color = TARGET_COLOR[r.target] ?? COLORS[0]!;
  if (r.recv?.series.length || r.send?.series.length) {
    const s: Series[] = [];
    if (r.send?.series.length) s.push({ name: 'webhooks sent/s', color: '#888', pts: r.send.series.map(([sec, c]) => [sec - t0, c]), dash: true });
    if (r.recv?.series.length) s.push({ name: 'deliveries/s', color, pts: r.recv.series.map((x) => [x.sec - t0, x.count]) });
    out.push(chart(`${r.label}: throughput over time`, s, { xLabel: 's since start of measurement', yLabel: 'per second' }));
  }
  if (r.recv?.series.length) {
    out.push(
      chart(
        `${r.label}: latency over time`,
        [
          { name: 'p50', color, pts: r.recv.series.map((x) => [x.sec - t0, Math.max(0.01, x.p50)]) },
          { name: 'p99 (worst client process)', color: '#ff7f0e', pts: r.recv.series.map((x) => [x.sec - t0, Math.max(0.01, x.p99)]) },
          { name: 'max', color: '#999', pts: r.recv.series.map((x) => [x.sec - t0, Math.max(0.01, x.max)]), dash: true },
        ],
        { xLabel: 's since start of measurement', yLabel: 'ms', logY: true },
      ),
    );
  }
  if (r.samples.length) {
    const st0 = (r.measureFrom || r.samples[0]!.t) / 1000;
    const groups = [...new Set(r.samples.flatMap((s) => Object.keys(s.cpu)))];
    const cpuSeries: Series[] = groups.map((g, i) => ({ name: g, color: COLORS[i % COLORS.length]!, pts: r.samples.map((s) => [s.t / 1000 - st0, s.cpu[g] ?? 0]) }));
    cpuSeries.push({ name: 'kernel irq/softirq', color: '#bcbd22', pts: r.samples.map((s) => [s.t / 1000 - st0, s.irq ?? 0]), dash: true });
    cpuSeries.push({ name: 'other programs (not this bench)', color: '#aaa', pts: r.samples.map((s) => [s.t / 1000 - st0, s.other]), dash: true });
    out.push(chart(`${r.label}: CPU by process group (% of one core; ${r.samples.length} samples)`, cpuSeries, { xLabel: 's since start of measurement', yLabel: '% of one core' }));
    const names = r.samples[0]!.nodes.map((n) => n.name);
    out.push(
      chart(
        `${r.label}: event-loop lag p99 per node`,
        names.map((n, i) => ({ name: n, color: COLORS[i % COLORS.length]!, pts: r.samples.map((s) => [s.t / 1000 - st0, s.nodes.find((x) => x.name === n)?.lagP99Ms ?? NaN]) })),
        { xLabel: 's since start of measurement', yLabel: 'ms' },
      ),
    );
    out.push(
      chart(
        `${r.label}: RSS per node`,
        names.map((n, i) => ({ name: n, color: COLORS[i % COLORS.length]!, pts: r.samples.map((s) => [s.t / 1000 - st0, s.nodes.find((x) => x.name === n)?.rssMB ?? NaN]) })),
        { xLabel: 's since start of measurement', yLabel: 'MB' },
      ),
    );
  }
  if (r.fanout?.perMessage.length) {
    out.push(
      chart(
        `${r.label}: fanout per message`,
        [
          { name: 'last socket', color, pts: r.fanout.perMessage.map((m, i) => [i + 1, m[2] / 1000]) },
          { name: 'first socket', color: '#999', pts: r.fanout.perMessage.map((m, i) => [i + 1, m[3] / 1000]), dash: true },
        ],
        { xLabel: 'message #', yLabel: 'ms after the webhook was sent' },
      ),
    );
  }
  return out.join('\n');
}

export function html(rep: Report): string {
  const { head, body } = table(rep);
  const latRuns = rep.runs
    .filter((r) => r.recv && r.recv.hist.count > 0)
    .map((r) => ({ name: r.label, color: TARGET_COLOR[r.target] ?? COLORS[0]!, hist: Histogram.from(r.recv!.hist) }));
  const cross = rep.runs.filter((r) => r.recv?.crossNode);
  const respRuns = rep.runs.filter((r) => r.send && r.send.respHist.count > 0).map((r) => ({ name: r.label, color: TARGET_COLOR[r.target] ?? COLORS[0]!, hist: Histogram.from(r.send!.respHist) }));
  const connRuns = rep.runs.filter((r) => r.connect && r.connect.hist.count > 0).map((r) => ({ name: r.label, color: TARGET_COLOR[r.target] ?? COLORS[0]!, hist: Histogram.from(r.connect!.hist) }));
  const budgets = rep.budgets
    .map((b) => `<tr class="${b.pass === null ? 'na' : b.pass ? 'ok' : 'bad'}"><td>${b.pass === null ? 'n/a' : b.pass ? 'MET' : 'MISSED'}${b.atScale ? '' : ' <small>(reduced scale)</small>'}</td><td>${esc(b.issue)}</td><td>${esc(b.name)}</td><td>${esc(b.limit)}</td><td>${esc(b.measured)}</td></tr>`)
    .join('');
  const server = rep.runs.map((r) => {
    const sm = Object.entries(r.serverMetrics).filter(([, v]) => v);
    if (!sm.length) return '';
    const li = sm.map(([k, v]) => {
      const unit = k.endsWith('(s)') ? 1000 : 1;
      const u = unit === 1000 ? ' ms' : '';
      return `<li>${esc(k.replace(' (s)', ''))}: n=${v!.count}, mean ${(v!.mean * unit).toFixed(2)}${u}, p50≈${(v!.p50 * unit).toFixed(2)}${u}, p99≈${(v!.p99 * unit).toFixed(2)}${u}</li>`;
    });
    const c = Object.entries(r.serverCounters).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ');
    return `<h3>${esc(r.label)}: the server's own metrics (measured window)</h3><ul>${li.join('')}${c ? `<li>counters: ${esc(c)}</li>` : ''}</ul>`;
  });
  const pg = rep.runs
    .filter((r) => r.pgActivity?.length)
    .map((r) => `<h3>${esc(r.label)}: Postgres backends of the bench database</h3><p><small>pg_stat_activity sampled every 100 ms during the measured window; average number of backends in each state (CPU = running, otherwise the wait event)</small></p><table><tr><th>avg backends</th><th>state | query</th></tr>${r.pgActivity.map((a) => `<tr><td>${a.avgBackends.toFixed(2)}</td><td style="text-align:left">${esc(a.what)}</td></tr>`).join('')}</table>`)
    .join('');
  const prof = rep.runs
    .flatMap((r) => (r.cpuProfiles ?? []).map((p) => ({ r, p })))
    .map(({ r, p }) => `<h3>${esc(r.label)}: CPU profile ${esc(path.basename(p.file))}</h3><p><small>busy ${(p.busyMs / 1000).toFixed(1)} s of ${(p.totalMs / 1000).toFixed(1)} s profiled; self time as % of busy</small></p><div class="charts"><table><tr><th>area</th><th>%</th></tr>${p.categories.map(([k, v]) => `<tr><td style="text-align:left">${esc(k)}</td><td>${v.toFixed(1)}</td></tr>`).join('')}</table><table><tr><th>function</th><th>%</th></tr>${p.top.map(([k, v]) => `<tr><td style="text-align:left">${esc(k)}</td><td>${v.toFixed(1)}</td></tr>`).join('')}</table></div>`)
    .join('');
  const problems = rep.runs.flatMap((r) => [
    ...(r.error ? [`${r.label}: ${r.error}`] : []),
    ...(r.nodeExits ?? []).map((e) => `${r.label}: ${e}`),
    ...(r.recv?.missingSamples ?? []).slice(0, 5).map((s) => `${r.label}: missing ${s}`),
    ...(r.recv && Object.keys(r.recv.closes).length ? [`${r.label}: sockets closed during the run ${JSON.stringify(r.recv.closes)}`] : []),
    ...(Object.keys(r.closedByServer ?? {}).length ? [`${r.label}: sockets the server closed (ws_closed_total by reason) ${JSON.stringify(r.closedByServer)}`] : []),
    ...(r.connect && r.connect.failed ? [`${r.label}: ${r.connect.failed} sockets failed to connect ${JSON.stringify(r.connect.errors)}`] : []),
    ...(r.send?.errors ?? []).slice(0, 5).map((e) => `${r.label}: webhook error ${e}`),
  ]);
  const m = rep.meta;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bench ${esc(rep.scenario)} ${esc(m.date)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}
td:not(:first-child){text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
tr.ok td:first-child{background:#d8f5d8}tr.bad td:first-child{background:#f9d6d6}tr.na td:first-child{background:#eee}
.budgets td{text-align:left!important}
.charts{display:flex;flex-wrap:wrap;gap:8px}.chart{margin:0;border:1px solid #eee}.empty{padding:20px;color:#999}
small,.meta{color:#666}code{background:#f5f5f5;padding:1px 4px}
</style></head><body>
<h1>Bench: ${esc(rep.scenario)}${rep.preset ? ` — preset ${esc(rep.preset)}` : ''}</h1>
<p class="meta">${esc(m.date)} · ${m.cpus} cores (${esc(m.cpuModel)}), ${m.memGiB} GiB · Node ${esc(m.node)} · commit ${esc(m.commit)} · server on ${esc(m.runtime)} · ${m.durationS.toFixed(0)} s<br>
<code>${esc(m.command)}</code><br>${rep.presetText ? esc(rep.presetText) + '<br>' : ''}
world: ${rep.world.hotels} hotels × ${rep.world.departments} departments, ${rep.world.staff} staff (${rep.world.staffPerDepartment}/department), ${rep.world.conversations} conversations.
Figures on a shared 2-core machine are noisy: load generator, Postgres, NATS and server share the CPUs; "other load" shows CPU used by programs outside this bench.</p>
${rep.budgets.length ? `<h2>Budgets</h2><table class="budgets"><tr><th>verdict</th><th>issue</th><th>budget</th><th>limit</th><th>measured</th></tr>${budgets}</table>` : ''}
<h2>Figures</h2>
<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>
<p><small>"server vs X": how many times better this server is than X on that line (above 1 better, below 1 worse). CPU in % of one core, averaged over the measured window.</small></p>
${(() => {
    const sw = sweepTable(rep);
    if (!sw) return '';
    const runs = rep.runs.filter((r) => r.steps?.length);
    const series = (q: 'p50' | 'p99') =>
      runs.map((r) => ({ name: `${r.label} ${q}`, color: TARGET_COLOR[r.target] ?? COLORS[0]!, dash: q === 'p50', pts: r.steps.map((st) => [st.rate, Math.max(0.01, st.recv.latency[q])] as [number, number]) }));
    return `<h2>Rate sweep</h2><table><tr>${sw.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${sw.body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table><div class="charts">${chart('webhook → socket latency vs offered rate', [...series('p50'), ...series('p99')], { xLabel: 'offered webhooks/s', yLabel: 'ms', logY: true })}</div>`;
  })()}
${problems.length ? `<h2>Problems seen</h2><ul>${problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : ''}
${server.join('') || pg || prof ? `<h2>Where the time goes</h2>${server.join('')}${pg}${prof}` : ''}
<h2>Latency</h2><div class="charts">
${latRuns.length ? percentileChart('webhook → socket latency by percentile', latRuns) : ''}
${latRuns.length ? histChart('webhook → socket latency histogram', latRuns) : ''}
${cross.length ? percentileChart('same node vs cross node (webhook posted to another node than the socket\'s)', cross.flatMap((r) => [
    { name: `${r.label}: same node`, color: '#2ca02c', hist: Histogram.from(r.recv!.sameHist) },
    { name: `${r.label}: cross node`, color: '#9467bd', hist: Histogram.from(r.recv!.crossHist) },
  ])) : ''}
${respRuns.length ? percentileChart('webhook response time by percentile', respRuns) : ''}
${connRuns.length ? percentileChart('socket connect time by percentile', connRuns) : ''}
</div>
${rep.runs.map((r) => `<h2>${esc(r.label)}</h2><div class="charts">${runCharts(r)}</div>`).join('\n')}
${rep.notes.length ? `<h2>Notes</h2><ul>${rep.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}

export function writeReport(dir: string, rep: Report): { json: string; html: string } {
  const json = path.join(dir, 'report.json');
  const htmlFile = path.join(dir, 'report.html');
  writeFileSync(json, JSON.stringify(rep, null, 1));
  writeFileSync(htmlFile, html(rep));
  return { json, html: htmlFile };
}
