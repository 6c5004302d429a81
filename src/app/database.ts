// Opens the database: the configured URL, or the embedded Postgres in development. Migrations run
// in the background and are retried until they succeed, so a node whose database is down starts,
// says not-ready on /readyz, and serves as soon as Postgres is back.
import type { Config } from '../config/load.js';
import type { Logger } from '../obs/log.js';
import type { Registry } from '../obs/metrics.js';
import { createDb, ping, type Sql } from '../store/db.js';
import { startEmbeddedPostgres, type EmbeddedDb } from '../store/embedded.js';
import { migrate } from '../store/migrate.js';

export interface Database {
  sql: Sql;
  /** True once every migration is applied. */
  migrated(): boolean;
  /** Resolves once migrated (or never, if the database never comes up). */
  whenMigrated(): Promise<void>;
  healthy(): Promise<boolean>;
  stop(leftMs?: number): Promise<void>;
}

export async function openDatabase(cfg: Config['db'], nodeId: string, log: Logger, metrics?: Registry): Promise<Database> {
  let embedded: EmbeddedDb | null = null;
  let url = cfg.url;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dir: cfg.embedded.dir,
      port: cfg.embedded.port,
      log,
      ...(cfg.embedded.runtimeDir ? { runtimeBases: [cfg.embedded.runtimeDir] } : {}),
    });
    url = embedded.url;
  }
  const acquireTimeouts = metrics?.counter('db_acquire_timeouts_total', 'Queries and transactions that got no database connection within DATABASE_ACQUIRE_TIMEOUT_MS (answered 503)');
  const sql = createDb({
    url,
    poolMax: cfg.poolMax,
    statementTimeoutMs: cfg.statementTimeoutMs,
    acquireTimeoutMs: cfg.acquireTimeoutMs,
    applicationName: `lobbybee:${nodeId}`,
    log,
    ...(acquireTimeouts ? { onAcquireTimeout: () => acquireTimeouts.inc() } : {}),
  });
  let done = false;
  let stopped = false;
  let resolve!: () => void;
  const whenMigrated = new Promise<void>((r) => (resolve = r));

  void (async () => {
    let delay = 500;
    while (!stopped) {
      try {
        const applied = await migrate(sql);
        if (applied.length) log.info({ applied }, 'migrations applied');
        done = true;
        resolve();
        return;
      } catch (err) {
        if ((err as { code?: string }).code === 'migration_failed') {
          log.fatal({ err }, 'migrations cannot be applied');
          process.exitCode = 1;
          process.kill(process.pid, 'SIGTERM');
          return;
        }
        log.warn({ err: (err as Error).message, retryMs: delay }, 'database not reachable; retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  })();

  return {
    sql,
    migrated: () => done,
    whenMigrated: () => whenMigrated,
    healthy: async () => done && (await ping(sql)),
    stop: async (leftMs = 5000) => {
      stopped = true;
      // Queries still queued (e.g. a retry while the database is unreachable) get until just
      // before the shutdown deadline, then their connections are closed.
      await sql.end({ timeout: Math.max(0.1, Math.min(5, (leftMs - 500) / 1000)) });
      if (embedded) await embedded.stop();
    },
  };
}
