// CPU-heavy functions run by the piscina pool (workers/pool.ts), off the event loop.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { inspectMedia } from './media-inspect.js';

// scrypt parameters: N=2^15, r=8, p=1 (≈32 MiB, tens of ms per hash) — OWASP's minimum class.
const N = 32768;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 64 * 1024 * 1024;

export function hashPassword({ password }: { password: string }): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password.normalize('NFKC'), salt, KEYLEN, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export function verifyPassword({ password, encoded }: { password: string; encoded: string }): boolean {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, 'base64url');
  const actual = scryptSync(password.normalize('NFKC'), Buffer.from(saltB64, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const TASKS = { hashPassword, verifyPassword, inspectMedia } as const;
export type TaskName = keyof typeof TASKS;

/** Piscina entry: one dispatcher, so the pool needs a single exported function. */
export default function run({ task, arg }: { task: TaskName; arg: never }): unknown | Promise<unknown> {
  const fn = TASKS[task] as ((a: never) => unknown) | undefined;
  if (!fn) throw new Error(`unknown worker task ${String(task)}`);
  return fn(arg);
}
