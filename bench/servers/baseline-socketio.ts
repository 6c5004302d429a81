// The baseline: a minimal reference implementation of the same flow on a common Node stack.
// node:http + Socket.IO 4.8 on its default engine (engine.io over `ws`), postgres.js to the same
// Postgres. Staff connect with the same access JWT (verified with jose, user loaded from the
// users table) and join one room per hotel+department. The signed guest webhook is verified with
// the same timestamped HMAC, the guest is looked up at the hotel of the channel it names (and
// cached), and the message is written with ONE
// statement that bumps a per-conversation seq and inserts the row (tables bl_conversations and
// bl_messages in the bench database); then io.to(room).emit('message', …) with the same
// {type, data} payload the server sends. No actors, no batching, no NATS.
// Env: PORT, DATABASE_URL, JWT_SECRET, JWT_ISSUER, WEBHOOK_SECRET, POOL_MAX.
// socket.io is loaded with require() so that NODE_PATH can point at a copy outside the project.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { jwtVerify } from 'jose';
import postgres from 'postgres';
import { baselineAppend, createBaselineTables } from '../lib/baseline-store.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { Server } = require('socket.io') as { Server: new (srv: http.Server, opts: Record<string, unknown>) => any };

const port = Number(process.env['PORT'] ?? 9002);
const secret = process.env['WEBHOOK_SECRET'] ?? '';
const jwtKey = new TextEncoder().encode(process.env['JWT_SECRET'] ?? '');
const issuer = process.env['JWT_ISSUER'] ?? 'lobbybee-realtime';
const sql = postgres(process.env['DATABASE_URL']!, { max: Number(process.env['POOL_MAX'] ?? 10), onnotice: () => undefined });

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

await createBaselineTables(sql);

interface GuestRow {
  id: number;
  hotel_id: string;
  full_name: string;
  whatsapp_number: string;
}
const guests = new Map<string, Promise<GuestRow | null>>();
/** The guest with this number at the hotel of the channel written to (cached, like the server). */
function guest(channel: string, number: string): Promise<GuestRow | null> {
  const key = `${channel}|${number}`;
  let p = guests.get(key);
  if (!p) {
    p = sql<GuestRow[]>`
      select g.id::int as id, s.hotel_id, g.full_name, g.whatsapp_number from channels c
      join guests g on g.hotel_id = c.hotel_id and g.whatsapp_number = ${number}
      join stays s on s.guest_id = g.id and s.status = 'active'
      where c.provider = 'relay' and c.external_id = ${channel} and c.is_active limit 1`.then((r) => r[0] ?? null);
    guests.set(key, p);
  }
  return p;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const b = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) });
  res.end(b);
}

/** t=<unix seconds>,v1=<hex HMAC of "<t>.<body>">, within 300 s (the server's default rule). */
function verify(raw: Buffer, header: string | undefined): boolean {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/i.exec(header ?? '');
  if (!m || Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.`).update(raw).digest();
  const given = Buffer.from(m[2]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function webhook(raw: Buffer, sig: string | undefined): Promise<[number, unknown]> {
  if (!verify(raw, sig)) return [401, { error: 'bad signature' }];
  const b = JSON.parse(raw.toString('utf8')) as { channel: string; whatsapp_number: string; message: string; department: string; provider_message_id?: string };
  const g = await guest(b.channel, b.whatsapp_number);
  if (!g) return [404, { error: 'Guest not found' }];
  try {
    const m = await baselineAppend(sql, {
      guestId: g.id, hotelId: g.hotel_id, department: b.department, content: b.message, providerMessageId: b.provider_message_id ?? null,
    });
    const data = {
      id: m!.id,
      conversation_id: m!.conversation_id,
      seq: m!.seq,
      sender_type: 'guest',
      message_type: 'text',
      content: b.message,
      created_at: m!.created_at.toISOString(),
      guest_info: { id: g.id, name: g.full_name, whatsapp_number: g.whatsapp_number },
    };
    io.to(`${g.hotel_id}:${b.department}`).emit('message', { type: 'message', data });
    return [201, { message: 'Webhook processed successfully', message_id: m!.id, conversation_id: m!.conversation_id, seq: m!.seq }];
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return [200, { duplicate: true }];
    throw err;
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/api/chat/guest-webhook/') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      webhook(Buffer.concat(chunks), req.headers['x-lobbybee-signature'] as string | undefined).then(
        ([status, body]) => json(res, status, body),
        (err) => json(res, 500, { error: String((err as Error).message) }),
      );
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/healthz') return json(res, 200, { status: 'ok' });
  if (req.method === 'GET' && req.url === '/metrics') {
    const u = process.cpuUsage();
    const text = [
      `nodejs_eventloop_lag_seconds{quantile="0.99"} ${lag.percentile(99) / 1e9}`,
      `nodejs_eventloop_lag_seconds{quantile="1"} ${lag.max / 1e9}`,
      `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
      `nodejs_heap_used_bytes ${process.memoryUsage().heapUsed}`,
      `process_cpu_seconds_total ${(u.user + u.system) / 1e6}`,
      `ws_sockets ${io.engine.clientsCount}`,
      '',
    ].join('\n');
    lag.reset();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(text);
    return;
  }
  // Socket.IO handles its own paths (/socket.io/); anything else is a 404.
  if (!req.url?.startsWith('/socket.io/')) json(res, 404, { error: 'not found' });
});
server.keepAliveTimeout = 60_000;

const io = new Server(server, { serveClient: false });
io.use((socket: { handshake: { auth: { token?: string } }; data: { rooms?: string[] } }, next: (err?: Error) => void) => {
  const token = socket.handshake.auth.token;
  if (!token) return next(new Error('unauthorized'));
  jwtVerify(token, jwtKey, { issuer, algorithms: ['HS256'] })
    .then(async ({ payload }) => {
      const [u] = await sql<{ hotel_id: string; departments: string[] }[]>`
        select hotel_id, departments from users where id = ${Number(payload['user_id'])} and is_active`;
      if (!u || !u.departments.length) return next(new Error('forbidden'));
      socket.data.rooms = u.departments.map((d) => `${u.hotel_id}:${d}`);
      next();
    })
    .catch(() => next(new Error('unauthorized')));
});
io.on('connection', (socket: { data: { rooms: string[] }; join(r: string[]): void }) => {
  socket.join(socket.data.rooms);
});

server.listen(port, '127.0.0.1');
const stop = () => {
  io.close();
  void sql.end({ timeout: 1 }).finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
