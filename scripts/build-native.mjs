// Builds native/tcp-cork (TCP_CORK around socket upgrades: src/transport/ws/tcp-cork.ts) with the
// node-gyp that ships with npm; run by `npm install` / `npm ci`. The server runs without it (each
// 101 after an await then leaves in about 20 TCP segments, and the node says so at start), so a
// build that cannot run here (no compiler, not Linux) warns instead of failing the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'native', 'tcp-cork');

function warn(why) {
  console.warn(`native/tcp-cork not built (${why}): socket upgrades still work, each 101 after an await in about 20 TCP segments`);
  process.exit(0);
}

if (process.platform !== 'linux') warn(`${process.platform} has no TCP_CORK`);
// npm names its own node-gyp in the environment of install scripts; else the one beside npm.
const gyp =
  process.env.npm_config_node_gyp ?? path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (!existsSync(gyp)) warn(`no node-gyp at ${gyp}`);
// Node's own headers where it was installed with them (Debian's nodejs, the official tarballs),
// so that nothing has to be downloaded.
const prefix = path.resolve(path.dirname(process.execPath), '..');
const args = [gyp, 'rebuild'];
const env = { ...process.env };
if (!env.npm_config_nodedir) {
  delete env.npm_config_nodedir;
  if (existsSync(path.join(prefix, 'include', 'node', 'node.h'))) args.push(`--nodedir=${prefix}`);
}
const run = spawnSync(process.execPath, args, { cwd: dir, env, stdio: 'inherit', timeout: 180_000 });
if (run.status !== 0) warn(run.error ? run.error.message : `node-gyp exited with ${run.status ?? run.signal}`);
