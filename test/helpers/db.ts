// Each test file gets its own database, cloned from a migrated template (fast: a file copy).
// The template's name carries a hash of sql/, so a changed migration builds a new template.
import { createHash, randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Test } from 'tap';
import { createDb, type Sql } from '../../src/store/db.js';
import { DEFAULT_SQL_DIR, migrate, readMigrations } from '../../src/store/migrate.js';
import { createLogger } from '../../src/obs/log.js';
import { TEST_PG_ADMIN_URL } from './env.js';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function templateName(): Promise<string> {
  const files = await readMigrations(DEFAULT_SQL_DIR);
  const h = createHash('sha256');
  for (const f of files) h.update(f.name).update(f.checksum);
  return `lbt_tpl_${h.digest('hex').slice(0, 16)}`;
}

async function ensureTemplate(admin: postgres.Sql, name: string): Promise<void> {
  // CREATE DATABASE cannot run in a transaction: serialize test files racing to build the same
  // template with a session-level advisory lock on one reserved connection.
  const c = await admin.reserve();
  try {
    await c`select pg_advisory_lock(884422)`;
    const [exists] = await c`select 1 from pg_database where datname = ${name}`;
    if (exists) return;
    await c.unsafe(`drop database if exists "${name}_build" with (force)`);
    await c.unsafe(`create database "${name}_build"`);
    const sql = postgres(withDatabase(TEST_PG_ADMIN_URL, `${name}_build`), { max: 1, onnotice: () => undefined });
    try {
      await migrate(sql as unknown as Sql);
    } finally {
      await sql.end();
    }
    await c.unsafe(`alter database "${name}_build" rename to "${name}"`);
  } finally {
    await c`select pg_advisory_unlock(884422)`.catch(() => undefined);
    c.release();
  }
}

/** Creates a fresh migrated database for this test file and drops it afterwards. */
export async function freshDatabaseUrl(t: Test): Promise<string> {
  const admin = postgres(TEST_PG_ADMIN_URL, { max: 2, onnotice: () => undefined });
  const name = `lbt_${randomBytes(6).toString('hex')}`;
  try {
    const template = await templateName();
    await ensureTemplate(admin, template);
    await admin.unsafe(`create database "${name}" template "${template}"`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  t.teardown(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => undefined);
    await admin.end();
  });
  return withDatabase(TEST_PG_ADMIN_URL, name);
}

/** A fresh database plus a postgres.js pool on it, closed at teardown. */
export async function freshDb(t: Test): Promise<{ url: string; sql: Sql }> {
  const url = await freshDatabaseUrl(t);
  const sql = createDb({ url, poolMax: 4, statementTimeoutMs: 15000, applicationName: 'test', log: createLogger({ level: 'silent', nodeId: 'test' }) });
  t.teardown(() => sql.end({ timeout: 2 }));
  return { url, sql };
}

/** A postgres.js pool (with the server's type parsing) on an existing database, closed at teardown. */
export function connect(t: Test, url: string): Sql {
  const sql = createDb({ url, poolMax: 3, statementTimeoutMs: 15000, applicationName: 'test', log: createLogger({ level: 'silent', nodeId: 'test' }) });
  t.teardown(() => sql.end({ timeout: 2 }));
  return sql;
}
