// The metrics API over prom-client: labels learnt on first use, synchronous reads, the text
// exposition, histogram snapshots and percentiles, and the process series dashboards read.
import { closeSync, openSync } from 'node:fs';
import t from 'tap';
import { Registry, quantileOf, snapshotDelta } from '../../src/obs/metrics.js';
import { registerProcessMetrics } from '../../src/obs/process-metrics.js';

t.test('counters and gauges learn their labels and read back synchronously', async (t) => {
  const r = new Registry();
  const c = r.counter('jobs_total', 'jobs');
  t.equal(r.counter('jobs_total', 'again'), c, 'one metric per name');
  c.inc({ kind: 'a', outcome: 'done' });
  c.inc({ kind: 'a', outcome: 'done' }, 2);
  c.inc({ kind: 'b' });
  t.equal(c.get({ outcome: 'done', kind: 'a' }), 3, 'label order does not matter');
  t.equal(c.get({ kind: 'b' }), 1);
  t.equal(c.total({ kind: 'a' }), 3, 'total over a partial filter');
  const g = r.gauge('depth', 'depth');
  g.set(5, { kind: 'x' });
  g.add(-2, { kind: 'x' });
  g.collect(() => [[{ kind: 'y' }, 7]]);
  t.same(g.series().map((s) => [s.labels['kind'], s.value]).sort(), [['x', 3], ['y', 7]], 'set, add and collected values');
  const text = await r.render();
  t.match(text, /^jobs_total\{kind="a",outcome="done"\} 3$/m);
  t.match(text, /^jobs_total\{kind="b"\} 1$/m);
  const runs = r.counter('runs_total', 'runs');
  runs.inc({ task: 't1', outcome: 'ok' });
  t.match(await r.render(), /^runs_total\{outcome="ok",task="t1"\} 1$/m, 'label names listed in sorted order, whatever the caller’s');
  t.equal(runs.get({ task: 't1', outcome: 'ok' }), 1);
  t.notMatch(text, /^jobs_total 0$/m, 'no unlabelled zero series beside labelled ones');
  t.match(text, /^depth\{kind="y"\} 7$/m, 'collect functions run at render');
  const plain = r.counter('plain_total', 'p');
  t.match(await r.render(), /^plain_total 0$/m, 'an unused counter renders 0');
  plain.inc();
  t.equal(plain.get(), 1);
});

t.test('histograms: buckets, snapshots, percentiles', async (t) => {
  const r = new Registry();
  const h = r.histogram('lat_seconds', 'l', [0.01, 0.1, 1]);
  for (let i = 0; i < 90; i++) h.observe(0.005, { route: '/a' });
  for (let i = 0; i < 10; i++) h.observe(0.5, { route: '/b' });
  h.observe(5, { route: '/b' });
  t.equal(h.count({ route: '/a' }), 90);
  const all = h.snapshot();
  t.same(all.counts, [90, 0, 11], 'per-bucket counts; above the last bound counts in the last');
  t.equal(all.count, 101);
  t.ok(h.percentile(0.5) <= 0.01, 'median in the first bucket');
  t.ok(h.percentile(0.95) > 0.1 && h.percentile(0.95) <= 1, 'p95 in the last bucket');
  t.same(h.snapshot({ route: '/a' }).counts, [90, 0, 0], 'filtered by label');
  const before = h.snapshot();
  h.observe(0.05, { route: '/a' });
  const d = snapshotDelta(h.snapshot(), before);
  t.same(d.counts, [0, 1, 0], 'a window between two snapshots');
  t.ok(Math.abs(quantileOf(d, 0.5) - 0.055) < 1e-9, 'interpolated inside the bucket');
  t.ok(Number.isNaN(quantileOf({ bounds: [1], counts: [0], count: 0, sum: 0 }, 0.5)), 'empty: NaN');
  t.match(await r.render(), /^lat_seconds_bucket\{le="0\.1",route="\/a"\} 91$/m, 'cumulative buckets in the exposition');
});

t.test('process metrics: prom-client defaults plus the legacy series', async (t) => {
  const r = new Registry();
  const p = registerProcessMetrics(r);
  t.teardown(p.stop);
  const text = await r.render();
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds']) {
    t.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exposed`);
  }
  t.match(text, /^nodejs_eventloop_lag_seconds\{quantile="0\.99"\} [0-9.e-]+$/m, 'lag by quantile, as before');
  t.equal(text.match(/^# TYPE nodejs_eventloop_lag_seconds /gm)?.length, 1, 'one lag family');
  const s = p.sample();
  t.ok(s.rssBytes > 0 && s.heapUsedBytes > 0 && s.lagP99S >= 0, 'a heartbeat sample');
});

t.test('process_open_fds is counted off the event loop and follows the descriptors', { skip: process.platform !== 'linux' ? 'only Linux has /proc/self/fd' : false }, async (t) => {
  const r = new Registry();
  const p = registerProcessMetrics(r);
  t.teardown(p.stop);
  const read = async () => {
    // A render reports the last finished count and starts the next one unless one is running
    // (which may have listed the descriptors before the last change): two rounds see the change.
    for (let i = 0; i < 2; i++) {
      await r.render();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const m = /^process_open_fds ([0-9]+)$/m.exec(await r.render());
    return m ? Number(m[1]) : NaN;
  };
  t.equal((await r.render()).match(/^# TYPE process_open_fds /gm)?.length, 1, 'one process_open_fds family');
  const before = await read();
  t.ok(before > 0, `descriptors counted: ${before}`);
  const opened = Array.from({ length: 40 }, () => openSync('/dev/null', 'r'));
  t.teardown(() => opened.forEach((fd) => closeSync(fd)));
  const after = await read();
  t.ok(after >= before + 40, `40 more descriptors seen (${before} → ${after})`);
});
