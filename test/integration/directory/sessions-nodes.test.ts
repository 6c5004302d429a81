// Issue 11 (#6) — access tokens end with their session, on every node, for REST and sockets.
// Two nodes on one database and one NATS; node B trusts its cached copy of a user for ten
// minutes, so only the token version, the ended-session list and the cluster broadcast can make
// it refuse in time. Each change is made through node A:
// - change-password and an admin reset end every earlier token of the user (token_version);
// - logout ends the tokens of that login (its refresh family, across refreshes), not the others;
// - a reused refresh token ends its session, access tokens included.
import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { TokenService } from '../../../src/auth/tokens.js';
import { loadConfig } from '../../../src/config/load.js';
import { CloseCodes } from '../../../src/protocol/codes.js';
import { natsPrefix, startApp, testEnv } from '../../helpers/app.js';
import { createHotel, createStaff, expectStatus, login, startDirectory, type Session } from '../../helpers/directory-fixtures.js';
import { TEST_NATS_URL } from '../../helpers/env.js';
import { request } from '../../helpers/http.js';
import { upgradeStatus, WsClient } from '../../helpers/ws.js';

const LONG_TTL_MS = '600000';
const CLOSE_WITHIN_MS = 5000;
const tokens = new TokenService(loadConfig(testEnv()).auth);

t.test('sessions across two nodes', async (t) => {
  const nats = { NATS_URL: TEST_NATS_URL, NATS_PREFIX: natsPrefix(), USER_CACHE_TTL_MS: LONG_TTL_MS };
  const w = await startDirectory(t, nats);
  const nodeB = await startApp(t, { databaseUrl: w.app.databaseUrl, env: nats });
  const hotel = await createHotel(w);
  const chatUrl = (token: string) => `${nodeB.wsBase}/ws/chat/?token=${token}`;
  const restB = async (token: string) => (await request(nodeB.base, 'GET', '/api/rooms/', { token })).status;
  const restA = async (token: string) => (await request(w.app.base, 'GET', '/api/rooms/', { token })).status;
  const post = (path: string, body: unknown, token?: string) => request(w.app.base, 'POST', path, { body, ...(token ? { token } : {}) });

  /** A receptionist with a socket open on node B and the user cached there. */
  async function onNodeB(t: Test): Promise<{ u: Session; ws: WsClient }> {
    const u = await createStaff(w, w.admin.access, { user_type: 'receptionist', hotel_id: hotel.id });
    const ws = await WsClient.connect(chatUrl(u.access));
    t.teardown(() => ws.close());
    t.equal(await restB(u.access), 200, 'works on node B before (and is cached there)');
    return { u, ws };
  }

  t.test('change-password: every earlier token stops at once on both nodes; the new pair works', async (t) => {
    const { u, ws } = await onNodeB(t);
    const other = await login(w.app.base, u.username, u.password);
    const r = expectStatus(await post('/api/change-password/', { old_password: u.password, new_password: 'a-brand-new-password' }, u.access), 200, 'change');
    t.equal(await restA(u.access), 401, 'node A refuses the old token at once');
    t.equal((await ws.waitClose(CLOSE_WITHIN_MS)).code, CloseCodes.SESSION_REVOKED.code, 'the socket on node B is closed as revoked');
    t.equal(await restB(u.access), 401, 'node B refuses the old token');
    t.equal(await restB(other.access), 401, "and another login's token");
    t.equal(await upgradeStatus(chatUrl(u.access)), 401, 'no new socket with the old token');
    t.equal(await restB(r.body.access), 200, 'the pair returned by change-password works on node B');
    t.equal(await upgradeStatus(chatUrl(r.body.access)), 101, 'and opens sockets');
  });

  t.test("an admin's password reset ends every earlier token on both nodes", async (t) => {
    const { u, ws } = await onNodeB(t);
    expectStatus(await w.adminApi.patch(`/api/users/${u.id}/`, { password: 'reset-by-the-admin' }), 200, 'reset on node A');
    t.equal((await ws.waitClose(CLOSE_WITHIN_MS)).code, CloseCodes.SESSION_REVOKED.code);
    t.equal(await restB(u.access), 401, 'node B refuses the old token');
    t.equal(await restA(u.access), 401, 'node A too');
    t.equal(await upgradeStatus(chatUrl(u.access)), 401, 'no new socket');
    const fresh = await login(w.app.base, u.username, 'reset-by-the-admin');
    t.equal(await restB(fresh.access), 200, 'a login with the new password works on node B');
  });

  t.test('logout ends that login (across its refreshes) everywhere; other logins go on', async (t) => {
    const { u, ws } = await onNodeB(t);
    const other = await login(w.app.base, u.username, u.password);
    const rotated = expectStatus(await post('/api/login/refresh/', { refresh: u.refresh }), 200, 'refresh').body;
    t.equal(await restB(rotated.access), 200, 'the refreshed token works on node B');
    expectStatus(await post('/api/logout/', { refresh: rotated.refresh }, rotated.access), 200, 'logout on node A');
    t.equal((await ws.waitClose(CLOSE_WITHIN_MS)).code, CloseCodes.RIGHTS_CHANGED.code, "the user's sockets are asked to reconnect");
    for (const [what, token] of [['first', u.access], ['refreshed', rotated.access]] as const) {
      t.equal(await restB(token), 401, `node B refuses the ${what} access token of the ended login`);
      t.equal(await restA(token), 401, `node A too (${what})`);
      t.equal(await upgradeStatus(chatUrl(token)), 401, `no socket with it (${what})`);
    }
    t.equal((await post('/api/login/refresh/', { refresh: rotated.refresh })).status, 401, 'its refresh token is revoked');
    t.equal(await restB(other.access), 200, 'another login of the same user goes on');
    t.equal(await upgradeStatus(chatUrl(other.access)), 101, 'and reconnects its socket');
  });

  t.test('a reused refresh token ends its session, access tokens included', async (t) => {
    const { u, ws } = await onNodeB(t);
    const rotated = expectStatus(await post('/api/login/refresh/', { refresh: u.refresh }), 200, 'refresh').body;
    t.equal(await restB(rotated.access), 200);
    t.equal((await post('/api/login/refresh/', { refresh: u.refresh })).status, 401, 'the used token is refused');
    t.equal(await restA(rotated.access), 401, 'the access tokens of that session stop on node A');
    // Node B learns of it through the broadcast, which also asks the user's sockets to reconnect.
    t.equal((await ws.waitClose(CLOSE_WITHIN_MS)).code, CloseCodes.RIGHTS_CHANGED.code);
    t.equal(await restB(rotated.access), 401, 'and on node B');
  });

  t.test("a token newer than node B's cached copy is accepted", async (t) => {
    const { u } = await onNodeB(t);
    // The version moves on without a broadcast (as if it were lost): node B still holds version 0.
    await w.sql`update users set token_version = token_version + 1 where id = ${u.id}`;
    const newer = await tokens.signAccess(u.id, { version: 1, session: randomUUID() });
    t.equal(await restB(newer), 200, 'node B reads the user again for a newer token version');
    t.equal(await restB(u.access), 401, 'and from then on refuses the older one');
  });
});
