// A private Postgres (Debian's /usr/lib/postgresql/*/bin) that a test may stop, kill and restart:
// initdb into a temp folder, a free port, the server as our own child. As root it runs as the
// `postgres` user (Postgres refuses root), like scripts/with-services.mjs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { freePort, until } from './cluster.js';

const BASE = '/usr/lib/postgresql';

/** The newest server binaries folder, or null when Postgres is not installed. */
export function postgresBin(): string | null {
  if (!existsSync(BASE)) return null;
  const versions = readdirSync(BASE).filter((v) => existsSync(path.join(BASE, v, 'bin', 'initdb')) && existsSync(path.join(BASE, v, 'bin', 'postgres')));
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions.length ? path.join(BASE, versions[0]!, 'bin') : null;
}

function asPostgresUser(bin: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [bin, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', bin, ...args]];
}

export interface PrivatePg {
  url: string;
  port: number;
  /** Starts the server and waits until it answers. */
  start(): Promise<void>;
  /** Fast shutdown (sessions ended, clean restart). */
  stop(): Promise<void>;
  /** Immediate shutdown (SIGQUIT: no checkpoint, crash recovery at the next start). */
  kill(): Promise<void>;
  readonly running: boolean;
}

export async function startPrivatePg(t: Test): Promise<PrivatePg> {
  const bin = postgresBin();
  if (!bin) throw new Error('Postgres server binaries not found');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lbt-ppg-'));
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout);
    chownSync(dir, id('-u'), id('-g'));
  }
  const data = path.join(dir, 'data');
  const [initCmd, initArgs] = asPostgresUser(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const isReady = () => spawnSync(path.join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-t', '2']).status === 0;
  const halt = async (signal: NodeJS.Signals) => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await gone;
  };
  const pg: PrivatePg = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    get running() {
      return proc !== null;
    },
    async start() {
      const [cmd, args] = asPostgresUser(path.join(bin, 'postgres'), [
        '-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
        '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=100',
      ]);
      proc = spawn(cmd, args, { cwd: dir, stdio: 'ignore' });
      await until(async () => isReady(), 'private postgres to accept connections', 30_000);
    },
    stop: () => halt('SIGINT'),
    kill: () => halt('SIGQUIT'),
  };
  t.teardown(async () => {
    await halt('SIGINT');
    rmSync(dir, { recursive: true, force: true });
  });
  await pg.start();
  return pg;
}
