// The three systems a scenario runs against: this server (one or more real node processes),
// the Socket.IO baseline and the raw uWS ceiling. Each knows how to start, where its sockets and
// its webhook are, and how to count what it persisted.
import { existsSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { BenchEnv, Staff, World } from './env.js';
import { httpGet } from './sampler.js';
import { ROOT_DIR, BENCH_DIR, spawnServer, stopChild, type Spawned } from './procs.js';
import type { ClientKind, SendTarget } from './protocol.js';

export type TargetName = 'server' | 'baseline' | 'uws';

export const TARGET_LABEL: Record<TargetName, string> = {
  server: 'this server',
  baseline: 'Socket.IO baseline',
  uws: 'raw uWS',
};

export interface NodeProc {
  name: string;
  host: string;
  port: number;
  pid: number;
  proc: Spawned;
}

export interface RunningTarget {
  name: TargetName;
  kind: ClientKind;
  nodes: NodeProc[];
  webhookPath: string;
  runtime: string;
  socketUrl(s: Staff, node: number): string;
  metricsUrl(node: number): string;
  sendTargets(): SendTarget[];
  /** Rows written for messages whose text starts with `prefix` (null when the target does not persist). */
  persisted(prefix: string): Promise<{ rows: number; uniq: number } | null>;
  stop(): Promise<void>;
}

export interface StartOpts {
  nodes: number;
  bus: 'nats' | 'memory';
  webhookMode: 'sync' | 'queued';
  poolMax: number;
  runtime: 'tsx' | 'dist';
  logDir: string;
  extraEnv: Record<string, string>;
  /** Extra node flags for the server processes (e.g. --cpu-prof). */
  nodeArgs: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
  });
}

async function waitReady(url: string, proc: Spawned, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  void proc.exited.then((c) => (exited = c));
  for (;;) {
    if (exited !== undefined) throw new Error(`process exited with ${exited} before it was ready; see ${proc.log}`);
    try {
      const r = await httpGet(url, 1000);
      if (r.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms (${url}); see ${proc.log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function newestMtime(dir: string): number {
  let m = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) m = Math.max(m, newestMtime(p));
    else if (e.name.endsWith('.ts')) m = Math.max(m, statSync(p).mtimeMs);
  }
  return m;
}

/** dist/ only when it exists and is newer than every source file. */
export function pickRuntime(wanted: 'auto' | 'tsx' | 'dist'): 'tsx' | 'dist' {
  if (wanted !== 'auto') return wanted;
  const main = path.join(ROOT_DIR, 'dist', 'src', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestMtime(path.join(ROOT_DIR, 'src'))) return 'dist';
  return 'tsx';
}

export async function startServer(env: BenchEnv, o: StartOpts): Promise<RunningTarget> {
  const nodes: NodeProc[] = [];
  const args = [...o.nodeArgs, ...(o.runtime === 'dist' ? ['--enable-source-maps', 'dist/src/main.js'] : ['--import', 'tsx', 'src/main.ts'])];
  const mediaDir = path.join(env.tmpDir, 'media');
  try {
    for (let i = 0; i < o.nodes; i++) {
      const port = await freePort();
      const name = `node-${i + 1}`;
      const proc = spawnServer(
        args,
        {
          NODE_ENV: o.bus === 'nats' ? 'production' : 'development',
          NODE_ID: `bench-${env.run}-${name}`,
          HOST: '127.0.0.1',
          PORT: String(port),
          LOG_LEVEL: 'info', // low volume; shows startup, NATS links and the signal of a shutdown
          DATABASE_URL: env.dbUrl,
          DATABASE_POOL_MAX: String(o.poolMax),
          NATS_URL: o.bus === 'nats' ? env.natsUrl : '',
          NATS_PREFIX: env.natsPrefix,
          JWT_SECRET: env.jwtSecret,
          WEBHOOK_SECRET: env.webhookSecret,
          WEBHOOK_MODE: o.webhookMode,
          // One load generator, one address, many sockets per staff member: no per-client limits.
          RATE_LIMIT_PER_MINUTE: '1000000000',
          WS_UPGRADES_PER_MINUTE: '1000000000',
          MAX_SOCKETS_PER_USER: '1000000',
          CRON_ENABLED: 'false',
          MEDIA_DIR: mediaDir,
          MEDIA_DRIVER: 'disk',
          ...o.extraEnv,
        },
        path.join(o.logDir, `server-${name}.log`),
      );
      nodes.push({ name, host: '127.0.0.1', port, pid: proc.cp.pid!, proc });
    }
    await Promise.all(nodes.map((n) => waitReady(`http://${n.host}:${n.port}/readyz`, n.proc, 90_000)));
  } catch (err) {
    await Promise.all(nodes.map((n) => stopChild(n.proc.cp)));
    throw err;
  }
  return {
    name: 'server',
    kind: 'ws',
    nodes,
    runtime: o.runtime,
    webhookPath: '/api/chat/guest-webhook/',
    socketUrl: (s, node) => `ws://${nodes[node]!.host}:${nodes[node]!.port}/ws/chat/?token=${s.token}`,
    metricsUrl: (node) => `http://${nodes[node]!.host}:${nodes[node]!.port}/metrics`,
    sendTargets: () => nodes.map((n) => ({ host: n.host, port: n.port, path: '/api/chat/guest-webhook/' })),
    persisted: async (prefix) => {
      const [r] = await env.sql<{ rows: number; uniq: number }[]>`
        select count(*)::int as rows, count(distinct split_part(content, '|', 3))::int as uniq from messages
        where content like ${`${prefix}%`}`;
      return r ?? null;
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => stopChild(n.proc.cp, 12_000)));
    },
  };
}

/** Starts one process of bench/servers/ (baseline or raw) on a free port and waits for /healthz. */
async function startComparisonServer(o: StartOpts, name: string, file: string, env: Record<string, string>): Promise<NodeProc> {
  const port = await freePort();
  const log = path.join(o.logDir, file.replace(/\.ts$/, '.log'));
  const proc = spawnServer([...o.nodeArgs, '--import', 'tsx', path.join(BENCH_DIR, 'servers', file)], { PORT: String(port), ...env }, log);
  const node: NodeProc = { name, host: '127.0.0.1', port, pid: proc.cp.pid!, proc };
  try {
    await waitReady(`http://127.0.0.1:${port}/healthz`, proc, 60_000);
  } catch (err) {
    await stopChild(proc.cp);
    throw err;
  }
  return node;
}

export async function startBaseline(env: BenchEnv, o: StartOpts): Promise<RunningTarget> {
  const node = await startComparisonServer(o, 'baseline', 'baseline-socketio.ts', {
    DATABASE_URL: env.dbUrl,
    JWT_SECRET: env.jwtSecret,
    JWT_ISSUER: 'lobbybee-realtime',
    WEBHOOK_SECRET: env.webhookSecret,
    POOL_MAX: String(o.poolMax),
  });
  const { port, proc } = node;
  return {
    name: 'baseline',
    kind: 'sio',
    nodes: [node],
    runtime: 'tsx',
    webhookPath: '/api/chat/guest-webhook/',
    socketUrl: () => `http://127.0.0.1:${port}`,
    metricsUrl: () => `http://127.0.0.1:${port}/metrics`,
    sendTargets: () => [{ host: '127.0.0.1', port, path: '/api/chat/guest-webhook/' }],
    persisted: async (prefix) => {
      const [r] = await env.sql<{ rows: number; uniq: number }[]>`
        select count(*)::int as rows, count(distinct split_part(content, '|', 3))::int as uniq from bl_messages
        where content like ${`${prefix}%`}`;
      return r ?? null;
    },
    stop: () => stopChild(proc.cp),
  };
}

export async function startRaw(env: BenchEnv, world: World, o: StartOpts): Promise<RunningTarget> {
  const routes = path.join(env.tmpDir, 'routes.json');
  writeFileSync(routes, JSON.stringify(world.guestHotel));
  const node = await startComparisonServer(o, 'uws', 'raw-uws.ts', { ROUTES_FILE: routes, DEPARTMENTS: world.departments.join(',') });
  const { port, proc } = node;
  return {
    name: 'uws',
    kind: 'ws',
    nodes: [node],
    runtime: 'tsx',
    webhookPath: '/api/chat/guest-webhook/',
    socketUrl: (s) => `ws://127.0.0.1:${port}/ws?k=${s.key}`,
    metricsUrl: () => `http://127.0.0.1:${port}/metrics`,
    sendTargets: () => [{ host: '127.0.0.1', port, path: '/api/chat/guest-webhook/' }],
    persisted: async () => null,
    stop: () => stopChild(proc.cp),
  };
}

export function startTarget(name: TargetName, env: BenchEnv, world: World, o: StartOpts): Promise<RunningTarget> {
  if (name === 'server') return startServer(env, o);
  if (name === 'baseline') return startBaseline(env, o);
  return startRaw(env, world, o);
}
