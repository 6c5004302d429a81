// `npm run build` step: copies the /docs renderers from node_modules into dist/docs-ui/, so the
// production image (no dev dependencies) serves them from this origin.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../util/paths.js';
import { UI_ASSETS } from './ui-assets.js';

const root = projectRoot();
const out = path.join(root, 'dist', 'docs-ui');
mkdirSync(out, { recursive: true });
for (const a of UI_ASSETS) copyFileSync(path.join(root, 'node_modules', a.pkg, a.file), path.join(out, a.name));
process.stdout.write(`docs-ui: ${UI_ASSETS.length} files in ${path.relative(root, out)}\n`);
