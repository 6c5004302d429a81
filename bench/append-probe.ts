// What one guest message costs Postgres: this server's append (store/messages.ts, the single-row
// statement every message takes at light load) beside the Socket.IO baseline's statement
// (bench/lib/baseline-store.ts), with no server, sockets or load generator around them.
//
//   npx tsx bench/append-probe.ts [--count 3000] [--rate 500] [--pool 4] [--repeat 3]
//                                 [--conversations 100] [--async-commit] [--pg URL]
//
// For each statement, interleaved, --repeat times:
// - sequential: --count statements one after the other on one connection; the backend's CPU time
//   per statement (from /proc, so only when Postgres runs on this machine) and the WAL bytes it
//   writes per statement;
// - paced: --count statements at --rate per second (open loop) over --pool connections; latency
//   percentiles. This is the floor under the `latency` scenario's figures at that rate.
// --async-commit runs both with synchronous_commit off, to show how much of the tail is the WAL
// flush; it is a measurement only (the server never commits that way).
// Creates its own database and drops it at the end, on errors and on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { appendMessages, type NewMessage } from '../src/store/messages.js';
import { migrate } from '../src/store/migrate.js';
import type { Sql } from '../src/store/db.js';
import { baselineAppend, createBaselineTables } from './lib/baseline-store.js';

const { values: o } = parseArgs({
  options: {
    count: { type: 'string', default: '3000' },
    rate: { type: 'string', default: '500' },
    pool: { type: 'string', default: '4' },
    repeat: { type: 'string', default: '3' },
    conversations: { type: 'string', default: '100' },
    'async-commit': { type: 'boolean', default: false },
    pg: { type: 'string', default: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});

function whole(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`append-probe: --${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}
const count = whole('count', o.count, 100, 1_000_000);
const rate = whole('rate', o.rate, 0, 50_000);
const pool = whole('pool', o.pool, 1, 64);
const repeat = whole('repeat', o.repeat, 1, 20);
const conversations = whole('conversations', o.conversations, 1, 10_000);
const WARMUP = 300;

type Target = 'server' | 'baseline';
const dbName = `probe_${randomBytes(3).toString('hex')}`;
const admin = postgres(o.pg, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
let created = false;
let dropped = false;
async function cleanup(): Promise<void> {
  if (dropped) return;
  dropped = true;
  if (created) await admin.unsafe(`drop database if exists "${dbName}" with (force)`).catch((e: Error) => console.error(`append-probe: could not drop ${dbName}: ${e.message}`));
  await admin.end({ timeout: 2 });
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

function connect(max: number): Sql {
  const url = new URL(o.pg);
  url.pathname = `/${dbName}`;
  return postgres(url.toString(), {
    max,
    onnotice: () => undefined,
    connect_timeout: 5,
    connection: o['async-commit'] ? { synchronous_commit: 'off' } : {},
  }) as unknown as Sql;
}

interface World {
  hotelId: string;
  guests: number[];
  convs: number[];
}

async function seed(sql: Sql): Promise<World> {
  await migrate(sql);
  await createBaselineTables(sql as never);
  const [h] = await sql<{ id: string }[]>`insert into hotels (name) values ('Append probe') returning id`;
  const guests: number[] = [];
  const convs: number[] = [];
  for (let i = 0; i < conversations; i++) {
    const [g] = await sql<{ id: number }[]>`
      insert into guests (hotel_id, whatsapp_number) values (${h!.id}, ${`+1555${String(1_000_000 + i)}`}) returning id::int as id`;
    const [c] = await sql<{ id: number }[]>`
      insert into conversations (hotel_id, guest_id, department, conversation_type) values (${h!.id}, ${g!.id}, 'Reception', 'service')
      returning id::int as id`;
    guests.push(g!.id);
    convs.push(c!.id);
  }
  await sql`vacuum analyze`;
  return { hotelId: h!.id, guests, convs };
}

/** One statement of `target` for message `n`; throws unless it stored exactly one row. */
function appender(world: World, target: Target, tag: string): (sql: Sql, n: number) => Promise<void> {
  return async (sql, n) => {
    const i = n % world.convs.length;
    const content = `probe|${tag}|${n}|${Date.now()}`;
    const providerMessageId = `wamid.${tag}.${n}`;
    if (target === 'baseline') {
      const row = await baselineAppend(sql as never, { guestId: world.guests[i]!, hotelId: world.hotelId, department: 'Reception', content, providerMessageId });
      if (!row) throw new Error('baseline statement stored nothing');
      return;
    }
    const row: NewMessage = {
      conversation_id: world.convs[i]!, sender_type: 'guest', sender_id: null, message_type: 'text', content, preview: content,
      media_key: null, media_url: null, media_filename: null, media_content_type: null, provider_message_id: providerMessageId,
      delivery_status: null, media_source: null, outbox_kinds: [],
    };
    const stored = await appendMessages(sql, [row]);
    if (stored.length !== 1) throw new Error('server statement stored nothing');
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/**
 * CPU time (ms) the backend process has used; null when it is not on this machine. With a remote
 * --pg the same pid can be some local process: only a process that says it is postgres counts.
 */
function backendCpuMs(pid: number): number | null {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return null;
  const stat = readFileSync(file, 'utf8');
  if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('postgres')) return null;
  const f = stat.split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

const walLsn = async (sql: Sql): Promise<bigint> => {
  const [r] = await sql<{ b: string }[]>`select (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::text as b`;
  return BigInt(r!.b.split('.')[0]!);
};

interface Sequential {
  cpuMsPerStatement: number | null;
  walBytesPerStatement: number;
  p50: number;
  p99: number;
}

async function sequential(world: World, target: Target, tag: string): Promise<Sequential> {
  const sql = connect(1);
  try {
    const one = appender(world, target, tag);
    for (let n = 0; n < WARMUP; n++) await one(sql, n);
    const [backend] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const pid = backend!.pid;
    const cpu0 = backendCpuMs(pid);
    const wal0 = await walLsn(sql);
    const lat: number[] = [];
    for (let n = WARMUP; n < WARMUP + count; n++) {
      const t = performance.now();
      await one(sql, n);
      lat.push(performance.now() - t);
    }
    const wal1 = await walLsn(sql);
    const cpu1 = backendCpuMs(pid);
    lat.sort((a, b) => a - b);
    return {
      cpuMsPerStatement: cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / count,
      walBytesPerStatement: Number(wal1 - wal0) / count,
      p50: pct(lat, 0.5),
      p99: pct(lat, 0.99),
    };
  } finally {
    await sql.end({ timeout: 2 });
  }
}

interface Paced {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

async function paced(world: World, target: Target, tag: string): Promise<Paced> {
  const sql = connect(pool);
  try {
    const one = appender(world, target, tag);
    await Promise.all(Array.from({ length: WARMUP }, (_, n) => one(sql, n)));
    const lat: number[] = [];
    const pending: Promise<void>[] = [];
    const start = performance.now();
    for (let k = 0; k < count; k++) {
      const wait = start + (k * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t = performance.now();
      pending.push(one(sql, WARMUP + k).then(() => void lat.push(performance.now() - t)));
    }
    await Promise.all(pending);
    lat.sort((a, b) => a - b);
    return { p50: pct(lat, 0.5), p99: pct(lat, 0.99), p999: pct(lat, 0.999), max: lat[lat.length - 1]! };
  } finally {
    await sql.end({ timeout: 2 });
  }
}

const ms = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));

try {
  await admin.unsafe(`create database "${dbName}"`);
  created = true;
  const setup = connect(1);
  const world = await seed(setup);
  await setup.end({ timeout: 2 });
  console.log(`append-probe: ${count} statements per measurement, ${conversations} conversations, paced at ${rate}/s over ${pool} connections${o['async-commit'] ? ', synchronous_commit off' : ''}`);
  console.log('run  statement  cpu/stmt ms  WAL B/stmt  seq p50 ms  seq p99 ms  paced p50  paced p99  paced p99.9  paced max');
  const results: Array<{ run: number; target: Target; sequential: Sequential; paced: Paced | null }> = [];
  for (let run = 1; run <= repeat; run++) {
    for (const target of ['server', 'baseline'] as const) {
      const s = await sequential(world, target, `${target}-s${run}`);
      const p = rate > 0 ? await paced(world, target, `${target}-p${run}`) : null;
      results.push({ run, target, sequential: s, paced: p });
      console.log(
        [String(run).padEnd(4), target.padEnd(9), ms(s.cpuMsPerStatement).padStart(11), s.walBytesPerStatement.toFixed(0).padStart(10),
          ms(s.p50).padStart(10), ms(s.p99).padStart(10), ms(p?.p50 ?? null).padStart(9), ms(p?.p99 ?? null).padStart(9),
          ms(p?.p999 ?? null).padStart(11), ms(p?.max ?? null).padStart(9)].join('  '),
      );
    }
  }
  console.log(JSON.stringify({ count, rate, pool, conversations, asyncCommit: o['async-commit'], results }));
} catch (err) {
  console.error(`append-probe: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
