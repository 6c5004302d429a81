// The operator console: its static page (built into dist/console by `npm run build`), served by
// every node, and its API under /api/ops/. Authorisation is the console service's (platform
// administrators, or hotel administrators for their hotel).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../../core/errors.js';
import type { OpsConsole } from '../../ops/console.js';
import * as o from '../../protocol/rest/ops.js';
import { queryValues, validate } from '../../protocol/validate.js';
import type { HttpContext } from '../http/context.js';
import { parseQuery } from '../http/query.js';
import type { Route } from '../http/router.js';
import type { Kit } from './kit.js';

/** <root>/dist/console, from src/transport/routes (tsx) and dist/src/transport/routes (built) alike. */
export const CONSOLE_ASSETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..', ...(import.meta.url.includes('/dist/src/') ? ['console'] : ['dist', 'console']));

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
};
/** One plain file name of the asset folder: no folders, no dots but the extension's. */
const ASSET = /^([a-z0-9][a-z0-9-]{0,63})\.(html|js|css|map|svg)$/;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'cache-control': 'no-cache',
};

async function asset(name: string, dir: string) {
  const m = ASSET.exec(name);
  if (!m) throw new NotFoundError('No such console file');
  let data: Buffer;
  try {
    data = await readFile(path.join(dir, name));
  } catch {
    throw new NotFoundError(name === 'index.html' ? 'The console is not built: run `npm run build`' : 'No such console file');
  }
  return { status: 200, raw: { contentType: TYPES[m[2]!]!, data: new Uint8Array(data) }, headers: SECURITY_HEADERS };
}

function idOf(ctx: HttpContext): number {
  return validate(o.IdParam, queryValues(o.IdParam, [['id', ctx.params['id'] ?? '']]), 'path').id;
}

export function consoleRoutes(service: OpsConsole, kit: Kit, opts: { assets?: string } = {}): Route[] {
  const dir = opts.assets ?? CONSOLE_ASSETS;
  const { authed } = kit;
  return [
    { method: 'GET', path: '/', handler: () => ({ status: 302, headers: { location: '/console/' } }) },
    // Registered with and without the trailing slash: the page's relative links need the slash.
    { method: 'GET', path: '/console', handler: (ctx) => (ctx.path.endsWith('/') ? asset('index.html', dir) : { status: 301, headers: { location: '/console/' } }) },
    {
      method: 'GET',
      path: '/console/*',
      handler: (ctx) => {
        const rest = ctx.params['*'] ?? '';
        return asset(rest === '' || rest === '/' ? 'index.html' : rest.replace(/^\//, ''), dir);
      },
    },
    authed('GET', '/api/ops/overview', (ctx, me) => {
      parseQuery(ctx, o.ListQuery);
      return { status: 200, body: service.overview(me) };
    }),
    authed('GET', '/api/ops/hotels', async (ctx, me) => {
      parseQuery(ctx, o.ListQuery);
      return { status: 200, body: await service.hotels(me) };
    }),
    authed('GET', '/api/ops/conversations/:id', async (ctx, me) => {
      const q = parseQuery(ctx, o.ListQuery);
      return { status: 200, body: await service.conversation(me, idOf(ctx), q.limit ?? 50) };
    }),
    authed('GET', '/api/ops/dead-letters', async (ctx, me) => {
      const q = parseQuery(ctx, o.ListQuery);
      return { status: 200, body: await service.deadLetters(me, q.limit ?? 50) };
    }),
    authed('POST', '/api/ops/dead-letters/:id/retry', async (ctx, me) => ({ status: 200, body: await service.retry(me, idOf(ctx)) })),
    authed('POST', '/api/ops/dead-letters/:id/discard', async (ctx, me) => ({ status: 200, body: await service.discard(me, idOf(ctx)) })),
    authed('GET', '/api/ops/simulator/guests', async (ctx, me) => {
      parseQuery(ctx, o.ListQuery);
      return { status: 200, body: await service.simulatorGuests(me) };
    }),
    authed('GET', '/api/ops/simulator/guests/:id/thread', async (ctx, me) => ({ status: 200, body: await service.simulatorThread(me, idOf(ctx)) })),
    authed('POST', '/api/ops/simulator/send', async (ctx, me) => {
      const body = await ctx.json(o.SimulatorSendBody);
      return { status: 202, body: await service.simulatorSend(me, body.guest_id, body.message, body.department ?? 'Reception') };
    }),
    authed('POST', '/api/ops/simulator/reply', async (ctx, me) => {
      const body = await ctx.json(o.SimulatorReplyBody);
      return { status: 201, body: await service.simulatorReply(me, body.conversation_id, body.message) };
    }),
  ];
}
