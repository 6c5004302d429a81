// Issue 3 — TokenService (jose, HS256): the claims SimpleJWT clients expect, lifetimes from the
// configuration, and every token kind refused where another is expected.
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import t from 'tap';
import { TokenService } from '../../../src/auth/tokens.js';
import { loadConfig } from '../../../src/config/load.js';
import { AuthError } from '../../../src/core/errors.js';
import { testEnv, TEST_JWT_SECRET } from '../../helpers/app.js';

const cfg = loadConfig(testEnv({ ACCESS_TOKEN_TTL_S: '120', REFRESH_TOKEN_TTL_S: '600', GUEST_TOKEN_TTL_S: '300' })).auth;
const tokens = new TokenService(cfg);
const other = new TokenService({ ...cfg, jwtSecret: 'another-secret-0123456789abcdefghijklmnop' });
const key = new TextEncoder().encode(TEST_JWT_SECRET);

t.test('access tokens', async (t) => {
  const token = await tokens.signAccess(42);
  t.same(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' });
  const c = decodeJwt(token);
  t.match(c, { token_type: 'access', user_id: '42', sub: '42', iss: 'lobbybee-realtime', jti: String });
  t.equal(c.exp! - c.iat!, 120, 'ACCESS_TOKEN_TTL_S');
  t.same(await tokens.verifyAccess(token), { kind: 'local', userId: 42, version: 0, session: null }, 'no session claims: version 0');
  const withSession = await tokens.signAccess(42, { version: 3, session: 'fam-9' });
  t.match(decodeJwt(withSession), { ver: 3, sid: 'fam-9' });
  t.same(await tokens.verifyAccess(withSession), { kind: 'local', userId: 42, version: 3, session: 'fam-9' });
  await t.rejects(other.verifyAccess(token), AuthError, 'another secret');
  await t.rejects(tokens.verifyRefresh(token), AuthError, 'not a refresh token');
  await t.rejects(tokens.verifyGuest(token), AuthError, 'not a guest token');
});

t.test('refresh tokens', async (t) => {
  const r = await tokens.signRefresh(7, 'fam-1');
  const c = decodeJwt(r.token);
  t.match(c, { token_type: 'refresh', user_id: '7', fam: 'fam-1', jti: r.jti });
  t.equal(c.exp! - c.iat!, 600, 'REFRESH_TOKEN_TTL_S');
  t.ok(Math.abs(r.expiresAt.getTime() - c.exp! * 1000) < 2000, 'expiresAt matches exp');
  t.same(await tokens.verifyRefresh(r.token), { userId: 7, jti: r.jti, family: 'fam-1' });
  await t.rejects(tokens.verifyAccess(r.token), AuthError, 'a refresh token is not an access token');
  const r2 = await tokens.signRefresh(7, 'fam-1');
  t.not(r2.jti, r.jti, 'every refresh token has its own jti');
});

t.test('guest tokens', async (t) => {
  const g = await tokens.signGuest(5, '+442079460958');
  const c = decodeJwt(g);
  t.equal(c.exp! - c.iat!, 300, 'GUEST_TOKEN_TTL_S');
  t.same(await tokens.verifyGuest(g), { guestId: 5, number: '+442079460958' });
  await t.rejects(tokens.verifyAccess(g), AuthError, 'a guest token is not an access token');
});

t.test('crafted tokens', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const craft = (claims: Record<string, unknown>, o: { iss?: string; exp?: number; nbf?: number } = {}) => {
    const j = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(o.iss ?? 'lobbybee-realtime').setIssuedAt().setExpirationTime(o.exp ?? now + 60);
    if (o.nbf !== undefined) j.setNotBefore(o.nbf);
    return j.sign(key);
  };
  t.same(await tokens.verifyAccess(await craft({ token_type: 'access', user_id: '9' })), { kind: 'local', userId: 9, version: 0, session: null }, 'control');
  const bad: Array<[string, Promise<string>]> = [
    ['expired', craft({ token_type: 'access', user_id: '9' }, { exp: now - 10 })],
    ['not yet valid', craft({ token_type: 'access', user_id: '9' }, { nbf: now + 600 })],
    ['wrong issuer', craft({ token_type: 'access', user_id: '9' }, { iss: 'elsewhere' })],
    ['no token_type', craft({ user_id: '9' })],
    ['user_id not numeric', craft({ token_type: 'access', user_id: 'nine' })],
    ['user_id missing', craft({ token_type: 'access' })],
    ['ver not an integer', craft({ token_type: 'access', user_id: '9', ver: '1' })],
    ['sid not a string', craft({ token_type: 'access', user_id: '9', sid: 5 })],
  ];
  for (const [what, p] of bad) await t.rejects(tokens.verifyAccess(await p), AuthError, what);
  const hs512 = await new SignJWT({ token_type: 'access', user_id: '9' }).setProtectedHeader({ alg: 'HS512' }).setIssuer('lobbybee-realtime').setExpirationTime(now + 60).sign(key);
  await t.rejects(tokens.verifyAccess(hs512), AuthError, 'only HS256 is accepted');
  for (const junk of ['', 'abc', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoiOSJ9.']) {
    await t.rejects(tokens.verifyAccess(junk), AuthError, `junk ${JSON.stringify(junk)}`);
  }
});

t.test('the synchronous HS256 check agrees with jose on what it refuses', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const sign = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
  const base = { token_type: 'access', user_id: '9', iss: 'lobbybee-realtime', exp: now + 60 };
  const good = await sign({ alg: 'HS256' }, base);
  t.same(await tokens.verifyAccess(good), { kind: 'local', userId: 9, version: 0, session: null }, 'control');
  const [h, p, s] = good.split('.') as [string, string, string];
  const flip = (x: string) => (x[0] === 'A' ? 'B' : 'A') + x.slice(1);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const cases: Array<[string, string]> = [
    ['tampered signature', `${h}.${p}.${flip(s)}`],
    ['signature with a trailing character', `${h}.${p}.${s}A`],
    ['signature in padded base64', `${h}.${p}.${Buffer.from(s, 'base64url').toString('base64')}`],
    ['tampered payload', `${h}.${b64({ ...base, user_id: '10' })}.${s}`],
    ['no signature', `${h}.${p}.`],
    ['alg none', `${b64({ alg: 'none' })}.${p}.`],
    ['four parts', `${good}.x`],
    ['crit header', await sign({ alg: 'HS256', crit: ['exp'] }, base).catch(() => `${b64({ alg: 'HS256', crit: ['x'] })}.${p}.${s}`)],
    ['exp as a string', await sign({ alg: 'HS256' }, { ...base, exp: String(now + 60) })],
    ['exp now', await sign({ alg: 'HS256' }, { ...base, exp: now })],
    ['no issuer', await sign({ alg: 'HS256' }, { token_type: 'access', user_id: '9', exp: now + 60 })],
    ['iat not a number', await sign({ alg: 'HS256' }, { ...base, iat: 'yesterday' })],
  ];
  for (const [what, token] of cases) await t.rejects(tokens.verifyAccess(token), AuthError, what);
  // Payloads that are not a JSON object, correctly signed.
  const { createHmac } = await import('node:crypto');
  for (const payload of ['[1,2]', '"x"', 'null', '{bad json']) {
    const head = `${h}.${Buffer.from(payload).toString('base64url')}`;
    const mac = createHmac('sha256', key).update(head).digest('base64url');
    await t.rejects(tokens.verifyAccess(`${head}.${mac}`), AuthError, `payload ${payload}`);
  }
});
