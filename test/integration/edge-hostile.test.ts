// Hostile input at the uWS edge: malformed percent-encoding in paths is a 400 (a 404 where no
// route matches) on REST, media and both socket endpoints; an exception thrown by any handler
// registered with uWS ends only its request or socket; paging links ignore the Host header; and
// a refusal written while the client is still sending its body is readable by that client.
import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import WebSocket from 'ws';
import { createLogger, safeUrl } from '../../src/obs/log.js';
import { guardedEdge } from '../../src/transport/guard.js';
import { DRAIN_LIMIT_BYTES } from '../../src/transport/http/exchange.js';
import { loadUws, type us_listen_socket } from '../../src/transport/uws.js';
import { startApp } from '../helpers/app.js';
import { seedHotel } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';

/** A GET with the given path and headers, sent as is (no URL normalisation by the client). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The HTTP status a socket handshake is answered with (101 when it opened). */
function handshakeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    ws.once('error', reject);
  });
}

interface RawAnswer {
  head: string;
  status: number;
  /** An error the client saw before the whole answer had arrived (ECONNRESET and the like). */
  errorBeforeAnswer: Error | null;
}

/**
 * Sends a request head announcing `declared` body bytes, then keeps sending the body (up to
 * `send` bytes, honouring backpressure) while reading: resolves once the whole answer has
 * arrived, or the connection ended without one.
 */
function sendWhileReading(port: number, head: string, declared: number, send: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve({ head: data.split('\r\n\r\n')[0] ?? '', status: m ? Number(m[1]) : 0, errorBeforeAnswer: err });
      sock.destroy();
    };
    const complete = () => {
      const end = data.indexOf('\r\n\r\n');
      if (end === -1) return false;
      const len = Number(/content-length: (\d+)/i.exec(data.slice(0, end))?.[1] ?? '0');
      return data.length >= end + 4 + len;
    };
    sock.on('data', (d) => {
      data += d.toString('latin1');
      if (complete()) finish(null);
    });
    sock.on('error', (err) => finish(complete() ? null : err));
    sock.on('close', () => finish(complete() ? null : new Error('closed without an answer')));
    sock.write(`${head}Content-Length: ${declared}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (!done && sent < send) {
        const n = Math.min(chunk.length, send - sent);
        sent += n;
        if (!sock.write(chunk.subarray(0, n))) return void sock.once('drain', pump);
      }
    };
    pump();
  });
}

t.test('an exception in any uWS handler ends only its request or socket', async (t) => {
  const uWS = loadUws();
  const errors: string[] = [];
  const log = createLogger({ level: 'silent', nodeId: 'guard-test' });
  const logged = { ...log, error: (o: { where?: string; route?: string }) => void errors.push(`${o.route}${o.where ? ` ${o.where}` : ''}`) };
  const app = uWS.App();
  const edge = guardedEdge(app, logged as never);
  edge.any('/sync', () => {
    throw new Error('thrown inside the uWS callback');
  });
  edge.any('/async', async () => {
    await Promise.resolve();
    throw new Error('rejected after the callback returned');
  });
  edge.any('/body', (ex) =>
    ex.receive(() => {
      throw new Error('thrown while reading the body');
    }),
  );
  edge.ws('/ws', {
    open: () => undefined,
    message: () => {
      throw new Error('thrown by a socket handler');
    },
  });
  const listen = await new Promise<us_listen_socket>((resolve, reject) => app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen')))));
  t.teardown(() => uWS.us_listen_socket_close(listen));
  const port = uWS.us_socket_local_port(listen as never);
  const base = `http://127.0.0.1:${port}`;

  for (const path of ['/sync', '/async']) {
    const r = await fetch(base + path);
    t.equal(r.status, 500, `${path}: a 500`);
    t.same(await r.json(), { error: 'internal server error' });
  }
  const body = await fetch(`${base}/body`, { method: 'POST', body: 'x'.repeat(1000) });
  t.equal(body.status, 500, 'a body reader that throws: a 500 after the body');

  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const closed = new Promise<number>((resolve) => ws.once('close', resolve));
  ws.send('anything');
  t.equal(await closed, 1011, 'the socket is closed with 1011');
  t.same(errors, ['/sync', '/async', '/body', '/ws message'], 'each failure logged once, with where it happened');
  t.equal((await fetch(base + '/sync')).status, 500, 'and the server still serves');
});

t.test('the running service', async (t) => {
  const app = await startApp(t);
  const sql = connect(t, app.databaseUrl);
  const h = await seedHotel(sql, {
    staff: [
      { username: `edge_admin_${Date.now() % 1e6}`, type: 'hotel_admin' },
      { username: `edge_desk_${Date.now() % 1e6}`, type: 'receptionist', departments: ['Reception'] },
    ],
    guests: [],
  });
  const [admin, desk] = Object.values(h.staff);

  t.test('malformed percent-encoding in a path is a 400, never a crash', async (t) => {
    for (const path of ['/api/users/%E0%A4%A', '/api/users/%E0%A4%A/', '/api/hotels/%zz/', '/media/abc/%E0%A4%A.pdf']) {
      const r = await rawGet(app.port, path);
      t.equal(r.status, 400, path);
      t.match(r.body, { error: /malformed percent-encoding/ });
    }
    const authed = await rawGet(app.port, '/api/users/%E0%A4%A/', { authorization: `Bearer ${admin!.token}` });
    t.equal(authed.status, 400, 'with a token too');
    t.equal((await rawGet(app.port, '/no/such/%E0%A4%A')).status, 404, 'where no route matches: 404');
    t.equal(await handshakeStatus(`${app.wsBase}/ws/chat/%E0%A4%A/?token=${encodeURIComponent(desk!.token)}`), 400, 'staff socket');
    t.equal(await handshakeStatus(`${app.wsBase}/ws/guest/%E0%A4%A/?token=x`), 400, 'guest socket');
    t.equal((await fetch(`${app.base}/healthz`)).status, 200, 'the node still serves');
  });

  t.test('paging links never come from the Host header', async (t) => {
    await sql`insert into users (username, email, password_hash, first_name, last_name, user_type, hotel_id, departments)
              values (${`edge_more_${Date.now() % 1e6}`}, ${`edge_more_${Date.now() % 1e6}@test.example`}, 'scrypt$unusable', 'More', 'Staff', 'receptionist', ${h.hotelId}, '{Reception}')`;
    const r = await rawGet(app.port, '/api/users/?page_size=1', { host: 'evil.example', authorization: `Bearer ${admin!.token}` });
    t.equal(r.status, 200);
    t.ok(r.body.count >= 3);
    t.equal(r.body.next, '/api/users/?page_size=1&page=2', 'a relative link without PUBLIC_URL');
    const second = await rawGet(app.port, r.body.next, { host: 'evil.example', authorization: `Bearer ${admin!.token}` });
    t.equal(second.body.previous, '/api/users/?page_size=1&page=1');
    const sneaky = await rawGet(app.port, '//evil.example/api/users/?page_size=1', { authorization: `Bearer ${admin!.token}` });
    if (sneaky.status === 200) t.notMatch(sneaky.body.next, /^\/\//, 'a path starting with // does not become a host');

    const pub = await startApp(t, { databaseUrl: app.databaseUrl, env: { PUBLIC_URL: 'https://chat.example.com' } });
    const abs = await rawGet(pub.port, '/api/users/?page_size=1', { host: 'evil.example', authorization: `Bearer ${admin!.token}` });
    t.equal(abs.body.next, 'https://chat.example.com/api/users/?page_size=1&page=2', 'absolute on PUBLIC_URL when set');
  });

  t.test('a refusal sent while the body is still arriving can be read by the client', async (t) => {
    const upload = (auth: string) =>
      `POST /api/chat/upload-media/ HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: multipart/form-data; boundary=b\r\n`;
    for (let i = 0; i < 5; i++) {
      const r = await sendWhileReading(app.port, upload(''), 3 * 1024 * 1024, 3 * 1024 * 1024);
      t.equal(r.errorBeforeAnswer, null, `no reset before the answer (${i})`);
      t.equal(r.status, 401, 'the 401 arrives');
      t.notMatch(r.head, /connection: close/i, 'within the drain limit the connection stays usable');
    }
    const big = await sendWhileReading(app.port, upload(`Authorization: Bearer ${desk!.token}\r\n`), 40 * 1024 * 1024, 40 * 1024 * 1024);
    t.equal(big.status, 413, 'too large, refused before reading');
    t.equal(big.errorBeforeAnswer, null, 'readable too');
    // Past the drain limit the answer closes the connection instead of reading everything.
    t.ok(40 * 1024 * 1024 > DRAIN_LIMIT_BYTES);
    t.match(big.head, /connection: close/i, 'and says that the connection ends');
    t.equal((await fetch(`${app.base}/healthz`)).status, 200);
  });
});

t.test('log lines never carry query strings or guest numbers', async (t) => {
  t.equal(safeUrl('/ws/chat/?token=eyJhbGciOi.x.y'), '/ws/chat/');
  t.equal(safeUrl('/media/a/b.pdf?exp=1&sig=abc'), '/media/a/b.pdf');
  t.equal(safeUrl('/ws/guest/+15550001234/?token=abc'), '/ws/guest/[redacted]/');
  t.equal(safeUrl('/ws/guest/%2B15550001234'), '/ws/guest/[redacted]');
  t.equal(safeUrl('/api/users/3/'), '/api/users/3/');
});
