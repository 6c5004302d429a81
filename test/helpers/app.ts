// Starts a real node (uWS, Postgres, optional NATS) on a free port for one test file.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { Test } from 'tap';
import { run, type RunningApp } from '../../src/app/run.js';
import { loadConfig, type Config } from '../../src/config/load.js';
import { freshDatabaseUrl } from './db.js';
import { TEST_LOG_LEVEL, TEST_NATS_URL } from './env.js';

export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-0123456789abcdef';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdefghijkl';

export interface TestApp extends RunningApp {
  base: string;
  wsBase: string;
  config: Config;
  databaseUrl: string;
  /** With captureLog: every log line at or above that level, parsed, in order. */
  logLines: LogLine[];
}

export interface LogLine {
  level: string;
  msg?: string;
  [k: string]: unknown;
}

export function natsPrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export function testEnv(over: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: TEST_LOG_LEVEL,
    JWT_SECRET: TEST_JWT_SECRET,
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    CRON_ENABLED: 'false',
    WORKER_THREADS: '1',
    DATABASE_POOL_MAX: '6',
    WRITE_CONCURRENCY: '3',
    RATE_LIMIT_PER_MINUTE: '100000',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...over,
  };
}

/**
 * Options: env overrides; nats: true to run on NATS with a random prefix; captureLog: a pino level
 * — the node then logs (at that level) into `logLines` instead of stdout, so a test can assert on
 * what was logged (e.g. no error line for a client's mistake).
 */
export async function startApp(
  t: Test,
  opts: { env?: Record<string, string>; nats?: boolean; databaseUrl?: string; captureLog?: string } = {},
): Promise<TestApp> {
  const databaseUrl = opts.databaseUrl ?? (await freshDatabaseUrl(t));
  const env = testEnv({
    DATABASE_URL: databaseUrl,
    ...(opts.nats ? { NATS_URL: TEST_NATS_URL, NATS_PREFIX: natsPrefix() } : {}),
    ...opts.env,
  });
  const config = loadConfig(env);
  const logLines: LogLine[] = [];
  const log = opts.captureLog ? capturingLogger(opts.captureLog, config.nodeId, logLines) : undefined;
  const app = await run(config, log ? { log } : {});
  t.teardown(() => app.stop());
  await app.ready();
  return {
    ...app,
    logLines,
    config,
    databaseUrl,
    base: `http://127.0.0.1:${app.port}`,
    wsBase: `ws://127.0.0.1:${app.port}`,
  };
}

/** A pino logger shaped like src/obs/log.ts's (level labels, node) that appends parsed lines. */
function capturingLogger(level: string, nodeId: string, into: LogLine[]) {
  const sink = { write: (line: string) => void into.push(JSON.parse(line) as LogLine) };
  return pino({ level, base: { node: nodeId }, formatters: { level: (label) => ({ level: label }) } }, sink);
}
