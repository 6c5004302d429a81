// Query strings → typed objects, validated like bodies (unknown parameters are refused).
import type { Static, TSchema } from '@sinclair/typebox';
import { queryValues, validate } from '../../protocol/validate.js';
import type { HttpContext } from './context.js';

export function parseQuery<S extends TSchema>(ctx: HttpContext, schema: S): Static<S> {
  return validate(schema, queryValues(schema, ctx.query), 'query');
}

/** The absolute URL of this request (for next/previous links), honouring PUBLIC_URL. */
export function requestUrl(ctx: HttpContext, publicUrl: string): URL {
  const base = publicUrl || `http://${ctx.headers['host'] ?? 'localhost'}`;
  const qs = ctx.query.toString();
  return new URL(`${ctx.path}${qs ? `?${qs}` : ''}`, base);
}
