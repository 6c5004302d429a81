// Login throttling, shared by all nodes through Postgres.
//
// Failures are counted where an attacker cannot turn them against someone else:
// - per (account, client IP): LOGIN_MAX_FAILURES attempts, then a lock of LOGIN_LOCKOUT_S that
//   doubles per further attempt, never longer than LOGIN_LOCKOUT_MAX_S. Someone guessing a
//   colleague's password from their own machine locks only that pair: the owner logs in from
//   their own IP as usual. The account is resolved first, so its username and email share it.
// - per client IP across accounts (and for names that match no account): five times that
//   allowance, since an office shares one IP. A successful login takes its own attempt back.
// Every attempt is counted before the password is checked, in one atomic upsert: of a burst of
// parallel attempts no more than the allowance is ever evaluated, the rest are refused (429).
import type { Config } from '../config/load.js';
import { RateLimitedError } from '../core/errors.js';
import type { Sql } from '../store/db.js';
import { loginSucceeded, reserveLoginAttempt, type ThrottleKey } from '../store/auth.js';

/** An office of front-desk staff shares one IP: it gets this many times an account's allowance. */
const CLIENT_FACTOR = 5;

export interface LoginAttempt {
  /** The password was right: the account's count starts afresh. */
  succeeded(): Promise<void>;
}

export class LoginThrottle {
  constructor(
    private readonly sql: Sql,
    private readonly cfg: Pick<Config['auth'], 'loginMaxFailures' | 'loginLockoutS' | 'loginLockoutMaxS'>,
  ) {}

  /** Counts an attempt for `accountId` (null: no such account) from `ip`, or throws 429. */
  async begin(accountId: number | null, ip: string): Promise<LoginAttempt> {
    const lock = { baseS: this.cfg.loginLockoutS, capS: this.cfg.loginLockoutMaxS };
    const client: ThrottleKey = { key: `ip:${ip}`, max: this.cfg.loginMaxFailures * CLIENT_FACTOR };
    const account: ThrottleKey | null = accountId === null ? null : { key: `acct:${accountId}@${ip}`, max: this.cfg.loginMaxFailures };
    // The pair first: attempts refused for a locked pair do not use up the office's allowance.
    for (const k of account ? [account, client] : [client]) {
      const wait = await reserveLoginAttempt(this.sql, k, lock);
      if (wait > 0) throw new RateLimitedError(`too many failed logins; try again in ${wait} s`, wait);
    }
    return { succeeded: async () => (account ? loginSucceeded(this.sql, account, client) : undefined) };
  }
}
