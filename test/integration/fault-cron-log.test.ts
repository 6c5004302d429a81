// When the database is gone, node-cron's run coordinator fails at each tick: that must reach the
// JSON log as one line, not a stack trace printed to stdout by node-cron's default logger.
import { pino } from 'pino';
import t from 'tap';
import { ClusterCron } from '../../src/jobs/cron.js';
import { Registry } from '../../src/obs/metrics.js';
import { createDb } from '../../src/store/db.js';
import type { LogLine } from '../helpers/app.js';
import { until } from '../helpers/cluster.js';

t.test('a failing run coordinator is logged as JSON', async (t) => {
  const lines: LogLine[] = [];
  const log = pino({ level: 'warn', formatters: { level: (label) => ({ level: label }) } }, { write: (l: string) => void lines.push(JSON.parse(l) as LogLine) });
  const sql = createDb({ url: 'postgres://postgres@127.0.0.1:1/none', poolMax: 1, statementTimeoutMs: 1000, applicationName: 'cron-log', log });
  t.teardown(() => sql.end({ timeout: 1 }));
  const printed: string[] = [];
  const original = { error: console.error, info: console.info, warn: console.warn };
  console.error = console.info = console.warn = (...a: unknown[]) => void printed.push(a.map(String).join(' '));
  t.teardown(() => Object.assign(console, original));
  const cron = new ClusterCron({ sql, nodeId: 'cron-log', log, runs: new Registry().counter('cron_runs_total', 'runs') });
  t.teardown(() => cron.stop());
  cron.start([{ name: 'tick', schedule: '* * * * * *', run: async () => undefined }]);
  await until(async () => lines.some((l) => l['source'] === 'node-cron' && l.level === 'error'), 'the coordinator failure in the log', 10_000);
  t.same(printed.filter((p) => p.includes('NODE-CRON')), [], 'nothing printed by node-cron itself');
});
