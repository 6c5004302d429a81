// The hub's admission closes the race between authorising an upgrade and the socket opening: a
// revocation or rights change that lands in between still reaches the socket.
import t, { type Test } from 'tap';
import { Registry } from '../../src/obs/metrics.js';
import { CloseCodes } from '../../src/protocol/codes.js';
import { SocketHub, type SocketState } from '../../src/transport/ws/hub.js';
import type { TemplatedApp } from '../../src/transport/uws.js';

const limits = { lowPriorityLimitBytes: 1 << 16, maxBackpressureBytes: 1 << 20, maxSocketsPerUser: 5, upgradesPerMinute: 600 };

function hub(t: Test) {
  const h = new SocketHub({ publish: () => true } as unknown as TemplatedApp, limits, new Registry().counter('closes', 'closes'));
  t.teardown(() => h.closeAll());
  return h;
}

let ids = 0;
function state(userId: number, hotelId = 'h1', kind: 'staff' | 'guest' = 'staff'): SocketState {
  return { id: ++ids, kind, userId, hotelId, closed: false, lowTopics: [], lowPaused: false, openedAt: 0, slot: false, refusal: null };
}

t.test('a change that lands while the upgrade is authorised turns the socket into a refusal', async (t) => {
  const h = hub(t);
  const mark = h.mark();
  h.closeUser(7, CloseCodes.RIGHTS_CHANGED);
  const s = state(7);
  t.ok(h.reserve(s, mark), 'the slot is still taken (released at close)');
  t.equal(s.refusal, CloseCodes.RIGHTS_CHANGED, 'opened only to be closed with the change code');
  const other = state(8);
  h.reserve(other, mark);
  t.equal(other.refusal, null, "another user's socket is not touched");
  const later = state(7);
  h.reserve(later, h.mark());
  t.equal(later.refusal, null, 'an upgrade authorised after the change opens normally');
});

t.test('a change between reserve and open reaches the socket', async (t) => {
  const h = hub(t);
  const s = state(9);
  h.reserve(s, h.mark());
  h.closeUser(9, CloseCodes.SESSION_REVOKED);
  t.equal(s.refusal, CloseCodes.SESSION_REVOKED);
  const released = state(9);
  h.reserve(released, h.mark());
  h.release(released);
  h.closeUser(9, CloseCodes.RIGHTS_CHANGED);
  t.equal(released.refusal, null, 'a released socket is no longer tracked');
});

t.test('a deactivated hotel refuses every socket of it authorised before', async (t) => {
  const h = hub(t);
  const mark = h.mark();
  h.closeHotel('h2', CloseCodes.SESSION_REVOKED);
  const staff = state(1, 'h2');
  const guest = state(2, 'h2', 'guest');
  const elsewhere = state(3, 'h3');
  for (const s of [staff, guest, elsewhere]) h.reserve(s, mark);
  t.equal(staff.refusal, CloseCodes.SESSION_REVOKED);
  t.equal(guest.refusal, CloseCodes.SESSION_REVOKED);
  t.equal(elsewhere.refusal, null);
});

t.test('a guest socket is not refused by a staff member with the same id', async (t) => {
  const h = hub(t);
  const mark = h.mark();
  h.closeUser(4, CloseCodes.SESSION_REVOKED);
  const g = state(4, 'h1', 'guest');
  h.reserve(g, mark);
  t.equal(g.refusal, null);
});

// uWS copies the user data given to upgrade() into the socket: open() and close() see a copy.
t.test('a change between reserve and open reaches the copy uWS opens the socket with', async (t) => {
  const h = hub(t);
  const s = state(11);
  h.reserve(s, h.mark());
  const copy = { ...s };
  t.equal(h.openingCount, 1);
  h.closeUser(11, CloseCodes.SESSION_REVOKED);
  t.equal(h.opened(copy), CloseCodes.SESSION_REVOKED, 'the refusal reaches the state open() sees');
  t.equal(copy.refusal, CloseCodes.SESSION_REVOKED);
  t.equal(h.openingCount, 0, 'no longer tracked once open');
  const calm = state(12);
  h.reserve(calm, h.mark());
  t.equal(h.opened({ ...calm }), null, 'no change: opens normally');
});

t.test('sockets that opened or closed are not kept in the opening set', async (t) => {
  const h = hub(t);
  for (let i = 0; i < 50; i++) {
    const s = state(100 + i);
    h.reserve(s, h.mark());
    const copy = { ...s };
    if (i % 2 === 0) h.opened(copy);
    h.release(copy);
  }
  t.equal(h.openingCount, 0, 'opening holds nothing after open and close of copies');
});
