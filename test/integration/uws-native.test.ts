// uWebSockets.js must run on its native binary: the JS fallback is slow and lacks native pub/sub,
// so with only the fallback available the server refuses to start.
import { execFile } from 'node:child_process';
import t from 'tap';
import { isNativeUws, loadUws } from '../../src/transport/uws.js';
import { projectRoot } from '../../src/util/paths.js';
import { testEnv } from '../helpers/app.js';

const root = projectRoot();

/** Runs `node --import tsx -e code` in the project with extra env; bounded in time. */
function runNode(code: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

t.test('the native binary is in use', async (t) => {
  t.equal(isNativeUws(), true, 'isNativeUws()');
  const uWS = loadUws();
  t.match(Function.prototype.toString.call(uWS.App), /\[native code\]/, 'App is implemented in C++');
  t.equal(isNativeUws({ App: function App() {} }), false, 'a JS App is recognised as the fallback');
  t.equal(isNativeUws({}), false, 'a module without App is not native');
});

t.test('with only the JS fallback, loadUws() throws NativeBindingError', async (t) => {
  const code = `
    const m = await import('./src/transport/uws.ts');
    try { m.loadUws(); console.log('LOADED'); }
    catch (e) { console.error(e instanceof m.NativeBindingError, e.code, e.message); process.exit(3); }`;
  const r = await runNode(code, { UWS_USE_FALLBACK: '1' });
  t.equal(r.code, 3, 'loadUws threw');
  t.notMatch(r.stdout, 'LOADED');
  t.match(r.stderr, /^true uws_not_native /m, 'a NativeBindingError');
  t.match(r.stderr, /has no native binary for Node .* refusing to start/);
});

t.test('with only the JS fallback, the server exits at start with that message', async (t) => {
  // A closed database port: run() gets as far as the HTTP server without needing Postgres.
  const env = testEnv({ UWS_USE_FALLBACK: '1', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
  const r = await runNode("await import('./src/main.ts')", env);
  t.equal(r.code, 1, 'exit code 1');
  t.match(r.stderr, /failed to start: .*refusing to start/);
});
