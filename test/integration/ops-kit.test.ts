// The operations kit in deploy/ (Grafana dashboard, Prometheus alert rules) names only metrics a
// node really exposes: every metric of every expression must appear in a /metrics scrape of a
// running node on NATS, after a webhook, a staff socket delivery and a job have run so that the
// histograms have series. A renamed metric fails here, not silently on an operator's dashboard.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { until } from '../helpers/cluster.js';
import { connect } from '../helpers/db.js';
import { WsClient } from '../helpers/ws.js';

const root = path.resolve(import.meta.dirname, '../..');

interface Rule { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan']);

/**
 * Metric names of a PromQL expression: identifiers that are not functions, keywords, label names
 * or label values. Strings, label matchers, ranges and grouping clauses are removed first.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?!\w)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1]!.toLowerCase())) continue;
    names.add(m[1]!);
  }
  return [...names];
}

/** The metric a series name belongs to (histogram series carry _bucket, _sum, _count). */
const family = (name: string, exposed: Set<string>) => {
  if (exposed.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return exposed.has(base) ? base : null;
};

t.test('the expression reader finds metrics and only metrics', async (t) => {
  t.same(
    metricNames('histogram_quantile(0.99, sum by (le, instance) (rate(http_request_duration_seconds_bucket{route=~".*webhook.*"}[5m]))) > 1'),
    ['http_request_duration_seconds_bucket'],
  );
  t.same(metricNames('sum by (kind) (increase(jobs_processed_total{outcome="dead"}[15m])) > 0 and on (kind) up == 1'), ['jobs_processed_total', 'up']);
  t.same(metricNames('count(readiness_status{instance=~"$instance"} == 1)'), ['readiness_status']);
  t.same(metricNames('rate(x_total[$__rate_interval]) * 60 > 5e-1'), ['x_total']);
});

// The kit's expressions, each with where it comes from.
const alerts = parse(readFileSync(path.join(root, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> };
const dashboard = JSON.parse(readFileSync(path.join(root, 'deploy/grafana/lobbybee.json'), 'utf8')) as {
  panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; definition?: string }> };
};
const expressions: Array<{ where: string; expr: string }> = [
  ...alerts.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert ?? r.record}`, expr: r.expr }))),
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((q) => ({ where: `panel "${p.title}"`, expr: q.expr }))),
  ...dashboard.templating.list.filter((v) => v.definition).map((v) => ({ where: `variable $${v.name}`, expr: v.definition!.replace(/^label_values\(([^,]+),.*$/, '$1') })),
];

t.test('the kit is well formed', async (t) => {
  t.ok(alerts.groups.length > 0);
  const rules = alerts.groups.flatMap((g) => g.rules);
  for (const r of rules) {
    t.ok(r.alert && r.expr && r.annotations?.['summary'] && r.labels?.['severity'], `rule ${r.alert} has expr, summary and severity`);
    t.equal((r.expr.match(/\(/g) ?? []).length, (r.expr.match(/\)/g) ?? []).length, `rule ${r.alert}: balanced parentheses`);
  }
  t.equal(new Set(rules.map((r) => r.alert)).size, rules.length, 'alert names are unique');
  // The alerts the service's operators asked for.
  const text = rules.map((r) => r.expr).join('\n');
  for (const needed of ['jobs_partitions_stalled', 'jobs_processed_total{outcome="dead"}', 'nodejs_eventloop_lag_seconds', 'readiness_status', 'reason="slow consumer"', 'status=~"5.."', 'status=~"4.."']) {
    t.ok(text.includes(needed), `an alert uses ${needed}`);
  }
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  t.ok(panels.length >= 15, `${panels.length} panels`);
  t.ok(panels.every((p) => (p.targets ?? []).length > 0), 'every panel queries something');
  t.equal(new Set(panels.map((p) => p.title)).size, panels.length, 'panel titles are unique');
});

t.test('every metric the kit uses is in /metrics of a running node', async (t) => {
  const app = await startApp(t, { nats: true, env: { JOB_BACKOFF_MS: '50' } });
  const sql = connect(t, app.databaseUrl);
  const num = numberFactory();
  const h = await seedHotel(sql, {
    staff: [{ username: `ops_kit_${Math.random().toString(36).slice(2, 8)}`, type: 'receptionist', departments: ['Reception'] }],
    guests: [{ number: num(1), name: 'Kit Guest', room: '101' }],
  });
  const token = Object.values(h.staff)[0]!.token;
  const ws = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`);
  t.teardown(() => ws.close());
  // A guest message stored and delivered to the socket: write batches, actor batches, fanout latency.
  const first = await webhook(app.base, { whatsapp_number: num(1), message: 'towels please', department: 'Reception' });
  t.equal(first.status, 201, JSON.stringify(first.body));
  await ws.next((f) => JSON.stringify(f).includes('towels please'), 20_000);
  // A refused webhook: a 4xx series on the webhook route.
  const refused = await webhook(app.base, { whatsapp_number: num(1), message: 'x', department: 'Reception' }, { signature: 'bad' });
  t.ok(refused.status >= 400 && refused.status < 500, `bad signature refused (${refused.status})`);

  const scrape = async () => (await fetch(`${app.base}/metrics`)).text();
  let text = '';
  await until(async () => {
    text = await scrape();
    return /^fanout_latency_seconds_bucket/m.test(text) && /^readiness_status 1$/m.test(text) && /^jobs_dead_letters|^# TYPE jobs_dead_letters/m.test(text);
  }, 'histograms and the ops gauges have values');
  const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  t.ok(exposed.size > 20, `${exposed.size} metrics exposed`);

  const missing: string[] = [];
  let checked = 0;
  for (const { where, expr } of expressions) {
    const names = metricNames(expr);
    if (names.length === 0) missing.push(`${where}: no metric found in ${expr}`);
    for (const name of names) {
      checked++;
      if (!family(name, exposed)) missing.push(`${where}: ${name}`);
    }
  }
  t.same(missing, [], `every metric exists (${checked} uses in ${expressions.length} expressions)`);
  // Histogram series the percentiles read really have buckets after traffic.
  for (const h of ['http_request_duration_seconds', 'fanout_latency_seconds', 'message_write_batch_size', 'actor_batch_seconds']) {
    t.match(text, new RegExp(`^${h}_bucket\\{`, 'm'), `${h} has buckets`);
  }
  t.match(text, /^http_request_duration_seconds_bucket\{[^}]*route="\/api\/chat\/guest-webhook/m, 'webhook latency is kept by route');
  t.match(text, /^http_requests_total\{route="POST \/api\/chat\/guest-webhook[^"]*",status="4\d\d"\}/m, 'webhook 4xx are counted by route');

  // The dead-letter gauge follows the table (cluster-wide count, refreshed every 10 s).
  const kind = `ops.kit.${Math.random().toString(36).slice(2, 8)}`;
  await sql`insert into job_dead_letters (kind, job_id, payload, deliveries, reason) values (${kind}, 'j1', '{}', 3, 'test'), (${kind}, 'j2', '{}', 3, 'test')`;
  await until(async () => (await scrape()).includes(`jobs_dead_letters{kind="${kind}"} 2`), 'the dead letters are counted');
  t.pass('jobs_dead_letters counts the rows');
});

t.test('without a database: readiness_status 0 and acquire timeouts counted', async (t) => {
  const { run } = await import('../../src/app/run.js');
  const { loadConfig } = await import('../../src/config/load.js');
  const { testEnv } = await import('../helpers/app.js');
  // A server that accepts and never answers (a hung Postgres): queries wait for a connection
  // until their deadline. (A refused port would fail them at once, without a wait.)
  const held = new Set<import('node:net').Socket>();
  const hung = createServer((socket) => void held.add(socket));
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of held) s.destroy();
    hung.close();
  });
  const port = (hung.address() as { port: number }).port;
  const app = await run(loadConfig(testEnv({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/none`, DATABASE_ACQUIRE_TIMEOUT_MS: '200' })));
  t.teardown(() => app.stop());
  const base = `http://127.0.0.1:${app.port}`;
  const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nobody', password: 'nothing-here' }) });
  t.equal(login.status, 503, 'a request that needs the database answers 503');
  let text = '';
  await until(async () => {
    text = await (await fetch(`${base}/metrics`)).text();
    return /^readiness_status 0$/m.test(text) && /^db_acquire_timeouts_total [1-9]/m.test(text);
  }, 'readiness 0 and a counted acquire timeout');
  t.match(text, /^readiness_dependency_up\{dependency="database"\} 0$/m);
});
