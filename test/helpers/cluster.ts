// Real server processes for multi-node tests, and a private nats-server that a test may stop
// and restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { projectRoot } from '../../src/util/paths.js';
import { testEnv } from './app.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface NodeProc {
  name: string;
  port: number;
  base: string;
  wsBase: string;
  proc: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  metric(name: string, labels?: string): Promise<number>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `node --import tsx src/main.ts` with the test environment plus `env` on a port the
 * server picks itself (PORT=0, read back from its "listening" log line); waits for /readyz.
 */
export async function startNode(t: Test, name: string, env: Record<string, string>): Promise<NodeProc> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot(),
    env: { ...process.env, ...testEnv({ PORT: '0', NODE_ID: name, LOG_LEVEL: 'info', ...env }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  proc.stdout!.on('data', (d) => output.push(String(d)));
  proc.stderr!.on('data', (d) => output.push(String(d)));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  let port = 0;
  await until(async () => {
    const m = /"port":(\d+),"msg":"listening"/.exec(output.join(''));
    if (m) port = Number(m[1]);
    if (proc.exitCode !== null) throw new Error(`${name} exited: ${output.join('').slice(-500)}`);
    return port > 0;
  }, `${name} to listen`);
  const base = `http://127.0.0.1:${port}`;
  const node: NodeProc = {
    name,
    port,
    base,
    wsBase: `ws://127.0.0.1:${port}`,
    proc,
    output,
    exited,
    async metric(metric, labels = '') {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(labels ? `${metric}{${labels}}` : `${metric} `));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    },
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  t.teardown(async () => {
    await node.kill('SIGKILL');
    // For diagnosis: CLUSTER_LOG_DIR=/tmp/x keeps each node's output.
    const dir = process.env['CLUSTER_LOG_DIR'];
    if (dir) writeFileSync(path.join(dir, `${name}.log`), output.join(''));
  });
  // "ready", not only 200 (which a node without NATS answers too, degraded).
  await until(async () => ((await (await fetch(`${base}/readyz`)).json()) as { status: string }).status === 'ready', `${name} to be ready (${output.join('').slice(-500)})`);
  return node;
}

export interface NatsProc {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A private JetStream nats-server on a free port (its store survives stop/start). */
export async function startNats(t: Test): Promise<NatsProc> {
  const port = await freePort();
  const store = mkdtempSync(path.join(os.tmpdir(), 'lbt-nats-'));
  let proc: ChildProcess | null = null;
  const bin = process.env['NATS_SERVER_BIN'] ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');
  const ready = () =>
    until(
      () =>
        new Promise<boolean>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port }, () => {
            s.destroy();
            resolve(true);
          });
          s.on('error', () => resolve(false));
        }),
      'nats-server',
    );
  const nats: NatsProc = {
    url: `nats://127.0.0.1:${port}`,
    async start() {
      proc = spawn(bin, ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      await ready();
    },
    async stop() {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null) return;
      const gone = new Promise((r) => p.on('exit', r));
      p.kill('SIGKILL');
      await gone;
    },
  };
  await nats.start();
  t.teardown(async () => {
    await nats.stop();
    rmSync(store, { recursive: true, force: true });
  });
  return nats;
}

export { until };
