// Applies sql/NNN_name.sql files in order. Each file runs in its own transaction that first takes
// a transaction-scoped advisory lock, then re-checks whether the file was applied: ten nodes
// starting at once apply every file exactly once. A file edited after it was applied stops the
// start (its checksum no longer matches) instead of being silently skipped.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../util/paths.js';
import type { Sql } from './db.js';

const LOCK_KEY = 7_311_902_144; // arbitrary, stable: "lobbybee migrations"
const FILE_RE = /^(\d{3,})_[\w-]+\.sql$/;

export const DEFAULT_SQL_DIR = path.join(projectRoot(), 'sql');

export interface MigrationFile {
  name: string;
  checksum: string;
  text: string;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  readonly code = 'migration_failed';
}

export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => FILE_RE.test(n)).sort();
  const seen = new Set<string>();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const num = FILE_RE.exec(name)![1]!;
    if (seen.has(num)) throw new MigrationError(`two migrations share the number ${num}`);
    seen.add(num);
    const text = await readFile(path.join(dir, name), 'utf8');
    files.push({ name, text, checksum: createHash('sha256').update(text).digest('hex') });
  }
  return files;
}

/** Returns the names of files applied by this call (empty when the schema was current). */
export async function migrate(sql: Sql, dir = DEFAULT_SQL_DIR): Promise<string[]> {
  const files = await readMigrations(dir);
  const applied: string[] = [];
  for (const file of files) {
    const did = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
      await tx`create table if not exists schema_migrations (
        name text primary key, checksum text not null, applied_at timestamptz not null default now())`;
      const [row] = await tx<{ checksum: string }[]>`select checksum from schema_migrations where name = ${file.name}`;
      if (row) {
        if (row.checksum !== file.checksum) {
          throw new MigrationError(`${file.name} changed after it was applied (checksum mismatch); add a new migration instead`);
        }
        return false;
      }
      await tx.unsafe(file.text);
      await tx`insert into schema_migrations (name, checksum) values (${file.name}, ${file.checksum})`;
      return true;
    });
    if (did) applied.push(file.name);
  }
  return applied;
}
