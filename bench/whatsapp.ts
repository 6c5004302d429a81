// `npm run bench -- whatsapp [--messages N] [--hotels H] [--guests G] [--concurrency C] [--max-batch B]`
//
// WhatsApp Cloud API inbound burst against one server node in queued mode (NATS): N guest
// messages in Meta-format deliveries of 1–B messages each (B = 50 by default), each delivery
// signed with the chain's Meta app secret (X-Hub-Signature-256) and posted to
// /api/webhooks/whatsapp/ with C deliveries in flight, as fast as the sender can. Every guest is
// checked in with an active Reception conversation; one staff socket per hotel listens.
// Reports: messages accepted per second (200 after the JetStream publishes), the time until all
// are stored and until all reached the staff sockets, rows stored vs distinct messages (each
// message stored once) and socket deliveries vs distinct (each delivered once).
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { WebSocket } from 'ws';
import { createEnv, seedWorld } from './lib/env.js';
import { BENCH_DIR, installExitHandlers } from './lib/procs.js';
import { log, sleep } from './lib/run.js';
import { pickRuntime, startServer } from './lib/targets.js';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { summarizeProfile } from './lib/cpuprof.js';

interface Opts {
  messages: number;
  hotels: number;
  guests: number;
  concurrency: number;
  maxBatch: number;
  pg: string;
  nats: string;
  timeoutMin: number;
  cpuProf: boolean;
}

function parse(argv: string[]): Opts {
  const o: Opts = {
    messages: 20_000,
    hotels: 20,
    guests: 100,
    concurrency: 64,
    maxBatch: 50,
    pg: process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    nats: process.env['BENCH_NATS_URL'] ?? 'nats://127.0.0.1:4222',
    timeoutMin: 10,
    cpuProf: false,
  };
  const num: Record<string, keyof Opts> = { '--messages': 'messages', '--hotels': 'hotels', '--guests': 'guests', '--concurrency': 'concurrency', '--max-batch': 'maxBatch', '--timeout': 'timeoutMin' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a in num) (o as unknown as Record<string, number>)[num[a]!] = Number(argv[++i]);
    else if (a === '--pg') o.pg = argv[++i]!;
    else if (a === '--nats') o.nats = argv[++i]!;
    else if (a === '--cpu-prof') o.cpuProf = true;
    else throw new Error(`whatsapp bench: unknown option ${a}`);
  }
  for (const k of Object.values(num)) if (!(Number(o[k]) > 0)) throw new Error(`whatsapp bench: ${k} must be a positive number`);
  return o;
}

/** A small deterministic PRNG: the same run sizes the same deliveries. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export async function whatsappBench(argv: string[]): Promise<number> {
  const o = parse(argv);
  installExitHandlers(o.timeoutMin * 60_000);
  const outDir = path.join(BENCH_DIR, 'results', `${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}-whatsapp`);
  const logDir = path.join(outDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const env = await createEnv({ pgUrl: o.pg, natsUrl: o.nats, keep: false });
  log(`whatsapp: database ${env.dbName}; ${o.hotels} hotels × ${o.guests} guests, ${o.messages} messages in deliveries of 1–${o.maxBatch}, ${o.concurrency} in flight`);
  const world = await seedWorld(env, { hotels: o.hotels, departments: 1, staffPerDept: 1, guestsPerHotel: o.guests });
  const { sql, run } = env;
  // One Meta app for the chain (one secret), one WhatsApp number per hotel; every guest has an
  // active Reception conversation (what a checked-in guest who already chose has).
  const secret = `bench-app-secret-${run}`;
  const numberOf = (h: number) => `77${run.replace(/\D/g, '').slice(0, 3).padEnd(3, '0')}${String(h).padStart(6, '0')}`;
  await sql`
    insert into channels (hotel_id, provider, external_id, display_phone_number, waba_id, app_secret, verify_token, access_token)
    select h, 'whatsapp_cloud', n, '', '1', ${secret}, ${`verify-${run}`}, ${`token-${run}`}
    from unnest(${world.hotels}::uuid[], ${world.hotels.map((_, h) => numberOf(h))}::text[]) as t(h, n)`;
  await sql`
    insert into conversations (hotel_id, guest_id, department, conversation_type, status)
    select g.hotel_id, g.id, 'Reception', 'service', 'active' from guests g`;
  const guestsOf: string[][] = world.hotels.map(() => []);
  for (const c of world.convs) guestsOf[c.hotel]!.push(c.number.replace(/\D/g, ''));

  const server = await startServer(env, {
    nodes: 1, bus: 'nats', webhookMode: 'queued', poolMax: 20, runtime: pickRuntime('auto'), logDir, extraEnv: {},
    nodeArgs: o.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', path.join(outDir, 'profiles')] : [],
  });
  const node = server.nodes[0]!;
  const base = `http://${node.host}:${node.port}`;

  // One staff socket per hotel (its Reception staff member).
  const prefix = `wab|${run}|`;
  const seen = new Set<string>();
  let frames = 0;
  let lastDeliveryAt = 0;
  const sockets = await Promise.all(
    world.staff.map(
      (s) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://${node.host}:${node.port}/ws/chat/?token=${s.token}`);
          ws.on('open', () => resolve(ws));
          ws.on('error', reject);
          ws.on('message', (data) => {
            const text = String(data);
            if (!text.includes(prefix)) return;
            const f = JSON.parse(text) as { type: string; data?: { content?: string } };
            if (f.type !== 'message' || !f.data?.content?.startsWith(prefix)) return;
            frames++;
            seen.add(f.data.content);
            lastDeliveryAt = performance.now();
          });
        }),
    ),
  );

  // Deliveries: each for one hotel's number, 1–maxBatch messages from its guests.
  const rnd = prng(0x5eed);
  const bodies: Array<{ raw: string; n: number }> = [];
  let next = 0;
  for (let d = 0; next < o.messages; d++) {
    const h = d % o.hotels;
    const k = Math.min(o.messages - next, 1 + Math.floor(rnd() * o.maxBatch));
    const guests = guestsOf[h]!;
    const messages = Array.from({ length: k }, (_, j) => {
      const i = next + j;
      return { from: guests[i % guests.length]!, id: `wamid.bench.${run}.${i}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: `${prefix}${i}` } };
    });
    next += k;
    const contacts = [...new Set(messages.map((m) => m.from))].map((wa_id) => ({ profile: { name: 'Bench Guest' }, wa_id }));
    const body = {
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: numberOf(h) }, contacts, messages } }] }],
    };
    bodies.push({ raw: JSON.stringify(body), n: k });
  }
  log(`whatsapp: ${bodies.length} deliveries (mean ${(o.messages / bodies.length).toFixed(1)} messages each)`);

  const t0 = performance.now();
  let accepted = 0;
  const statuses: Record<string, number> = {};
  let cursor = 0;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (cursor < bodies.length) {
        const b = bodies[cursor++]!;
        const sig = `sha256=${createHmac('sha256', secret).update(b.raw).digest('hex')}`;
        let status = 0;
        try {
          const res = await fetch(`${base}/api/webhooks/whatsapp/`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig }, body: b.raw });
          await res.arrayBuffer();
          status = res.status;
        } catch {
          status = -1;
        }
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200) accepted += b.n;
      }
    }),
  );
  const acceptMs = performance.now() - t0;
  log(`whatsapp: ${accepted} messages accepted in ${(acceptMs / 1000).toFixed(2)} s (${Math.round((accepted / acceptMs) * 1000)}/s) ${JSON.stringify(statuses)}`);

  const deadline = t0 + o.timeoutMin * 60_000 * 0.8;
  let storedMs: number | null = null;
  let rows = 0;
  let uniq = 0;
  while (performance.now() < deadline) {
    const [r] = await sql<{ rows: number; uniq: number }[]>`
      select count(*)::int as rows, count(distinct provider_message_id)::int as uniq from messages where content like ${`${prefix}%`}`;
    rows = r!.rows;
    uniq = r!.uniq;
    if (uniq >= accepted) {
      storedMs = performance.now() - t0;
      break;
    }
    await sleep(100);
  }
  while (performance.now() < deadline && seen.size < accepted) await sleep(50);
  const deliveredMs = seen.size >= accepted ? lastDeliveryAt - t0 : null;
  for (const ws of sockets) ws.close();
  await server.stop();

  const result = {
    messages: o.messages,
    deliveries: bodies.length,
    concurrency: o.concurrency,
    accepted,
    acceptedPerSec: Math.round((accepted / acceptMs) * 1000),
    acceptS: +(acceptMs / 1000).toFixed(2),
    storedS: storedMs === null ? null : +(storedMs / 1000).toFixed(2),
    deliveredS: deliveredMs === null ? null : +(deliveredMs / 1000).toFixed(2),
    rowsStored: rows,
    distinctStored: uniq,
    socketFrames: frames,
    distinctDelivered: seen.size,
  };
  const lines = [
    `| messages | deliveries | accepted/s | time to accept all (s) | until all stored (s) | until all delivered (s) | rows / distinct | socket frames / distinct |`,
    `|---|---|---|---|---|---|---|---|`,
    `| ${result.accepted} of ${result.messages} | ${result.deliveries} | ${result.acceptedPerSec} | ${result.acceptS} | ${result.storedS ?? 'not all'} | ${result.deliveredS ?? 'not all'} | ${rows} / ${uniq} | ${frames} / ${seen.size} |`,
  ];
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
  writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(result, null, 2));
  process.stdout.write(`json: ${path.relative(process.cwd(), path.join(outDir, 'report.json'))}\n`);
  if (o.cpuProf) {
    for (const f of readdirSync(path.join(outDir, 'profiles')).filter((x) => x.endsWith('.cpuprofile'))) {
      const p = summarizeProfile(path.join(outDir, 'profiles', f));
      process.stdout.write(`server CPU profile: busy ${(p.busyMs / 1000).toFixed(1)} s of ${(p.totalMs / 1000).toFixed(1)} s\n${p.top.slice(0, 15).map(([n, ms]) => `  ${ms.toFixed(0).padStart(6)} ms  ${n}`).join('\n')}\n`);
    }
  }
  const ok = accepted === o.messages && rows === uniq && uniq === accepted && seen.size === accepted && frames === seen.size;
  return ok ? 0 : 1;
}
