// The real entry point as a child process: SIGTERM/SIGINT stop it with exit code 0 within the
// shutdown deadline, and an invalid setting stops the start with exit code 2 naming every variable.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import t from 'tap';
import { projectRoot } from '../../src/util/paths.js';
import { testEnv } from '../helpers/app.js';
import { freshDatabaseUrl } from '../helpers/db.js';
import { request } from '../helpers/http.js';

const SHUTDOWN_TIMEOUT_MS = 5000;
const START_TIMEOUT_MS = 60_000;

interface Server {
  child: ChildProcess;
  /** Parsed JSON log lines (pino writes one per line to stdout). */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

function startServer(env: Record<string, string>): Server {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  // Never leave a server behind, whatever the test did.
  const killTimer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS + 30_000);
  void exited.then(() => clearTimeout(killTimer));
  return { child, logs, stderr: () => stderr, exited };
}

/** Resolves with the port once the server logged "listening" (or rejects if it exits first). */
function listening(s: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const line = s.logs.find((l) => l.msg === 'listening');
      if (line) resolve(Number(line['port']));
    };
    s.child.stdout!.on('data', () => setImmediate(check));
    void s.exited.then(({ code }) => reject(new Error(`server exited with ${code} before listening: ${s.stderr()}`)));
    check();
  });
}

t.test('SIGTERM and SIGINT stop the server with exit code 0 within the deadline', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // Port 0: the server picks a free port and logs it (no race with other test files).
    const s = startServer(testEnv({ DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) }));
    t.teardown(() => void s.child.kill('SIGKILL'));
    const port = await listening(s);
    t.equal((await request(`http://127.0.0.1:${port}`, 'GET', '/healthz')).status, 200, 'serving');

    const sentAt = Date.now();
    s.child.kill(signal);
    const { code, at } = await s.exited;
    t.equal(code, 0, `${signal}: exit code 0`);
    t.ok(at - sentAt < SHUTDOWN_TIMEOUT_MS + 2000, `${signal}: exited within SHUTDOWN_TIMEOUT_MS + 2 s (${at - sentAt} ms)`);
    t.ok(s.logs.some((l) => l.msg === 'shutting down' && l.signal === signal), 'logged the signal');
    t.ok(s.logs.some((l) => l.msg === 'stopped' && l.clean === true), 'logged "stopped" (clean)');
  }
});

t.test('an invalid setting stops the start with exit code 2 naming every bad variable', async (t) => {
  const s = startServer(testEnv({ PORT: 'abc', DATABASE_POOL_MAX: '0', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }));
  const { code } = await s.exited;
  t.equal(code, 2);
  t.match(s.stderr(), /invalid configuration/);
  t.match(s.stderr(), /^\s*- PORT: /m, 'names PORT');
  t.match(s.stderr(), /^\s*- DATABASE_POOL_MAX: /m, 'names DATABASE_POOL_MAX');
  t.equal(s.logs.length, 0, 'nothing was started, so nothing was logged');
});
