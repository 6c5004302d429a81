// Entry point: load config, run, stop on SIGTERM/SIGINT within the deadline, map failure to an exit code.
// `--demo` (npm run demo) seeds the demo hotel once the database is migrated and prints its logins.
import { ConfigError, loadConfig, type Config } from './config/load.js';
import { run, type RunningApp } from './app/run.js';
import { applyHeapGrowth } from './app/heap-policy.js';
import { seedDemo } from './directory/demo.js';

/** The URLs to open and how to get a login: one log line, and a banner for a person at a terminal. */
async function announce(app: RunningApp, config: Config, demo: boolean): Promise<void> {
  let ready = true;
  await app.ready(60_000).catch(() => (ready = false));
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  const base = (config.http.publicUrl || `http://${host}:${app.port}`).replace(/\/+$/, '');
  const urls = { api: `${base}/api/`, console: `${base}/console/`, docs: `${base}/docs`, metrics: `${base}/metrics` };
  let logins = '';
  if (demo && ready) {
    try {
      logins = await seedDemo(app.sql, app.cpu, {});
    } catch (err) {
      app.log.error({ err }, 'demo data could not be seeded');
    }
  }
  const login = logins
    ? 'demo logins printed on stderr (demo_platform sees every hotel)'
    : 'create a login: npm run cli -- seed-demo (demo hotel and staff) or npm run cli -- createsuperuser; or start with npm run demo';
  app.log.info({ urls, ready, login, demo }, 'lobbybee is up');
  if (process.stdout.isTTY) {
    const lines = [
      '',
      `  Lobbybee Realtime is ${ready ? 'ready' : 'running (database not ready yet: see /readyz)'}`,
      `    console  ${urls.console}`,
      `    API base ${urls.api}`,
      `    docs     ${urls.docs}`,
      `    metrics  ${urls.metrics}`,
      `  ${logins ? 'demo logins (demo_platform sees every hotel):' : login}`,
      ...(logins ? ['', ...logins.trimEnd().split('\n').map((l) => `  ${l}`)] : []),
      '',
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
  } else if (logins) {
    process.stderr.write(logins);
  }
}

async function main(): Promise<void> {
  const demo = process.argv.slice(2).includes('--demo');
  let config;
  try {
    config = loadConfig();
    if (demo && config.env === 'production') throw new ConfigError(['--demo: not allowed when NODE_ENV=production (it creates logins and prints their password)']);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  applyHeapGrowth(config.heapGrowthPercent);
  const app = await run(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    void app.stop().then((clean) => {
      app.log.info({ clean }, 'stopped');
      process.exit(clean ? (process.exitCode ?? 0) : 1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => app.log.error({ err }, 'unhandled rejection'));
  await announce(app, config, demo);
}

main().catch((err) => {
  // A start-up problem that says what to do is shown as that one line.
  const plain = err instanceof Error && err.name === 'EmbeddedPostgresError';
  process.stderr.write(`failed to start: ${plain ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
