// The fuzz harness: seeded fast-check settings, the route table as the server mounts it, a guard
// against crashes (uncaught exceptions, unhandled rejections), an event-loop blocking probe, the
// webhook signer, and a small world (one hotel with staff of every role, guests, a conversation).
//
// Seed: FUZZ_SEED (default a fixed one, so CI is reproducible). Runs: FUZZ_RUNS replaces every
// property's default run count and lifts the CI time budget (used by `npm run fuzz`).
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Test } from 'tap';
import type fc from 'fast-check';
import type { Route } from '../../src/transport/http/router.js';
import { HttpServer } from '../../src/transport/server.js';
import type { Sql } from '../../src/store/db.js';
import type { LogLine, TestApp } from './app.js';
import { guestToken, seedHotel, sign } from './chat-fixtures.js';
import { request, type HttpResult } from './http.js';

export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 1_109_2025;
const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : undefined;
/** CI budget per property: shrinking a counterexample stops here (a failure is still reported). */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 15_000);

export function fuzzOptions<T>(defaultRuns: number, examples: T[] = []): fc.Parameters<T> {
  return {
    seed: FUZZ_SEED,
    numRuns: RUNS ?? defaultRuns,
    examples,
    ...(RUNS === undefined ? { interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false } : {}),
  };
}

/**
 * The one place that knows how a webhook is signed; the body is what gets fuzzed, so the
 * signature must always be right. Delegates to the fixtures' signer so both follow one format.
 */
export function webhookHeaders(raw: string): Record<string, string> {
  return { 'content-type': 'application/json', 'x-lobbybee-signature': sign(raw) };
}

export interface MountedTable {
  routes: Route[];
  socketPatterns: string[];
}

/**
 * Records the route table and socket endpoints the next started node mounts, so a new route is
 * fuzzed without touching the suite. Call before startApp; it restores HttpServer.mount itself.
 */
export function captureMountedTable(): MountedTable {
  const table: MountedTable = { routes: [], socketPatterns: [] };
  const original = HttpServer.prototype.mount;
  HttpServer.prototype.mount = function (this: HttpServer, ...args: Parameters<HttpServer['mount']>) {
    HttpServer.prototype.mount = original;
    table.routes.push(...args[1]);
    table.socketPatterns.push(...args[2].map((s) => s.pattern));
    return original.apply(this, args);
  };
  return table;
}

/** Collects uncaught exceptions and unhandled rejections instead of letting them end the process. */
export function crashGuard(t: Test): { crashes: string[] } {
  const crashes: string[] = [];
  const onError = (err: unknown) => void crashes.push(String((err as Error)?.stack ?? err));
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  t.teardown(() => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
  });
  return { crashes };
}

/**
 * Longest event-loop stall while `fn` ran. The node runs in this process, so a handler that
 * computes for 100 ms delays this process's timers by 100 ms.
 */
const histogram = monitorEventLoopDelay({ resolution: 5 });
histogram.enable();
async function stallOf<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  histogram.reset();
  const result = await fn();
  // Let a timer that was due during a stall fire (and be recorded) before reading.
  await new Promise((r) => setTimeout(r, 6));
  return { result, ms: histogram.max / 1e6 };
}

export const BLOCK_BOUND_MS = Number(process.env.FUZZ_BLOCK_MS ?? 100);

/**
 * Runs `fn` and reports whether it blocked the event loop past the bound. Blocking by a handler is
 * deterministic (the same input does the same work), while a stall from the busy machine (another
 * process on the core, a GC pause) is not: so an over-bound measurement is replayed, and only an
 * input that stalls on every one of three tries counts (one stall of over ten bounds is conclusive).
 * This makes it a property of the code, not a timing assertion that depends on the machine.
 */
export async function withoutBlocking<T>(fn: () => Promise<T>): Promise<{ result: T; stallMs: number; blocked: boolean }> {
  let best = Infinity;
  let first: T | undefined;
  for (let i = 0; i < 3; i++) {
    const { result, ms } = await stallOf(fn);
    if (i === 0) first = result;
    best = Math.min(best, ms);
    if (best <= BLOCK_BOUND_MS || ms > BLOCK_BOUND_MS * 10) break;
  }
  return { result: first as T, stallMs: best, blocked: best > BLOCK_BOUND_MS };
}

/** A fast-check failure as one message: the counterexample and (in its cause) what it violated. */
export function fuzzFailure(err: unknown): string {
  const e = err as Error & { cause?: unknown };
  const cause = e.cause instanceof Error ? e.cause.message : e.cause ? String(e.cause) : '';
  const head = e.message.replace(/\s*Hint: .*$/s, '');
  return `${head.slice(0, 2500)}${cause ? `\nViolated: ${cause.slice(0, 1500)}` : ''}`;
}

/** Error/fatal lines logged since `from`, shortened for a failure message. */
export function errorLogs(lines: LogLine[], from: number): string[] {
  return lines
    .slice(from)
    .filter((l) => l.level === 'error' || l.level === 'fatal')
    .map((l) => `${l.msg ?? ''} ${JSON.stringify((l as { err?: { message?: string } }).err?.message ?? '')}`.slice(0, 300));
}

/** What one fuzzed exchange violated ('' when nothing). */
export function violations(v: { status?: number; stallMs: number; blocked: boolean; errors: string[]; crashes: string[]; failure?: string }): string {
  const out: string[] = [];
  if (v.failure) out.push(v.failure);
  if (v.status !== undefined && v.status >= 500) out.push(`answered ${v.status}`);
  if (v.blocked) out.push(`blocked the event loop for ${Math.round(v.stallMs)} ms (bound ${BLOCK_BOUND_MS} ms, on every try)`);
  if (v.errors.length) out.push(`error log: ${v.errors.join(' | ')}`);
  if (v.crashes.length) out.push(`uncaught: ${v.crashes.join(' | ').slice(0, 500)}`);
  return out.join('; ');
}

/** After a batch: the node still answers /healthz and nothing escaped to the top level. */
export async function assertAlive(t: Test, app: TestApp, guard: { crashes: string[] }, what: string): Promise<void> {
  const h = await request(app.base, 'GET', '/healthz');
  t.equal(h.status, 200, `${what}: /healthz still answers`);
  t.same(guard.crashes, [], `${what}: no uncaught exception or unhandled rejection`);
}

export interface FuzzWorld {
  hotelId: string;
  /** The hotel's relay channel: webhooks name it to reach this hotel. */
  channel: string;
  tokens: Record<'platform_admin' | 'hotel_admin' | 'manager' | 'receptionist' | 'department_staff' | 'other_staff', string>;
  userIds: number[];
  guest: { id: number; number: string; token: string };
  conversationIds: number[];
  /** Every id of this world as text, for path segments. */
  ids: string[];
}

let worlds = 0;
/** A hotel with one member of each role, two checked-in guests and a Reception conversation. */
export async function seedWorld(app: TestApp, sql: Sql): Promise<FuzzWorld> {
  worlds += 1;
  const num = (n: number) => `+1555${1_000_000 + worlds * 10 + n}`;
  const tag = randomBytes(4).toString('hex');
  const h = await seedHotel(sql, {
    staff: [
      { username: `pa_${tag}`, type: 'platform_admin' },
      { username: `ha_${tag}`, type: 'hotel_admin', departments: ['Management'] },
      { username: `mg_${tag}`, type: 'manager', departments: ['Management'] },
      { username: `rc_${tag}`, type: 'receptionist', departments: ['Reception'] },
      { username: `ds_${tag}`, type: 'department_staff', departments: ['Housekeeping'] },
      { username: `os_${tag}`, type: 'other_staff' },
    ],
    guests: [
      { number: num(1), name: 'Fuzz Guest', room: '101' },
      { number: num(2), name: 'Second Guest', room: '102' },
    ],
  });
  const roles = Object.values(h.staff);
  const tokens = Object.fromEntries(['platform_admin', 'hotel_admin', 'manager', 'receptionist', 'department_staff', 'other_staff'].map((r, i) => [r, roles[i]!.token])) as FuzzWorld['tokens'];
  const g = h.guests[num(1)]!;
  const conversationIds: number[] = [];
  for (const department of ['Reception', 'Housekeeping']) {
    const raw = JSON.stringify({ channel: h.channel, whatsapp_number: g.number, message: `hello ${department}`, department });
    const r: HttpResult = await request(app.base, 'POST', '/api/chat/guest-webhook/', { raw, headers: webhookHeaders(raw) });
    if (r.status >= 300) throw new Error(`seed webhook: ${r.status} ${JSON.stringify(r.body)}`);
    conversationIds.push(Number(r.body.conversation_id));
  }
  const rooms = await sql<{ id: number }[]>`select id from rooms where hotel_id = ${h.hotelId}`;
  const stays = await sql<{ id: number }[]>`select id from stays where hotel_id = ${h.hotelId}`;
  const userIds = roles.map((r) => r.id);
  const ids = [h.hotelId, ...userIds, ...Object.values(h.guests).map((x) => x.id), ...conversationIds, ...rooms.map((r) => r.id), ...stays.map((s) => s.id)].map(String);
  return { hotelId: h.hotelId, channel: h.channel, tokens, userIds, guest: { ...g, token: await guestToken(g.id, g.number) }, conversationIds, ids };
}
