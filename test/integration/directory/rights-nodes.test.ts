// Issue 11 (#5) — a change of a user's rights reaches their open sockets and the REST caches of
// every node at once. Two nodes on one database and one NATS; node B trusts its cached copy of a
// user for ten minutes, so only the cluster broadcast can make it see a change in time. The user
// is changed through node A; their socket on node B is closed with RIGHTS_CHANGED (4003, "reconnect")
// and the reconnect gets the new rights, or is refused.
import t from 'tap';
import { CloseCodes } from '../../../src/protocol/codes.js';
import { natsPrefix, startApp } from '../../helpers/app.js';
import { createHotel, createStaff, expectStatus, startDirectory } from '../../helpers/directory-fixtures.js';
import { TEST_NATS_URL } from '../../helpers/env.js';
import { request } from '../../helpers/http.js';
import { upgradeStatus, WsClient } from '../../helpers/ws.js';

const LONG_TTL_MS = '600000';
const CLOSE_WITHIN_MS = 5000;

t.test('rights changes across two nodes', async (t) => {
  const nats = { NATS_URL: TEST_NATS_URL, NATS_PREFIX: natsPrefix(), USER_CACHE_TTL_MS: LONG_TTL_MS };
  const w = await startDirectory(t, nats);
  const nodeB = await startApp(t, { databaseUrl: w.app.databaseUrl, env: nats });
  const hotel = await createHotel(w);
  const chatUrl = (token: string, dept = '') => `${nodeB.wsBase}/ws/chat/${dept}${dept ? '/' : ''}?token=${token}`;

  t.test('moved to another department: the socket on node B is told to reconnect, and the reconnect follows', async (t) => {
    const u = await createStaff(w, w.admin.access, { user_type: 'department_staff', hotel_id: hotel.id, department: 'housekeeping' });
    const ws = await WsClient.connect(chatUrl(u.access, 'housekeeping'));
    t.teardown(() => ws.close());
    expectStatus(await w.adminApi.patch(`/api/users/${u.id}/`, { department: 'restaurant' }), 200, 'move on node A');
    const closed = await ws.waitClose(CLOSE_WITHIN_MS);
    t.equal(closed.code, CloseCodes.RIGHTS_CHANGED.code, 'closed with RIGHTS_CHANGED');
    t.equal(CloseCodes.RIGHTS_CHANGED.reconnect, true, 'a code that tells the client to reconnect');
    t.equal(await upgradeStatus(chatUrl(u.access, 'housekeeping')), 403, 'the old department is refused');
    t.equal(await upgradeStatus(chatUrl(u.access, 'restaurant')), 101, 'the same token opens the new department');
  });

  t.test('changed to a role that may not chat: the socket is closed and the reconnect refused', async (t) => {
    const u = await createStaff(w, w.admin.access, { user_type: 'receptionist', hotel_id: hotel.id });
    const ws = await WsClient.connect(chatUrl(u.access));
    t.teardown(() => ws.close());
    expectStatus(await w.adminApi.patch(`/api/users/${u.id}/`, { user_type: 'other_staff' }), 200, 'change role on node A');
    const closed = await ws.waitClose(CLOSE_WITHIN_MS);
    t.equal(closed.code, CloseCodes.RIGHTS_CHANGED.code);
    t.equal(await upgradeStatus(chatUrl(u.access)), 403, 'the reconnect is refused');
  });

  t.test("node B's REST cache forgets the user at once (not after USER_CACHE_TTL_MS)", async (t) => {
    const u = await createStaff(w, w.admin.access, { user_type: 'receptionist', hotel_id: hotel.id });
    const ws = await WsClient.connect(chatUrl(u.access));
    t.teardown(() => ws.close());
    const guest = () => request(nodeB.base, 'POST', '/api/guests/', { token: u.access, body: { whatsapp_number: '+15557770001', full_name: 'Probe' } });
    const before = await guest();
    t.not(before.status, 403, `a receptionist may register guests on node B (${before.status}), now cached there`);
    expectStatus(await w.adminApi.patch(`/api/users/${u.id}/`, { user_type: 'department_staff', department: 'housekeeping' }), 200, 'demote on node A');
    // The socket closing on node B shows the broadcast arrived there; the same handler forgot the user.
    t.equal((await ws.waitClose(CLOSE_WITHIN_MS)).code, CloseCodes.RIGHTS_CHANGED.code);
    t.equal((await guest()).status, 403, 'node B applies the new role on the next request');
  });

  t.test('a change that leaves the rights alone leaves the socket open', async (t) => {
    const u = await createStaff(w, w.admin.access, { user_type: 'department_staff', hotel_id: hotel.id, department: ['housekeeping', 'restaurant'] });
    const barrier = await createStaff(w, w.admin.access, { user_type: 'department_staff', hotel_id: hotel.id, department: 'housekeeping' });
    const ws = await WsClient.connect(chatUrl(u.access));
    const barrierWs = await WsClient.connect(chatUrl(barrier.access));
    t.teardown(() => ws.close());
    t.teardown(() => barrierWs.close());
    expectStatus(await w.adminApi.patch(`/api/users/${u.id}/`, { first_name: 'Renamed', department: ['restaurant', 'housekeeping'] }), 200, 'rename on node A');
    // Broadcasts from one node arrive in order: once the barrier's socket closed, u's change was handled.
    expectStatus(await w.adminApi.patch(`/api/users/${barrier.id}/`, { department: 'restaurant' }), 200, 'move the barrier on node A');
    t.equal((await barrierWs.waitClose(CLOSE_WITHIN_MS)).code, CloseCodes.RIGHTS_CHANGED.code, 'the barrier socket closed');
    t.equal(ws.closed, null, 'the renamed user keeps their socket');
  });

  t.test("a deactivated hotel: node B closes its sockets and forgets its users at once", async (t) => {
    const h = await createHotel(w);
    const u = await createStaff(w, w.admin.access, { user_type: 'receptionist', hotel_id: h.id });
    const ws = await WsClient.connect(chatUrl(u.access));
    t.teardown(() => ws.close());
    t.equal((await request(nodeB.base, 'GET', '/api/rooms/', { token: u.access })).status, 200, 'cached on node B');
    expectStatus(await w.adminApi.patch(`/api/hotels/${h.id}/`, { is_active: false }), 200, 'deactivate on node A');
    t.equal((await ws.waitClose(CLOSE_WITHIN_MS)).code, CloseCodes.SESSION_REVOKED.code);
    t.equal((await request(nodeB.base, 'GET', '/api/rooms/', { token: u.access })).status, 401, 'node B refuses REST on the next request');
  });
});
