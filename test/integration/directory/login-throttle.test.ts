// Issue 3 — the login throttle's store functions (src/store/auth.ts) against the real database:
// "LOGIN_MAX_FAILURES failed logins per account or IP before login is slowed down", then a lock of
// LOGIN_LOCKOUT_S seconds that doubles per extra failure, and a success clears the account key.
import t from 'tap';
import { clearLoginFailures, recordLoginFailure, throttleWait } from '../../../src/store/auth.js';
import { freshDb } from '../../helpers/db.js';

t.test('login throttle', async (t) => {
  const { sql } = await freshDb(t);
  /** Moves a key's lock and last update into the past, as if time had passed. */
  const age = (key: string, seconds: number) =>
    sql`update login_throttle set blocked_until = blocked_until - make_interval(secs => ${seconds}),
                                 updated_at = updated_at - make_interval(secs => ${seconds}) where key = ${key}`;

  t.test('max 3: the third failure locks for the base time', async (t) => {
    const k = 'acct:three';
    await recordLoginFailure(sql, [k], 3, 30);
    t.equal(await throttleWait(sql, [k]), 0, 'one failure: not locked');
    await recordLoginFailure(sql, [k], 3, 30);
    t.equal(await throttleWait(sql, [k]), 0, 'two failures: not locked');
    await recordLoginFailure(sql, [k], 3, 30);
    const wait = await throttleWait(sql, [k]);
    t.ok(wait > 25 && wait <= 30, `three failures: locked for ~30 s (${wait})`);
  });

  t.test('max 1: the first failure locks for the base time', async (t) => {
    const k = 'acct:one';
    await recordLoginFailure(sql, [k], 1, 30);
    const wait = await throttleWait(sql, [k]);
    t.ok(wait > 25 && wait <= 30, `one failure with LOGIN_MAX_FAILURES=1: locked for ~30 s (got ${wait})`);
  });

  t.test('each further failure doubles the lock', async (t) => {
    const k = 'acct:double';
    for (let i = 0; i < 3; i++) await recordLoginFailure(sql, [k], 3, 10);
    t.ok((await throttleWait(sql, [k])) <= 10, 'first lock: 10 s');
    await age(k, 11); // the lock ran out
    t.equal(await throttleWait(sql, [k]), 0, 'unlocked after the lock time');
    await recordLoginFailure(sql, [k], 3, 10);
    const second = await throttleWait(sql, [k]);
    t.ok(second > 15 && second <= 20, `fourth failure: 20 s (${second})`);
    await age(k, 21);
    await recordLoginFailure(sql, [k], 3, 10);
    const third = await throttleWait(sql, [k]);
    t.ok(third > 35 && third <= 40, `fifth failure: 40 s (${third})`);
  });

  t.test('an hour without failures starts the count again', async (t) => {
    const k = 'ip:203.0.113.9';
    for (let i = 0; i < 3; i++) await recordLoginFailure(sql, [k], 3, 10);
    await age(k, 3601);
    await recordLoginFailure(sql, [k], 3, 10);
    t.equal(await throttleWait(sql, [k]), 0, 'one failure after an hour is a first failure');
  });

  t.test('several keys: the longest wait counts; clearing one key leaves the others', async (t) => {
    const keys = ['acct:multi', 'ip:198.51.100.7'];
    for (let i = 0; i < 3; i++) await recordLoginFailure(sql, keys, 3, 30);
    t.ok((await throttleWait(sql, keys)) > 0);
    await clearLoginFailures(sql, ['acct:multi']);
    t.equal(await throttleWait(sql, ['acct:multi']), 0, 'account cleared');
    t.ok((await throttleWait(sql, keys)) > 0, 'the IP stays locked');
    t.equal(await throttleWait(sql, ['acct:never-failed']), 0, 'an unknown key waits 0');
  });
});
