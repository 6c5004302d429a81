// The renderers of /docs, served from this origin: swagger-ui (OpenAPI) and the AsyncAPI React
// component's standalone bundle, both from their npm packages (pinned in package.json). `npm run
// build` copies them into dist/docs-ui/ (see vendor-ui.ts), so the production image, which has no
// dev dependencies, serves them too; from source they are read from node_modules.
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface UiAsset {
  /** Name under /docs/assets/. */
  name: string;
  /** Package and file inside it. */
  pkg: string;
  file: string;
  contentType: string;
}

export const UI_ASSETS: UiAsset[] = [
  { name: 'swagger-ui-bundle.js', pkg: 'swagger-ui-dist', file: 'swagger-ui-bundle.js', contentType: 'text/javascript; charset=utf-8' },
  { name: 'swagger-ui.css', pkg: 'swagger-ui-dist', file: 'swagger-ui.css', contentType: 'text/css; charset=utf-8' },
  { name: 'asyncapi-standalone.js', pkg: '@asyncapi/react-component', file: 'browser/standalone/index.js', contentType: 'text/javascript; charset=utf-8' },
  { name: 'asyncapi.css', pkg: '@asyncapi/react-component', file: 'styles/default.min.css', contentType: 'text/css; charset=utf-8' },
  { name: 'swagger-ui-LICENSE', pkg: 'swagger-ui-dist', file: 'LICENSE', contentType: 'text/plain; charset=utf-8' },
  { name: 'asyncapi-LICENSE', pkg: '@asyncapi/react-component', file: 'LICENSE', contentType: 'text/plain; charset=utf-8' },
];

/** Where an asset is on disk: the copy made at build time, else the installed package; null if neither. */
export function assetPath(root: string, a: UiAsset): string | null {
  for (const p of [path.join(root, 'dist', 'docs-ui', a.name), path.join(root, 'node_modules', a.pkg, a.file)]) {
    if (existsSync(p)) return p;
  }
  return null;
}
