// Route table → uWS. Each path pattern is registered once (with and without its trailing slash)
// as an `any` handler that dispatches on method, so a wrong method is a 405 and an unknown path
// a 404 — never a 401. Errors are mapped to {error, details} here and nowhere else.
import { createHash } from 'node:crypto';
import type { RouteDoc } from '../../protocol/contract.js';
import type { Logger } from '../../obs/log.js';
import { safeUrl } from '../../obs/log.js';
import { LATENCY_BUCKETS, type Registry } from '../../obs/metrics.js';
import { isAppError, MethodNotAllowedError, RateLimitedError, type AppError } from '../../core/errors.js';
import { KeyedRateLimiter } from '../../util/rate-limit.js';
import type { Edge } from '../guard.js';
import type { HttpRequest } from '../uws.js';
import { ClientGoneError, UwsHttpContext, type BodyMode, type HttpContext } from './context.js';
import type { Exchange } from './exchange.js';
import { decodeSegment } from './path.js';
import { errorReply, sendReply, streamReply, type Reply } from './reply.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  method: Method;
  /** uWS pattern, e.g. /api/chat/conversations/:id */
  path: string;
  handler: (ctx: HttpContext) => Promise<Reply> | Reply;
  /** Default: 'buffer' for POST/PUT/PATCH, 'none' otherwise. */
  body?: BodyMode;
  /** Exempt from the per-IP rate limit (health probes). */
  unlimited?: boolean;
  /**
   * Its contract: query, body and response schemas, published at /openapi.json. Every route has
   * one; test/contract/api-docs.test.ts names each route (METHOD path) that lacks it.
   */
  doc?: RouteDoc;
}

export interface RouterDeps {
  log: Logger;
  metrics: Registry;
  nodeId: string;
  maxBodyBytes: number;
  corsOrigins: string[];
  rateLimitPerMinute: number;
  trustProxy: boolean;
  /** Turns infrastructure failures (database, bus) into client-facing errors. */
  translateError: (err: unknown) => AppError | undefined;
}

const CORS_ALLOW_HEADERS = 'authorization, content-type, x-request-id, x-lobbybee-signature';
const CORS_ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';

function decodeIp(buf: ArrayBuffer): string {
  return Buffer.from(buf).toString();
}

export class Router {
  private counter = 0;
  private readonly requests;
  private readonly latency;
  private readonly limiter: KeyedRateLimiter;
  private readonly anyOrigin: boolean;
  private readonly origins: Set<string>;

  constructor(private readonly deps: RouterDeps) {
    this.requests = deps.metrics.counter('http_requests_total', 'HTTP requests by route and status');
    this.latency = deps.metrics.histogram('http_request_duration_seconds', 'HTTP handling time', LATENCY_BUCKETS);
    // By route (templated paths, so bounded): webhook latency percentiles on the dashboard.
    this.limiter = new KeyedRateLimiter(deps.rateLimitPerMinute);
    this.anyOrigin = deps.corsOrigins.includes('*');
    this.origins = new Set(deps.corsOrigins);
  }

  stop(): void {
    this.limiter.stop();
  }

  /** Registers every route, then the catch-all 404. */
  mount(edge: Pick<Edge, 'any'>, routes: Route[]): void {
    const byPath = new Map<string, Map<string, Route>>();
    for (const r of routes) {
      const path = r.path.replace(/\/$/, '');
      let methods = byPath.get(path);
      if (!methods) byPath.set(path, (methods = new Map()));
      if (methods.has(r.method)) throw new Error(`duplicate route ${r.method} ${path}`);
      methods.set(r.method, r);
    }
    for (const [path, methods] of byPath) {
      const names = [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      const handler = (ex: Exchange, req: HttpRequest) => this.dispatch(ex, req, path, names, methods);
      edge.any(path, handler);
      // A trailing /* (e.g. /media/*) already matches any depth; others also take a trailing slash.
      if (!path.endsWith('/*')) edge.any(`${path}/`, handler);
    }
    edge.any('/*', (ex, req) => {
      const cors = this.corsHeaders(req.getHeader('origin'));
      if (req.getMethod() === 'options') return this.preflight(ex, cors);
      const requestId = this.requestId(req.getHeader('x-request-id'));
      return this.answer(ex, errorReply(404, `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}`), { ...cors, 'x-request-id': requestId });
    });
  }

  private requestId(incoming: string): string {
    if (incoming && /^[\w.:-]{1,64}$/.test(incoming)) return incoming;
    return `${this.deps.nodeId}-${(++this.counter).toString(36)}`;
  }

  private corsHeaders(origin: string): Record<string, string> {
    if (!origin || !(this.anyOrigin || this.origins.has(origin))) return {};
    return { 'access-control-allow-origin': origin, vary: 'origin', 'access-control-expose-headers': 'retry-after, x-request-id' };
  }

  private preflight(ex: Exchange, cors: Record<string, string>): void | Promise<void> {
    const headers = cors['access-control-allow-origin']
      ? { ...cors, 'access-control-allow-methods': CORS_ALLOW_METHODS, 'access-control-allow-headers': CORS_ALLOW_HEADERS, 'access-control-max-age': '600' }
      : {};
    return this.answer(ex, { status: 204 }, headers);
  }

  /** Answers without running a route; waits (asynchronously) only when a body is still arriving. */
  private answer(ex: Exchange, reply: Reply, headers: Record<string, string>): void | Promise<void> {
    const sent = sendReply(ex, reply, headers);
    if (typeof sent !== 'boolean') return sent.then(() => undefined);
  }

  private clientIp(ex: Exchange, headers: Readonly<Record<string, string>>): string {
    if (this.deps.trustProxy) {
      // The last entry is the one our own proxy added; earlier ones are the client's to forge.
      const fwd = headers['x-forwarded-for'];
      if (fwd) return fwd.split(',').at(-1)!.trim();
    }
    return decodeIp(ex.res.getRemoteAddressAsText());
  }

  private dispatch(ex: Exchange, req: HttpRequest, path: string, names: string[], methods: Map<string, Route>): void | Promise<void> {
    const method = req.getMethod().toUpperCase();
    const cors = this.corsHeaders(req.getHeader('origin'));
    if (method === 'OPTIONS') return this.preflight(ex, cors);
    const route = methods.get(method) ?? (method === 'HEAD' ? methods.get('GET') : undefined);
    const requestId = this.requestId(req.getHeader('x-request-id'));
    const headers = { ...cors, 'x-request-id': requestId };
    if (!route) {
      const err = new MethodNotAllowedError([...methods.keys()]);
      return this.answer(ex, errorReply(405, err.message, undefined, { allow: err.allow.join(', ') }), headers);
    }
    const params: Record<string, string> = {};
    let badPath: unknown = null;
    try {
      for (let i = 0; i < names.length; i++) params[names[i]!] = decodeSegment(req.getParameter(i) ?? '', names[i]!);
    } catch (err) {
      badPath = err;
    }
    if (path.endsWith('/*')) params['*'] = req.getUrl().slice(path.length - 1);
    const bodyMode = route.body ?? (method === 'GET' || method === 'DELETE' ? 'none' : 'buffer');
    // Read lazily (a native call and a decode per request): the rate limit and a refused webhook need it.
    const ctx: UwsHttpContext = new UwsHttpContext(ex, req, params, () => this.clientIp(ex, ctx.headers), requestId, bodyMode, this.deps.maxBodyBytes);
    return this.run(ctx, route, path, headers, badPath);
  }

  private limit(ctx: HttpContext): void {
    const auth = ctx.headers['authorization'];
    const keys = [`ip:${ctx.ip}`];
    if (auth) keys.push(`tok:${createHash('sha1').update(auth).digest('base64url')}`);
    for (const key of keys) {
      const wait = this.limiter.take(key);
      if (wait > 0) throw new RateLimitedError('too many requests; slow down', Math.ceil(wait));
    }
  }

  private async run(ctx: UwsHttpContext, route: Route, path: string, headers: Record<string, string>, badPath: unknown): Promise<void> {
    let reply: Reply;
    try {
      if (!route.unlimited) this.limit(ctx);
      if (badPath) throw badPath;
      reply = await route.handler(ctx);
    } catch (err) {
      if (err instanceof ClientGoneError || ctx.aborted) {
        this.deps.log.debug({ req: ctx.requestId, path }, 'client went away before the response');
        return;
      }
      reply = this.errorToReply(err, ctx);
    }
    let sent = true;
    if (reply.stream) {
      const extra = { ...headers, ...reply.headers, 'content-type': reply.stream.contentType };
      await streamReply(ctx.exchange, { status: reply.status, headers: extra }, reply.stream.body, reply.stream.size);
      sent = !ctx.aborted;
    } else {
      sent = await sendReply(ctx.exchange, reply, headers);
    }
    const seconds = (performance.now() - ctx.startedAt) / 1000;
    this.requests.inc({ route: `${route.method} ${path}`, status: String(reply.status) });
    this.latency.observe(seconds, { method: route.method, route: path });
    this.deps.log.debug(
      { req: ctx.requestId, method: ctx.method, url: safeUrl(ctx.path), status: reply.status, ms: Math.round(seconds * 1e4) / 10, sent },
      'http request',
    );
  }

  private errorToReply(err: unknown, ctx: HttpContext): Reply {
    const known = isAppError(err) ? err : this.deps.translateError(err);
    if (known) {
      const e = known;
      const headers: Record<string, string> = {};
      const retry = (e as { retryAfterS?: number }).retryAfterS;
      if (retry !== undefined) headers['retry-after'] = String(retry);
      if (e instanceof MethodNotAllowedError) headers['allow'] = e.allow.join(', ');
      if (e.status >= 500) this.deps.log.warn({ req: ctx.requestId, code: e.code, err: e.message }, 'request failed');
      return errorReply(e.status, e.message, e.details, headers);
    }
    this.deps.log.error({ req: ctx.requestId, method: ctx.method, url: safeUrl(ctx.path), err }, 'unhandled error in request');
    return errorReply(500, 'internal server error', { request_id: ctx.requestId });
  }
}
