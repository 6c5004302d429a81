// Fixtures for the identity and directory tests (issue 3). A real node on a fresh database, one
// platform administrator made with the createsuperuser CLI function, and everything else created
// through the REST API as the dashboard would: hotels, staff of every role (logged in for real),
// rooms, guests and stays.
import type { Test } from 'tap';
import { createSuperuser } from '../../src/cli/createsuperuser.js';
import type { UserType } from '../../src/core/directory.js';
import { createLogger } from '../../src/obs/log.js';
import { createDb, type Sql } from '../../src/store/db.js';
import { createCpuPool } from '../../src/workers/pool.js';
import { startApp, type TestApp } from './app.js';
import { client, request, type HttpResult } from './http.js';

export const PASSWORD = 'correct-horse-battery';
export const ADMIN = { username: 'root', email: 'root@platform.example', password: PASSWORD };

/** Hotel roles in rank order (platform_admin is not a hotel role). */
export const HOTEL_ROLES = ['hotel_admin', 'manager', 'receptionist', 'department_staff', 'other_staff'] as const;
export type HotelRole = (typeof HOTEL_ROLES)[number];
export const ALL_ROLES = ['platform_admin', ...HOTEL_ROLES] as const;
export type Role = (typeof ALL_ROLES)[number];

export type Api = ReturnType<typeof client>;

export interface Session {
  id: number;
  username: string;
  email: string;
  password: string;
  access: string;
  refresh: string;
  /** The `user` object of the login reply. */
  user: Record<string, any>;
}

export interface World {
  app: TestApp;
  /** A pool on the node's database (for setup and for checking what was stored). */
  sql: Sql;
  /** Unauthenticated client; pass {token} per call. */
  anon: Api;
  admin: Session;
  /** A client acting as the platform administrator. */
  adminApi: Api;
  /** A client acting as `s`. */
  as(s: Session | string): Api;
}

export interface StaffedHotel {
  hotel: Record<string, any>;
  id: string;
  staff: Record<HotelRole, Session>;
}

let seq = 0;
/** A short unique suffix for names inside one test process. */
export function uniq(prefix = 'x'): string {
  seq += 1;
  return `${prefix}${process.pid.toString(36)}${seq.toString(36)}`;
}

/** The `details.fields` of a 400 (every bad field named), or {}. */
export function fields(r: HttpResult): Record<string, string> {
  return (r.body && typeof r.body === 'object' && r.body.details?.fields) || {};
}

/** Throws with the reply body when a setup call did not answer what it should. */
export function expectStatus<T extends HttpResult>(r: T, status: number, what: string): T {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/**
 * Starts a node (env overrides on top of the test defaults; WORKER_THREADS 2 so logins hash in
 * parallel) and creates the platform administrator with the createsuperuser CLI function.
 */
export async function startDirectory(t: Test, env: Record<string, string> = {}): Promise<World> {
  const app = await startApp(t, { env: { WORKER_THREADS: '2', ...env } });
  const sql = createDb({
    url: app.databaseUrl,
    poolMax: 2,
    statementTimeoutMs: 15000,
    applicationName: 'directory-test',
    log: createLogger({ level: 'silent', nodeId: 'test' }),
  });
  t.teardown(() => sql.end({ timeout: 2 }));
  const cpu = createCpuPool({ threads: 1 });
  try {
    await createSuperuser(sql, cpu, ADMIN);
  } finally {
    await cpu.stop();
  }
  const anon = client(app.base);
  const admin = await login(app.base, ADMIN.username, ADMIN.password);
  const as = (s: Session | string) => client(app.base, typeof s === 'string' ? s : s.access);
  return { app, sql, anon, admin, adminApi: as(admin), as };
}

export async function login(base: string, username: string, password: string, headers: Record<string, string> = {}): Promise<Session> {
  const r = expectStatus(await request(base, 'POST', '/api/login/', { body: { username, password }, headers }), 200, `login ${username}`);
  return { id: r.body.user.id, username: r.body.user.username, email: r.body.user.email, password, access: r.body.access, refresh: r.body.refresh, user: r.body.user };
}

export async function createHotel(w: World, body: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const r = await w.adminApi.post('/api/hotels/', { name: uniq('Hotel '), city: 'Testville', country: 'Testland', status: 'verified', ...body });
  return expectStatus(r, 201, 'create hotel').body;
}

export interface StaffSpec {
  username?: string;
  user_type: UserType;
  hotel_id?: string;
  department?: string | string[];
  password?: string;
  first_name?: string;
  last_name?: string;
}

/** POST /api/users/ as `by` (a token); returns the created user. */
export async function createUser(w: World, by: string, spec: StaffSpec): Promise<Record<string, any>> {
  const username = spec.username ?? uniq(spec.user_type.slice(0, 4));
  const body: Record<string, unknown> = {
    username,
    email: `${username.toLowerCase()}@staff.example`,
    password: spec.password ?? PASSWORD,
    user_type: spec.user_type,
    first_name: spec.first_name ?? username,
    last_name: spec.last_name ?? 'Tester',
  };
  if (spec.hotel_id !== undefined) body['hotel_id'] = spec.hotel_id;
  if (spec.department !== undefined) body['department'] = spec.department;
  return expectStatus(await w.as(by).post('/api/users/', body), 201, `create ${spec.user_type} ${username}`).body;
}

/** Creates a user and logs them in. */
export async function createStaff(w: World, by: string, spec: StaffSpec): Promise<Session> {
  const u = await createUser(w, by, spec);
  return login(w.app.base, u.username, spec.password ?? PASSWORD);
}

/** A hotel (made by the platform admin) with one logged-in member of each hotel role. */
export async function staffedHotel(w: World, label: string, body: Record<string, unknown> = {}): Promise<StaffedHotel> {
  const hotel = await createHotel(w, { name: `${label} ${uniq()}`, ...body });
  const departments: Partial<Record<HotelRole, string[]>> = { department_staff: ['Housekeeping'] };
  const sessions = await Promise.all(
    HOTEL_ROLES.map((role) =>
      createStaff(w, w.admin.access, {
        username: uniq(`${label}_${role}_`),
        user_type: role,
        hotel_id: hotel.id,
        ...(departments[role] ? { department: departments[role] } : {}),
      }),
    ),
  );
  const staff = Object.fromEntries(HOTEL_ROLES.map((r, i) => [r, sessions[i]!])) as Record<HotelRole, Session>;
  return { hotel, id: hotel.id, staff };
}

export async function createRoom(api: Api, body: Record<string, unknown>): Promise<Record<string, any>> {
  return expectStatus(await api.post('/api/rooms/', { floor: 1, ...body, room_number: body['room_number'] ?? uniq('R') }), 201, 'create room').body;
}

let phoneSeq = 0;
/** A fresh valid E.164 number (+1 555 xxx xxxx), unique within one test file (one database). */
export function phone(): string {
  phoneSeq += 1;
  return `+1555${String(2000000 + phoneSeq)}`;
}

export async function createGuest(api: Api, body: Record<string, unknown> = {}): Promise<Record<string, any>> {
  return expectStatus(await api.post('/api/guests/', { whatsapp_number: phone(), full_name: uniq('Guest '), ...body }), 201, 'create guest').body;
}

export async function createStay(api: Api, body: Record<string, unknown>): Promise<Record<string, any>> {
  return expectStatus(await api.post('/api/stays/', body), 201, 'create stay').body;
}
