// HTTP plumbing over uWS: ops endpoints, 404/405, trailing slashes, CORS, and clients that
// disconnect in the middle of a body — the process must keep serving.
import net from 'node:net';
import { Type } from 'typebox';
import t from 'tap';
import { createLogger } from '../../src/obs/log.js';
import { Registry } from '../../src/obs/metrics.js';
import { json } from '../../src/transport/http/reply.js';
import { Router, type Route } from '../../src/transport/http/router.js';
import { HttpServer } from '../../src/transport/server.js';
import { startApp } from '../helpers/app.js';
import { request } from '../helpers/http.js';

/** Sends raw bytes (headers and part of a body), then drops the connection. */
function sendPartialAndDisconnect(port: number, head: string, bodyBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      sock.write(head + 'x'.repeat(bodyBytes), () => sock.destroy());
    });
    sock.on('error', reject);
    sock.on('close', () => resolve());
  });
}

const partialPost = (path: string, declared = 1000) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`;

t.test('the ops endpoints of a running node', async (t) => {
  const app = await startApp(t);
  const get = (path: string, headers: Record<string, string> = {}) => request(app.base, 'GET', path, { headers });

  t.test('/healthz and /healthz/ are 200', async (t) => {
    for (const path of ['/healthz', '/healthz/']) {
      const r = await get(path);
      t.equal(r.status, 200, path);
      t.equal(r.body.status, 'ok');
      t.ok(r.headers.get('x-request-id'), 'every reply carries a request id');
      t.equal(r.headers.get('uwebsockets'), null, 'no header names the server software');
    }
  });

  t.test('/readyz is 200 with its checks', async (t) => {
    const r = await get('/readyz');
    t.equal(r.status, 200);
    t.same(r.body, { status: 'ready', checks: { database: 'ok', bus: 'ok', media: 'ok' }, degraded: [] });
  });

  t.test('/metrics is Prometheus text', async (t) => {
    await get('/healthz');
    const r = await get('/metrics');
    t.equal(r.status, 200);
    t.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    t.match(r.body, /^# HELP http_requests_total /m);
    t.match(r.body, /^# TYPE http_requests_total counter$/m);
    t.match(r.body, /^http_requests_total\{[^}]*route="GET \/healthz"[^}]*\} \d+$/m);
    t.match(r.body, /^nodejs_eventloop_lag_seconds[{ ]/m);
  });

  t.test('unknown routes are 404 with {error}, whatever the method', async (t) => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const r = await request(app.base, method, '/no/such/route');
      t.equal(r.status, 404, method);
      t.match(r.body, { error: /no route for/ });
    }
  });

  t.test('a wrong method is 405 with an Allow header', async (t) => {
    for (const path of ['/healthz', '/readyz/']) {
      const r = await request(app.base, 'POST', path, { body: {} });
      t.equal(r.status, 405, path);
      t.equal(r.headers.get('allow'), 'GET');
      t.match(r.body, { error: /method not allowed/ });
    }
  });

  t.test('CORS for configured origins only', async (t) => {
    const preflight = (origin: string) =>
      request(app.base, 'OPTIONS', '/healthz', {
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
    const ok = await preflight('http://localhost:3000');
    t.equal(ok.status, 204);
    t.equal(ok.headers.get('access-control-allow-origin'), 'http://localhost:3000');
    t.match(ok.headers.get('access-control-allow-headers'), /\bauthorization\b/);
    t.match(ok.headers.get('access-control-allow-headers'), /\bcontent-type\b/);
    t.match(ok.headers.get('access-control-allow-methods'), /\bPOST\b/);

    const foreign = await preflight('http://evil.example');
    t.equal(foreign.headers.get('access-control-allow-origin'), null, 'no allow-origin for a foreign origin');
    t.equal(foreign.headers.get('access-control-allow-headers'), null);

    const simple = await get('/healthz', { origin: 'http://localhost:3000' });
    t.equal(simple.headers.get('access-control-allow-origin'), 'http://localhost:3000', 'actual requests carry it too');
    t.equal((await get('/healthz', { origin: 'http://evil.example' })).headers.get('access-control-allow-origin'), null);
  });

  t.test('clients that disconnect mid-body do not hurt the server', async (t) => {
    for (let i = 0; i < 20; i++) {
      await sendPartialAndDisconnect(app.port, partialPost(i % 2 ? '/healthz' : '/no/such/route'), 10);
    }
    const r = await get('/healthz');
    t.equal(r.status, 200, 'the next request is answered');
  });
});

// No JSON route exists in the ops set, so the body reader is exercised on a minimal server made
// of the same Router and HttpServer the app uses.
t.test('JSON bodies: limits, bad input and aborted uploads', async (t) => {
  const log = createLogger({ level: 'silent', nodeId: 'http-test' });
  const router = new Router({
    log, metrics: new Registry(), nodeId: 'http-test', maxBodyBytes: 1024, corsOrigins: [],
    rateLimitPerMinute: 100_000, trustProxy: false, translateError: () => undefined,
  });
  const failures: string[] = [];
  let onFailure = () => {};
  const routes: Route[] = [{
    method: 'POST',
    path: '/echo',
    handler: async (ctx) => {
      try {
        return json(200, await ctx.json(Type.Object({ n: Type.Integer() })));
      } catch (err) {
        failures.push((err as { code?: string }).code ?? 'unknown');
        onFailure();
        throw err;
      }
    },
  }];
  const server = new HttpServer(log);
  server.mount(router, routes, []);
  const port = await server.listen('127.0.0.1', 0);
  t.teardown(() => {
    server.stopListening();
    router.stop();
  });
  const base = `http://127.0.0.1:${port}`;

  t.same((await request(base, 'POST', '/echo/', { body: { n: 7 } })).body, { n: 7 }, 'a valid body is read');
  const bad = await request(base, 'POST', '/echo', { raw: '{"n":', headers: { 'content-type': 'application/json' } });
  t.equal(bad.status, 400, 'invalid JSON');
  t.match(bad.body, { error: /not valid JSON/ });
  t.equal((await request(base, 'POST', '/echo', { body: { n: 'x' } })).status, 400, 'schema violation');
  t.equal((await request(base, 'POST', '/echo', { body: { n: 1, pad: 'x'.repeat(2000) } })).status, 413, 'oversized');
  t.equal((await request(base, 'POST', '/echo', { raw: 'n=1', headers: { 'content-type': 'text/plain' } })).status, 415);

  const aborted = new Promise<void>((resolve) => (onFailure = () => failures.includes('client_gone') && resolve()));
  await sendPartialAndDisconnect(port, partialPost('/echo'), 10);
  await aborted;
  t.ok(failures.includes('client_gone'), 'the handler learns that the client went away');
  t.same((await request(base, 'POST', '/echo', { body: { n: 8 } })).body, { n: 8 }, 'and the server keeps serving');
});
