// The budgets of the issues, checked against this server's run. A budget measured at a smaller
// scale than the issue names is still shown, marked "reduced scale" (it is then no verdict).
import type { Options } from './args.js';
import type { RunResult } from './run.js';

export interface Budget {
  issue: string;
  name: string;
  limit: string;
  measured: string;
  pass: boolean | null;
  atScale: boolean;
  note?: string;
}

const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));

export function checkBudgets(o: Options, runs: RunResult[]): Budget[] {
  const r = runs.find((x) => x.target === 'server');
  if (!r) return [];
  const out: Budget[] = [];
  const recv = r.recv;
  const send = r.send;
  const lossFree = recv ? recv.missing === 0 && recv.duplicates === 0 && recv.foreign === 0 : false;
  const lossText = recv
    ? `missing ${recv.missing}${recv.missingOnClosed ? ` (${recv.missingOnClosed} on ${recv.closedSockets} socket(s) the server closed with 1006)` : ''}, duplicates ${recv.duplicates}, foreign ${recv.foreign}, out of order ${recv.outOfOrder}`
    : 'n/a';
  const failed = r.error ? ` (run failed: ${r.error})` : r.nodeExits?.length ? ` (a server process ended during the run: ${r.nodeExits[0]})` : '';

  if (o.scenario === 'latency' && recv && send) {
    const s7 = o.sockets >= 10_000 && o.hotels >= 200 && o.departments >= 5 && o.rate >= 2000 && o.nodes === 1;
    out.push({ issue: '#7', name: 'webhook→socket latency p50', limit: '≤ 3 ms', measured: `${f(recv.latency.p50, 2)} ms`, pass: recv.latency.p50 <= 3, atScale: s7 });
    out.push({ issue: '#7', name: 'webhook→socket latency p99', limit: '≤ 15 ms', measured: `${f(recv.latency.p99, 2)} ms`, pass: recv.latency.p99 <= 15, atScale: s7 });
    out.push({ issue: '#7', name: 'missing / duplicate deliveries', limit: '0 / 0', measured: lossText + failed, pass: lossFree && !r.error && send.failed === 0, atScale: s7 });
    const s6 = o.rate >= 5000 && o.hotels * o.departments * o.guests >= 500;
    const sustained = send.achievedRate >= o.rate * 0.98 && send.failed === 0 && recv.missing === 0;
    out.push({
      issue: '#6',
      name: 'signed webhooks stored and emitted, sustained',
      limit: '≥ 5,000/s over 500 conversations',
      measured: `${f(send.achievedRate, 0)}/s offered and answered (${send.ok} of ${send.sent} accepted, ${send.failed} failed), ${recv.delivered} of ${recv.expected} events delivered`,
      pass: sustained && send.achievedRate >= 5000,
      atScale: s6,
    });
    out.push({ issue: '#6', name: 'webhook response p99', limit: '≤ 10 ms', measured: `${f(send.resp.p99, 2)} ms (p50 ${f(send.resp.p50, 2)})`, pass: send.resp.p99 <= 10, atScale: s6 });
  }
  if (o.scenario === 'cluster' && recv && send) {
    const s8 = o.nodes >= 3 && o.sockets >= 15_000 && o.rate >= 2000;
    const cross = recv.crossNode ?? recv.latency;
    out.push({ issue: '#8', name: 'cross-node webhook→socket p99', limit: '≤ 25 ms at 2,000 msg/s', measured: `${f(cross.p99, 2)} ms (all deliveries p99 ${f(recv.latency.p99, 2)} ms)`, pass: cross.p99 <= 25, atScale: s8 });
    out.push({ issue: '#8', name: 'missing / duplicate deliveries', limit: '0 / 0', measured: lossText + failed, pass: lossFree && !r.error && send.failed === 0, atScale: s8 });
  }
  if (o.scenario === 'burst' && r.burst && recv) {
    const b = r.burst;
    const s8 = o.messages >= 20_000;
    out.push({ issue: '#8', name: 'burst accepted', limit: '≥ 5,000/s', measured: `${f(b.acceptedPerSec, 0)}/s (${o.mode}, ${o.nodes} node(s))`, pass: b.acceptedPerSec >= 5000, atScale: s8 });
    const zero = b.uniq === o.messages && b.rows === b.uniq && recv.missing === 0 && recv.duplicates === 0 && (send?.failed ?? 1) === 0;
    out.push({
      issue: '#8',
      name: 'zero loss, zero duplicates after processing',
      limit: `${o.messages} stored once, each delivered once`,
      measured: `stored ${b.uniq ?? 'n/a'} distinct in ${b.rows ?? 'n/a'} rows; ${lossText}; ${send?.resent ?? 0} copies re-sent`,
      pass: zero,
      atScale: s8,
    });
  }
  if (o.scenario === 'connections' && r.memory) {
    out.push({
      issue: '#7',
      name: 'server RSS per idle socket',
      limit: '≤ 10 KB',
      measured: `${f(r.memory.perSocketKB, 2)} KB (${r.connect?.ok ?? 0} sockets, RSS ${f(r.memory.rssBeforeMB)} → ${f(r.memory.rssAfterMB)} MB)`,
      pass: r.memory.perSocketKB <= 10 && (r.connect?.failed ?? 1) === 0,
      atScale: o.sockets >= 10_000,
    });
  }
  if (o.scenario === 'uploads' && r.uploads) {
    const u = r.uploads as unknown as { notImplemented: boolean; rssGrowthMB: number; statuses: Record<string, number>; latencyDuring?: { p99: number | null } };
    const s5 = o.uploads >= 20 && o.sizeMb >= 5;
    out.push({
      issue: '#5',
      name: 'server RSS growth during 20 concurrent 5 MB uploads',
      limit: '< 50 MB',
      measured: u.notImplemented ? 'endpoint answers 404 (not implemented)' : `${f(u.rssGrowthMB)} MB, statuses ${JSON.stringify(u.statuses)}`,
      pass: u.notImplemented ? null : u.rssGrowthMB < 50 && Object.keys(u.statuses).every((k) => k.startsWith('2')),
      atScale: s5,
    });
    out.push({
      issue: '#5',
      name: 'socket latency of other traffic during the uploads',
      limit: 'p99 ≤ 15 ms (issue 7 budget)',
      measured: `${f(u.latencyDuring?.p99, 2)} ms (worst per-second p99 inside the upload window)`,
      pass: u.notImplemented ? null : (u.latencyDuring?.p99 ?? Infinity) <= 15,
      atScale: s5,
    });
  }
  return out;
}
