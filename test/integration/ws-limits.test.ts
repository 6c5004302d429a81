// Slow and bad clients: a slow consumer is closed with 4009 without holding back a fast one;
// frame floods close with 4008; oversized frames close the socket; none of it touches others.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { WsClient } from '../helpers/ws.js';

const app = await startApp(t, {
  env: {
    WS_MAX_BACKPRESSURE_BYTES: '65536',
    WS_LOW_PRIORITY_LIMIT_BYTES: '8192',
    WS_FRAMES_PER_SECOND: '5',
    WS_FRAME_BURST: '10',
    WS_MAX_PAYLOAD_BYTES: '2048',
  },
});
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const h = await seedHotel(sql, {
  staff: [
    { username: 'fast', type: 'receptionist', departments: ['Reception'] },
    { username: 'slow', type: 'receptionist', departments: ['Reception'] },
    { username: 'bystander', type: 'receptionist', departments: ['Reception'] },
  ],
  guests: [{ number: num(1), name: 'Chatty Guest', room: '101' }],
});
const url = (u: string) => `${app.wsBase}/ws/chat/?token=${encodeURIComponent(h.staff[u]!.token)}`;

t.test('a slow consumer is closed as such and does not hold back a fast one', async (t) => {
  const fast = await WsClient.connect(url('fast'));
  const slow = await WsClient.connect(url('slow'));
  t.teardown(() => {
    fast.close();
    slow.close();
  });
  // Stop reading: the server's buffer for this socket can only grow.
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const filler = 'x'.repeat(4000);
  // Loopback kernel buffers absorb several MB before the server's own buffer grows, and how much
  // varies: keep sending (bounded) until the server has closed the slow socket (its metrics say
  // so — the close frame itself sits behind the unread data).
  const closedByServer = async () => /ws_closed_total\{reason="slow consumer"\} [1-9]/.test(await (await fetch(`${app.base}/metrics`)).text());
  let total = 0;
  while (!(await closedByServer())) {
    if (total >= 12_000) throw new Error('the server never closed the slow socket');
    await Promise.all(
      Array.from({ length: 50 }, (_, j) => webhook(app.base, { whatsapp_number: num(1), message: `${total + j} ${filler}`, department: 'Reception' })),
    );
    total += 50;
  }
  (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  const closed = await slow.waitClose(15_000);
  const last = await fast.next((f) => f.type === 'message' && f.data.seq === total, 15_000);
  t.ok(last, 'the fast socket got the last message');
  const seqs = fast.ofType('message').map((f) => f.data.seq);
  t.same(seqs, Array.from({ length: total }, (_, i) => i + 1), 'in order, none missing, none twice');
  t.equal(closed.code, 4009, 'closed with the slow-consumer code');
  t.equal(closed.reason, 'slow consumer');
});

t.test('a flood of frames closes the socket with 4008', async (t) => {
  const ws = await WsClient.connect(url('bystander'));
  for (let i = 0; i < 60; i++) ws.send({ type: 'ping' });
  const closed = await ws.waitClose();
  t.equal(closed.code, 4008);
});

t.test('an oversized frame closes the socket; other sockets are unaffected', async (t) => {
  const other = await WsClient.connect(url('fast'));
  t.teardown(() => other.close());
  const ws = await WsClient.connect(url('slow'));
  ws.send({ type: 'text', conversation_id: 1, content: 'y'.repeat(4000) });
  const closed = await ws.waitClose();
  t.equal(closed.code, 1009, 'closed as too large');
  other.send({ type: 'ping' });
  t.equal((await other.next((f) => f.type === 'pong')).type, 'pong', 'the other socket still works');
});
