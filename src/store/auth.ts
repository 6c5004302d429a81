// Refresh-token rotation state and login throttling, shared by all nodes.
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

/** Seconds a key must still wait, or 0. */
export async function throttleWait(db: Db, keys: string[]): Promise<number> {
  const [r] = await db<{ wait: number | null }[]>`
    select ceil(max(extract(epoch from blocked_until - now())))::int as wait
    from login_throttle where key = any(${keys}::text[]) and blocked_until > now()`;
  return r?.wait ?? 0;
}

/** Counts a failure; once `max` is reached the key is blocked for base·2^(extra failures) seconds. */
export async function recordLoginFailure(db: Db, keys: string[], max: number, baseSeconds: number): Promise<void> {
  await db`
    insert into login_throttle (key, failures, updated_at, blocked_until)
    select k, 1, now(), case when 1 >= ${max} then now() + make_interval(secs => ${baseSeconds}) end
    from unnest(${keys}::text[]) as k
    on conflict (key) do update set
      failures = case when login_throttle.updated_at < now() - interval '1 hour' then 1 else login_throttle.failures + 1 end,
      updated_at = now(),
      blocked_until = case
        when (case when login_throttle.updated_at < now() - interval '1 hour' then 1 else login_throttle.failures + 1 end) >= ${max}
        then now() + make_interval(secs => ${baseSeconds} * power(2, least(10,
          (case when login_throttle.updated_at < now() - interval '1 hour' then 1 else login_throttle.failures + 1 end) - ${max})))
        else login_throttle.blocked_until end`;
}

export async function clearLoginFailures(db: Db, keys: string[]): Promise<void> {
  await db`delete from login_throttle where key = any(${keys}::text[])`;
}
