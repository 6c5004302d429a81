// The migration runner on an empty database: ten nodes starting at once apply every file exactly
// once, and a file edited after it was applied stops the start.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import t, { type Test } from 'tap';
import { createLogger } from '../../src/obs/log.js';
import { createDb, type Sql } from '../../src/store/db.js';
import { DEFAULT_SQL_DIR, migrate, readMigrations } from '../../src/store/migrate.js';
import { TEST_PG_ADMIN_URL } from '../helpers/env.js';

const NODES = 10;
const log = createLogger({ level: 'silent', nodeId: 'migrate-test' });

/** A brand-new empty database (not the migrated template of test/helpers/db.ts); dropped at teardown. */
async function emptyDatabase(t: Test): Promise<string> {
  const admin = postgres(TEST_PG_ADMIN_URL, { max: 1, onnotice: () => undefined });
  const name = `lbt_mig_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`create database "${name}"`);
  t.teardown(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => undefined);
    await admin.end();
  });
  const url = new URL(TEST_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** One pool per simulated node, closed at teardown. */
function pools(t: Test, url: string, n: number): Sql[] {
  const all = Array.from({ length: n }, (_, i) => createDb({ url, poolMax: 2, statementTimeoutMs: 30_000, applicationName: `node${i}`, log }));
  t.teardown(() => Promise.all(all.map((sql) => sql.end({ timeout: 2 }))));
  return all;
}

/** Runs migrate() on every pool at once and checks each file was applied by exactly one of them. */
async function migrateConcurrently(t: Test, nodes: Sql[], dir: string): Promise<void> {
  const files = (await readMigrations(dir)).map((f) => f.name);
  const results = await Promise.all(nodes.map((sql) => migrate(sql, dir)));
  const applied = results.flat();
  t.same([...applied].sort(), files, 'the union of the applied lists is every file');
  t.equal(new Set(applied).size, applied.length, 'no file applied by two nodes');
  const rows = await nodes[0]!<{ name: string }[]>`select name from schema_migrations order by name`;
  t.same(rows.map((r) => r.name), files, 'one schema_migrations row per file');
  t.same(await migrate(nodes[0]!, dir), [], 'a later start applies nothing');
}

t.test(`${NODES} nodes migrate an empty database at once: sql/ applied exactly once`, async (t) => {
  const nodes = pools(t, await emptyDatabase(t), NODES);
  await migrateConcurrently(t, nodes, DEFAULT_SQL_DIR);
  const tables = await nodes[0]!`select tablename from pg_tables where schemaname = 'public'`;
  t.ok(tables.some((r) => r.tablename === 'messages'), 'the schema exists');
});

t.test('several files, ten nodes, then an edited file is refused', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lbt-sql-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (let i = 1; i <= 4; i++) {
    // pg_sleep widens the window in which a second node could wrongly apply the same file.
    await writeFile(path.join(dir, `00${i}_step${i}.sql`), `select pg_sleep(0.05);\ncreate table step${i} (id int primary key);\n`);
  }
  const nodes = pools(t, await emptyDatabase(t), NODES);
  await migrateConcurrently(t, nodes, dir);

  await writeFile(path.join(dir, '002_step2.sql'), 'create table step2 (id bigint primary key);\n');
  await t.rejects(migrate(nodes[1]!, dir), { code: 'migration_failed', message: /002_step2\.sql changed after it was applied/ });
  await writeFile(path.join(dir, '002_step2.sql'), 'select 1;\n');
  await writeFile(path.join(dir, '002_other.sql'), 'select 1;\n');
  await t.rejects(migrate(nodes[2]!, dir), { code: 'migration_failed', message: /share the number 002/ }, 'two files with one number');
});
