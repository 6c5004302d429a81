// Query strings → typed objects, validated like bodies (unknown parameters are refused).
import type { Static, TSchema } from 'typebox';
import { queryValues, validate } from '../../protocol/validate.js';
import type { HttpContext } from './context.js';

export function parseQuery<S extends TSchema>(ctx: HttpContext, schema: S): Static<S> {
  return validate(schema, queryValues(schema, ctx.query), 'query');
}

/**
 * This request for next/previous links: absolute on PUBLIC_URL when it is set, else a relative
 * path. The Host header is the client's to choose, so it is never used.
 */
export function selfLink(ctx: HttpContext, publicUrl: string): URL | string {
  const qs = ctx.query.toString();
  // One leading slash: `//evil.example/…` must stay a path, not become a host.
  const relative = `${ctx.path.replace(/^\/+/, '/')}${qs ? `?${qs}` : ''}`;
  return publicUrl ? new URL(`${publicUrl.replace(/\/$/, '')}${relative}`) : relative;
}
