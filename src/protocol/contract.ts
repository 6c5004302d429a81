// How a REST route declares its contract: what it takes and what it answers, as typebox schemas
// (the same ones its handler validates with and its presenters are tested against). The OpenAPI
// document (src/docs/openapi.ts) is built from these declarations and nothing else.
import type { TSchema } from 'typebox';

/** A response that is not a JSON body (a redirect, a file, metrics text), or one with a note. */
export interface ReplyDoc {
  description: string;
  /** Default application/json when `schema` is given. */
  contentType?: string;
  schema?: TSchema;
  /** Response headers worth naming (name → description). */
  headers?: Record<string, string>;
}

export interface RouteDoc {
  summary: string;
  description?: string;
  /** Who may call it. Routes made with kit.authed are 'bearer' without saying so. */
  auth?: 'bearer' | 'webhook-signature' | 'metrics-token' | 'none';
  /** Query parameters: an object schema (parsed with parseQuery). */
  query?: TSchema;
  /** A JSON request body. */
  body?: TSchema;
  /** A multipart/form-data request body (with `body` too when both are taken). */
  form?: TSchema;
  /** Every success status with its body schema. Error replies ({error, details}) are added for all routes. */
  responses: Record<number, TSchema | ReplyDoc>;
}
