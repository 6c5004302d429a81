// The operator console: its static page (built into dist/console by `npm run build`), served by
// every node, and its API under /api/ops/. Authorisation is the console service's (platform
// administrators, or hotel administrators for their hotel).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../../core/errors.js';
import type { OpsConsole } from '../../ops/console.js';
import { EmptyBody } from '../../protocol/rest/directory.js';
import * as o from '../../protocol/rest/ops.js';
import * as or from '../../protocol/rest/ops-replies.js';
import * as r from '../../protocol/rest/replies.js';
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

const CONSOLE_HEADERS = { 'content-security-policy': 'same-origin only', 'cache-control': 'no-cache' };

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
    {
      method: 'GET',
      path: '/',
      handler: () => ({ status: 302, headers: { location: '/console/' } }),
      doc: { summary: 'The root leads to the operator console', responses: { 302: { description: 'to /console/', headers: { location: '/console/' } } } },
    },
    // Registered with and without the trailing slash: the page's relative links need the slash.
    {
      method: 'GET',
      path: '/console',
      handler: (ctx) => (ctx.path.endsWith('/') ? asset('index.html', dir) : { status: 301, headers: { location: '/console/' } }),
      doc: {
        summary: 'The operator console page (its data comes from /api/ops/...)',
        description: 'Served at /console/; /console without the slash redirects there. 404 when the console is not built.',
        responses: {
          200: { description: 'the page', contentType: 'text/html', headers: CONSOLE_HEADERS },
          301: { description: 'to /console/ (the page’s relative links need the slash)', headers: { location: '/console/' } },
          404: { description: 'the console is not built (`npm run build`)', schema: r.ErrorReply },
        },
      },
    },
    {
      method: 'GET',
      path: '/console/*',
      doc: {
        summary: 'Files of the operator console (scripts, style sheets, images)',
        description: 'One plain file name (`[a-z0-9-]+.(html|js|css|map|svg)`), no folders; anything else is 404.',
        responses: { 200: { description: 'a page, script, style sheet, source map or SVG image', contentType: 'application/octet-stream', headers: CONSOLE_HEADERS } },
      },
      handler: (ctx) => {
        const rest = ctx.params['*'] ?? '';
        return asset(rest === '' || rest === '/' ? 'index.html' : rest.replace(/^\//, ''), dir);
      },
    },
    authed('GET', '/api/ops/overview', (ctx, me) => {
      parseQuery(ctx, o.ListQuery);
      return { status: 200, body: service.overview(me) };
    }, { doc: { summary: 'The cluster, its traffic and background work (platform administrators; hotel administrators get their scope only)', query: o.ListQuery, responses: { 200: or.OpsOverviewReply } } }),
    authed('GET', '/api/ops/hotels', async (ctx, me) => {
      parseQuery(ctx, o.ListQuery);
      return { status: 200, body: await service.hotels(me) };
    }, { doc: { summary: 'Sockets and active conversations per hotel and department', query: o.ListQuery, responses: { 200: or.OpsHotelsReply } } }),
    authed('GET', '/api/ops/conversations/:id', async (ctx, me) => {
      const q = parseQuery(ctx, o.ListQuery);
      return { status: 200, body: await service.conversation(me, idOf(ctx), q.limit ?? 50) };
    }, { doc: { summary: 'A conversation and its latest messages (limit, default 50)', query: o.ListQuery, responses: { 200: or.OpsConversationReply } } }),
    authed('GET', '/api/ops/dead-letters', async (ctx, me) => {
      const q = parseQuery(ctx, o.ListQuery);
      return { status: 200, body: await service.deadLetters(me, q.limit ?? 50) };
    }, { doc: { summary: 'Open dead letters, newest first (limit, default 50)', query: o.ListQuery, responses: { 200: or.OpsDeadLettersReply } } }),
    authed('POST', '/api/ops/dead-letters/:id/retry', async (ctx, me) => {
      const id = idOf(ctx);
      await ctx.json(EmptyBody);
      return { status: 200, body: await service.retry(me, id) };
    }, { doc: { summary: 'Enqueue a dead letter’s job again (404 when resolved already)', body: EmptyBody, responses: { 200: or.OpsRetryReply } } }),
    authed('POST', '/api/ops/dead-letters/:id/discard', async (ctx, me) => {
      const id = idOf(ctx);
      await ctx.json(EmptyBody);
      return { status: 200, body: await service.discard(me, id) };
    }, { doc: { summary: 'Discard a dead letter (404 when resolved already)', body: EmptyBody, responses: { 200: or.OpsDiscardReply } } }),
    authed('GET', '/api/ops/simulator/guests', async (ctx, me) => {
      parseQuery(ctx, o.ListQuery);
      return { status: 200, body: await service.simulatorGuests(me) };
    }, { doc: { summary: 'Guest simulator: checked-in guests to write as (404 in production)', query: o.ListQuery, responses: { 200: or.OpsSimulatorGuestsReply } } }),
    authed('GET', '/api/ops/simulator/guests/:id/thread', async (ctx, me) => ({ status: 200, body: await service.simulatorThread(me, idOf(ctx)) }), {
      doc: { summary: 'Guest simulator: a guest’s active conversations with their latest messages', responses: { 200: or.OpsSimulatorThreadReply } },
    }),
    authed('POST', '/api/ops/simulator/send', async (ctx, me) => {
      const body = await ctx.json(o.SimulatorSendBody);
      return { status: 202, body: await service.simulatorSend(me, body.guest_id, body.message, body.department ?? 'Reception') };
    }, { doc: { summary: 'Guest simulator: a guest message through the real inbound path', body: o.SimulatorSendBody, responses: { 202: or.OpsSimulatorSendReply } } }),
    authed('POST', '/api/ops/simulator/reply', async (ctx, me) => {
      const body = await ctx.json(o.SimulatorReplyBody);
      return { status: 201, body: await service.simulatorReply(me, body.conversation_id, body.message) };
    }, { doc: { summary: 'Guest simulator: a staff reply (a platform administrator answers as the hotel’s administrator)', body: o.SimulatorReplyBody, responses: { 201: or.OpsSimulatorReplyReply } } }),
  ];
}
