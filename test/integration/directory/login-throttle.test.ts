// Issue 3 and issue 11 (#7) — login throttling. The store's atomic upsert (src/store/auth.ts)
// against the real database: LOGIN_MAX_FAILURES attempts per key, a lock that doubles per further
// attempt up to a cap, and a success that takes its attempt back. Then over HTTP: a burst of
// parallel wrong passwords is not all evaluated, an attacker's failures do not lock the owner out
// from another IP, the username and the email of one account share one counter.
import t from 'tap';
import { loginSucceeded, reserveLoginAttempt } from '../../../src/store/auth.js';
import { freshDb } from '../../helpers/db.js';
import { createHotel, createUser, PASSWORD, startDirectory } from '../../helpers/directory-fixtures.js';
import { request } from '../../helpers/http.js';

t.test('login throttle store', async (t) => {
  const { sql } = await freshDb(t);
  /** Moves a key's lock and last update into the past, as if time had passed. */
  const age = (key: string, seconds: number) =>
    sql`update login_throttle set blocked_until = blocked_until - make_interval(secs => ${seconds}),
                                 updated_at = updated_at - make_interval(secs => ${seconds}) where key = ${key}`;
  const lock = { baseS: 30, capS: 120 };

  t.test('max 3: two attempts pass freely, the third passes and locks for the base time', async (t) => {
    const k = { key: 'acct:1@a', max: 3 };
    t.equal(await reserveLoginAttempt(sql, k, lock), 0, 'first');
    t.equal(await reserveLoginAttempt(sql, k, lock), 0, 'second');
    t.equal(await reserveLoginAttempt(sql, k, lock), 0, 'third is still evaluated');
    const wait = await reserveLoginAttempt(sql, k, lock);
    t.ok(wait > 25 && wait <= 30, `fourth is refused for ~30 s (${wait})`);
  });

  t.test('each attempt after a lock ran out doubles it, up to the cap', async (t) => {
    const k = { key: 'acct:2@a', max: 1 };
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      t.equal(await reserveLoginAttempt(sql, k, lock), 0, `attempt ${i + 1} after the lock ran out is evaluated`);
      waits.push(await reserveLoginAttempt(sql, k, lock));
      await age(k.key, 200);
    }
    t.ok(waits[0]! > 25 && waits[0]! <= 30, `30 s (${waits[0]})`);
    t.ok(waits[1]! > 55 && waits[1]! <= 60, `60 s (${waits[1]})`);
    t.ok(waits[2]! > 115 && waits[2]! <= 120, `120 s (${waits[2]})`);
    t.ok(waits[3]! > 115 && waits[3]! <= 120, `capped at 120 s (${waits[3]})`);
    t.ok(waits[4]! > 115 && waits[4]! <= 120, `still capped (${waits[4]})`);
  });

  t.test('an hour without attempts starts the count again', async (t) => {
    const k = { key: 'ip:203.0.113.9', max: 3 };
    for (let i = 0; i < 3; i++) await reserveLoginAttempt(sql, k, lock);
    await age(k.key, 3601);
    t.equal(await reserveLoginAttempt(sql, k, lock), 0);
    t.equal(await reserveLoginAttempt(sql, k, lock), 0, 'a second attempt after an hour is a second attempt');
  });

  t.test('20 parallel attempts: exactly max pass', async (t) => {
    const k = { key: 'acct:3@a', max: 4 };
    const waits = await Promise.all(Array.from({ length: 20 }, () => reserveLoginAttempt(sql, k, lock)));
    t.equal(waits.filter((w) => w === 0).length, 4);
  });

  t.test('a success clears the account key and takes its attempt back from the client key', async (t) => {
    const account = { key: 'acct:4@b', max: 2 };
    const client = { key: 'ip:b', max: 2 };
    await reserveLoginAttempt(sql, account, lock);
    await reserveLoginAttempt(sql, client, lock);
    await reserveLoginAttempt(sql, account, lock);
    await reserveLoginAttempt(sql, client, lock); // reaches max: locked
    await loginSucceeded(sql, account, client);
    t.equal(await reserveLoginAttempt(sql, account, lock), 0, 'the account key starts afresh');
    t.equal(await reserveLoginAttempt(sql, client, lock), 0, 'the client key is below its max again');
    t.ok((await reserveLoginAttempt(sql, client, lock)) > 0, 'and locks on the next attempt');
  });
});

t.test('login throttle over HTTP', async (t) => {
  const w = await startDirectory(t, { TRUST_PROXY: 'true', LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_S: '600', LOGIN_LOCKOUT_MAX_S: '900' });
  const hotel = await createHotel(w);
  let ipSeq = 0;
  const freshIp = () => ({ 'x-forwarded-for': `10.7.${Math.floor(++ipSeq / 250)}.${(ipSeq % 250) + 1}` });
  const loginReq = (username: string, password: string, headers: Record<string, string>) =>
    request(w.app.base, 'POST', '/api/login/', { body: { username, password }, headers });

  t.test('20 parallel wrong passwords: at most LOGIN_MAX_FAILURES are evaluated, the rest are 429', async (t) => {
    const u = await createUser(w, w.admin.access, { user_type: 'receptionist', hotel_id: hotel.id });
    const ip = freshIp();
    const statuses = (await Promise.all(Array.from({ length: 20 }, (_, i) => loginReq(u.username, `wrong-${i}`, ip)))).map((r) => r.status);
    t.ok(statuses.filter((s) => s === 401).length <= 3, `at most 3 evaluated (${statuses.join(',')})`);
    t.equal(statuses.filter((s) => s === 429).length + statuses.filter((s) => s === 401).length, 20, 'every other one is a 429');
    t.equal((await loginReq(u.username, PASSWORD, ip)).status, 429, 'the pair stays locked, even with the right password');
  });

  t.test("an attacker's failures do not lock the owner out from another IP", async (t) => {
    const victim = await createUser(w, w.admin.access, { user_type: 'receptionist', hotel_id: hotel.id });
    const attacker = freshIp();
    for (let i = 0; i < 6; i++) await loginReq(victim.username, `guess-${i}`, attacker);
    t.equal((await loginReq(victim.username, PASSWORD, attacker)).status, 429, 'the attacker is locked');
    t.equal((await loginReq(victim.username, PASSWORD, freshIp())).status, 200, 'the owner logs in from their own IP');
    t.equal((await loginReq(victim.email, PASSWORD, freshIp())).status, 200, 'by email too');
  });

  t.test('the username and the email of one account share one counter', async (t) => {
    const u = await createUser(w, w.admin.access, { user_type: 'receptionist', hotel_id: hotel.id });
    const ip = freshIp();
    t.equal((await loginReq(u.username, 'nope-1', ip)).status, 401);
    t.equal((await loginReq(u.email, 'nope-2', ip)).status, 401);
    t.equal((await loginReq(u.username.toUpperCase(), 'nope-3', ip)).status, 401, 'the third attempt is evaluated and locks');
    const locked = await loginReq(u.email.toUpperCase(), PASSWORD, ip);
    t.equal(locked.status, 429, 'locked whichever way the account is named');
  });

  t.test('the lock is capped by LOGIN_LOCKOUT_MAX_S', async (t) => {
    const u = await createUser(w, w.admin.access, { user_type: 'receptionist', hotel_id: hotel.id });
    const ip = freshIp();
    for (let i = 0; i < 3; i++) await loginReq(u.username, `x-${i}`, ip);
    for (let round = 0; round < 4; round++) {
      // The lock ran out: one more attempt is evaluated and locks for twice as long, up to the cap.
      await w.sql`update login_throttle set blocked_until = now() - interval '1 second' where key like ${`acct:${u.id}@%`}`;
      t.equal((await loginReq(u.username, `y-${round}`, ip)).status, 401, `round ${round}: evaluated`);
      const r = await loginReq(u.username, PASSWORD, ip);
      t.equal(r.status, 429);
      const retry = Number(r.headers.get('retry-after'));
      t.ok(retry > 0 && retry <= 900, `round ${round}: Retry-After ${retry} ≤ 900`);
    }
  });

  t.test('names that match no account count against the client IP', async (t) => {
    const ip = freshIp();
    for (let i = 1; i <= 15; i++) t.equal((await loginReq(`ghost-${i}`, 'whatever', ip)).status, 401, `failure ${i}`);
    t.equal((await loginReq(`ghost-16`, 'whatever', ip)).status, 429, 'the client is locked');
  });
});
