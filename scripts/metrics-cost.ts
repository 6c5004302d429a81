// Per-call cost of the hot-path metric operations: `tsx scripts/metrics-cost.ts [old-metrics.ts]`.
// With a path, the same calls run against that implementation too (e.g. the in-house registry
// from git history) so the two can be compared on one machine.
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import * as current from '../src/obs/metrics.js';

type Impl = typeof current;
const N = 2_000_000;

function time(label: string, fn: (i: number) => void): void {
  for (let i = 0; i < 100_000; i++) fn(i); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / N;
  console.log(`${label.padEnd(44)} ${ns.toFixed(1)} ns/call`);
}

function run(name: string, impl: Pick<Impl, 'Registry' | 'LATENCY_BUCKETS'>): void {
  const r = new impl.Registry();
  const plain = r.counter('c_plain', 'c');
  const labelled = r.counter('c_labelled', 'c');
  const hist = r.histogram('h', 'h', impl.LATENCY_BUCKETS);
  const histL = r.histogram('h_l', 'h', impl.LATENCY_BUCKETS);
  const kinds = ['inbound.webhook', 'whatsapp.send', 'media.ingest'];
  time(`${name}: counter.inc()`, () => plain.inc());
  time(`${name}: counter.inc({kind, outcome})`, (i) => labelled.inc({ kind: kinds[i % 3]!, outcome: 'done' }));
  time(`${name}: histogram.observe(v)`, (i) => hist.observe((i % 1000) / 1e5));
  time(`${name}: histogram.observe(v, {type})`, (i) => histL.observe((i % 1000) / 1e5, { type: 'conversation' }));
}

const other = process.argv[2];
// Twice each, alternating, so neither side gains from running first (JIT warm-up, GC state).
for (let round = 0; round < 2; round++) {
  run('prom-client', current);
  if (other) run('in-house', (await import(pathToFileURL(path.resolve(other)).href)) as Impl);
}
