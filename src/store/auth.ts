// Refresh-token rotation, ended sessions and login throttling, shared by all nodes.
import type { Db } from './db.js';

export async function insertRefreshToken(db: Db, t: { jti: string; userId: number; family: string; expiresAt: Date }): Promise<void> {
  await db`insert into refresh_tokens (jti, user_id, family, expires_at) values (${t.jti}, ${t.userId}, ${t.family}, ${t.expiresAt})`;
}

/**
 * Marks a live refresh token used, atomically: of two concurrent refreshes with the same token,
 * exactly one gets the row back.
 */
export async function consumeRefreshToken(db: Db, jti: string, replacedBy: string | null): Promise<{ user_id: number; family: string } | undefined> {
  const [r] = await db<{ user_id: number; family: string }[]>`
    update refresh_tokens set revoked_at = now(), replaced_by = ${replacedBy}
    where jti = ${jti} and revoked_at is null and expires_at > now()
    returning user_id, family`;
  return r;
}

export async function findRefreshToken(db: Db, jti: string): Promise<{ family: string; revoked_at: Date | null } | undefined> {
  const [r] = await db<{ family: string; revoked_at: Date | null }[]>`select family, revoked_at from refresh_tokens where jti = ${jti}`;
  return r;
}

export async function revokeFamily(db: Db, family: string): Promise<void> {
  await db`update refresh_tokens set revoked_at = coalesce(revoked_at, now()) where family = ${family}`;
}

export async function revokeUserTokens(db: Db, userId: number): Promise<void> {
  await db`update refresh_tokens set revoked_at = now() where user_id = ${userId} and revoked_at is null`;
}

/**
 * Ends every session of a user (new password, admin reset, deactivation): refresh tokens are
 * revoked and token_version moves on, so access tokens issued before are refused. Returns the
 * new version.
 */
export async function endAllSessions(db: Db, userId: number): Promise<number> {
  await revokeUserTokens(db, userId);
  const [r] = await db<{ token_version: number }[]>`update users set token_version = token_version + 1 where id = ${userId} returning token_version`;
  return r!.token_version;
}

/**
 * Ends one session (a logout, or a refresh token used twice): its refresh-token family is
 * revoked and listed as ended for `keepS` seconds, as long as one of its access tokens may live.
 */
export async function endSession(db: Db, s: { family: string; userId: number; keepS: number }): Promise<void> {
  await revokeFamily(db, s.family);
  // The user's rows whose tokens can no longer be presented go here, so the list stays short.
  await db`delete from ended_sessions where user_id = ${s.userId} and expires_at <= now()`;
  await db`
    insert into ended_sessions (family, user_id, expires_at)
    values (${s.family}, ${s.userId}, now() + make_interval(secs => ${s.keepS}::int))
    on conflict (family) do update set expires_at = greatest(ended_sessions.expires_at, excluded.expires_at)`;
}

export interface ThrottleKey {
  key: string;
  /** Attempts allowed in a row before the key is locked. */
  max: number;
}

export interface LockTimes {
  baseS: number;
  capS: number;
}

/**
 * Counts one login attempt against `k` and decides, in one statement, whether it may be
 * evaluated: refused (the seconds to wait are returned) while the key is locked, allowed (0)
 * otherwise. The attempt that reaches `max` is still evaluated but locks the key for baseS,
 * doubling per further attempt up to capS; an hour without attempts starts the count again.
 * Concurrent attempts queue on the row lock, so no more than `max` of a burst are ever evaluated.
 */
export async function reserveLoginAttempt(db: Db, k: ThrottleKey, lock: LockTimes): Promise<number> {
  const max = k.max;
  const base = lock.baseS;
  const cap = lock.capS;
  const rows = await db`
    insert into login_throttle as t (key, failures, updated_at, blocked_until)
    values (${k.key}, 1, now(), case when 1 >= ${max}::int then now() + make_interval(secs => least(${cap}::int, ${base}::int)) end)
    on conflict (key) do update set
      failures = case when t.updated_at < now() - interval '1 hour' then 1 else t.failures + 1 end,
      updated_at = now(),
      blocked_until = case
        when (case when t.updated_at < now() - interval '1 hour' then 1 else t.failures + 1 end) >= ${max}::int
        then now() + make_interval(secs => least(${cap}::float8, ${base}::float8 * power(2::float8, least(30,
          (case when t.updated_at < now() - interval '1 hour' then 1 else t.failures + 1 end) - ${max}::int))))
        end
      where t.blocked_until is null or t.blocked_until <= now()
    returning 1`;
  if (rows.length > 0) return 0;
  const [r] = await db<{ wait: number | null }[]>`
    select greatest(1, ceil(extract(epoch from blocked_until - now())))::int as wait from login_throttle where key = ${k.key}`;
  return r?.wait ?? 1;
}

/**
 * A successful login: the (account, client) key starts afresh and the client key forgets this
 * one attempt (an office whose staff log in all day never locks itself out).
 */
export async function loginSucceeded(db: Db, account: ThrottleKey, client: ThrottleKey): Promise<void> {
  await db`delete from login_throttle where key = ${account.key}`;
  await db`
    update login_throttle set
      failures = greatest(failures - 1, 0),
      blocked_until = case when failures - 1 >= ${client.max}::int then blocked_until end
    where key = ${client.key}`;
}
