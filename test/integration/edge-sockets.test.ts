// Socket admission at the edge: the token can travel in Sec-WebSocket-Protocol (`bearer`, then
// the token) instead of the URL; one user holds at most MAX_SOCKETS_PER_USER sockets, even when
// all of them are opened at once; upgrades per client IP are rate limited with 429 + Retry-After.
import t from 'tap';
import WebSocket from 'ws';
import { CloseCodes } from '../../src/protocol/codes.js';
import { startApp } from '../helpers/app.js';
import { guestToken, numberFactory, seedHotel } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';

const CAP = 3;
const app = await startApp(t, { env: { MAX_SOCKETS_PER_USER: String(CAP), WS_UPGRADES_PER_MINUTE: '60' } });
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const suffix = String(Date.now() % 1e6);
const h = await seedHotel(sql, {
  staff: [
    { username: `sock_a_${suffix}`, type: 'receptionist', departments: ['Reception'] },
    { username: `sock_b_${suffix}`, type: 'receptionist', departments: ['Reception'] },
  ],
  guests: [{ number: num(1), name: 'Socket Guest', room: '101' }],
});
const [a, b] = Object.values(h.staff);

type Outcome = { opened: true; ws: WebSocket; protocol: string; closed: Promise<number> } | { opened: false; status: number; headers: Record<string, string | string[] | undefined> };

function open(url: string, protocols?: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const closed = new Promise<number>((r) => ws.once('close', r));
    ws.once('open', () => resolve({ opened: true, ws, protocol: ws.protocol, closed }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ opened: false, status: res.statusCode!, headers: res.headers });
    });
    ws.once('error', reject);
  });
}

t.test('the token travels in Sec-WebSocket-Protocol, outside the URL', async (t) => {
  const staff = await open(`${app.wsBase}/ws/chat/`, ['bearer', a!.token]);
  t.ok(staff.opened, 'a staff socket opens');
  if (staff.opened) {
    t.equal(staff.protocol, 'bearer', 'the server answers the bearer protocol, never the token');
    staff.ws.close();
    await staff.closed;
  }
  const guest = h.guests[num(1)]!;
  const g = await open(`${app.wsBase}/ws/guest/${encodeURIComponent(guest.number)}/`, ['bearer', await guestToken(guest.id, guest.number)]);
  t.ok(g.opened, 'a guest socket opens with its guest token');
  if (g.opened) {
    t.equal(g.protocol, 'bearer');
    g.ws.close();
    await g.closed;
  }
  const bad = await open(`${app.wsBase}/ws/chat/`, ['bearer', 'not.a.token']);
  t.match(bad, { opened: false, status: 401 }, 'a bad token in the protocol is a 401');
  const none = await open(`${app.wsBase}/ws/chat/`, ['bearer']);
  t.match(none, { opened: false, status: 401 }, 'bearer without a token is a 401');
});

t.test('a user holds at most MAX_SOCKETS_PER_USER sockets, even opened all at once', async (t) => {
  const url = (tok: string) => `${app.wsBase}/ws/chat/?token=${encodeURIComponent(tok)}`;
  const all = await Promise.all(Array.from({ length: CAP + 3 }, () => open(url(a!.token))));
  const sockets = all.filter((o): o is Extract<Outcome, { opened: true }> => o.opened);
  t.equal(sockets.length, CAP + 3, 'every handshake completes (the refusal is a close code a browser can read)');
  // The refused ones are closed by the server right after open; the others stay.
  const codes = await Promise.all(sockets.map((s) => Promise.race([s.closed, new Promise<number>((r) => setTimeout(() => r(0), 3000))])));
  t.equal(codes.filter((c) => c === CloseCodes.TOO_MANY_SOCKETS.code).length, 3, `three closed with ${CloseCodes.TOO_MANY_SOCKETS.code}`);
  t.equal(codes.filter((c) => c === 0).length, CAP, `${CAP} stay open`);
  const other = await open(url(b!.token));
  t.ok(other.opened, 'another user is not affected');
  if (other.opened) other.ws.close();

  const kept = sockets.filter((_, i) => codes[i] === 0);
  kept[0]!.ws.close();
  await kept[0]!.closed;
  const again = await open(url(a!.token));
  t.ok(again.opened, 'a closed socket gives its slot back');
  if (again.opened) {
    const code = await Promise.race([again.closed, new Promise<number>((r) => setTimeout(() => r(0), 1000))]);
    t.equal(code, 0, 'and the new socket stays');
    again.ws.close();
  }
  for (const s of kept.slice(1)) s.ws.close();
});

t.test('upgrades per client IP are rate limited with 429 and Retry-After', async (t) => {
  // The limit is checked before authentication: a burst of anonymous handshakes is enough.
  const burst = await Promise.all(Array.from({ length: 25 }, () => open(`${app.wsBase}/ws/chat/`)));
  const statuses = burst.map((o) => (o.opened ? 101 : o.status));
  t.ok(statuses.every((s) => s === 401 || s === 429), 'each one is a 401 (no token) or a 429');
  const refused = burst.find((o): o is Extract<Outcome, { opened: false }> => !o.opened && o.status === 429);
  t.ok(refused, 'a burst over WS_UPGRADES_PER_MINUTE / 6 gets a 429');
  t.ok(Number(refused?.headers['retry-after']) >= 1, 'with Retry-After');
});
