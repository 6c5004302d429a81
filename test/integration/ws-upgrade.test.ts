// The asynchronous upgrade. uWS v20.x's res.cork() reads the answered request's HTTP state after
// the upgrade, from memory the upgrade has just released; when the open handler allocated there
// (ws.subscribe copies topic names) with bytes that read as "Connection: close", uWS cut the new
// socket (1006) right after open. socketBehavior runs the endpoint's open() after that cork, so any
// topic is safe; and a handshake uWS itself would close is refused with a status.
import net from 'node:net';
import t, { type Test } from 'tap';
import { createLogger } from '../../src/obs/log.js';
import { Registry } from '../../src/obs/metrics.js';
import { freshSocketState, sendFrame, socketBehavior, type SocketLimits } from '../../src/transport/ws/behavior.js';
import { SocketHub, type SocketState } from '../../src/transport/ws/hub.js';
import { upgradeHandler } from '../../src/transport/ws/upgrade.js';
import { guardedEdge } from '../../src/transport/guard.js';
import type { TokenBucket } from '../../src/util/rate-limit.js';
import { loadUws, type us_listen_socket } from '../../src/transport/uws.js';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { WsClient } from '../helpers/ws.js';

t.test('sockets whose open() subscribes to any topic stay open after an async upgrade', async (t) => {
  const uWS = loadUws();
  const log = createLogger({ level: 'silent', nodeId: 'upgrade-test' });
  const limits: SocketLimits = { maxPayloadBytes: 4096, maxBackpressureBytes: 1 << 20, lowPriorityLimitBytes: 1 << 18, idleTimeoutS: 60, framesPerSecond: 100, frameBurst: 100 };
  const uws = uWS.App();
  const hub = new SocketHub(uws, { ...limits, maxSocketsPerUser: 1, upgradesPerMinute: 100_000 }, new Registry().counter('closed_total', 'closed'));
  t.teardown(() => hub.closeAll());
  let n = 0;
  guardedEdge(uws, log).ws(
    '/*',
    socketBehavior<SocketState & { bucket: TokenBucket }>({
      limits,
      hub,
      log,
      upgrade: upgradeHandler({ log, corsOrigins: ['*'], trustProxy: false }, hub, async () => {
        await new Promise((r) => setImmediate(r));
        return { ...freshSocketState(hub, limits), kind: 'staff' as const, userId: ++n, hotelId: 'h' };
      }),
      // Topic names of 73–88 bytes land exactly in the memory uWS still reads; '0' reads as "close".
      open: (ws) => void ws.subscribe(`${'0'.repeat(76)}${String(ws.getUserData().userId).padStart(4, '0')}`),
      message: (ws) => sendFrame(hub, ws, { type: 'pong' }),
      close: () => undefined,
    }),
  );
  const listen = await new Promise<us_listen_socket>((resolve, reject) => uws.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen')))));
  t.teardown(() => uWS.us_listen_socket_close(listen));
  const port = uWS.us_socket_local_port(listen as never);
  let answered = 0;
  for (let i = 0; i < 10; i++) {
    const batch = await Promise.all(Array.from({ length: 20 }, () => WsClient.connect(`ws://127.0.0.1:${port}/`)));
    for (const ws of batch) ws.send({ type: 'ping' });
    for (const ws of batch) {
      await ws.next((f) => f.type === 'pong');
      answered++;
      ws.close();
    }
  }
  t.equal(answered, 200, 'all 200 sockets answered');
});

const app = await startApp(t);
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const h = await seedHotel(sql, { staff: [{ username: `up_${num(1).slice(-7)}`, type: 'receptionist', departments: ['Reception'] }], guests: [] });

/** Sends a raw handshake with the given Connection header; resolves with the reply's head. */
async function handshake(t: Test, token: string, connection: string): Promise<string> {
  const conn = net.connect(app.port, '127.0.0.1');
  t.teardown(() => conn.destroy());
  let reply = '';
  let closed = false;
  conn.on('data', (d) => (reply += d.toString('latin1')));
  conn.on('close', () => (closed = true));
  conn.write(
    `GET /ws/chat/?token=${encodeURIComponent(token)} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
      `Connection: ${connection}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const by = Date.now() + 5000;
  // A 101 is complete at the blank line; a refusal once its JSON body has arrived.
  while (!closed && Date.now() < by && !(/^HTTP\/1\.1 101 [\s\S]*\r\n\r\n/.test(reply) || reply.endsWith('}'))) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return reply;
}

t.test('a handshake without Connection: Upgrade is refused with 400, not cut after its 101', async (t) => {
  const token = Object.values(h.staff)[0]!.token;
  for (const connection of ['close', 'keep-alive']) {
    const reply = await handshake(t, token, connection);
    t.match(reply, /^HTTP\/1\.1 400 /, `Connection: ${connection}`);
    t.match(reply, /needs the header Connection: Upgrade/);
  }
  t.match(await handshake(t, token, 'keep-alive, Upgrade'), /^HTTP\/1\.1 101 /, 'a list that includes Upgrade is accepted');
});
