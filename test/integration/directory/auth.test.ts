// Issue 3 — logins and tokens against the real database: the dashboard's login shape, failures
// that all look alike, login throttling (429 + Retry-After), refresh rotation and reuse detection,
// logout, password change, deactivation, forged/expired/misused tokens, and 404 (never 401) for
// unknown routes.
//
// The node trusts X-Forwarded-For here so each subtest can log in from its own "IP": the login
// throttle counts failures per (account, IP) and per IP, and the subtests must not lock each other out.
import { decodeJwt, SignJWT } from 'jose';
import t from 'tap';
import { TEST_JWT_SECRET } from '../../helpers/app.js';
import {
  createHotel,
  createStaff,
  createUser,
  expectStatus,
  fields,
  login,
  PASSWORD,
  startDirectory,
  uniq,
  type Session,
} from '../../helpers/directory-fixtures.js';
import { request } from '../../helpers/http.js';

const BAD_LOGIN = 'No active account found with the given credentials';
const ISSUER = 'lobbybee-realtime';

let ipSeq = 0;
/** A fresh client IP (through X-Forwarded-For) for one subtest's logins. */
const freshIp = () => ({ 'x-forwarded-for': `10.3.${Math.floor(++ipSeq / 250)}.${(ipSeq % 250) + 1}` });

t.test('logins and tokens', async (t) => {
  const w = await startDirectory(t, {
    TRUST_PROXY: 'true',
    LOGIN_MAX_FAILURES: '3',
    LOGIN_LOCKOUT_S: '30',
    USER_CACHE_TTL_MS: '0',
  });
  const base = w.app.base;
  const post = (path: string, body: unknown, o: { token?: string; headers?: Record<string, string> } = {}) =>
    request(base, 'POST', path, { body, ...o });
  const get = (path: string, token?: string) => request(base, 'GET', path, token === undefined ? {} : { token });
  const loginReq = (username: string, password: string, headers = freshIp()) => post('/api/login/', { username, password }, { headers });

  const hotel = await createHotel(w, { name: uniq('Grand ') });
  const alice = await createUser(w, w.admin.access, {
    username: 'Alice.Desk',
    user_type: 'receptionist',
    hotel_id: hotel.id,
    first_name: 'Alice',
    last_name: 'Desk',
  });
  t.equal(alice.email, 'alice.desk@staff.example');
  // Email with capitals, to check the login is case-insensitive on both fields.
  expectStatus(await w.adminApi.patch(`/api/users/${alice.id}/`, { email: 'Alice.Desk@Hotel.Example' }), 200, 'set email');

  t.test('username or email, in any case, gives the dashboard login shape', async (t) => {
    for (const name of ['Alice.Desk', 'alice.desk', 'ALICE.DESK', 'alice.desk@hotel.example', 'ALICE.DESK@HOTEL.EXAMPLE']) {
      const r = await loginReq(name, PASSWORD);
      t.equal(r.status, 200, `login as ${name}`);
    }
    const r = await loginReq('alice.desk@hotel.example', PASSWORD);
    t.match(r.body, {
      access: String,
      refresh: String,
      user: {
        id: alice.id,
        username: 'Alice.Desk',
        email: 'Alice.Desk@Hotel.Example',
        first_name: 'Alice',
        last_name: 'Desk',
        user_type: 'receptionist',
        hotel_id: hotel.id,
        hotel_name: hotel.name,
      },
    });
    t.same(r.body.user.department, ['Reception'], 'department is a list of canonical names');
    for (const k of ['id', 'username', 'email', 'first_name', 'last_name', 'user_type', 'hotel_id', 'hotel_name', 'department']) {
      t.ok(Object.hasOwn(r.body.user, k), `user.${k} is present`);
    }
    t.notOk(JSON.stringify(r.body).includes('scrypt$'), 'no password hash in the reply');
    t.notOk(Object.hasOwn(r.body.user, 'password_hash'));

    const access = decodeJwt(r.body.access);
    const refresh = decodeJwt(r.body.refresh);
    t.match(access, { token_type: 'access', user_id: String(alice.id), iss: ISSUER });
    t.match(refresh, { token_type: 'refresh', user_id: String(alice.id), iss: ISSUER });
    t.equal(access.exp! - access.iat!, 86400, 'access tokens live one day by default');
    t.equal(refresh.exp! - refresh.iat!, 7 * 86400, 'refresh tokens live seven days by default');
    t.not(access.jti, refresh.jti);

    const me = await get(`/api/users/${alice.id}/`, r.body.access);
    t.equal(me.status, 200, 'the access token works');
    t.equal(me.body.username, 'Alice.Desk');

    const platform = await loginReq('ROOT', PASSWORD);
    t.equal(platform.status, 200, 'a platform administrator logs in too');
    t.match(platform.body.user, { user_type: 'platform_admin', hotel_id: null, hotel_name: null });
    t.same(platform.body.user.department, []);
  });

  t.test('every kind of failed login is the same 401', async (t) => {
    const gone = await createUser(w, w.admin.access, { user_type: 'manager', hotel_id: hotel.id });
    expectStatus(await w.adminApi.patch(`/api/users/${gone.id}/`, { is_active: false }), 200, 'deactivate');
    const closedHotel = await createHotel(w);
    const orphan = await createUser(w, w.admin.access, { user_type: 'hotel_admin', hotel_id: closedHotel.id });
    expectStatus(await w.adminApi.patch(`/api/hotels/${closedHotel.id}/`, { is_active: false }), 200, 'deactivate hotel');

    const cases: Array<[string, string, string]> = [
      ['wrong password', 'alice.desk', 'not-the-password'],
      ['unknown user', 'nobody-here', PASSWORD],
      ['unknown email', 'nobody@nowhere.example', PASSWORD],
      ['deactivated user, right password', gone.username, PASSWORD],
      ['user of a deactivated hotel, right password', orphan.username, PASSWORD],
    ];
    for (const [what, username, password] of cases) {
      const r = await loginReq(username, password);
      t.equal(r.status, 401, what);
      t.equal(r.body.error, BAD_LOGIN, `${what}: the same message`);
      t.notOk(r.body.access, `${what}: no token`);
    }
  });

  t.test('a missing or unknown field is a 400 naming it', async (t) => {
    const cases: Array<[string, unknown, string[]]> = [
      ['no password', { username: 'alice.desk' }, ['password']],
      ['no username', { password: PASSWORD }, ['username']],
      ['empty object', {}, ['username', 'password']],
      ['unknown field', { username: 'alice.desk', password: PASSWORD, remember_me: true }, ['remember_me']],
      ['wrong type', { username: 42, password: PASSWORD }, ['username']],
      ['empty username', { username: '', password: PASSWORD }, ['username']],
    ];
    for (const [what, body, names] of cases) {
      const r = await post('/api/login/', body, { headers: freshIp() });
      t.equal(r.status, 400, what);
      for (const n of names) t.ok(fields(r)[n], `${what}: names ${n} (${JSON.stringify(r.body)})`);
      t.type(r.body.error, 'string');
    }
  });

  t.test('repeated failures for one account from one IP are a 429 with Retry-After, for that IP only', async (t) => {
    const dora = await createUser(w, w.admin.access, { user_type: 'receptionist', hotel_id: hotel.id });
    const ip = freshIp();
    for (let i = 1; i <= 3; i++) t.equal((await loginReq(dora.username, `wrong-${i}`, ip)).status, 401, `failure ${i}`);
    const locked = await loginReq(dora.username, PASSWORD, ip);
    t.equal(locked.status, 429, 'locked, even with the right password');
    const retry = Number(locked.headers.get('retry-after'));
    t.ok(retry >= 1 && retry <= 30, `Retry-After ${retry} is within LOGIN_LOCKOUT_S`);
    t.type(locked.body.error, 'string');
    t.equal(locked.body.details?.retry_after, retry, 'details.retry_after matches the header');
    t.equal((await loginReq(dora.email.toUpperCase(), PASSWORD, ip)).status, 429, 'any spelling of the account is locked from that IP');
    // Failures from one client must not lock the owner out (issue 11 #7): the lock is per (account, IP).
    t.equal((await loginReq(dora.username, PASSWORD, freshIp())).status, 200, 'the owner logs in from another IP');
    t.equal((await loginReq('alice.desk', PASSWORD, freshIp())).status, 200, 'other accounts are unaffected');
  });

  t.test('repeated failures from one IP are a 429 for every account from that IP', async (t) => {
    // An IP (an office of front-desk staff) gets five times an account's allowance.
    const ip = freshIp();
    for (let i = 1; i <= 15; i++) t.equal((await loginReq(`ghost-${i}`, 'whatever', ip)).status, 401, `failure ${i}`);
    const r = await loginReq('alice.desk', PASSWORD, ip);
    t.equal(r.status, 429, 'the IP is locked');
    t.ok(Number(r.headers.get('retry-after')) > 0, 'with Retry-After');
    t.equal((await loginReq('alice.desk', PASSWORD, freshIp())).status, 200, 'the account itself is fine from elsewhere');
  });

  t.test('a successful login clears the account counter', async (t) => {
    const erin = await createUser(w, w.admin.access, { user_type: 'receptionist', hotel_id: hotel.id });
    for (let i = 0; i < 2; i++) t.equal((await loginReq(erin.username, 'nope', freshIp())).status, 401);
    t.equal((await loginReq(erin.username, PASSWORD, freshIp())).status, 200);
    for (let i = 0; i < 2; i++) t.equal((await loginReq(erin.username, 'nope', freshIp())).status, 401);
    t.equal((await loginReq(erin.username, PASSWORD, freshIp())).status, 200, 'two more failures do not lock it');
  });

  t.test('refresh rotates: the old refresh token is refused, the new pair works', async (t) => {
    const s = await login(base, 'alice.desk', PASSWORD, freshIp());
    const r1 = await post('/api/login/refresh/', { refresh: s.refresh });
    t.equal(r1.status, 200);
    t.match(r1.body, { access: String, refresh: String });
    t.not(r1.body.refresh, s.refresh, 'a new refresh token');
    t.equal((await get(`/api/users/${alice.id}/`, r1.body.access)).status, 200, 'the new access token works');
    const r2 = await post('/api/login/refresh/', { refresh: r1.body.refresh });
    t.equal(r2.status, 200, 'the new refresh token works');
    const old = await post('/api/login/refresh/', { refresh: s.refresh });
    t.equal(old.status, 401, 'the rotated-out token is refused');
  });

  t.test('reusing a rotated refresh token revokes its whole family', async (t) => {
    const s = await login(base, 'alice.desk', PASSWORD, freshIp());
    const other = await login(base, 'alice.desk', PASSWORD, freshIp());
    const r1 = expectStatus(await post('/api/login/refresh/', { refresh: s.refresh }), 200, 'rotate');
    const r2 = expectStatus(await post('/api/login/refresh/', { refresh: r1.body.refresh }), 200, 'rotate again');
    t.equal((await post('/api/login/refresh/', { refresh: s.refresh })).status, 401, 'the stolen, already-used token is refused');
    t.equal((await post('/api/login/refresh/', { refresh: r2.body.refresh })).status, 401, 'and the newest token of the family stops working');
    t.equal((await post('/api/login/refresh/', { refresh: other.refresh })).status, 200, 'another login (another family) is unaffected');
  });

  t.test('two concurrent refreshes with one token: exactly one wins', async (t) => {
    const s = await login(base, 'alice.desk', PASSWORD, freshIp());
    const results = await Promise.all([0, 1, 2].map(() => post('/api/login/refresh/', { refresh: s.refresh })));
    t.same(results.map((r) => r.status).sort(), [200, 401, 401]);
  });

  t.test('refresh: bad input', async (t) => {
    const s = await login(base, 'alice.desk', PASSWORD, freshIp());
    t.equal((await post('/api/login/refresh/', { refresh: s.access })).status, 401, 'an access token is not a refresh token');
    t.equal((await post('/api/login/refresh/', { refresh: 'garbage' })).status, 401, 'garbage');
    const missing = await post('/api/login/refresh/', {});
    t.equal(missing.status, 400);
    t.ok(fields(missing)['refresh'], 'names refresh');
    const extra = await post('/api/login/refresh/', { refresh: s.refresh, access: s.access });
    t.equal(extra.status, 400);
    t.ok(fields(extra)['access'], 'names the unknown field');
  });

  t.test('logout revokes the refresh token', async (t) => {
    const s = await login(base, 'alice.desk', PASSWORD, freshIp());
    const noAuth = await post('/api/logout/', { refresh: s.refresh });
    t.equal(noAuth.status, 401, 'logout needs the access token');
    const r = await post('/api/logout/', { refresh: s.refresh }, { token: s.access });
    t.equal(r.status, 200);
    t.equal((await post('/api/login/refresh/', { refresh: s.refresh })).status, 401, 'the refresh token is revoked');

    const mine = await login(base, 'alice.desk', PASSWORD, freshIp());
    const others = await post('/api/logout/', { refresh: w.admin.refresh }, { token: mine.access });
    t.equal(others.status, 400, "another user's refresh token is refused");
    t.ok(fields(others)['refresh']);
    t.equal((await post('/api/login/refresh/', { refresh: w.admin.refresh })).status, 200, 'and stays valid');
    const junk = await post('/api/logout/', { refresh: 'junk' }, { token: mine.access });
    t.equal(junk.status, 400, 'a malformed refresh token is a 400');
    t.ok(fields(junk)['refresh']);
  });

  t.test('change-password: checks the old one, revokes refresh tokens, the new one logs in', async (t) => {
    const u = await createStaff(w, w.admin.access, { user_type: 'department_staff', hotel_id: hotel.id, department: 'housekeeping' });
    const wrong = await post('/api/change-password/', { old_password: 'nope', new_password: 'another-long-password' }, { token: u.access });
    t.equal(wrong.status, 400);
    t.ok(fields(wrong)['old_password']);
    const short = await post('/api/change-password/', { old_password: PASSWORD, new_password: 'short' }, { token: u.access });
    t.equal(short.status, 400);
    t.ok(fields(short)['new_password']);
    const ok = await post('/api/change-password/', { old_password: PASSWORD, new_password: 'another-long-password' }, { token: u.access });
    t.equal(ok.status, 200);
    t.equal((await post('/api/login/refresh/', { refresh: u.refresh })).status, 401, 'refresh tokens of earlier logins are revoked');
    t.equal((await loginReq(u.username, PASSWORD)).status, 401, 'the old password no longer works');
    t.equal((await loginReq(u.username, 'another-long-password')).status, 200, 'the new one does');
  });

  t.test('a deactivated user is refused at once (USER_CACHE_TTL_MS=0)', async (t) => {
    const f = await createStaff(w, w.admin.access, { user_type: 'receptionist', hotel_id: hotel.id });
    t.equal((await get(`/api/rooms/`, f.access)).status, 200, 'works before');
    expectStatus(await w.adminApi.patch(`/api/users/${f.id}/`, { is_active: false }), 200, 'deactivate');
    const after = await get(`/api/rooms/`, f.access);
    t.equal(after.status, 401, 'the access token stops working');
    t.equal((await post('/api/login/refresh/', { refresh: f.refresh })).status, 401, 'the refresh token too');
    t.equal((await get('/api/notifications/', f.access)).status, 401);

    const g = await createStaff(w, w.admin.access, { user_type: 'manager', hotel_id: hotel.id });
    t.equal((await get(`/api/users/`, g.access)).status, 200);
    const del = await request(base, 'DELETE', `/api/users/${g.id}/`, { token: w.admin.access });
    t.equal(del.status, 204, 'DELETE deactivates');
    t.equal((await get(`/api/users/`, g.access)).status, 401, 'and the token stops working');
    const still = await get(`/api/users/${g.id}/`, w.admin.access);
    t.equal(still.status, 200, 'the account still exists (history keeps its author)');
    t.equal(still.body.is_active, false);
  });

  t.test("a deactivated hotel's staff are refused at once", async (t) => {
    const h = await createHotel(w);
    const s = await createStaff(w, w.admin.access, { user_type: 'hotel_admin', hotel_id: h.id });
    t.equal((await get(`/api/hotels/${h.id}/`, s.access)).status, 200);
    expectStatus(await w.adminApi.patch(`/api/hotels/${h.id}/`, { is_active: false }), 200, 'deactivate hotel');
    t.equal((await get(`/api/hotels/${h.id}/`, s.access)).status, 401);
    t.equal((await post('/api/login/refresh/', { refresh: s.refresh })).status, 401);
  });

  t.test('forged, expired and misused tokens are 401', async (t) => {
    const s: Session = await login(base, 'alice.desk', PASSWORD, freshIp());
    const now = Math.floor(Date.now() / 1000);
    const craft = (claims: Record<string, unknown>, o: { secret?: string; iss?: string; exp?: number; alg?: string } = {}) =>
      new SignJWT({ token_type: 'access', user_id: String(alice.id), sub: String(alice.id), ...claims })
        .setProtectedHeader({ alg: o.alg ?? 'HS256', typ: 'JWT' })
        .setIssuer(o.iss ?? ISSUER)
        .setIssuedAt(now - 7200)
        .setJti(uniq('jti'))
        .setExpirationTime(o.exp ?? now + 3600)
        .sign(new TextEncoder().encode(o.secret ?? TEST_JWT_SECRET));

    const good = await craft({});
    t.equal((await get('/api/rooms/', good)).status, 200, 'control: a well-made token with the test secret works');

    const guest = await w.adminApi.post('/api/guests/', { whatsapp_number: '+15551230001', full_name: 'Token Guest', hotel_id: hotel.id });
    const guestToken = expectStatus(await w.adminApi.post(`/api/guests/${guest.body.id}/socket-token/`), 201, 'guest token').body.token;

    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({ token_type: 'access', user_id: String(alice.id), iss: ISSUER, exp: now + 3600 }),
    ).toString('base64url')}.`;

    const cases: Array<[string, string]> = [
      ['signed with another secret', await craft({}, { secret: 'some-other-secret-0123456789abcdefghijkl' })],
      ['expired', await craft({}, { exp: now - 60 })],
      ['another issuer', await craft({}, { iss: 'someone-else' })],
      ['a refresh token', s.refresh],
      ['a guest socket token', guestToken],
      ['token_type missing', await craft({ token_type: undefined })],
      ['a user that does not exist', await craft({ user_id: '987654321', sub: '987654321' })],
      ['user_id not a number', await craft({ user_id: 'alice' })],
      ['alg none', unsigned],
      ['not a JWT', 'abc.def.ghi'],
      ['tampered payload', s.access.replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ token_type: 'access', user_id: '1', iss: ISSUER, exp: now + 3600 })).toString('base64url')}.`)],
    ];
    for (const [what, token] of cases) {
      const r = await get('/api/rooms/', token);
      t.equal(r.status, 401, what);
      t.type(r.body?.error, 'string', `${what}: {error}`);
    }
    const none = await get('/api/rooms/');
    t.equal(none.status, 401, 'no token');
    t.equal(none.body.error, 'Authentication credentials were not provided.');
    for (const header of [`Token ${s.access}`, `Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer', `Bearer ${s.access} extra`]) {
      const r = await request(base, 'GET', '/api/rooms/', { headers: { authorization: header } });
      t.equal(r.status, 401, `Authorization: ${header.slice(0, 12)}…`);
    }
  });

  t.test('unknown routes are 404, never 401, with or without a token', async (t) => {
    const s = await login(base, 'alice.desk', PASSWORD, freshIp());
    const paths = ['/api/nope/', '/api/users/1/explode/', '/api/hotels/x/y/z/', '/api/login/extra/', '/api', '/totally/unknown'];
    for (const path of paths) {
      for (const [who, headers] of [
        ['no token', {}],
        ['valid token', { authorization: `Bearer ${s.access}` }],
        ['bad token', { authorization: 'Bearer not-a-token' }],
      ] as const) {
        for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
          const r = await request(base, method, path, { headers: { ...headers } });
          t.equal(r.status, 404, `${method} ${path} (${who})`);
        }
      }
    }
    t.equal((await get('/api/users', s.access)).status, 200, 'a known path without its trailing slash works');
    t.equal((await get('/api/users/', s.access)).status, 200, 'and with it');
    t.equal((await request(base, 'PUT', '/api/users/', { token: s.access, body: {} })).status, 405, 'a wrong method on a known path is 405');
  });
});
