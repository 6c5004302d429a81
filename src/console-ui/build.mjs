// Builds the operator console into dist/console: app.ts through tsc (its own tsconfig: DOM, no
// Node), then the page and stylesheet copied next to it. Run by `npm run build` (kept under src/
// so that every build context that has the sources, the Docker image's included, has it too).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const src = path.join(root, 'src/console-ui');
const out = path.join(root, 'dist/console');
mkdirSync(out, { recursive: true });
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(src, 'tsconfig.json')], { stdio: 'inherit' });
for (const f of ['index.html', 'console.css']) copyFileSync(path.join(src, f), path.join(out, f));
