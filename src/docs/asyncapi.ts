// The AsyncAPI 3.0 document of the two socket endpoints, built from the frame schemas the
// server parses with (protocol/frames.ts) and the close codes it uses (protocol/codes.ts).
// The document describes this server: it receives the inbound frames and sends the outbound ones.
import { CloseCodes } from '../protocol/codes.js';
import { InboundFrames, OutboundFrames, SocketContracts, SocketMessage } from '../protocol/frames.js';
import { SchemaNames, type Json } from './json-schema.js';
import type { DocumentInfo } from './openapi.js';

const closeCodes = Object.entries(CloseCodes).map(([name, c]) => ({ name, code: c.code, reason: c.reason, reconnect: c.reconnect }));

function closeCodeText(): string {
  return closeCodes.map((c) => `- **${c.code}** ${c.reason} (${c.name}): ${c.reconnect ? 'reconnect' : 'do not reconnect automatically'}`).join('\n');
}

const ENDPOINTS = {
  staffChat: {
    contract: SocketContracts.staff,
    address: '/ws/chat/',
    title: 'Staff chat socket',
    description:
      'One socket per tab for hotel staff (department_staff, receptionist, manager, hotel_admin). Authenticate with `?token=<access JWT>` ' +
      'or `Sec-WebSocket-Protocol: bearer, <token>`. Guest messages of the user\'s departments arrive on every socket without subscribing; ' +
      'subscribe_conversation adds typing and read receipts of one conversation. Every frame is a JSON text frame.',
    bindings: { ws: { query: { type: 'object', properties: { token: { type: 'string', description: 'the access JWT' } } } } },
  },
  guestChat: {
    contract: SocketContracts.guest,
    address: '/ws/guest/{whatsapp_number}/',
    title: 'Guest socket',
    description:
      'For a guest with an active stay, by WhatsApp number. With WS_GUEST_AUTH=token a guest token is required ' +
      '(POST /api/guests/{id}/socket-token/), as `?token=` or `Sec-WebSocket-Protocol: bearer, <token>`. Guests write over WhatsApp: ' +
      'here they only send typing and ping.',
    parameters: { whatsapp_number: { description: 'the guest\'s number in international form, e.g. +4420794609' } },
    bindings: { ws: { query: { type: 'object', properties: { token: { type: 'string', description: 'a guest token' } } } } },
  },
} as const;

export function buildAsyncApi(info: DocumentInfo): Json {
  const names = new SchemaNames('#/components/schemas/').add({ SocketMessage });
  const messages: Record<string, Json> = {};
  const add = (key: string, type: string, schema: object, direction: 'client → server' | 'server → client') => {
    const description = (schema as { description?: string }).description;
    messages[key] = {
      name: type,
      title: type,
      summary: `${direction}${description ? `: ${description}` : ''}`,
      contentType: 'application/json',
      payload: names.json(schema as never, true),
    };
  };
  for (const [type, schema] of Object.entries(InboundFrames)) add(`in_${type.replace(/-/g, '_')}`, type, schema, 'client → server');
  for (const [type, schema] of Object.entries(OutboundFrames)) add(`out_${type}`, type, schema, 'server → client');
  const key = (dir: 'in' | 'out', type: string) => `${dir}_${type.replace(/-/g, '_')}`;

  const channels: Record<string, Json> = {};
  const operations: Record<string, Json> = {};
  for (const [id, e] of Object.entries(ENDPOINTS)) {
    const keys = [...e.contract.inbound.map((t) => key('in', t)), ...e.contract.outbound.map((t) => key('out', t))];
    channels[id] = {
      address: e.address,
      title: e.title,
      description: `${e.description}\n\nClose codes:\n${closeCodeText()}`,
      messages: Object.fromEntries(keys.map((k) => [k, { $ref: `#/components/messages/${k}` }])),
      ...('parameters' in e ? { parameters: e.parameters } : {}),
      bindings: e.bindings,
      'x-close-codes': closeCodes,
    };
    operations[`${id}Receive`] = {
      action: 'receive',
      title: `Frames the server takes on ${e.address}`,
      channel: { $ref: `#/channels/${id}` },
      messages: e.contract.inbound.map((t) => ({ $ref: `#/channels/${id}/messages/${key('in', t)}` })),
    };
    operations[`${id}Send`] = {
      action: 'send',
      title: `Frames the server sends on ${e.address}`,
      channel: { $ref: `#/channels/${id}` },
      messages: e.contract.outbound.map((t) => ({ $ref: `#/channels/${id}/messages/${key('out', t)}` })),
    };
  }
  const host = info.serverUrl ? new URL(info.serverUrl) : null;
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Lobbybee Realtime WebSocket API',
      version: info.version,
      description:
        'Generated from the typebox schemas the server parses frames with. Frames are JSON text; a refused frame gets an `error` frame ' +
        'and the socket stays open. The REST contract is at /openapi.json.',
    },
    servers: {
      self: host
        ? { host: host.host, protocol: host.protocol === 'https:' ? 'wss' : 'ws', description: 'this deployment' }
        : { host: 'localhost:8000', protocol: 'ws', description: 'a local node (PORT 8000)' },
    },
    channels,
    operations,
    components: { schemas: names.components(), messages },
  };
}
