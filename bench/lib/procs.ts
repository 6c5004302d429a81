// Child processes of a bench run and the clean-up that always runs: every process started here is
// tracked by pid and stopped (SIGTERM, then SIGKILL) on exit, error, Ctrl-C or the global deadline;
// clean-up hooks (drop the database, delete NATS streams, remove temp folders) run after that.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT_DIR = path.resolve(BENCH_DIR, '..');

const children = new Set<ChildProcess>();
const hooks: Array<{ name: string; fn: () => Promise<void> | void }> = [];
let cleaning: Promise<void> | null = null;

export function onCleanup(name: string, fn: () => Promise<void> | void): void {
  hooks.push({ name, fn });
}

export function track(cp: ChildProcess): ChildProcess {
  children.add(cp);
  cp.once('exit', () => children.delete(cp));
  return cp;
}

/** Stops one child: SIGTERM, then SIGKILL after graceMs. Resolves when it has exited. */
export function stopChild(cp: ChildProcess, graceMs = 8000): Promise<void> {
  if (cp.exitCode !== null || cp.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        cp.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    cp.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      cp.kill('SIGTERM');
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

export async function cleanupAll(): Promise<void> {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    await Promise.all([...children].map((c) => stopChild(c, 5000)));
    for (const h of hooks.reverse()) {
      try {
        await h.fn();
      } catch (err) {
        process.stderr.write(`clean-up "${h.name}" failed: ${(err as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}

let installed = false;
/** Ctrl-C, SIGTERM, uncaught errors and a hard deadline all end in cleanupAll(). */
export function installExitHandlers(deadlineMs: number): void {
  if (installed) return;
  installed = true;
  const bail = (why: string, code: number) => {
    process.stderr.write(`\nbench: ${why}; cleaning up\n`);
    void cleanupAll().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => bail('interrupted', 130));
  process.on('SIGTERM', () => bail('terminated', 143));
  process.on('uncaughtException', (err) => bail(`uncaught ${err.stack ?? err.message}`, 1));
  process.on('unhandledRejection', (err) => bail(`unhandled rejection ${(err as Error)?.stack ?? String(err)}`, 1));
  setTimeout(() => bail(`deadline of ${Math.round(deadlineMs / 1000)} s reached`, 124), deadlineMs).unref();
}

export interface Spawned {
  cp: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

/** A server process with its stdout/stderr in a log file. */
export function spawnServer(args: string[], env: Record<string, string>, logFile: string, cwd = ROOT_DIR): Spawned {
  const out: WriteStream = createWriteStream(logFile, { flags: 'a' });
  const cp = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  cp.stdout!.pipe(out, { end: false });
  cp.stderr!.pipe(out, { end: false });
  track(cp);
  const exited = new Promise<number | null>((r) => cp.once('exit', (code) => {
    out.end();
    r(code);
  }));
  return { cp, log: logFile, exited };
}

/** A client process (bench/client/worker.ts) with an IPC channel. */
export function forkWorker(env: Record<string, string> = {}): ChildProcess {
  const cp = fork(path.join(BENCH_DIR, 'client', 'worker.ts'), [], {
    cwd: ROOT_DIR,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  return track(cp);
}
