// The asynchronous upgrade. uWS v20.30's res.cork() reads the answered request's HTTP state after
// the upgrade, from memory the upgrade has just released; when anything allocated there in the
// meantime (here: ws.subscribe copying a topic name in open()) with bytes that read as
// "Connection: close", uWS cut the new socket (1006) right after open. Upgrades after an await run
// inside the cork of the node's cork anchor, where uWS's cork reads nothing afterwards; and a
// handshake uWS itself would close is refused with a status. There, uWS sends each piece of the
// 101 on its own, unless the kernel's TCP_CORK holds them (native/tcp-cork).
import net from 'node:net';
import t, { type Test } from 'tap';
import { createLogger } from '../../src/obs/log.js';
import { Registry } from '../../src/obs/metrics.js';
import { freshSocketState, type SocketLimits } from '../../src/transport/ws/behavior.js';
import { CorkAnchor } from '../../src/transport/ws/cork-anchor.js';
import { loadTcpCork, type TcpCork } from '../../src/transport/ws/tcp-cork.js';
import { SocketHub, type SocketState } from '../../src/transport/ws/hub.js';
import { upgradeHandler } from '../../src/transport/ws/upgrade.js';
import { guardedEdge, type SocketBehavior } from '../../src/transport/guard.js';
import { loadUws, type TemplatedApp, type us_listen_socket, type WebSocket } from '../../src/transport/uws.js';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { WsClient } from '../helpers/ws.js';

/** Listens on a free loopback port, opens the anchor on it, and returns the port. */
async function listenAnchored(t: Test, uws: TemplatedApp, anchor: CorkAnchor): Promise<number> {
  const uWS = loadUws();
  const listen = await new Promise<us_listen_socket>((resolve, reject) => uws.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen')))));
  t.teardown(() => uWS.us_listen_socket_close(listen));
  const port = uWS.us_socket_local_port(listen as never);
  t.equal(await anchor.start('127.0.0.1', port), true, 'the anchor opened');
  return port;
}

t.test('sockets upgraded after an await stay open even when open() allocates at once', async (t) => {
  const uWS = loadUws();
  const log = createLogger({ level: 'silent', nodeId: 'upgrade-test' });
  const limits: SocketLimits = { maxPayloadBytes: 4096, maxBackpressureBytes: 1 << 20, lowPriorityLimitBytes: 1 << 18, idleTimeoutS: 60, framesPerSecond: 100, frameBurst: 100 };
  const uws = uWS.App();
  const hub = new SocketHub(uws, { ...limits, maxSocketsPerUser: 1, upgradesPerMinute: 100_000 }, new Registry().counter('closed_total', 'closed'));
  // As a node runs it: with the kernel's TCP_CORK around each upgrade where the addon is built.
  const anchor = new CorkAnchor(log, loadTcpCork());
  t.teardown(() => anchor.stop());
  let n = 0;
  const edge = guardedEdge(uws, log);
  edge.ws(anchor.path, anchor.behavior());
  // A bare endpoint (not socketBehavior, which defers the endpoint's open work past the cork):
  // open() subscribes inside uWS's open callback, within the upgrade's cork.
  const endpoint: SocketBehavior<SocketState> = {
    idleTimeout: 60,
    upgrade: upgradeHandler({ log, corsOrigins: ['*'], trustProxy: false, anchor }, hub, async () => {
      await new Promise((r) => setImmediate(r));
      return { ...freshSocketState(hub, limits), kind: 'staff' as const, userId: ++n, hotelId: 'h' };
    }),
    // Topic names of 73–88 bytes land exactly in the memory uWS v20.30 read; '0' reads as "close".
    open: (ws: WebSocket<SocketState>) => void ws.subscribe(`${'0'.repeat(76)}${String(ws.getUserData().userId).padStart(4, '0')}`),
    message: (ws: WebSocket<SocketState>) => void ws.send(JSON.stringify({ type: 'pong' })),
    close: (ws: WebSocket<SocketState>) => hub.release(ws.getUserData()),
  };
  edge.ws('/*', endpoint as SocketBehavior);
  const port = await listenAnchored(t, uws, anchor);
  let answered = 0;
  let cut = 0;
  for (let i = 0; i < 10; i++) {
    const batch = await Promise.all(Array.from({ length: 20 }, () => WsClient.connect(`ws://127.0.0.1:${port}/`)));
    for (const ws of batch) ws.send({ type: 'ping' });
    for (const ws of batch) {
      try {
        await ws.next((f) => f.type === 'pong');
        answered++;
      } catch {
        cut++;
      }
      ws.close();
    }
  }
  t.equal(cut, 0, 'no socket was cut after its upgrade');
  t.equal(answered, 200, 'all 200 sockets answered');
  t.equal(anchor.connected, true, 'every upgrade ran inside the anchor');
});

// The addon is optional where nothing can compile it; CI (.ci/run) installs a compiler and sets
// REQUIRE_NATIVE=1, so there a missing build fails instead of skipping.
const tcpCork = loadTcpCork();
const noAddon =
  process.platform !== 'linux' ? 'TCP_CORK is Linux only' : !tcpCork && process.env['REQUIRE_NATIVE'] !== '1' && 'native/tcp-cork is not built (no compiler at npm install)';
t.test('an upgrade after an await leaves as one TCP segment, not one per piece of the 101', { skip: noAddon }, async (t) => {
  const tcp = tcpCork;
  t.ok(tcp, 'the addon is built (npm install builds native/tcp-cork)');
  /** Upgrades three sockets after an await; the segments each server socket had sent once its 101 arrived. */
  const segmentsPer101 = async (t: Test, withTcp: TcpCork | null): Promise<{ segments: number[]; coalescing: boolean }> => {
    const uWS = loadUws();
    const log = createLogger({ level: 'silent', nodeId: 'segments-test' });
    const limits: SocketLimits = { maxPayloadBytes: 4096, maxBackpressureBytes: 1 << 20, lowPriorityLimitBytes: 1 << 18, idleTimeoutS: 60, framesPerSecond: 100, frameBurst: 100 };
    const uws = uWS.App();
    const hub = new SocketHub(uws, { ...limits, maxSocketsPerUser: 10, upgradesPerMinute: 100_000 }, new Registry().counter('closed_total', 'closed'));
    const anchor = new CorkAnchor(log, withTcp);
    t.teardown(() => anchor.stop());
    const edge = guardedEdge(uws, log);
    edge.ws(anchor.path, anchor.behavior());
    let n = 0;
    const fds: number[] = [];
    const upgrade = upgradeHandler({ log, corsOrigins: ['*'], trustProxy: false, anchor }, hub, async () => {
      await new Promise((r) => setImmediate(r));
      return { ...freshSocketState(hub, limits), kind: 'staff' as const, userId: ++n, hotelId: 'h' };
    });
    const endpoint: SocketBehavior<SocketState> = {
      idleTimeout: 60,
      upgrade: (ex, req, context) => {
        fds.push(tcp!.fdOf(ex.res));
        return upgrade(ex, req, context);
      },
      open: () => undefined,
      close: (ws: WebSocket<SocketState>) => hub.release(ws.getUserData()),
    };
    edge.ws('/*', endpoint as SocketBehavior);
    const port = await listenAnchored(t, uws, anchor);
    const segments: number[] = [];
    for (let i = 0; i < 3; i++) {
      const conn = net.connect(port, '127.0.0.1');
      t.teardown(() => conn.destroy());
      let reply = '';
      conn.on('data', (d) => (reply += d.toString('latin1')));
      conn.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      const by = Date.now() + 5000;
      while (Date.now() < by && !/\r\n\r\n/.test(reply)) await new Promise((r) => setTimeout(r, 5));
      t.match(reply, /^HTTP\/1\.1 101 /, 'upgraded');
      segments.push(tcp!.segmentsOut(fds[i]!));
    }
    return { segments, coalescing: anchor.coalescing };
  };
  // SYN-ACK and the 101; perhaps a bare ACK of the request, or a window update, besides.
  const corked = await segmentsPer101(t, tcp);
  t.ok(corked.coalescing, 'the anchor checked the addon on its own connection');
  t.ok(corked.segments.every((s) => s >= 2 && s <= 4), `with TCP_CORK: ${corked.segments.join(', ')} segments per socket`);
  const plain = await segmentsPer101(t, null);
  t.notOk(plain.coalescing);
  t.ok(plain.segments.every((s) => s >= 15), `without it: ${plain.segments.join(', ')} segments per socket (the measure tells them apart)`);
});

t.test('the anchor path is unguessable and taken once', async (t) => {
  const uWS = loadUws();
  const log = createLogger({ level: 'silent', nodeId: 'anchor-test' });
  const uws = uWS.App();
  const anchor = new CorkAnchor(log);
  t.teardown(() => anchor.stop());
  guardedEdge(uws, log).ws(anchor.path, anchor.behavior());
  const listen = await new Promise<us_listen_socket>((resolve, reject) => uws.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen')))));
  t.teardown(() => uWS.us_listen_socket_close(listen));
  const port = uWS.us_socket_local_port(listen as never);
  t.match(anchor.path, /^\/_anchor\/[0-9a-f]{32}$/);
  t.not(new CorkAnchor(log).path, anchor.path, 'each anchor has its own path');
  t.equal(await anchor.start('127.0.0.1', port), true);
  // A second client on the same path (the path leaked, say) cannot replace the node's anchor.
  const second = await WsClient.connect(`ws://127.0.0.1:${port}${anchor.path}`).then(
    () => null,
    (err: { status?: number }) => err.status,
  );
  t.equal(second, 404, 'a second client on the path is refused like an unknown route');
  t.equal(anchor.connected, true);
  // The anchor comes back by itself after its connection is cut.
  anchor['conn']!.destroy();
  const by = Date.now() + 10_000;
  while (Date.now() < by && anchor.connected) await new Promise((r) => setTimeout(r, 20));
  t.equal(anchor.connected, false, 'the cut was seen');
  while (Date.now() < by && !anchor.connected) await new Promise((r) => setTimeout(r, 50));
  t.equal(anchor.connected, true, 'the anchor reconnected');
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
