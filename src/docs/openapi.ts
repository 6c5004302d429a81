// The OpenAPI 3.1 document of the REST API, built from the route table: each route's RouteDoc
// (protocol/contract.ts) gives its query, body and response schemas — the ones the server
// validates with and the presenters are tested against. A route without a RouteDoc is still
// listed, flagged `x-missing-contract`, so the contract test can name it.
import type { TSchema } from 'typebox';
import type { ReplyDoc, RouteDoc } from '../protocol/contract.js';
import * as authWire from '../protocol/rest/auth.js';
import * as channelWire from '../protocol/rest/channels.js';
import * as chatWire from '../protocol/rest/chat.js';
import * as directoryWire from '../protocol/rest/directory.js';
import * as opsWire from '../protocol/rest/ops.js';
import * as opsReplies from '../protocol/rest/ops-replies.js';
import * as replies from '../protocol/rest/replies.js';
import * as templateReplies from '../protocol/rest/template-replies.js';
import * as templateWire from '../protocol/rest/message-templates.js';
import * as whatsappRest from '../protocol/rest/whatsapp.js';
import * as whatsappWire from '../protocol/whatsapp.js';
import { SchemaNames, type Json } from './json-schema.js';

export interface DocumentedRoute {
  method: string;
  path: string;
  unlimited?: boolean;
  doc?: RouteDoc;
}

export interface DocumentInfo {
  version: string;
  /** The public base URL (PUBLIC_URL), if any: the document's server. */
  serverUrl?: string;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content', 302: 'Redirect', 400: 'A field is invalid: details.fields names each one',
  401: 'No valid bearer token', 403: 'Not allowed for this user', 404: 'Not found', 405: 'Method not allowed', 409: 'Conflict',
  413: 'Body too large', 415: 'Unsupported content type', 429: 'Too many requests: wait for Retry-After seconds', 500: 'Internal error', 503: 'Not ready',
};

const SECURITY: Record<NonNullable<RouteDoc['auth']>, Json[]> = {
  bearer: [{ bearerAuth: [] }],
  'webhook-signature': [{ webhookSignature: [] }],
  'metrics-token': [{ metricsToken: [] }, {}],
  none: [],
};

/** `/api/rooms/:id` → `/api/rooms/{id}`; a trailing `/*` → `/{path}`. */
export function openApiPath(path: string): string {
  return path.replace(/\/\*$/, '/{path}').replace(/:(\w+)/g, '{$1}');
}

function tagOf(path: string): string {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'api') return parts[0] === 'media' ? 'media' : 'operations';
  if (parts[1] === 'login' || parts[1] === 'logout' || parts[1] === 'change-password') return 'auth';
  if (parts[1] === 'chat') return parts[2] === 'upload-media' ? 'media' : 'chat';
  return parts[1]!;
}

function operationId(method: string, path: string): string {
  // `/x` and `/x/*` must not share an id (OpenAPI requires them unique); `/` is the root.
  const words = (path === '/' ? 'root' : openApiPath(path)).split(/[^A-Za-z0-9]+/).filter(Boolean).map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1)));
  return `${method.toLowerCase()}${words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`;
}

export function buildOpenApi(routes: DocumentedRoute[], info: DocumentInfo): Json {
  const names = new SchemaNames('#/components/schemas/')
    .add(replies)
    .add(authWire)
    .add(chatWire)
    .add(directoryWire)
    .add(channelWire)
    .add(opsWire)
    .add(opsReplies)
    .add(templateReplies)
    .add(templateWire)
    .add(whatsappRest)
    .add(whatsappWire);
  const paths: Record<string, Json> = {};
  for (const r of [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const path = openApiPath(r.path.replace(/(.)\/$/, '$1'));
    const item = (paths[path] ??= {});
    item[r.method.toLowerCase()] = operation(r, names);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lobbybee Realtime REST API',
      version: info.version,
      description:
        'Generated from the typebox schemas the server validates requests with and checks its responses against. ' +
        'Every path also answers with a trailing slash (the dashboard sends `/api/rooms/`). Errors are `{error, details}`; ' +
        'a 400 names each bad field in `details.fields`. The WebSocket contract is at /asyncapi.json.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    tags: [...new Set(routes.map((r) => tagOf(r.path)))].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: names.components(),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The `access` token of POST /api/login' },
        webhookSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'x-lobbybee-signature',
          description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with WEBHOOK_SECRET (not checked when it is unset)',
        },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when it is set' },
      },
    },
  };
}

function operation(r: DocumentedRoute, names: SchemaNames): Json {
  const pathParams = [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  if (r.path.endsWith('/*')) pathParams.push('path');
  const parameters: Json[] = pathParams.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const op: Json = { operationId: operationId(r.method, r.path), tags: [tagOf(r.path)] };
  if (!r.doc) {
    return { ...op, summary: `${r.method} ${r.path} (no contract declared)`, 'x-missing-contract': true, parameters, responses: { default: { description: 'undocumented' } } };
  }
  const d = r.doc;
  op['summary'] = d.summary;
  if (d.description) op['description'] = d.description;
  if (d.query) parameters.push(...queryParameters(d.query, names));
  if (parameters.length) op['parameters'] = parameters;
  // A route may take both (the template pages post JSON or a form with an image).
  const content: Record<string, Json> = {};
  if (d.body) content['application/json'] = { schema: names.json(d.body) };
  if (d.form) content['multipart/form-data'] = { schema: names.json(d.form) };
  if (d.body || d.form) op['requestBody'] = { required: true, content };
  op['security'] = SECURITY[d.auth ?? 'none'];
  const responses: Record<string, Json> = {};
  for (const [status, reply] of Object.entries(d.responses)) responses[status] = response(Number(status), reply, names);
  const error = (status: number) => (responses[String(status)] ??= { description: STATUS_TEXT[status]!, content: { 'application/json': { schema: names.json(replies.ErrorReply) } } });
  if (d.query || d.body || d.form || pathParams.length) error(400);
  if (d.auth === 'bearer') [401, 403].forEach(error);
  if (d.auth === 'webhook-signature' || d.auth === 'metrics-token') error(401);
  if (pathParams.length) error(404);
  if (!r.unlimited) error(429);
  error(500);
  op['responses'] = responses;
  return op;
}

function queryParameters(query: TSchema, names: SchemaNames): Json[] {
  const q = query as unknown as { properties?: Record<string, TSchema>; required?: string[] };
  return Object.entries(q.properties ?? {}).map(([name, schema]) => {
    const s = names.json(schema);
    const description = (s as { description?: string }).description;
    return { name, in: 'query', required: (q.required ?? []).includes(name), ...(description ? { description } : {}), schema: s };
  });
}

function isReplyDoc(v: TSchema | ReplyDoc): v is ReplyDoc {
  return typeof (v as ReplyDoc).description === 'string' && ('schema' in v || 'contentType' in v || 'headers' in v || !('type' in v || 'anyOf' in v));
}

function response(status: number, reply: TSchema | ReplyDoc, names: SchemaNames): Json {
  if (!isReplyDoc(reply)) return { description: STATUS_TEXT[status] ?? 'OK', content: { 'application/json': { schema: names.json(reply) } } };
  const out: Json = { description: reply.description };
  if (reply.schema || reply.contentType) out['content'] = { [reply.contentType ?? 'application/json']: reply.schema ? { schema: names.json(reply.schema) } : {} };
  if (reply.headers) out['headers'] = Object.fromEntries(Object.entries(reply.headers).map(([h, description]) => [h, { description, schema: { type: 'string' } }]));
  return out;
}
