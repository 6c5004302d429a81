#!/usr/bin/env node
// Runs a command with a Postgres and a NATS (JetStream) server reachable for the tests.
//
//   node scripts/with-services.mjs <cmd> [args...]
//
// Uses the servers at TEST_DATABASE_URL / TEST_NATS_URL when they accept connections (the
// defaults are the ones this machine runs). For each one that does not, it starts a private
// server on a free port from Debian's binaries (packages postgresql and nats-server), exports
// its URL to the command, forwards the command's exit code, and always stops what it started —
// also on SIGINT/SIGTERM. Node built-ins only: it runs before and without `npm ci`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PG_DEFAULT = 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_DEFAULT = 'nats://127.0.0.1:4222';
const START_TIMEOUT_MS = 30_000;

const log = (msg) => process.stderr.write(`[with-services] ${msg}\n`);

class MissingBinary extends Error {}

/** Host and port of a postgres:// or nats:// URL (first server of a list). */
function hostPort(url, defaultPort) {
  const u = new URL(url.split(',')[0].trim());
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || defaultPort) };
}

/**
 * Connects to host:port. Resolves with the first line the server sends (readLine), or with ''
 * as soon as the connection is accepted (!readLine); null when unreachable, silent or closed.
 */
function probe({ host, port }, readLine, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let data = '';
    const finish = (v) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    sock.on('connect', () => readLine || finish(''));
    sock.on('error', () => finish(null));
    sock.on('close', () => finish(null));
    sock.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const nl = data.indexOf('\n');
      if (nl !== -1) finish(data.slice(0, nl));
    });
  });
}

const tcpOpen = async (target) => (await probe(target, false)) !== null;

// Postgres says nothing until the client speaks: an accepted TCP connection is enough.
const postgresUp = (url) => tcpOpen(hostPort(url, 5432));

/** NATS greets with `INFO {...}`; JetStream must be on for the job queue. */
async function natsUp(url) {
  const line = await probe(hostPort(url, 4222), true);
  return typeof line === 'string' && line.startsWith('INFO ') && /"jetstream"\s*:\s*true/.test(line);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what, check, child) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} while starting`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start within ${START_TIMEOUT_MS / 1000} s`);
}

function findNatsServer() {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const bin = path.join(dir, 'nats-server');
    if (dir && existsSync(bin)) return bin;
  }
  throw new MissingBinary('nats-server not found (PATH, /usr/sbin). Install the Debian package: apt-get install -y nats-server');
}

function findPostgresBin() {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')) && existsSync(path.join(base, v, 'bin', 'postgres')))
    : [];
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  if (versions.length === 0) {
    throw new MissingBinary(`Postgres server binaries not found (${base}/*/bin/initdb, postgres). Install the Debian package: apt-get install -y postgresql`);
  }
  return path.join(base, versions[0], 'bin');
}

async function startNats() {
  const bin = findNatsServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lbt-nats-'));
  const port = await freePort();
  // Own process group: a terminal's Ctrl-C reaches us, and we stop the server after the command.
  const child = spawn(bin, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let output = '';
  child.stderr.on('data', (c) => (output = (output + c).slice(-4000)));
  const url = `nats://127.0.0.1:${port}`;
  const stop = () => stopChild(child, 'SIGTERM').then(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await waitFor('nats-server', () => natsUp(url), child);
  } catch (err) {
    await stop();
    throw new Error(`${err.message}\n${output}`);
  }
  log(`started nats-server (JetStream) on ${url}, pid ${child.pid}`);
  return { url, stop, killNow: () => child.kill('SIGKILL') };
}

/** argv that runs bin as the `postgres` system user when we are root (Postgres refuses root). */
function asPostgresUser(bin, args) {
  if (process.getuid?.() !== 0) return [bin, args];
  // setpriv execs in place, so the pid we hold is the server itself; runuser stays as a parent.
  if (existsSync('/usr/bin/setpriv') || existsSync('/bin/setpriv')) {
    return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', bin, ...args]];
  }
  return ['runuser', ['-u', 'postgres', '--', bin, ...args]];
}

function postgresOwner() {
  if (process.getuid?.() !== 0) return null;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new MissingBinary('running as root but there is no `postgres` system user to run Postgres as. Install the Debian package: apt-get install -y postgresql');
  }
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

/** True once the server answers the protocol (pg_isready), not merely accepts TCP. */
function postgresReady(bin, port) {
  const isready = path.join(bin, 'pg_isready');
  if (!existsSync(isready)) return tcpOpen({ host: '127.0.0.1', port });
  return spawnSync(isready, ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-t', '2']).status === 0;
}

async function startPostgres() {
  const bin = findPostgresBin();
  const owner = postgresOwner();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lbt-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = path.join(dir, 'data');
  const port = await freePort();
  // cwd = dir: the postgres user may not be allowed into the caller's working directory.
  const [initCmd, initArgs] = asPostgresUser(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { cwd: dir, encoding: 'utf8', timeout: START_TIMEOUT_MS });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.error?.message ?? ''}\n${init.stderr || init.stdout || ''}`);
  }
  // The server runs as our own child (not daemonized by pg_ctl) so we reap it and no zombie is
  // left where PID 1 does not reap. Throwaway data: durability off; room for parallel test files.
  const [cmd, args] = asPostgresUser(path.join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300',
  ]);
  const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let output = '';
  child.stderr.on('data', (c) => (output = (output + c).slice(-4000)));
  // SIGINT = Postgres "fast" shutdown: ends sessions, checkpoints, exits.
  const stop = () => stopChild(child, 'SIGINT').then(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await waitFor('postgres', () => postgresReady(bin, port), child);
  } catch (err) {
    await stop();
    throw new Error(`${err.message}\n${output}`);
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  log(`started postgres (${bin}) on ${url}, pid ${child.pid}`);
  return { url, stop, killNow: () => child.kill('SIGQUIT') };
}

/** Signals a child and waits for it to exit (SIGKILL after 10 s). */
async function stopChild(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  if (!cmd) {
    log('usage: node scripts/with-services.mjs <command> [args...]');
    return 64;
  }
  const started = [];
  let child = null;
  let signalled = null;
  const onSignal = (sig) => {
    signalled ??= sig;
    if (child && child.exitCode === null) child.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort if we die from an uncaught error: leave no server behind.
  process.on('exit', () => {
    for (const s of started.splice(0)) s.killNow();
  });
  const stopAll = async () => {
    for (const s of started.splice(0).reverse()) {
      try {
        await s.stop();
      } catch (err) {
        log(`stopping a service failed: ${err.message}`);
      }
    }
  };

  const env = { ...process.env };
  env.PATH = `${path.join(ROOT, 'node_modules', '.bin')}${path.delimiter}${env.PATH ?? ''}`;
  const pgUrl = process.env.TEST_DATABASE_URL || PG_DEFAULT;
  const natsUrl = process.env.TEST_NATS_URL || NATS_DEFAULT;
  try {
    const [pgOk, natsOk] = await Promise.all([postgresUp(pgUrl), natsUp(natsUrl)]);
    env.TEST_DATABASE_URL = pgUrl;
    env.TEST_NATS_URL = natsUrl;
    if (!pgOk && !signalled) {
      const { host, port } = hostPort(pgUrl, 5432);
      log(`no Postgres at ${host}:${port}; starting a private one`);
      const pg = await startPostgres();
      started.push(pg);
      env.TEST_DATABASE_URL = pg.url;
    }
    if (!natsOk && !signalled) {
      const { host, port } = hostPort(natsUrl, 4222);
      log(`no NATS with JetStream at ${host}:${port}; starting a private one`);
      const nats = await startNats();
      started.push(nats);
      env.TEST_NATS_URL = nats.url;
    }
  } catch (err) {
    log(err instanceof MissingBinary ? err.message : `could not start test services: ${err.message}`);
    await stopAll();
    return 1;
  }
  if (signalled) {
    await stopAll();
    return 128 + os.constants.signals[signalled];
  }

  const code = await new Promise((resolve) => {
    child = spawn(cmd, args, { stdio: 'inherit', env });
    child.on('error', (err) => {
      log(`cannot run ${cmd}: ${err.message}`);
      resolve(127);
    });
    child.on('exit', (c, sig) => resolve(c ?? 128 + (os.constants.signals[sig] ?? 1)));
  });
  await stopAll();
  return signalled && code === 0 ? 128 + os.constants.signals[signalled] : code;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`failed: ${err.stack ?? err}`);
    process.exit(1);
  },
);
