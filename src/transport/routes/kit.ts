// Small helpers shared by route modules: authentication and paging glue.
import type { AuthService } from '../../auth/service.js';
import type { User } from '../../core/directory.js';
import { pageBody, pageParams, type PageParams } from '../../protocol/rest/paging.js';
import type { Paged } from '../../core/paging.js';
import type { HttpContext } from '../http/context.js';
import { selfLink } from '../http/query.js';
import type { Reply } from '../http/reply.js';
import type { Method, Route } from '../http/router.js';

export interface Kit {
  /** A route whose handler gets the authenticated user (401 otherwise). */
  authed(method: Method, path: string, handler: (ctx: HttpContext, user: User) => Promise<Reply> | Reply, opts?: Partial<Route>): Route;
  /** A paged list reply in the DRF shape. */
  page<T, R>(ctx: HttpContext, p: PageParams, data: Paged<T>, present: (row: T) => R): Reply;
}

export function makeKit(auth: AuthService, publicUrl: string): Kit {
  return {
    authed: (method, path, handler, opts = {}) => ({
      ...opts,
      ...(opts.doc ? { doc: { auth: 'bearer' as const, ...opts.doc } } : {}),
      method,
      path,
      handler: async (ctx) => handler(ctx, await auth.authenticate(ctx.headers['authorization'])),
    }),
    page: (ctx, p, data, present) => ({ status: 200, body: pageBody(selfLink(ctx, publicUrl), p, data.count, data.rows.map(present)) }),
  };
}

export { pageParams };

/**
 * True when a validated wire body (the Static type of a protocol/ schema) is a valid input of the
 * domain service it goes to and names no field the service does not know. Route modules list one
 * `WireFits<…>` per body inside `Checked<…>`: a schema or an input that drifts stops the build.
 */
export type WireFits<Wire, Domain> = [Wire] extends [Domain]
  ? [Exclude<keyof Wire, keyof Domain>] extends [never] ? true : false
  : false;
export type Checked<T extends true[]> = T;
