// Issue 16 — the published contracts. The OpenAPI document a running node serves lists every
// mounted route with its request and response schemas (a route without them is named here, as
// METHOD path); every socket frame type the code sends has a schema; both documents pass the
// official parsers; docs/*.json match what the node serves; /docs renders from this origin.
import SwaggerParser from '@apidevtools/swagger-parser';
import { Parser } from '@asyncapi/parser';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { InboundFrames, OutboundFrames, SocketContracts } from '../../src/protocol/frames.js';
import { projectRoot } from '../../src/util/paths.js';
import { documents } from '../../scripts/gen-api-docs.js';
import { startApp } from '../helpers/app.js';
import { captureMountedTable } from '../helpers/fuzz.js';
import { request } from '../helpers/http.js';

const mounted = captureMountedTable();
const app = await startApp(t);
// No assertion before the subtests: tap would end the file's top level while these still wait.
const served = async (p: string) => {
  const r = await request(app.base, 'GET', p);
  if (r.status !== 200) throw new Error(`GET ${p}: ${r.status}`);
  return r.body as Record<string, any>;
};
const openapi = await served('/openapi.json');
const asyncapi = await served('/asyncapi.json');
const operations = Object.entries(openapi['paths'] as Record<string, Record<string, any>>).flatMap(([p, item]) =>
  Object.entries(item).map(([method, op]) => ({ route: `${method.toUpperCase()} ${p}`, method, op })),
);

t.test('every mounted route declares its contract', async (t) => {
  t.ok(operations.length >= 45, `${operations.length} operations`);
  const listed = new Set(operations.map((o) => o.route));
  const key = (r: { method: string; path: string }) => `${r.method} ${r.path.replace(/(.)\/$/, '$1').replace(/\/\*$/, '/{path}').replace(/:(\w+)/g, '{$1}')}`;
  const absent = mounted.routes.map(key).filter((k) => !listed.has(k));
  t.same(absent, [], `mounted routes missing from /openapi.json (mount docsRoutes last in src/app/run.ts):\n${absent.join('\n')}`);
  const undocumented = mounted.routes.filter((r) => !r.doc).map(key);
  t.same(undocumented, [], `routes without a RouteDoc (give each route a \`doc\`: see src/protocol/contract.ts):\n${undocumented.join('\n')}`);
  const missing = operations.filter((o) => o.op['x-missing-contract']).map((o) => o.route);
  t.same(missing, [], `routes without a RouteDoc (give each route a \`doc\`: see src/protocol/contract.ts):\n${missing.join('\n')}`);
  const noSuccess = operations.filter((o) => !Object.keys(o.op.responses ?? {}).some((s) => /^[23]\d\d$/.test(s))).map((o) => o.route);
  t.same(noSuccess, [], 'every route names its success replies');
  const noBody = operations.filter((o) => ['post', 'put', 'patch'].includes(o.method) && !o.op.requestBody).map((o) => o.route);
  t.same(noBody, [], 'every POST/PUT/PATCH declares its body (EmptyBody when it takes none)');
  const untypedJson = operations.flatMap((o) =>
    Object.entries(o.op.responses as Record<string, any>)
      .filter(([, r]) => r.content?.['application/json'] && !r.content['application/json'].schema)
      .map(([s]) => `${o.route} ${s}`),
  );
  t.same(untypedJson, [], 'every JSON reply has a schema');
  const noErrors = operations.filter((o) => !o.op.responses['500']).map((o) => o.route);
  t.same(noErrors, [], 'error replies are listed');
});

t.test('the dashboard\'s main calls are in the document with their shapes', async (t) => {
  const op = (method: string, p: string) => openapi['paths'][p]?.[method];
  t.ok(op('post', '/api/login'), 'login');
  t.same(op('get', '/api/rooms').parameters.map((p: any) => p.name).sort(), ['floor', 'hotel', 'page', 'page_size', 'search', 'status']);
  t.ok(op('get', '/api/rooms/floors'), 'floors');
  t.equal(op('get', '/api/chat/conversations/{id}').parameters[0].name, 'id');
  t.same(op('get', '/api/chat/conversations').security, [{ bearerAuth: [] }]);
  t.ok(op('post', '/api/chat/upload-media').requestBody.content['multipart/form-data'], 'upload is multipart');
  const hotel = openapi['components'].schemas.HotelReply;
  for (const k of ['google_review_link', 'breakfast_time', 'dinner_reminder']) t.ok(hotel.properties[k], `HotelReply.${k}`);
  t.equal(openapi['components'].schemas.UserReply.properties.is_active_hotel_user.type, 'boolean');
  t.notOk(JSON.stringify(openapi).includes('~kind'), 'no TypeBox internals leak');
});

t.test('the OpenAPI document is valid OpenAPI 3.1', async (t) => {
  t.equal(openapi['openapi'], '3.1.0');
  const api = await SwaggerParser.validate(structuredClone(openapi) as never);
  t.ok(api, 'swagger-parser validates it (refs resolved)');
});

t.test('the AsyncAPI document is valid AsyncAPI 3.0 and covers every frame', async (t) => {
  t.equal(asyncapi['asyncapi'], '3.0.0');
  const { document, diagnostics } = await new Parser().parse(JSON.stringify(asyncapi));
  const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.')}: ${d.message}`);
  t.same(errors, [], 'no parser errors');
  t.ok(document, 'parsed');
  const names = new Set(document!.messages().all().map((m) => m.name()));
  for (const type of [...Object.keys(InboundFrames), ...Object.keys(OutboundFrames)]) t.ok(names.has(type), `frame ${type} documented`);
  const staff = asyncapi['channels'].staffChat;
  t.equal(staff.address, '/ws/chat/');
  t.same(staff['x-close-codes'].map((c: any) => c.code).sort(), [1001, 1009, 1011, 4001, 4003, 4008, 4009, 4029], 'close codes');
  t.equal(asyncapi['operations'].staffChatReceive.messages.length, SocketContracts.staff.inbound.length);
  t.equal(asyncapi['operations'].guestChatSend.messages.length, SocketContracts.guest.outbound.length);
});

t.test('every frame type the code sends has a schema', async (t) => {
  // Frames are built as object literals `{ type: '<name>', … }` in these folders.
  const root = projectRoot();
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const sources = [...files(path.join(root, 'src/chat')), ...files(path.join(root, 'src/transport/ws')), path.join(root, 'src/protocol/frames.ts')];
  const sent = new Set<string>();
  for (const f of sources) for (const m of readFileSync(f, 'utf8').matchAll(/\btype: '([a-z_-]+)'(?: as const)?,/g)) sent.add(m[1]!);
  t.ok(sent.size >= 10, `${sent.size} frame types found: ${[...sent].join(', ')}`);
  const missing = [...sent].filter((type) => !Object.hasOwn(OutboundFrames, type));
  t.same(missing, [], `frame types sent without a schema in OutboundFrames (src/protocol/frames.ts): ${missing.join(', ')}`);
});

t.test('docs/openapi.json and docs/asyncapi.json are what a node serves', async (t) => {
  const built = documents();
  const onDisk = (name: string) => JSON.parse(readFileSync(path.join(projectRoot(), 'docs', name), 'utf8'));
  t.same(JSON.parse(built['openapi.json']!), openapi, 'the script builds the served OpenAPI document (same route modules as run.ts)');
  t.same(JSON.parse(built['asyncapi.json']!), asyncapi, 'and the served AsyncAPI document');
  t.same(onDisk('openapi.json'), openapi, 'docs/openapi.json is current (npm run docs:api)');
  t.same(onDisk('asyncapi.json'), asyncapi, 'docs/asyncapi.json is current (npm run docs:api)');
});

t.test('/docs renders both documents from this origin', async (t) => {
  const index = await request(app.base, 'GET', '/docs/');
  t.equal(index.status, 200);
  t.match(index.headers.get('content-type'), /text\/html/);
  t.match(index.body, /href="\/docs\/http"/);
  for (const [p, scripts] of [['/docs/http', ['swagger-ui-bundle.js', 'http-init.js']], ['/docs/ws', ['asyncapi-standalone.js', 'ws-init.js']]] as const) {
    const page = await request(app.base, 'GET', p);
    t.equal(page.status, 200, p);
    const csp = page.headers.get('content-security-policy') ?? '';
    t.match(csp, /default-src 'self'/, `${p}: same-origin only`);
    t.notMatch(page.body, /https?:\/\//, `${p}: no outside URL`);
    const srcs = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((s) => s !== 'data:,');
    for (const s of scripts) t.ok(srcs.includes(`/docs/assets/${s}`), `${p} loads ${s}`);
    for (const src of srcs) {
      const asset = await fetch(app.base + src);
      t.equal(asset.status, 200, src);
      t.ok((await asset.arrayBuffer()).byteLength > 0, `${src} has content`);
    }
  }
  const bundle = await fetch(`${app.base}/docs/assets/swagger-ui-bundle.js`);
  t.match(bundle.headers.get('content-type'), /javascript/);
  t.equal((await request(app.base, 'GET', '/docs/assets/..%2Fpackage.json')).status, 404, 'only the listed files');
  t.equal((await request(app.base, 'GET', '/docs/assets/nope.js')).status, 404);
});
