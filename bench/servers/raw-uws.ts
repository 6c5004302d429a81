// The raw ceiling: bare uWebSockets.js with no application logic. Sockets subscribe to the topic
// named in ?k= (a hotel × department key); a POST to the webhook path is parsed as JSON, routed to
// its topic through an in-memory table (number → hotel), numbered with an in-memory per-
// conversation counter and published once with app.publish. No signature check, no database,
// no auth. Also echoes any frame a socket sends. Env: PORT, ROUTES_FILE, DEPARTMENTS (comma list).
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import uWS from 'uWebSockets.js';

const port = Number(process.env['PORT'] ?? 9001);
const routes = JSON.parse(readFileSync(process.env['ROUTES_FILE']!, 'utf8')) as Record<string, number>;
const departments = (process.env['DEPARTMENTS'] ?? '').split(',');
const deptIndex = new Map(departments.map((d, i) => [d, i]));
const D = departments.length;

if (!/\[native code\]/.test(Function.prototype.toString.call(uWS.App))) {
  process.stderr.write('raw-uws: uWebSockets.js runs on its JS fallback; figures are not the native ceiling\n');
}

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
let sockets = 0;
const convIds = new Map<string, number>();
const seqs: number[] = [];

const app = uWS.App();
app.ws<{ k: string }>('/ws', {
  compression: uWS.DISABLED,
  maxPayloadLength: 64 * 1024,
  idleTimeout: 120,
  maxBackpressure: 2 * 1024 * 1024,
  sendPingsAutomatically: true,
  upgrade: (res, req, context) => {
    const k = new URLSearchParams(req.getQuery() ?? '').get('k') ?? '0';
    res.upgrade({ k }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
  },
  open: (ws) => {
    sockets++;
    ws.subscribe(ws.getUserData().k);
  },
  message: (ws, message, isBinary) => {
    ws.send(message, isBinary);
  },
  close: () => {
    sockets--;
  },
});

app.post('/api/chat/guest-webhook/', (res) => {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  const chunks: Buffer[] = [];
  res.onData((ab, last) => {
    chunks.push(Buffer.from(ab.slice(0)));
    if (!last) return;
    if (aborted) return;
    let status = '201 Created';
    let body = '{"ok":true}';
    try {
      const b = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { whatsapp_number: string; department: string; message: string };
      const hotel = routes[b.whatsapp_number];
      const d = deptIndex.get(b.department);
      if (hotel === undefined || d === undefined) {
        status = '404 Not Found';
        body = '{"error":"unknown guest or department"}';
      } else {
        const ck = `${b.whatsapp_number}|${d}`;
        let c = convIds.get(ck);
        if (c === undefined) convIds.set(ck, (c = convIds.size + 1));
        const seq = (seqs[c] = (seqs[c] ?? 0) + 1);
        const frame = `{"type":"message","data":{"conversation_id":${c},"seq":${seq},"sender_type":"guest","content":${JSON.stringify(b.message)}}}`;
        app.publish(String(hotel * D + d), frame, false);
      }
    } catch {
      status = '400 Bad Request';
      body = '{"error":"bad json"}';
    }
    res.cork(() => {
      res.writeStatus(status).writeHeader('content-type', 'application/json').end(body);
    });
  });
});

app.get('/healthz', (res) => {
  res.end('{"status":"ok"}');
});

app.get('/metrics', (res) => {
  const u = process.cpuUsage();
  const text = [
    `nodejs_eventloop_lag_seconds{quantile="0.99"} ${lag.percentile(99) / 1e9}`,
    `nodejs_eventloop_lag_seconds{quantile="1"} ${lag.max / 1e9}`,
    `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
    `nodejs_heap_used_bytes ${process.memoryUsage().heapUsed}`,
    `process_cpu_seconds_total ${(u.user + u.system) / 1e6}`,
    `ws_sockets ${sockets}`,
    '',
  ].join('\n');
  lag.reset();
  res.end(text);
});

app.any('/*', (res) => {
  res.writeStatus('404 Not Found').end();
});

app.listen('127.0.0.1', port, (token) => {
  if (!token) {
    process.stderr.write(`raw-uws: could not listen on ${port}\n`);
    process.exit(1);
  }
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
