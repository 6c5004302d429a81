// The published contracts: /openapi.json (built from the route table's RouteDocs), /asyncapi.json
// (from the frame schemas) and /docs, which renders both with renderers served from this origin.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Type } from 'typebox';
import { buildAsyncApi } from '../../docs/asyncapi.js';
import { buildOpenApi } from '../../docs/openapi.js';
import { assetPath, UI_ASSETS } from '../../docs/ui-assets.js';
import { NotFoundError } from '../../core/errors.js';
import { projectRoot } from '../../util/paths.js';
import type { Reply } from '../http/reply.js';
import type { Route } from '../http/router.js';

/** The version in package.json: the documents' version. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export interface DocsDeps {
  version: string;
  publicUrl: string;
}

const JsonDocument = Type.Object({}, { additionalProperties: true, description: 'the document' });

// Inline scripts would need 'unsafe-inline'; each page loads its start-up script from /docs/assets.
const page = (title: string, head: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
  `<title>${title}</title><link rel="icon" href="data:,">${head}</head><body>${body}</body></html>`;

const INDEX = page(
  'Lobbybee Realtime API',
  '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}</style>',
  '<h1>Lobbybee Realtime API</h1><ul>' +
    '<li><a href="/docs/http">REST API</a> (<a href="/openapi.json">openapi.json</a>, OpenAPI 3.1)</li>' +
    '<li><a href="/docs/ws">WebSocket API</a> (<a href="/asyncapi.json">asyncapi.json</a>, AsyncAPI 3.0)</li></ul>' +
    '<p>Both documents are generated from the schemas the server validates with. Generate client types with ' +
    '<code>npx openapi-typescript /openapi.json -o api.d.ts</code>.</p>',
);
const HTTP_PAGE = page(
  'REST API · Lobbybee Realtime',
  '<link rel="stylesheet" href="/docs/assets/swagger-ui.css">',
  '<div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/assets/http-init.js"></script>',
);
const WS_PAGE = page(
  'WebSocket API · Lobbybee Realtime',
  '<link rel="stylesheet" href="/docs/assets/asyncapi.css">',
  '<div id="ui"></div><script src="/docs/assets/asyncapi-standalone.js"></script><script src="/docs/assets/ws-init.js"></script>',
);
const INIT: Record<string, string> = {
  'http-init.js': "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });\n",
  'ws-init.js':
    "fetch('/asyncapi.json').then(function (r) { return r.text(); }).then(function (doc) {\n" +
    "  AsyncApiStandalone.render({ schema: doc, config: { show: { sidebar: true } } }, document.getElementById('ui'));\n" +
    '});\n',
};

// The renderers build their pages in the browser: scripts from this origin only, no network
// but this origin; the AsyncAPI parser compiles its schemas with `new Function`.
const csp = (evalToo: boolean) =>
  `default-src 'self'; script-src 'self'${evalToo ? " 'unsafe-eval'" : ''}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; ` +
  "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const html = (body: string, evalToo = false): Reply => ({
  status: 200,
  raw: { contentType: 'text/html; charset=utf-8', data: body },
  headers: { 'content-security-policy': csp(evalToo), 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' },
});

/**
 * `routes` is the rest of the table the node mounts: call this last. Both documents are built
 * here, once, at start-up (tens of milliseconds), not on a request's time.
 */
export function docsRoutes(routes: readonly Route[], deps: DocsDeps): Route[] {
  const info = { version: deps.version, ...(deps.publicUrl ? { serverUrl: deps.publicUrl } : {}) };
  const root = projectRoot();
  const assets = new Map<string, Buffer>();
  const json = (data: string): Reply => ({ status: 200, raw: { contentType: 'application/json; charset=utf-8', data }, headers: { 'cache-control': 'no-cache' } });
  const doc = (summary: string, description: string) => ({
    summary,
    responses: { 200: { description, contentType: 'application/json', schema: JsonDocument } },
  });
  const htmlDoc = (summary: string) => ({ summary, responses: { 200: { description: 'an HTML page', contentType: 'text/html' } } });
  let openapi = '';
  const asyncapi = JSON.stringify(buildAsyncApi(info));
  const own: Route[] = [
    { method: 'GET', path: '/openapi.json', handler: () => json(openapi), doc: doc('This document', 'OpenAPI 3.1') },
    { method: 'GET', path: '/asyncapi.json', handler: () => json(asyncapi), doc: doc('The WebSocket contract', 'AsyncAPI 3.0') },
    { method: 'GET', path: '/docs', handler: () => html(INDEX), doc: htmlDoc('Links to the rendered contracts') },
    { method: 'GET', path: '/docs/http', handler: () => html(HTTP_PAGE), doc: htmlDoc('The REST contract, rendered (swagger-ui)') },
    { method: 'GET', path: '/docs/ws', handler: () => html(WS_PAGE, true), doc: htmlDoc('The WebSocket contract, rendered (AsyncAPI React component)') },
    {
      method: 'GET',
      path: '/docs/assets/:name',
      doc: { summary: 'Files of the renderers', responses: { 200: { description: 'a script, style sheet or license', contentType: 'application/octet-stream' } } },
      handler: async (ctx): Promise<Reply> => {
        const name = ctx.params['name']!;
        const cache = { 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' };
        if (Object.hasOwn(INIT, name)) return { status: 200, raw: { contentType: 'text/javascript; charset=utf-8', data: INIT[name]! }, headers: cache };
        const asset = UI_ASSETS.find((a) => a.name === name);
        if (!asset) throw new NotFoundError(`no docs asset ${name}`);
        let data = assets.get(name);
        if (!data) {
          const file = assetPath(root, asset);
          if (!file) throw new NotFoundError(`${asset.pkg} is not installed: the rendered docs are unavailable (the JSON documents are not)`);
          data = await readFile(file);
          assets.set(name, data);
        }
        return { status: 200, raw: { contentType: asset.contentType, data }, headers: cache };
      },
    },
  ];
  openapi = JSON.stringify(buildOpenApi([...routes, ...own], info));
  return own;
}
