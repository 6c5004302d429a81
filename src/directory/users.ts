// Staff accounts: hotel admins and managers manage their hotel's staff (never above their own
// rank); platform admins manage everyone. Passwords are hashed in the worker pool.
import { ConflictError, ValidationError } from '../core/errors.js';
import type { Sql } from '../store/db.js';
import { isUniqueViolation } from '../store/errors.js';
import { findHotel } from '../store/hotels.js';
import type { Page, Paged } from '../core/paging.js';
import * as store from '../store/users.js';
import { endAllSessions } from '../store/auth.js';
import type { CpuPool } from '../workers/pool.js';
import { canonicalDepartments, type Department } from '../core/departments.js';
import type { User, UserInput, UserPatchInput, UserType } from '../core/directory.js';
import { canAssignUserType, canManageHotel, defaultDepartments, effectiveDepartments, isPlatformAdmin } from './roles.js';
import { listScope, notFound, requireRole } from './scope.js';

/**
 * What a change to a user means for their open sockets (every node forgets its cached copy in
 * any case): `ended` closes them for good (SESSION_REVOKED: deactivated, new password);
 * `reconnect` closes them with RIGHTS_CHANGED so the client reconnects and gets the current
 * rights, or is refused (role, departments, a session ended by logout); `none` leaves them.
 */
export type UserChange = 'ended' | 'reconnect' | 'none';

export interface UserServiceDeps {
  sql: Sql;
  cpu: Pick<CpuPool, 'hashPassword'>;
  /** Called after a user changed, so caches and live sockets on every node can follow. */
  onChanged: (userId: number, change: UserChange) => void;
}

/** Whether a patch changes what the user may see or do (what a socket captured at upgrade). */
function rightsChanged(before: User, after: User): boolean {
  return (
    before.user_type !== after.user_type ||
    before.hotel_id !== after.hotel_id ||
    before.is_active !== after.is_active ||
    departmentKey(before) !== departmentKey(after)
  );
}

const departmentKey = (u: User) => [...effectiveDepartments(u)].sort().join('|');

function departmentsOf(input: string | string[] | undefined, type: UserType): Department[] {
  if (input === undefined) return defaultDepartments(type);
  const list = Array.isArray(input) ? input : [input];
  const { departments, unknown } = canonicalDepartments(list);
  if (unknown.length) {
    throw ValidationError.of({ department: `unknown department ${unknown.map((u) => `"${u}"`).join(', ')}; use Reception, Housekeeping, Room Service, Restaurant or Management` });
  }
  return departments;
}

function conflict(err: unknown): never {
  if (isUniqueViolation(err, 'users_username_key')) throw new ConflictError('A user with that username already exists.', { details: { field: 'username' } });
  if (isUniqueViolation(err, 'users_email_key')) throw new ConflictError('A user with that email already exists.', { details: { field: 'email' } });
  throw err;
}

export class UserService {
  constructor(private readonly deps: UserServiceDeps) {}

  /** Another hotel's user is a 404, never a 403. */
  async get(actor: User, id: number): Promise<User> {
    const u = await store.findUserById(this.deps.sql, id);
    if (!u || (!isPlatformAdmin(actor) && u.hotel_id !== actor.hotel_id)) throw notFound('User');
    return u;
  }

  list(actor: User, q: { user_type?: string; search?: string; hotel?: string }, page: Page): Promise<Paged<User>> {
    return store.listUsers(this.deps.sql, { hotelId: listScope(actor, q.hotel), userType: q.user_type, search: q.search }, page);
  }

  async create(actor: User, body: UserInput): Promise<User> {
    requireRole(canManageHotel(actor), 'create users');
    requireRole(canAssignUserType(actor, body.user_type), `create ${body.user_type} users`);
    let hotelId: string | null;
    if (body.user_type === 'platform_admin') {
      if (body.hotel_id) throw ValidationError.of({ hotel_id: 'platform administrators belong to no hotel' });
      hotelId = null;
    } else if (isPlatformAdmin(actor)) {
      if (!body.hotel_id) throw ValidationError.of({ hotel_id: 'is required for hotel staff' });
      if (!(await findHotel(this.deps.sql, body.hotel_id))) throw ValidationError.of({ hotel_id: 'no such hotel' });
      hotelId = body.hotel_id;
    } else {
      if (body.hotel_id && body.hotel_id !== actor.hotel_id) throw ValidationError.of({ hotel_id: 'must be your own hotel' });
      hotelId = actor.hotel_id;
    }
    const departments = departmentsOf(body.department, body.user_type);
    await this.checkLogins(body.username, body.email, null);
    const password_hash = await this.deps.cpu.hashPassword(body.password);
    let id: number;
    try {
      id = await store.insertUser(this.deps.sql, {
        username: body.username,
        email: body.email,
        password_hash,
        first_name: body.first_name ?? '',
        last_name: body.last_name ?? '',
        phone_number: body.phone_number ?? '',
        user_type: body.user_type,
        hotel_id: hotelId,
        departments,
        created_by: actor.id,
      });
    } catch (err) {
      conflict(err);
    }
    return (await store.findUserById(this.deps.sql, id))!;
  }

  async update(actor: User, id: number, input: UserPatchInput): Promise<User> {
    const body = activeFlag(input);
    const target = await this.get(actor, id);
    const self = target.id === actor.id;
    const admin = canManageHotel(actor) && (isPlatformAdmin(actor) || canAssignUserType(actor, target.user_type));
    // Anyone may edit their own name and contact details; the rest needs rights over the target.
    const selfEditable = ['first_name', 'last_name', 'phone_number', 'email'];
    const touched = Object.keys(body);
    if (!admin) requireRole(self && touched.every((k) => selfEditable.includes(k)), 'change this user');
    if (body.user_type !== undefined) {
      requireRole(canAssignUserType(actor, body.user_type) && !self, `make users ${body.user_type}`);
      if ((body.user_type === 'platform_admin') !== (target.user_type === 'platform_admin')) {
        throw ValidationError.of({ user_type: 'cannot move a user between platform and hotel roles' });
      }
    }
    if (body.is_active === false && self) throw ValidationError.of({ is_active: 'you cannot deactivate yourself' });
    const patch: store.UserPatch = {};
    for (const k of ['username', 'email', 'first_name', 'last_name', 'phone_number', 'user_type', 'is_active'] as const) {
      if (body[k] !== undefined) (patch as Record<string, unknown>)[k] = body[k];
    }
    if (body.department !== undefined) patch.departments = departmentsOf(body.department, body.user_type ?? target.user_type);
    await this.checkLogins(body.username, body.email, id);
    if (body.password !== undefined) patch.password_hash = await this.deps.cpu.hashPassword(body.password);
    // A new password or a deactivation ends every session: refresh tokens and the token version
    // go in the same transaction, sockets and caches on every node follow through onChanged.
    const endSessions = body.is_active === false || body.password !== undefined;
    let after: User;
    try {
      after = await this.deps.sql.begin(async (tx) => {
        await store.updateUser(tx, id, patch);
        if (endSessions) await endAllSessions(tx, id);
        return (await store.findUserById(tx, id))!;
      });
    } catch (err) {
      conflict(err);
    }
    this.deps.onChanged(id, endSessions ? 'ended' : rightsChanged(target, after) ? 'reconnect' : 'none');
    return after;
  }

  /** A username may not be someone's email nor the reverse: a login must name one account. */
  private async checkLogins(username: string | undefined, email: string | undefined, self: number | null): Promise<void> {
    if (username !== undefined && (await store.loginTaken(this.deps.sql, username, self))) {
      throw new ConflictError('A user with that username (or an email equal to it) already exists.', { details: { field: 'username' } });
    }
    if (email !== undefined && (await store.loginTaken(this.deps.sql, email, self))) {
      throw new ConflictError('A user with that email (or a username equal to it) already exists.', { details: { field: 'email' } });
    }
  }

  /** DELETE deactivates: messages keep their author and history stays intact. */
  async deactivate(actor: User, id: number): Promise<void> {
    await this.update(actor, id, { is_active: false });
  }
}

/** The dashboard's staff page sends is_active_hotel_user: the same flag as is_active. */
function activeFlag(input: UserPatchInput): Omit<UserPatchInput, 'is_active_hotel_user'> {
  const { is_active_hotel_user: alias, ...body } = input;
  if (alias === undefined) return body;
  if (body.is_active !== undefined && body.is_active !== alias) {
    throw ValidationError.of({ is_active_hotel_user: 'must equal is_active when both are sent' });
  }
  return { ...body, is_active: alias };
}
