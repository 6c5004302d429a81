// Query strings → typed objects, validated like bodies (unknown parameters are refused).
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { validate } from '../../protocol/validate.js';
import type { HttpContext } from './context.js';

export function parseQuery<S extends TSchema>(ctx: HttpContext, schema: S): Static<S> {
  const raw: Record<string, string> = {};
  for (const [k, v] of ctx.query) raw[k] = v;
  return validate(schema, Value.Convert(schema, raw), 'query');
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
