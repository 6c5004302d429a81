// Staff accounts.
import type { Department } from '../core/departments.js';
import type { User, UserType } from '../core/directory.js';
import { assignments, type Db } from './db.js';
import type { Page, Paged } from '../core/paging.js';

export interface UserWithHash extends User {
  password_hash: string;
  /** Copied into access tokens; moves on when all of the user's sessions end. */
  token_version: number;
}

const COLUMNS = (db: Db) => db`
  u.id, u.username, u.email, u.first_name, u.last_name, u.phone_number, u.user_type, u.hotel_id,
  h.name as hotel_name, h.is_active as hotel_is_active, u.departments, u.is_active, u.created_at,
  u.updated_at, u.last_login_at`;

export async function findUserById(db: Db, id: number): Promise<User | undefined> {
  const [u] = await db<User[]>`select ${COLUMNS(db)} from users u left join hotels h on h.id = u.hotel_id where u.id = ${id}`;
  return u;
}

/** A user with what decides whether their access tokens still hold (see src/auth/service.ts). */
export async function findUserWithSessions(db: Db, id: number): Promise<(User & { token_version: number; ended_sessions: string[] }) | undefined> {
  const [u] = await db<(User & { token_version: number; ended_sessions: string[] })[]>`
    select ${COLUMNS(db)}, u.token_version,
           array(select e.family::text from ended_sessions e where e.user_id = u.id and e.expires_at > now()) as ended_sessions
    from users u left join hotels h on h.id = u.hotel_id where u.id = ${id}`;
  return u;
}

/** findUserWithSessions for many users in one statement (a reconnect storm's upgrades). */
export async function findUsersWithSessions(db: Db, ids: number[]): Promise<Array<User & { token_version: number; ended_sessions: string[] }>> {
  return db<(User & { token_version: number; ended_sessions: string[] })[]>`
    select ${COLUMNS(db)}, u.token_version,
           array(select e.family::text from ended_sessions e where e.user_id = u.id and e.expires_at > now()) as ended_sessions
    from users u left join hotels h on h.id = u.hotel_id where u.id = any(${ids}::bigint[])`;
}

/**
 * By username or email, case-insensitively (the dashboard's login field accepts both). A login
 * with an @ is matched as an email first, so a username that looks like someone's email can
 * never take over their login.
 */
export async function findUserByLogin(db: Db, login: string): Promise<UserWithHash | undefined> {
  const l = login.toLowerCase();
  const [u] = await db<UserWithHash[]>`
    select ${COLUMNS(db)}, u.password_hash, u.token_version from users u left join hotels h on h.id = u.hotel_id
    where lower(u.username) = ${l} or lower(u.email) = ${l}
    order by (case when ${l} like '%@%' then lower(u.email) = ${l} else lower(u.username) = ${l} end) desc
    limit 1`;
  return u;
}

/** Single sign-on: exactly one field decides (the email, or the username for other claims). */
export async function findUserBy(db: Db, field: 'email' | 'username', value: string): Promise<User | undefined> {
  const v = value.toLowerCase();
  const [u] = await db<User[]>`
    select ${COLUMNS(db)} from users u left join hotels h on h.id = u.hotel_id
    where ${field === 'email' ? db`lower(u.email) = ${v}` : db`lower(u.username) = ${v}`}`;
  return u;
}

/** True when `value` is already someone else's username or email (logins must stay unambiguous). */
export async function loginTaken(db: Db, value: string, exceptId: number | null): Promise<boolean> {
  const v = value.toLowerCase();
  const rows = await db`
    select 1 from users where (lower(username) = ${v} or lower(email) = ${v}) ${exceptId ? db`and id <> ${exceptId}` : db``} limit 1`;
  return rows.length > 0;
}

export async function findPasswordHash(db: Db, id: number): Promise<string | undefined> {
  const [r] = await db<{ password_hash: string }[]>`select password_hash from users where id = ${id}`;
  return r?.password_hash;
}

export interface NewUser {
  username: string;
  email: string;
  password_hash: string;
  first_name: string;
  last_name: string;
  phone_number: string;
  user_type: UserType;
  hotel_id: string | null;
  departments: Department[];
  created_by: number | null;
}

export async function insertUser(db: Db, u: NewUser): Promise<number> {
  const [row] = await db<{ id: number }[]>`
    insert into users (username, email, password_hash, first_name, last_name, phone_number, user_type, hotel_id, departments, created_by)
    values (${u.username}, ${u.email}, ${u.password_hash}, ${u.first_name}, ${u.last_name}, ${u.phone_number},
            ${u.user_type}, ${u.hotel_id}, ${u.departments}::text[], ${u.created_by})
    returning id`;
  return row!.id;
}

export type UserPatch = Partial<Pick<NewUser, 'username' | 'email' | 'first_name' | 'last_name' | 'phone_number' | 'user_type' | 'departments' | 'password_hash'>> & {
  is_active?: boolean;
};

export async function updateUser(db: Db, id: number, patch: UserPatch): Promise<void> {
  if (Object.keys(patch).length === 0) return;
  await db`update users set ${assignments(db, patch)} where id = ${id}`;
}

export async function touchLogin(db: Db, id: number): Promise<void> {
  await db`update users set last_login_at = now() where id = ${id}`;
}

export async function listUsers(db: Db, f: { hotelId: string | null; userType?: string; search?: string }, page: Page): Promise<Paged<User>> {
  const where = db`
    where true
    ${f.hotelId ? db`and u.hotel_id = ${f.hotelId}` : db``}
    ${f.userType ? db`and u.user_type = ${f.userType}` : db``}
    ${f.search ? db`and (u.username ilike ${'%' + f.search + '%'} or u.email ilike ${'%' + f.search + '%'}
                     or (u.first_name || ' ' || u.last_name) ilike ${'%' + f.search + '%'})` : db``}`;
  const [rows, [c]] = await Promise.all([
    db<User[]>`select ${COLUMNS(db)} from users u left join hotels h on h.id = u.hotel_id ${where}
               order by u.id limit ${page.limit} offset ${page.offset}`,
    db<{ n: number }[]>`select count(*)::int as n from users u ${where}`,
  ]);
  return { count: c!.n, rows };
}
