// Logins, token rotation, and resolving a bearer token to a user.
//
// An access token is good while its user is usable, the user's token_version still equals the
// token's (a new password, an admin reset or a deactivation moves it on) and its session (the
// refresh-token family of its login) has not been ended by a logout. REST requests trust a
// node-local copy of that state for USER_CACHE_TTL_MS; every change to a user is broadcast so all
// nodes forget their copy at once (src/app/revocation.ts), and the TTL only bounds a lost
// broadcast; a copy older than that is dropped. Socket upgrades always read the state fresh, and
// keep no copy here (the socket holds what chat needs of its user).
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/load.js';
import type { User } from '../core/directory.js';
import type { UserChange } from '../directory/users.js';
import type { Logger } from '../obs/log.js';
import { AuthError, ValidationError } from '../core/errors.js';
import type { Db, Sql } from '../store/db.js';
import * as authStore from '../store/auth.js';
import * as users from '../store/users.js';
import type { CpuPool } from '../workers/pool.js';
import { LoginThrottle } from './throttle.js';
import type { AccessIdentity, TokenService } from './tokens.js';
import { BatchLoader } from '../util/batch-loader.js';

export interface AuthDeps {
  sql: Sql;
  tokens: TokenService;
  cpu: Pick<CpuPool, 'hashPassword' | 'verifyPassword'>;
  cfg: Pick<Config['auth'], 'userCacheTtlMs' | 'loginMaxFailures' | 'loginLockoutS' | 'loginLockoutMaxS' | 'accessTtlS'>;
  log: Logger;
  /** A user's sessions changed: every node forgets its copy and closes or recycles the sockets. */
  onUserChanged?: (userId: number, change: UserChange) => void;
}

export interface TokenPair {
  access: string;
  refresh: string;
}

interface Known {
  user: User;
  version: number;
  ended: ReadonlySet<string>;
  at: number;
}

const BAD_LOGIN = 'No active account found with the given credentials';
const NO_CREDENTIALS = 'Authentication credentials were not provided.';
const BAD_TOKEN = 'Invalid authentication credentials.';
const CACHE_MAX = 20_000;
const EXPIRY_SLACK_MS = 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;
const NO_ENDED: ReadonlySet<string> = new Set();

export class AuthService {
  /** Copies by user, oldest first (a load moves its user to the end). */
  private cache = new Map<number, Known>();
  private expiry: NodeJS.Timeout | null = null;
  private readonly throttle: LoginThrottle;
  /**
   * Reads of users started in the same event-loop turn share one statement. Each read still
   * starts after the request that asked for it (a socket upgrade reads fresh), so a reconnect
   * storm costs a few statements instead of one per socket.
   */
  private readonly users: BatchLoader<number, Awaited<ReturnType<typeof users.findUserWithSessions>> & object>;
  // A real hash of a random secret: unknown accounts cost as much time as known ones.
  private dummyHash: Promise<string>;

  constructor(private readonly deps: AuthDeps) {
    this.throttle = new LoginThrottle(deps.sql, deps.cfg);
    this.users = new BatchLoader(async (ids) => new Map((await users.findUsersWithSessions(deps.sql, ids)).map((u) => [Number(u.id), u])), 1000);
    this.dummyHash = deps.cpu.hashPassword(randomUUID());
    this.dummyHash.catch(() => undefined);
  }

  /** A user may use the service: active, and (unless a platform admin) of an active hotel. */
  static usable(u: User): boolean {
    return u.is_active && (u.user_type === 'platform_admin' || u.hotel_is_active === true);
  }

  async login(login: string, password: string, ip: string): Promise<TokenPair & { user: User }> {
    const { sql } = this.deps;
    // The account first, so its username and its email share one counter.
    const found = await users.findUserByLogin(sql, login);
    const attempt = await this.throttle.begin(found?.id ?? null, ip);
    const ok = await this.deps.cpu.verifyPassword(password, found?.password_hash ?? (await this.dummyHash));
    if (!found || !ok || !AuthService.usable(found)) throw new AuthError(BAD_LOGIN);
    await attempt.succeeded();
    await users.touchLogin(sql, found.id);
    const { password_hash: _, token_version: version, ...user } = found;
    const pair = await this.issuePair(sql, { userId: user.id, family: randomUUID(), version });
    return { ...pair, user };
  }

  private async issuePair(db: Db, s: { userId: number; family: string; version: number }): Promise<TokenPair> {
    const [access, refresh] = await Promise.all([
      this.deps.tokens.signAccess(s.userId, { version: s.version, session: s.family }),
      this.deps.tokens.signRefresh(s.userId, s.family),
    ]);
    await authStore.insertRefreshToken(db, { jti: refresh.jti, userId: s.userId, family: s.family, expiresAt: refresh.expiresAt });
    return { access, refresh: refresh.token };
  }

  /**
   * Rotates: the presented refresh token stops working and a new pair is issued, in one
   * transaction (the session never looks ended in between). Presenting an already-used token
   * means it leaked, so its whole session ends, access tokens included.
   */
  async refresh(token: string): Promise<TokenPair> {
    const { sql, tokens } = this.deps;
    const claims = await tokens.verifyRefresh(token);
    const pair = await sql.begin(async (tx) => {
      const consumed = await authStore.consumeRefreshToken(tx, claims.jti, null);
      if (!consumed) return null;
      const user = await users.findUserWithSessions(tx, consumed.user_id);
      if (!user || !AuthService.usable(user)) return null;
      return this.issuePair(tx, { userId: user.id, family: consumed.family, version: user.token_version });
    });
    if (pair) return pair;
    const known = await authStore.findRefreshToken(sql, claims.jti);
    if (known?.revoked_at) {
      await this.endSession(claims.userId, known.family);
      this.deps.log.warn({ user: claims.userId }, 'refresh token reused; ended its session');
    }
    throw new AuthError('Token is invalid or expired');
  }

  /**
   * Ends the session of the presented refresh token: it and every access token issued with it
   * (the same login, across refreshes) stop working on every node. The user's other sessions go
   * on; their open sockets are asked to reconnect, since a socket does not know its session.
   */
  async logout(token: string, caller: User): Promise<void> {
    let claims;
    try {
      claims = await this.deps.tokens.verifyRefresh(token);
    } catch {
      throw new ValidationError('refresh: invalid refresh token', { refresh: 'is not a valid refresh token' });
    }
    if (claims.userId !== caller.id) throw new ValidationError('refresh: belongs to another user', { refresh: 'belongs to another user' });
    await this.endSession(caller.id, claims.family);
  }

  private async endSession(userId: number, family: string): Promise<void> {
    await authStore.endSession(this.deps.sql, { family, userId, keepS: this.deps.cfg.accessTtlS });
    this.changed(userId, 'reconnect');
  }

  /** Every other session ends; the caller gets a fresh pair for this device. */
  async changePassword(user: User, oldPassword: string, newPassword: string): Promise<TokenPair> {
    const hash = await users.findPasswordHash(this.deps.sql, user.id);
    if (!hash || !(await this.deps.cpu.verifyPassword(oldPassword, hash))) {
      throw new ValidationError('old_password: is not correct', { old_password: 'is not correct' });
    }
    const next = await this.deps.cpu.hashPassword(newPassword);
    const pair = await this.deps.sql.begin(async (tx) => {
      await users.updateUser(tx, user.id, { password_hash: next });
      const version = await authStore.endAllSessions(tx, user.id);
      return this.issuePair(tx, { userId: user.id, family: randomUUID(), version });
    });
    this.changed(user.id, 'ended');
    return pair;
  }

  /** REST: the bearer token of an Authorization header → the user (cached briefly). */
  async authenticate(header: string | undefined): Promise<User> {
    if (!header) throw new AuthError(NO_CREDENTIALS);
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new AuthError(BAD_TOKEN);
    return this.userForToken(m[1]!, false);
  }

  /** Sockets: token → user, always read from the database. */
  authenticateFresh(token: string): Promise<User> {
    return this.userForToken(token, true);
  }

  private async userForToken(token: string, fresh: boolean): Promise<User> {
    const identity = await this.deps.tokens.verifyAccess(token);
    let user: User | undefined;
    if (identity.kind === 'sso') {
      user = await users.findUserBy(this.deps.sql, identity.field, identity.login);
    } else {
      // A socket's fresh read is not kept: the socket holds what it needs of the user, and the
      // row would stay cached beside it (REST calls load their own copy when they come).
      let known = fresh ? await this.read(identity.userId) : await this.cached(identity.userId);
      // A token newer than this node's copy (issued after a change elsewhere): read again, once.
      if (known && !fresh && identity.version > known.version) known = await this.load(identity.userId);
      if (!known || !AuthService.current(known, identity)) throw new AuthError(BAD_TOKEN);
      user = known.user;
    }
    if (!user || !AuthService.usable(user)) throw new AuthError(BAD_TOKEN);
    return user;
  }

  private static current(k: Known, id: Extract<AccessIdentity, { kind: 'local' }>): boolean {
    return id.version === k.version && !(id.session !== null && k.ended.has(id.session));
  }

  private async cached(id: number): Promise<Known | undefined> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < this.deps.cfg.userCacheTtlMs) return hit;
    return this.load(id);
  }

  /** The user as stored now, without keeping a copy. */
  private async read(id: number): Promise<Known | undefined> {
    const found = await this.users.load(id);
    if (!found) return undefined;
    const { token_version: version, ended_sessions: ended, ...user } = found;
    // Most users have no ended session: they share one empty set (one per cached user adds up).
    return { user, version, ended: ended.length ? new Set(ended) : NO_ENDED, at: Date.now() };
  }

  /** Reads the user and keeps the copy for REST calls (or forgets a user that is gone). */
  private async load(id: number): Promise<Known | undefined> {
    const known = await this.read(id);
    if (!known) {
      this.cache.delete(id);
      return undefined;
    }
    if (this.cache.size >= CACHE_MAX) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.delete(id);
    this.cache.set(id, known);
    this.scheduleExpiry();
    return known;
  }

  /** Users this node holds a copy of (expired copies are dropped within a second or so). */
  get cachedUsers(): number {
    return this.cache.size;
  }

  /**
   * Drops copies older than the TTL: a lookup would read the user again anyway, and every user
   * who made a REST call would otherwise stay until the cache is full.
   */
  private expire(): void {
    const now = Date.now();
    for (const [id, k] of this.cache) {
      if (now - k.at < this.deps.cfg.userCacheTtlMs) break;
      this.cache.delete(id);
    }
    this.scheduleExpiry();
  }

  /** One timer at most, for the oldest copy; copies expiring within a second go together. */
  private scheduleExpiry(): void {
    if (this.expiry || this.cache.size === 0) return;
    const oldest = this.cache.values().next().value!;
    // setTimeout fires at once past 2^31 - 1 ms: a TTL of weeks is checked again then.
    const wait = Math.min(Math.max(0, oldest.at + this.deps.cfg.userCacheTtlMs - Date.now()) + EXPIRY_SLACK_MS, MAX_TIMER_MS);
    this.expiry = setTimeout(() => {
      this.expiry = null;
      this.expire();
    }, wait);
    this.expiry.unref();
  }

  /** Forgets this node's copy at once and tells every node (this one included). */
  private changed(userId: number, change: UserChange): void {
    this.forget(userId);
    this.deps.onUserChanged?.(userId, change);
  }

  /** Drops the node-local copy after the user changed. */
  forget(userId: number): void {
    this.cache.delete(userId);
  }

  /** Drops every node-local copy (a hotel was deactivated). */
  forgetAll(): void {
    this.cache.clear();
  }
}
