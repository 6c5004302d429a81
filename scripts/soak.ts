// A bounded soak on loopback: node processes in queued webhook mode on a private Postgres and a
// private nats-server, signed webhooks and staff sockets running, while faults are injected at
// random — kill -9 of a node (restarted), kill -9 of nats-server (restarted), a Postgres restart.
// The provider side retries what was not acknowledged (same provider_message_id), as WhatsApp
// does. Ends with a table and exits 1 on any acknowledged webhook lost, stored twice, or a socket
// delivery missing after the client's resume.
//
//   npm run soak -- --minutes 2 [--nodes 3] [--rate 40]
import type { Test } from 'tap';
import { natsPrefix } from '../test/helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../test/helpers/chat-fixtures.js';
import { startNats, startNode, until, type NodeProc } from '../test/helpers/cluster.js';
import { connect } from '../test/helpers/db.js';
import { postgresBin, startPrivatePg } from '../test/helpers/private-pg.js';
import { WsClient, type Frame } from '../test/helpers/ws.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
}
const minutes = arg('minutes', 2);
const nodeCount = arg('nodes', 3);
const rate = arg('rate', 40);

/** The part of tap's Test the helpers use: teardown hooks, run at the end in reverse. */
const hooks: Array<() => unknown> = [];
const scope = { teardown: (fn: () => unknown) => void hooks.push(fn) } as unknown as Test;
const cleanup = async () => {
  for (const fn of hooks.reverse()) await Promise.resolve(fn()).catch(() => undefined);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (msg: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function main(): Promise<number> {
  if (!postgresBin()) throw new Error('Postgres server binaries not found (/usr/lib/postgresql/*/bin)');
  const pg = await startPrivatePg(scope);
  const nats = await startNats(scope);
  const env = { DATABASE_URL: pg.url, NATS_URL: nats.url, NATS_PREFIX: natsPrefix(), WEBHOOK_MODE: 'queued', DATABASE_POOL_MAX: '6', WRITE_CONCURRENCY: '3' };
  const names = Array.from({ length: nodeCount }, (_, i) => `soak-${i}`);
  const nodes: Array<NodeProc | null> = [];
  for (const n of names) nodes.push(await startNode(scope, n, env));
  const sql = connect(scope, pg.url);
  const num = numberFactory();
  const guests = Array.from({ length: 40 }, (_, g) => ({ number: num(g + 1), name: `Soak ${g}`, room: `${100 + g}` }));
  const h = await seedHotel(sql, { staff: [{ username: 'watch', type: 'receptionist', departments: ['Reception'] }], guests });
  // The watcher sits on node 0, which is never killed; after the run it resumes every conversation.
  const watcher = await WsClient.connect(`${nodes[0]!.wsBase}/ws/chat/?token=${encodeURIComponent(h.staff['watch']!.token)}`);
  scope.teardown(() => watcher.close());

  const acked = new Set<string>();
  const unacked = new Map<string, { g: number; i: number }>();
  let sent = 0;
  let slowest = 0;
  let counter = 0;
  const recoveries: Array<{ fault: string; seconds: number }> = [];
  const live = () => nodes.filter((n): n is NodeProc => n !== null);
  const post = async (id: string, g: number, i: number) => {
    const node = live()[Math.floor(Math.random() * live().length)]!;
    sent++;
    const t0 = performance.now();
    try {
      const r = await webhook(node.base, { whatsapp_number: guests[g]!.number, message: `s${g}-${i}`, department: 'Reception', provider_message_id: id });
      slowest = Math.max(slowest, performance.now() - t0);
      if (r.status === 202) {
        acked.add(id);
        unacked.delete(id);
        return;
      }
    } catch {
      /* the node died under the request: retried below */
    }
    unacked.set(id, { g, i });
  };

  const end = Date.now() + minutes * 60_000;
  let traffic = true;
  const load = (async () => {
    while (traffic) {
      const g = Math.floor(Math.random() * guests.length);
      const id = `soak-${counter++}`;
      void post(id, g, counter);
      for (const [rid, v] of [...unacked].slice(0, 5)) void post(rid, v.g, v.i);
      await sleep(1000 / rate);
    }
  })();

  const allReady = async () =>
    (await Promise.all(live().map(async (n) => ((await (await fetch(`${n.base}/readyz`)).json()) as { status: string }).status))).every((s) => s === 'ready');
  const faults = ['node', 'nats', 'postgres'] as const;
  while (Date.now() < end - 25_000) {
    await sleep(8000 + Math.random() * 8000);
    const fault = faults[Math.floor(Math.random() * faults.length)]!;
    say(`fault: ${fault}`);
    const t0 = Date.now();
    if (fault === 'node') {
      const k = 1 + Math.floor(Math.random() * (nodeCount - 1));
      const victim = nodes[k]!;
      nodes[k] = null;
      victim.proc.kill('SIGKILL');
      await victim.exited;
      // Partitions the victim held must move on: the backlog drains without it.
      const backlogAt = acked.size;
      await until(async () => (await storedCount()) >= backlogAt, 'the backlog of the dead node', 60_000).catch(() => undefined);
      recoveries.push({ fault: 'node kill -9: backlog stored', seconds: (Date.now() - t0) / 1000 });
      nodes[k] = await startNode(scope, `${names[k]}-r${t0}`, env);
    } else if (fault === 'nats') {
      await nats.stop();
      await sleep(3000);
      await nats.start();
      const back = Date.now();
      await until(allReady, 'nodes back on NATS', 60_000).catch(() => undefined);
      recoveries.push({ fault: 'nats kill -9 (3 s): ready again', seconds: (Date.now() - back) / 1000 });
    } else {
      await pg.stop();
      await sleep(3000);
      await pg.start();
      const back = Date.now();
      await until(allReady, 'nodes back on Postgres', 60_000).catch(() => undefined);
      recoveries.push({ fault: 'postgres restart (3 s): ready again', seconds: (Date.now() - back) / 1000 });
    }
  }
  async function storedCount(): Promise<number> {
    return (await sql<{ n: number }[]>`select count(distinct provider_message_id)::int as n from messages where provider_message_id like 'soak-%'`)[0]!.n;
  }
  while (Date.now() < end) await sleep(500);
  traffic = false;
  await load;
  // The provider keeps retrying what was never acknowledged.
  await until(async () => {
    for (const [rid, v] of [...unacked]) await post(rid, v.g, v.i);
    return unacked.size === 0;
  }, 'every webhook to be acknowledged', 60_000).catch(() => undefined);
  await until(async () => (await storedCount()) >= acked.size, 'every acknowledged webhook to be stored', 90_000).catch(() => undefined);

  const rows = await sql<{ pid: string; conversation_id: number; seq: number }[]>`
    select provider_message_id as pid, conversation_id, seq from messages where provider_message_id like 'soak-%'`;
  const stored = new Set(rows.map((r) => r.pid));
  const lost = [...acked].filter((id) => !stored.has(id)).length;
  const duplicates = rows.length - stored.size;

  // Socket deliveries: what the watcher saw live, then what a resume from its first gap returns.
  const byConv = new Map<number, number>();
  for (const r of rows) byConv.set(r.conversation_id, Math.max(byConv.get(r.conversation_id) ?? 0, r.seq));
  const seen = new Map<number, number[]>();
  for (const f of watcher.frames) if (f.type === 'message') (seen.get(f.data.conversation_id) ?? seen.set(f.data.conversation_id, []).get(f.data.conversation_id)!).push(f.data.seq);
  let liveMissing = 0;
  let liveDuplicated = 0;
  let missingAfterResume = 0;
  for (const [conv, last] of byConv) {
    const got = seen.get(conv) ?? [];
    liveDuplicated += got.length - new Set(got).size;
    const have = new Set(got);
    const gaps = Array.from({ length: last }, (_, k) => k + 1).filter((s) => !have.has(s));
    liveMissing += gaps.length;
    if (gaps.length === 0) continue;
    const from = watcher.frames.length;
    watcher.send({ type: 'resume', conversation_id: conv, since_seq: gaps[0]! - 1 });
    await watcher.next((f: Frame) => f.type === 'acknowledgment' && f.status === 'resumed' && f.conversation_id === conv, 10_000, from).catch(() => undefined);
    const after = new Set(watcher.frames.slice(from).filter((f) => f.type === 'message' && f.data.conversation_id === conv).map((f) => f.data.seq as number));
    missingAfterResume += gaps.filter((s) => !after.has(s)).length;
  }

  const table: Array<[string, string | number]> = [
    ['minutes / nodes', `${minutes} / ${nodeCount}`],
    ['webhooks sent (with retries)', sent],
    ['acknowledged (202)', acked.size],
    ['stored', stored.size],
    ['stored twice', duplicates],
    ['acknowledged but lost', lost],
    ['socket deliveries missing live (before resume)', liveMissing],
    ['socket deliveries missing after resume', missingAfterResume],
    ['socket deliveries duplicated', liveDuplicated],
    ['slowest webhook answer (ms)', Math.round(slowest)],
    ...recoveries.map((r) => [`recovery: ${r.fault} (s)`, r.seconds.toFixed(1)] as [string, string]),
  ];
  const w = Math.max(...table.map(([k]) => k.length));
  process.stdout.write(`\n${table.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`);
  // Live duplicates are reported, not fatal: clients de-duplicate by seq (DESIGN §2).
  return lost > 0 || duplicates > 0 || missingAfterResume > 0 ? 1 : 0;
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (err) => {
    process.stderr.write(`soak failed: ${(err as Error).stack ?? err}\n`);
    await cleanup();
    process.exit(2);
  });
