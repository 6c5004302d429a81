#!/usr/bin/env node
// Runs before `npm test`. tap compiles its plugin list into node_modules/@tapjs/test when it is
// installed, and a test run takes each test process's loaders from that build: after a fresh
// `npm ci` the first run would still load TypeScript through the default ts-node plugin besides
// tsx (package.json "tap": {"plugin": ["!@tapjs/typescript"], "node-arg": ["--import=tsx"]}).
// So: rebuild tap when its built plugin list does not match the configured one (about 10 s,
// once per install). Node built-ins only.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(ROOT, 'node_modules/@tapjs/test/test-built/dist/esm/index.js');

function builtPlugins() {
  try {
    const m = /export const signature = `([^`]*)`/.exec(readFileSync(built, 'utf8'));
    return m ? new Set(m[1].split('\n').filter(Boolean)) : null;
  } catch {
    return null;
  }
}

const excluded = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).tap?.plugin ?? [])
  .filter((p) => p.startsWith('!'))
  .map((p) => p.slice(1));
const have = builtPlugins();
if (have && !excluded.some((p) => have.has(p))) process.exit(0);

process.stderr.write(`[tap-plugins] building tap without ${excluded.join(', ')}\n`);
const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tap/dist/esm/run.mjs'), 'build'], { cwd: ROOT, stdio: 'inherit' });
process.exit(r.status ?? 1);
