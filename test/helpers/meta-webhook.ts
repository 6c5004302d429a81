// Meta's side of the WhatsApp webhook for tests: deliveries in Meta's envelope, signed with an
// app secret (X-Hub-Signature-256), posted to /api/webhooks/whatsapp/.
import { createHmac, randomBytes } from 'node:crypto';
import { request } from './http.js';

export const metaSign = (secret: string, raw: string) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

let n = 0;
/** A fresh wamid (unique across test files). */
export const wamid = () => `wamid.HBgL${randomBytes(8).toString('hex')}${(++n).toString(36)}`;
const now = () => String(Math.floor(Date.now() / 1000));

export interface ChangeSpec {
  phoneNumberId: string;
  /** Guest messages: Meta's message objects (from, id, type, …). */
  messages?: Array<Record<string, unknown>>;
  statuses?: Array<Record<string, unknown>>;
  names?: Record<string, string>;
}

/** One Meta delivery: entries of changes, each on one business number. */
export function delivery(entries: ChangeSpec[][], wabaId = '102290129340398'): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: entries.map((changes) => ({
      id: wabaId,
      changes: changes.map((c) => ({
        field: 'messages',
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550001111', phone_number_id: c.phoneNumberId },
          ...(c.messages
            ? {
                contacts: [...new Set(c.messages.map((m) => String(m['from'])))].map((from) => ({ profile: { name: c.names?.[from] ?? 'Guest' }, wa_id: from })),
                messages: c.messages,
              }
            : {}),
          ...(c.statuses ? { statuses: c.statuses } : {}),
        },
      })),
    })),
  };
}

export const text = (from: string, body: string, id = wamid()) => ({ from, id, timestamp: now(), type: 'text', text: { body } });
export const listReply = (from: string, rowId: string, title: string, id = wamid()) => ({
  from,
  id,
  timestamp: now(),
  type: 'interactive',
  interactive: { type: 'list_reply', list_reply: { id: rowId, title } },
});
export const status = (id: string, s: string, recipient: string, errors?: unknown[]) => ({
  id,
  status: s,
  timestamp: now(),
  recipient_id: recipient,
  ...(s === 'sent' || s === 'delivered' ? { conversation: { id: 'conv-1', origin: { type: 'service' } }, pricing: { billable: true, pricing_model: 'CBP', category: 'service' } } : {}),
  ...(errors ? { errors } : {}),
});

/** POSTs a delivery signed with the app secret (or with the given header; null: none). */
export function postDelivery(base: string, body: unknown, secret: string, signature?: string | null) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const sig = signature === undefined ? metaSign(secret, raw) : signature;
  if (sig !== null) headers['x-hub-signature-256'] = sig;
  return request(base, 'POST', '/api/webhooks/whatsapp/', { raw, headers });
}
