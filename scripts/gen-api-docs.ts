// Writes docs/openapi.json and docs/asyncapi.json — the documents a node serves at /openapi.json
// and /asyncapi.json — without starting one. `check` instead fails when the files are stale.
//   npm run docs:api            (write)
//   npm run docs:api -- check   (compare)
// The route table is built by the same route modules as src/app/run.ts, with stand-in services
// (no handler runs here). A route module added to run.ts must be added below too:
// test/contract/api-docs.test.ts fails while the files differ from what a running node serves.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildAsyncApi } from '../src/docs/asyncapi.js';
import { buildOpenApi } from '../src/docs/openapi.js';
import { authRoutes } from '../src/transport/routes/auth.js';
import { channelRoutes } from '../src/transport/routes/channels.js';
import { chatRoutes } from '../src/transport/routes/chat.js';
import { consoleRoutes } from '../src/transport/routes/console.js';
import { directoryRoutes } from '../src/transport/routes/directory.js';
import { docsRoutes, packageVersion } from '../src/transport/routes/docs.js';
import { makeKit } from '../src/transport/routes/kit.js';
import { mediaRoutes } from '../src/transport/routes/media.js';
import { opsRoutes } from '../src/transport/routes/ops.js';
import { templateRoutes } from '../src/transport/routes/templates.js';
import { whatsappRoutes } from '../src/transport/routes/whatsapp.js';
import type { Route } from '../src/transport/http/router.js';
import { projectRoot } from '../src/util/paths.js';

/** Any property of it, called or not, is itself: route modules only keep references at build time. */
const stand: any = new Proxy(function stand() {}, { get: (_t, k) => (k === Symbol.toPrimitive ? () => '' : stand), apply: () => stand });

export function routeTable(): Route[] {
  const kit = makeKit(stand, '');
  const routes: Route[] = [
    ...opsRoutes(stand),
    ...authRoutes(stand, kit),
    ...directoryRoutes(stand, kit),
    ...channelRoutes(stand, kit),
    ...chatRoutes(stand, kit),
    ...mediaRoutes(stand, kit),
    ...consoleRoutes(stand, kit),
    ...templateRoutes(stand, kit),
  ];
  const whatsapp = whatsappRoutes({ webhook: stand, badSignaturesPerMinute: 1 });
  whatsapp.stop();
  routes.push(...whatsapp.routes);
  routes.push(...docsRoutes(routes, { version: packageVersion(), publicUrl: '' }));
  return routes;
}

export function documents(): Record<string, string> {
  const info = { version: packageVersion() };
  return {
    'openapi.json': `${JSON.stringify(buildOpenApi(routeTable(), info), null, 2)}\n`,
    'asyncapi.json': `${JSON.stringify(buildAsyncApi(info), null, 2)}\n`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = path.join(projectRoot(), 'docs');
  const check = process.argv[2] === 'check';
  let stale = 0;
  for (const [name, text] of Object.entries(documents())) {
    const file = path.join(dir, name);
    if (check) {
      let old = '';
      try {
        old = readFileSync(file, 'utf8');
      } catch {
        /* missing: stale */
      }
      if (old !== text) {
        stale++;
        process.stderr.write(`docs/${name} is stale: run npm run docs:api\n`);
      }
    } else {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, text);
      process.stdout.write(`wrote docs/${name}\n`);
    }
  }
  process.exitCode = stale ? 1 : 0;
}
