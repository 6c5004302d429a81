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

/** A stand-in for a uWS socket: its state, a buffered amount, and what the hub did to it. */
function fakeSocket(s: SocketState & { departments?: string[] }, buffered = 0) {
  const ws = {
    looked: 0,
    ended: null as number | null,
    getUserData: () => s,
    getBufferedAmount: () => {
      ws.looked++;
      return buffered;
    },
    end: (code: number) => {
      ws.ended = code;
      s.closed = true;
    },
    subscribe: () => true,
    unsubscribe: () => true,
  };
  return ws;
}
type HubSocket = Parameters<SocketHub['add']>[0];

t.test('the census follows sockets as they open and close', async (t) => {
  const h = hub(t);
  const a = fakeSocket({ ...state(1, 'h1'), departments: ['Reception', 'Management'] });
  const b = fakeSocket({ ...state(2, 'h1'), departments: ['Reception'] });
  const g = fakeSocket(state(3, 'h1', 'guest'));
  const other = fakeSocket({ ...state(4, 'h2'), departments: ['Restaurant'] });
  for (const ws of [a, b, g, other]) h.add(ws as unknown as HubSocket);
  h.add(a as unknown as HubSocket);
  const byHotel = () => Object.fromEntries(h.census().map((c) => [c.hotel_id, c]));
  t.same(byHotel(), {
    h1: { hotel_id: 'h1', staff: 2, guests: 1, departments: { Reception: 2, Management: 1 } },
    h2: { hotel_id: 'h2', staff: 1, guests: 0, departments: { Restaurant: 1 } },
  }, 'an add of a socket already counted counts nothing');
  byHotel()['h1']!.departments['Reception'] = 99;
  t.equal(byHotel()['h1']!.departments['Reception'], 2, 'what census() returns is a copy');
  t.equal(h.remove(a as unknown as HubSocket), true);
  t.equal(h.remove(a as unknown as HubSocket), false, 'a second remove counts nothing');
  t.equal(h.remove(other as unknown as HubSocket), true);
  t.same(byHotel(), { h1: { hotel_id: 'h1', staff: 1, guests: 1, departments: { Reception: 1 } } }, 'a hotel without sockets is gone');
  h.remove(b as unknown as HubSocket);
  h.remove(g as unknown as HubSocket);
  t.same(h.census(), []);
});

t.test('the buffer sweep goes on where its last tick stopped and looks at each socket once per pass', async (t) => {
  const h = hub(t);
  const sockets = Array.from({ length: 25 }, (_, i) => fakeSocket(state(200 + i)));
  for (const ws of sockets) h.add(ws as unknown as HubSocket);
  const sweep = (n: number) => (h as unknown as { sweep(n: number): void }).sweep(n);
  sweep(10);
  t.same(sockets.map((w) => w.looked), [...Array(10).fill(1), ...Array(15).fill(0)], 'one tick: its share only');
  // A socket that closes and one that opens in the middle of a pass.
  h.remove(sockets[15] as unknown as HubSocket);
  const late = fakeSocket(state(300));
  h.add(late as unknown as HubSocket);
  sweep(10);
  sweep(10);
  t.same(sockets.map((w) => w.looked), [...Array(15).fill(1), 0, ...Array(9).fill(1)], 'the rest of the pass, without the closed socket');
  t.equal(late.looked, 1, 'a socket added during the pass is looked at in it');
  sweep(10);
  t.equal(sockets[0]!.looked, 2, 'then a new pass starts from the first socket');
});

t.test('over the hard limit every socket is closed as a slow consumer within a pass', async (t) => {
  const h = hub(t);
  const slow = Array.from({ length: 40 }, (_, i) => fakeSocket(state(400 + i), limits.maxBackpressureBytes + 1));
  const fine = fakeSocket(state(500), 10);
  for (const ws of [fine, ...slow]) h.add(ws as unknown as HubSocket);
  h.start();
  const deadline = Date.now() + 5000;
  while (slow.some((w) => w.ended === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  t.same(new Set(slow.map((w) => w.ended)), new Set([CloseCodes.SLOW_CONSUMER.code]), 'all slow sockets closed with 4009');
  t.equal(fine.ended, null, 'the socket under the limit stays');
  t.ok(fine.looked >= 1, 'and was looked at');
});

t.test("a user's close reaches all of that user's open sockets and no one else's", async (t) => {
  const h = hub(t);
  const mine = [fakeSocket(state(700)), fakeSocket(state(700)), fakeSocket(state(700))];
  const guestSameId = fakeSocket(state(700, 'h1', 'guest'));
  const other = fakeSocket(state(701));
  for (const ws of [...mine, guestSameId, other]) h.add(ws as unknown as HubSocket);
  h.remove(mine[1] as unknown as HubSocket);
  t.equal(h.closeUser(700, CloseCodes.SESSION_REVOKED), 2, 'the two still open');
  t.same(mine.map((w) => w.ended), [CloseCodes.SESSION_REVOKED.code, null, CloseCodes.SESSION_REVOKED.code]);
  t.equal(guestSameId.ended, null, 'a guest with the same id is another owner');
  t.equal(other.ended, null);
  for (const ws of mine) h.remove(ws as unknown as HubSocket);
  const again = fakeSocket(state(700));
  h.add(again as unknown as HubSocket);
  t.equal(h.closeUser(700, CloseCodes.RIGHTS_CHANGED), 1, 'a socket opened later is found alone');
  t.equal(again.ended, CloseCodes.RIGHTS_CHANGED.code);
  t.equal(h.closeUser(702, CloseCodes.RIGHTS_CHANGED), 0, 'a user without sockets: nothing');
});
