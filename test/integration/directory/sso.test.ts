// Issue 3 — single sign-on: with AUTH_JWKS_URL set, access tokens signed by the identity
// provider's keys (RS256 here, from a local JWKS endpoint) are accepted and name the user by the
// configured claim (email by default: "matched against email, then username"); HS256 tokens of
// the service keep working, and issuer, audience, expiry and the key are all checked.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import t from 'tap';
import { createHotel, createUser, expectStatus, startDirectory } from '../../helpers/directory-fixtures.js';
import { request } from '../../helpers/http.js';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'lobbybee';

t.test('single sign-on tokens', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const stranger = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };
  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;

  const w = await startDirectory(t, { AUTH_JWKS_URL: jwksUrl, AUTH_JWKS_ISSUER: ISSUER, AUTH_JWKS_AUDIENCE: AUDIENCE, USER_CACHE_TTL_MS: '0' });
  const hotel = await createHotel(w);
  const sso = await createUser(w, w.admin.access, { username: 'ssouser', user_type: 'receptionist', hotel_id: hotel.id });
  expectStatus(await w.adminApi.patch(`/api/users/${sso.id}/`, { email: 'sso.user@corp.example' }), 200, 'email');

  const now = Math.floor(Date.now() / 1000);
  const idp = (claims: Record<string, unknown>, o: { iss?: string; aud?: string; exp?: number; key?: typeof privateKey; kid?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'idp-1' })
      .setIssuer(o.iss ?? ISSUER)
      .setAudience(o.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(o.exp ?? now + 600)
      .sign(o.key ?? privateKey);
  /** The caller is `sso` if it may edit sso's own name (a receptionist may only edit themselves). */
  const actsAsSso = async (token: string) => (await request(w.app.base, 'PATCH', `/api/users/${sso.id}/`, { token, body: { first_name: 'Via SSO' } })).status;

  t.test('a provider token naming the user by email is accepted', async (t) => {
    const token = await idp({ email: 'sso.user@corp.example' });
    t.equal((await request(w.app.base, 'GET', '/api/rooms/', { token })).status, 200);
    t.equal(await actsAsSso(token), 200, 'and acts as that user');
    t.equal(await actsAsSso(await idp({ email: 'SSO.User@Corp.Example' })), 200, 'email in another case');
  });

  t.test('the service’s own HS256 tokens keep working', async (t) => {
    t.equal((await request(w.app.base, 'GET', '/api/rooms/', { token: w.admin.access })).status, 200);
  });

  t.test('everything else is a 401', async (t) => {
    const cases: Array<[string, Promise<string>]> = [
      ['unknown email', idp({ email: 'nobody@corp.example' })],
      ['no email claim', idp({ sub: 'abc' })],
      ['wrong issuer', idp({ email: 'sso.user@corp.example' }, { iss: 'https://evil.example' })],
      ['wrong audience', idp({ email: 'sso.user@corp.example' }, { aud: 'someone-else' })],
      ['expired', idp({ email: 'sso.user@corp.example' }, { exp: now - 60 })],
      ['signed by a key not in the JWKS', idp({ email: 'sso.user@corp.example' }, { key: stranger.privateKey, kid: 'idp-1' })],
      ['unknown kid', idp({ email: 'sso.user@corp.example' }, { key: stranger.privateKey, kid: 'idp-2' })],
    ];
    for (const [what, p] of cases) t.equal((await request(w.app.base, 'GET', '/api/rooms/', { token: await p })).status, 401, what);
  });

  t.test('a deactivated user’s provider tokens stop working', async (t) => {
    const u = await createUser(w, w.admin.access, { user_type: 'manager', hotel_id: hotel.id });
    const token = await idp({ email: u.email });
    t.equal((await request(w.app.base, 'GET', '/api/rooms/', { token })).status, 200);
    expectStatus(await w.adminApi.patch(`/api/users/${u.id}/`, { is_active: false }), 200, 'deactivate');
    t.equal((await request(w.app.base, 'GET', '/api/rooms/', { token })).status, 401);
  });

  t.test('the email claim is matched against emails only', async (t) => {
    // The API refuses a username that is someone's email; a look-alike can only come from old data.
    const body = { username: 'sso.user@corp.example', email: 'someone.else@corp.example', password: 'a-long-password', user_type: 'department_staff', hotel_id: hotel.id, department: 'Housekeeping' };
    expectStatus(await w.adminApi.post('/api/users/', body), 409, 'the look-alike user is refused');
    await w.sql`
      insert into users (username, email, password_hash, user_type, hotel_id, departments)
      values ('sso.user@corp.example', 'someone.else@corp.example', 'x', 'department_staff', ${hotel.id}, '{Housekeeping}')`;
    const token = await idp({ email: 'sso.user@corp.example' });
    t.equal(await actsAsSso(token), 200, 'the token still names the user whose email it is');
  });
});
