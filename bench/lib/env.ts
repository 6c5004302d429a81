// The bench's own world: a fresh database (migrated with the server's migrations, seeded with
// plain SQL), a random NATS prefix whose streams are deleted afterwards, secrets, and access
// tokens signed by the server's own TokenService so the server accepts them.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { TokenService } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config/load.js';
import { migrate } from '../../src/store/migrate.js';
import type { Sql } from '../../src/store/db.js';
import { onCleanup } from './procs.js';

export const DEPARTMENTS = ['Reception', 'Housekeeping', 'Room Service', 'Restaurant', 'Management'] as const;

export interface BenchEnv {
  run: string;
  dbName: string;
  dbUrl: string;
  adminUrl: string;
  natsUrl: string;
  natsPrefix: string;
  jwtSecret: string;
  webhookSecret: string;
  tmpDir: string;
  sql: postgres.Sql;
  tokens: TokenService;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createEnv(opts: { pgUrl: string; natsUrl: string; keep: boolean }): Promise<BenchEnv> {
  const run = randomBytes(3).toString('hex');
  const dbName = `bench_${run}`;
  const admin = postgres(opts.pgUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database "${dbName}"`);
  const dbUrl = withDatabase(opts.pgUrl, dbName);
  onCleanup('drop database', async () => {
    if (opts.keep) {
      process.stderr.write(`bench: kept database ${dbName}\n`);
    } else {
      await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
    }
    await admin.end({ timeout: 2 });
  });
  const sql = postgres(dbUrl, {
    max: 4,
    onnotice: () => undefined,
    types: { int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } } as never,
  });
  onCleanup('close bench db pool', () => sql.end({ timeout: 2 }));
  await migrate(sql as unknown as Sql);

  const natsPrefix = `bench_${run}`;
  if (opts.natsUrl) onCleanup('delete NATS streams', () => deleteStreams(opts.natsUrl, natsPrefix));

  const tmpDir = mkdtempSync(path.join(os.tmpdir(), `bench-${run}-`));
  onCleanup('remove temp folder', () => rmSync(tmpDir, { recursive: true, force: true }));

  const jwtSecret = `bench-jwt-${randomBytes(16).toString('hex')}`;
  const webhookSecret = `bench-webhook-${randomBytes(16).toString('hex')}`;
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: jwtSecret, WEBHOOK_SECRET: webhookSecret, DATABASE_URL: dbUrl });
  return {
    run,
    dbName,
    dbUrl,
    adminUrl: opts.pgUrl,
    natsUrl: opts.natsUrl,
    natsPrefix,
    jwtSecret,
    webhookSecret,
    tmpDir,
    sql,
    tokens: new TokenService(config.auth),
  };
}

async function deleteStreams(natsUrl: string, prefix: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: natsUrl.split(','), timeout: 3000 });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const si of jsm.streams.list()) {
      const subs = si.config.subjects ?? [];
      if (si.config.name.startsWith(prefix) || subs.some((s) => s.startsWith(`${prefix}.`))) names.push(si.config.name);
    }
    for (const n of names) await jsm.streams.delete(n);
    if (names.length) process.stderr.write(`bench: deleted NATS streams ${names.join(', ')}\n`);
  } finally {
    await nc.close();
  }
}

export interface Staff {
  id: number;
  token: string;
  hotel: number;
  dept: number;
  /** department key: hotel * D + dept */
  key: number;
}

export interface Conv {
  number: string;
  /** external_id of the hotel's relay channel: the webhook names it, and it decides the hotel. */
  channel: string;
  department: string;
  hotel: number;
  key: number;
  guestId: number;
}

export interface World {
  hotels: string[];
  departments: string[];
  staff: Staff[];
  convs: Conv[];
  /** whatsapp number → hotel index (the raw uWS server's routing table) */
  guestHotel: Record<string, number>;
}

/**
 * Hotels × departments with staffPerDept staff each (one department per staff member, as in a
 * real hotel), guestsPerHotel checked-in guests per hotel with an active stay; a conversation is
 * (guest, department), so there are hotels × guestsPerHotel × departments of them.
 */
export async function seedWorld(env: BenchEnv, p: { hotels: number; departments: number; staffPerDept: number; guestsPerHotel: number }): Promise<World> {
  const { sql, run } = env;
  const depts = DEPARTMENTS.slice(0, p.departments);
  const idx = Array.from({ length: p.hotels }, (_, i) => i);
  const hotelRows = await sql<{ id: string; name: string }[]>`
    insert into hotels (name, address, city, country, phone, email, status)
    select 'Bench ' || i, '1 Bench St', 'Loopback', 'Benchland', '+15550000000', ${`h-${run}-`} || i || '@bench.example', 'verified'
    from unnest(${idx}::int[]) as t(i)
    returning id, name`;
  const hotels: string[] = new Array(p.hotels);
  for (const r of hotelRows) hotels[Number(r.name.slice(6))] = r.id;
  const channels = idx.map((i) => `bench-${run}-${i}`);
  await sql`
    insert into channels (hotel_id, provider, external_id)
    select h, 'relay', c from unnest(${hotels}::uuid[], ${channels}::text[]) as t(h, c)`;

  const usernames: string[] = [];
  const userHotels: string[] = [];
  const userDepts: string[] = [];
  const meta: Array<{ hotel: number; dept: number }> = [];
  for (let h = 0; h < p.hotels; h++) {
    for (let d = 0; d < depts.length; d++) {
      for (let j = 0; j < p.staffPerDept; j++) {
        usernames.push(`b${run}_${h}_${d}_${j}`);
        userHotels.push(hotels[h]!);
        userDepts.push(depts[d]!);
        meta.push({ hotel: h, dept: d });
      }
    }
  }
  const staff: Staff[] = [];
  const CHUNK = 5000;
  for (let i = 0; i < usernames.length; i += CHUNK) {
    const rows = await sql<{ id: number; username: string }[]>`
      insert into users (username, email, password_hash, first_name, last_name, user_type, hotel_id, departments)
      select u, u || '@bench.example', 'scrypt$unusable', 'Bench', 'Staff', 'department_staff', h, array[d]
      from unnest(${usernames.slice(i, i + CHUNK)}::text[], ${userHotels.slice(i, i + CHUNK)}::uuid[], ${userDepts.slice(i, i + CHUNK)}::text[]) as t(u, h, d)
      returning id, username`;
    const byName = new Map(rows.map((r) => [r.username, r.id]));
    for (let k = i; k < Math.min(i + CHUNK, usernames.length); k++) {
      const m = meta[k]!;
      staff.push({ id: byName.get(usernames[k]!)!, token: '', hotel: m.hotel, dept: m.dept, key: m.hotel * depts.length + m.dept });
    }
  }
  await Promise.all(staff.map(async (s) => (s.token = await env.tokens.signAccess(s.id))));

  const numbers: string[] = [];
  const guestHotels: string[] = [];
  const guestHotelIdx: number[] = [];
  for (let h = 0; h < p.hotels; h++) {
    for (let g = 0; g < p.guestsPerHotel; g++) {
      numbers.push(`+1555${String(numbers.length).padStart(7, '0')}`);
      guestHotels.push(hotels[h]!);
      guestHotelIdx.push(h);
    }
  }
  const guestRows = await sql<{ id: number; whatsapp_number: string }[]>`
    insert into guests (whatsapp_number, full_name, status, hotel_id)
    select n, 'Guest ' || right(n, 4), 'checked_in', h from unnest(${numbers}::text[], ${guestHotels}::uuid[]) as t(n, h)
    returning id, whatsapp_number`;
  const guestId = new Map(guestRows.map((r) => [r.whatsapp_number, r.id]));
  await sql`
    insert into stays (hotel_id, guest_id, status, actual_check_in)
    select h, g, 'active', now() from unnest(${guestHotels}::uuid[], ${numbers.map((n) => guestId.get(n)!)}::bigint[]) as t(h, g)`;

  const convs: Conv[] = [];
  numbers.forEach((n, i) => {
    for (let d = 0; d < depts.length; d++) {
      const h = guestHotelIdx[i]!;
      convs.push({ number: n, channel: channels[h]!, department: depts[d]!, hotel: h, key: h * depts.length + d, guestId: guestId.get(n)! });
    }
  });
  const guestHotel: Record<string, number> = {};
  numbers.forEach((n, i) => (guestHotel[n] = guestHotelIdx[i]!));
  return { hotels, departments: [...depts], staff, convs, guestHotel };
}

/**
 * Interleaves conversations so that consecutive message numbers hit different hotels and
 * departments (n % convs.length walks the list).
 */
export function spreadConvs(convs: Conv[]): Conv[] {
  const byDept = new Map<number, Conv[]>();
  for (const c of convs) {
    let l = byDept.get(c.key);
    if (!l) byDept.set(c.key, (l = []));
    l.push(c);
  }
  const lists = [...byDept.values()];
  const out: Conv[] = [];
  for (let round = 0; out.length < convs.length; round++) for (const l of lists) if (l[round]) out.push(l[round]!);
  return out;
}
