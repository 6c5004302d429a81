// Logins, token rotation, and resolving a bearer token to a user.
//
// REST requests trust a node-local copy of the user for USER_CACHE_TTL_MS (a deactivated user is
// refused within that bound); socket upgrades always read the user fresh, so a deactivated user
// cannot open a socket at all.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/load.js';
import type { User } from '../directory/model.js';
import type { Logger } from '../obs/log.js';
import { AuthError, RateLimitedError, ValidationError } from '../protocol/errors.js';
import type { Sql } from '../store/db.js';
import * as authStore from '../store/auth.js';
import * as users from '../store/users.js';
import type { CpuPool } from '../workers/pool.js';
import type { TokenService } from './tokens.js';

export interface AuthDeps {
  sql: Sql;
  tokens: TokenService;
  cpu: Pick<CpuPool, 'hashPassword' | 'verifyPassword'>;
  cfg: Pick<Config['auth'], 'userCacheTtlMs' | 'loginMaxFailures' | 'loginLockoutS'>;
  log: Logger;
  /** The user's other sessions must end (password changed): close sockets everywhere. */
  onSessionsEnded?: (userId: number) => void;
}

export interface TokenPair {
  access: string;
  refresh: string;
}

const BAD_LOGIN = 'No active account found with the given credentials';
const NO_CREDENTIALS = 'Authentication credentials were not provided.';
const BAD_TOKEN = 'Invalid authentication credentials.';
const CACHE_MAX = 20_000;

export class AuthService {
  private cache = new Map<number, { user: User; at: number }>();
  // A real hash of a random secret: unknown accounts cost as much time as known ones.
  private dummyHash: Promise<string>;

  constructor(private readonly deps: AuthDeps) {
    this.dummyHash = deps.cpu.hashPassword(randomUUID());
    this.dummyHash.catch(() => undefined);
  }

  /** A user may use the service: active, and (unless a platform admin) of an active hotel. */
  static usable(u: User): boolean {
    return u.is_active && (u.user_type === 'platform_admin' || u.hotel_is_active === true);
  }

  async login(login: string, password: string, ip: string): Promise<TokenPair & { user: User }> {
    const { sql, cfg } = this.deps;
    const keys = [`acct:${login.toLowerCase()}`, `ip:${ip}`];
    const wait = await authStore.throttleWait(sql, keys);
    if (wait > 0) throw new RateLimitedError(`too many failed logins; try again in ${wait} s`, wait);
    const found = await users.findUserByLogin(sql, login);
    const ok = await this.deps.cpu.verifyPassword(password, found?.password_hash ?? (await this.dummyHash));
    if (!found || !ok || !AuthService.usable(found)) {
      // An office shares one IP: it gets five times the account's allowance before slowing down.
      await authStore.recordLoginFailure(sql, [keys[0]!], cfg.loginMaxFailures, cfg.loginLockoutS);
      await authStore.recordLoginFailure(sql, [keys[1]!], cfg.loginMaxFailures * 5, cfg.loginLockoutS);
      throw new AuthError(BAD_LOGIN);
    }
    await authStore.clearLoginFailures(sql, [keys[0]!]);
    await users.touchLogin(sql, found.id);
    const { password_hash: _, ...user } = found;
    const pair = await this.issuePair(user.id, randomUUID());
    return { ...pair, user };
  }

  private async issuePair(userId: number, family: string): Promise<TokenPair> {
    const [access, refresh] = await Promise.all([this.deps.tokens.signAccess(userId), this.deps.tokens.signRefresh(userId, family)]);
    await authStore.insertRefreshToken(this.deps.sql, { jti: refresh.jti, userId, family, expiresAt: refresh.expiresAt });
    return { access, refresh: refresh.token };
  }

  /**
   * Rotates: the presented refresh token stops working and a new pair is issued. Presenting an
   * already-used token means it leaked, so its whole family is revoked.
   */
  async refresh(token: string): Promise<TokenPair> {
    const { sql, tokens } = this.deps;
    const claims = await tokens.verifyRefresh(token);
    const consumed = await authStore.consumeRefreshToken(sql, claims.jti, null);
    if (!consumed) {
      const known = await authStore.findRefreshToken(sql, claims.jti);
      if (known?.revoked_at) {
        await authStore.revokeFamily(sql, known.family);
        this.deps.log.warn({ user: claims.userId }, 'refresh token reused; revoked its family');
      }
      throw new AuthError('Token is invalid or expired');
    }
    const user = await users.findUserById(sql, consumed.user_id);
    if (!user || !AuthService.usable(user)) throw new AuthError('Token is invalid or expired');
    return this.issuePair(user.id, consumed.family);
  }

  async logout(token: string, caller: User): Promise<void> {
    let claims;
    try {
      claims = await this.deps.tokens.verifyRefresh(token);
    } catch {
      throw new ValidationError('refresh: invalid refresh token', { refresh: 'is not a valid refresh token' });
    }
    if (claims.userId !== caller.id) throw new ValidationError('refresh: belongs to another user', { refresh: 'belongs to another user' });
    await authStore.consumeRefreshToken(this.deps.sql, claims.jti, null);
  }

  async changePassword(user: User, oldPassword: string, newPassword: string): Promise<void> {
    const hash = await users.findPasswordHash(this.deps.sql, user.id);
    if (!hash || !(await this.deps.cpu.verifyPassword(oldPassword, hash))) {
      throw new ValidationError('old_password: is not correct', { old_password: 'is not correct' });
    }
    const next = await this.deps.cpu.hashPassword(newPassword);
    await this.deps.sql.begin(async (tx) => {
      await users.updateUser(tx, user.id, { password_hash: next });
      await authStore.revokeUserTokens(tx, user.id);
    });
    this.forget(user.id);
    this.deps.onSessionsEnded?.(user.id);
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
      user = fresh ? await users.findUserById(this.deps.sql, identity.userId) : await this.cachedUser(identity.userId);
    }
    if (!user || !AuthService.usable(user)) throw new AuthError(BAD_TOKEN);
    if (fresh) this.remember(user);
    return user;
  }

  private async cachedUser(id: number): Promise<User | undefined> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < this.deps.cfg.userCacheTtlMs) return hit.user;
    const user = await users.findUserById(this.deps.sql, id);
    if (user) this.remember(user);
    else this.cache.delete(id);
    return user;
  }

  private remember(user: User): void {
    if (this.cache.size >= CACHE_MAX) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.delete(user.id);
    this.cache.set(user.id, { user, at: Date.now() });
  }

  /** Drops the node-local copy after the user changed (other nodes follow within the TTL). */
  forget(userId: number): void {
    this.cache.delete(userId);
  }
}
