// Hotels, staff and checked-in guests written straight to the database (fast: no password
// hashing), with access tokens signed by the same TokenService the server uses.
import { createHmac, randomBytes } from 'node:crypto';
import { TokenService } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config/load.js';
import type { Department } from '../../src/core/departments.js';
import type { UserType } from '../../src/core/directory.js';
import type { Sql } from '../../src/store/db.js';
import { request } from './http.js';
import { testEnv, TEST_WEBHOOK_SECRET } from './app.js';

export interface StaffSpec {
  username: string;
  type: UserType;
  departments?: Department[];
  first?: string;
  last?: string;
}

export interface GuestSpec {
  number: string;
  name: string;
  room?: string;
  status?: 'checked_in' | 'pending_checkin' | 'checked_out';
}

export interface SeededHotel {
  hotelId: string;
  /** external_id of the hotel's relay channel: webhooks naming it belong to this hotel. */
  channel: string;
  staff: Record<string, { id: number; token: string }>;
  guests: Record<string, { id: number; number: string }>;
}

const tokens = new TokenService(loadConfig(testEnv()).auth);

export function accessToken(userId: number): Promise<string> {
  return tokens.signAccess(userId);
}

export function guestToken(guestId: number, number: string): Promise<string> {
  return tokens.signGuest(guestId, number);
}

/** Unique-looking E.164 numbers for a test file: +1 555 <random 3> <n>. */
export function numberFactory(): (n: number) => string {
  const block = String(100 + Math.floor(Math.random() * 899));
  return (n) => `+1555${block}${String(n).padStart(4, '0')}`;
}

export async function seedHotel(sql: Sql, spec: { name?: string; staff: StaffSpec[]; guests: GuestSpec[] }): Promise<SeededHotel> {
  const suffix = randomBytes(3).toString('hex');
  const [hotel] = await sql<{ id: string }[]>`
    insert into hotels (name, address, city, country, phone, email, status)
    values (${spec.name ?? `Hotel ${suffix}`}, '1 Test St', 'Testville', 'Testland', '+15550000000', ${`desk-${suffix}@test.example`}, 'verified')
    returning id`;
  const hotelId = hotel!.id;
  const channel = `relay-${suffix}`;
  await sql`insert into channels (hotel_id, provider, external_id, display_phone_number) values (${hotelId}, 'relay', ${channel}, '')`;
  lastChannel = channel;
  const staff: SeededHotel['staff'] = {};
  for (const s of spec.staff) {
    const [u] = await sql<{ id: number }[]>`
      insert into users (username, email, password_hash, first_name, last_name, user_type, hotel_id, departments)
      values (${s.username}, ${`${s.username}@test.example`}, 'scrypt$unusable', ${s.first ?? s.username}, ${s.last ?? 'Staff'},
              ${s.type}, ${s.type === 'platform_admin' ? null : hotelId}, ${s.departments ?? []}::text[])
      returning id`;
    staff[s.username] = { id: u!.id, token: await accessToken(u!.id) };
  }
  const guests: SeededHotel['guests'] = {};
  for (const g of spec.guests) {
    const status = g.status ?? 'checked_in';
    const [row] = await sql<{ id: number }[]>`
      insert into guests (whatsapp_number, full_name, status, hotel_id) values (${g.number}, ${g.name}, ${status}, ${hotelId}) returning id`;
    let roomId: number | null = null;
    if (g.room) {
      const [r] = await sql<{ id: number }[]>`
        insert into rooms (hotel_id, room_number, floor, status) values (${hotelId}, ${g.room}, ${Number(g.room[0]) || 1}, 'occupied')
        on conflict (hotel_id, room_number) do update set status = 'occupied' returning id`;
      roomId = r!.id;
    }
    const stayStatus = status === 'checked_in' ? 'active' : status === 'pending_checkin' ? 'pending' : 'completed';
    await sql`
      insert into stays (hotel_id, guest_id, room_id, status, actual_check_in, actual_check_out)
      values (${hotelId}, ${row!.id}, ${roomId}, ${stayStatus},
              ${stayStatus === 'pending' ? null : new Date()}, ${stayStatus === 'completed' ? new Date() : null})`;
    guests[g.number] = { id: row!.id, number: g.number };
    if (!channelOfNumber.has(digits(g.number))) channelOfNumber.set(digits(g.number), channel);
  }
  return { hotelId, channel, staff, guests };
}

// The channel a webhook of this file is sent on when the test names none: the one of the hotel
// that seeded the number (the first such hotel), else the last seeded hotel's.
const channelOfNumber = new Map<string, string>();
let lastChannel: string | undefined;
const digits = (n: unknown) => String(n ?? '').replace(/\D/g, '');

/** X-Lobbybee-Signature in its current form: t=<unix seconds>,v1=<hex HMAC of "<t>.<body>">. */
export function sign(body: string, secret = TEST_WEBHOOK_SECRET, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** The old form without a timestamp (accepted only with WEBHOOK_LEGACY_SIGNATURE=true). */
export function signLegacy(body: string, secret = TEST_WEBHOOK_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * POSTs a signed guest webhook (the provider side). Without a `channel` in the payload it is sent
 * on the channel of the hotel that seeded the guest's number.
 */
export function webhook(base: string, payload: Record<string, unknown>, opts: { secret?: string; signature?: string | null } = {}) {
  if (!('channel' in payload)) {
    const channel = channelOfNumber.get(digits(payload['whatsapp_number'])) ?? lastChannel;
    if (channel) payload = { channel, ...payload };
  }
  const raw = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const sig = opts.signature === undefined ? sign(raw, opts.secret) : opts.signature;
  if (sig !== null) headers['x-lobbybee-signature'] = sig;
  return request(base, 'POST', '/api/chat/guest-webhook/', { raw, headers });
}
