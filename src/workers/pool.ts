// The CPU worker pool (piscina). Callers get typed functions; the event loop only awaits.
import { Piscina } from 'piscina';
import type { InspectResult } from './media-inspect.js';
import type { TaskName } from './tasks.js';

export interface CpuPool {
  hashPassword(password: string): Promise<string>;
  verifyPassword(password: string, encoded: string): Promise<boolean>;
  inspectMedia(path: string, filename: string, declared: string): Promise<InspectResult>;
  run<T>(task: TaskName, arg: unknown): Promise<T>;
  stats(): { threads: number; queued: number; completed: number };
  stop(): Promise<void>;
}

export function createCpuPool(opts: { threads: number; maxQueue?: number }): CpuPool {
  // From sources (tsx, tap) this module is .ts; its workers then load tasks.ts via dev-entry.mjs.
  const fromSource = import.meta.url.endsWith('.ts');
  const pool = new Piscina({
    filename: new URL(fromSource ? './dev-entry.mjs' : './tasks.js', import.meta.url).href,
    // All threads from the start: their memory is part of the baseline, not a surprise under load.
    minThreads: opts.threads,
    maxThreads: opts.threads,
    maxQueue: opts.maxQueue ?? 1000,
    idleTimeout: 60_000,
  });
  const run = <T>(task: TaskName, arg: unknown): Promise<T> => pool.run({ task, arg });
  return {
    hashPassword: (password) => run('hashPassword', { password }),
    verifyPassword: (password, encoded) => run('verifyPassword', { password, encoded }),
    inspectMedia: (path, filename, declared) => run('inspectMedia', { path, filename, declared }),
    run,
    stats: () => ({ threads: pool.threads.length, queued: pool.queueSize, completed: pool.completed }),
    stop: () => pool.destroy(),
  };
}
