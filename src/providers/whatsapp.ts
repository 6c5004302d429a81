// Outbound WhatsApp through the Cloud (Graph) API: `POST /<phone_number_id>/messages` with the
// sending number's bearer token, and the Business Account's template list. Every failure is a
// ProviderError that says what Meta meant (see graph-errors.ts): throttled, transient or permanent.
import { classifyGraphError, failureReason, type GraphFailure } from './graph-errors.js';

export interface ListRow {
  id: string;
  title: string;
  description?: string;
}

export interface TemplateParams {
  name: string;
  language: string;
  /** Body parameters, in placeholder order ({{1}}, {{2}}…). */
  parameters: string[];
}

export type OutboundMessage =
  | { to: string; kind: 'text'; text: string }
  | { to: string; kind: 'media'; mediaType: 'image' | 'document' | 'video' | 'audio'; link: string; caption?: string; filename?: string }
  | { to: string; kind: 'buttons'; text: string; buttons: Array<{ id: string; title: string }> }
  | { to: string; kind: 'list'; text: string; button: string; sections: Array<{ title?: string; rows: ListRow[] }> }
  | { to: string; kind: 'template'; template: TemplateParams };

/** Free-form kinds need the 24-hour customer-service window; templates do not. */
export function needsServiceWindow(msg: OutboundMessage): boolean {
  return msg.kind !== 'template';
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code = 'provider_error';
  constructor(
    message: string,
    readonly retryable: boolean,
    opts?: { cause?: unknown; failure?: GraphFailure },
  ) {
    super(message, opts);
    this.failure = opts?.failure ?? null;
  }
  /** Meta's answer, when there was one. */
  readonly failure: GraphFailure | null;
}

/** Who sends: a channel's number and token, or the legacy global configuration. */
export interface WhatsAppSender {
  apiUrl: string;
  token: string;
  phoneNumberId: string;
}

export interface WhatsAppProvider {
  send(msg: OutboundMessage): Promise<{ providerMessageId: string }>;
}

export interface GraphApiOptions extends WhatsAppSender {
  timeoutMs?: number;
}

const LIST_ROWS_MAX = 10;
const cut = (s: string, n: number) => Array.from(s).slice(0, n).join('');

export function messageBody(msg: OutboundMessage): Record<string, unknown> {
  const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: msg.to.replace(/^\+/, '') };
  switch (msg.kind) {
    case 'text':
      return { ...base, type: 'text', text: { body: msg.text, preview_url: false } };
    case 'media': {
      const media: Record<string, string> = { link: msg.link };
      if (msg.caption && msg.mediaType !== 'audio') media['caption'] = msg.caption;
      if (msg.filename && msg.mediaType === 'document') media['filename'] = msg.filename;
      return { ...base, type: msg.mediaType, [msg.mediaType]: media };
    }
    case 'buttons':
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: msg.text },
          action: { buttons: msg.buttons.slice(0, 3).map((b) => ({ type: 'reply', reply: { id: b.id, title: cut(b.title, 20) } })) },
        },
      };
    case 'list': {
      // Meta refuses more than 10 rows in all, titles over 24 characters, descriptions over 72.
      let left = LIST_ROWS_MAX;
      const sections = msg.sections
        .map((s) => {
          const rows = s.rows.slice(0, Math.max(0, left)).map((r) => ({
            id: cut(r.id, 200),
            title: cut(r.title, 24),
            ...(r.description ? { description: cut(r.description, 72) } : {}),
          }));
          left -= rows.length;
          return { ...(s.title ? { title: cut(s.title, 24) } : {}), rows };
        })
        .filter((s) => s.rows.length > 0);
      return {
        ...base,
        type: 'interactive',
        interactive: { type: 'list', body: { text: cut(msg.text, 4096) }, action: { button: cut(msg.button, 20), sections } },
      };
    }
    case 'template': {
      const t = msg.template;
      const components = t.parameters.length ? [{ type: 'body', parameters: t.parameters.map((text) => ({ type: 'text', text })) }] : [];
      return { ...base, type: 'template', template: { name: t.name, language: { code: t.language }, components } };
    }
  }
}

/** One request to the Graph API with the sender's token; Meta's error answers become ProviderErrors. */
async function graphFetch(url: string, token: string, init: { method: string; body?: unknown; timeoutMs: number }): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (err) {
    throw new ProviderError(`WhatsApp API unreachable: ${(err as Error).message}`, true, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) {
    const failure = classifyGraphError(res.status, text, res.headers.get('retry-after'));
    throw new ProviderError(`WhatsApp API answered ${res.status}: ${failureReason(failure)}`, failure.kind !== 'permanent', { failure });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProviderError(`WhatsApp API answered ${res.status} with a body that is not JSON`, true);
  }
}

export async function graphSend(sender: WhatsAppSender, msg: OutboundMessage, timeoutMs = 15_000): Promise<{ providerMessageId: string }> {
  const answer = await graphFetch(`${sender.apiUrl}/${encodeURIComponent(sender.phoneNumberId)}/messages`, sender.token, {
    method: 'POST',
    body: messageBody(msg),
    timeoutMs,
  });
  const id = (answer as { messages?: Array<{ id?: unknown }> } | null)?.messages?.[0]?.id;
  if (typeof id !== 'string') throw new ProviderError('WhatsApp API answer without a message id', false);
  return { providerMessageId: id };
}

/** A template as Meta lists it (fields this service reads). */
export interface GraphTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: unknown[];
}

/**
 * Every template of a Business Account, following Meta's paging cursors. Bounded: at most
 * `maxPages` pages of 100 (Meta's own cap on templates per account is far below that).
 */
export async function listTemplates(
  apiUrl: string,
  token: string,
  wabaId: string,
  opts: { timeoutMs?: number; maxPages?: number } = {},
): Promise<GraphTemplate[]> {
  const out: GraphTemplate[] = [];
  const fields = 'id,name,language,status,category,components';
  let after = '';
  for (let page = 0; page < (opts.maxPages ?? 100); page++) {
    const q = new URLSearchParams({ fields, limit: '100', ...(after ? { after } : {}) });
    const answer = (await graphFetch(`${apiUrl}/${encodeURIComponent(wabaId)}/message_templates?${q}`, token, {
      method: 'GET',
      timeoutMs: opts.timeoutMs ?? 15_000,
    })) as { data?: unknown; paging?: { cursors?: { after?: unknown }; next?: unknown } } | null;
    const data = Array.isArray(answer?.data) ? answer!.data : [];
    for (const raw of data as Array<Record<string, unknown>>) {
      if (!raw || typeof raw.name !== 'string' || typeof raw.language !== 'string') continue;
      out.push({
        id: typeof raw.id === 'string' ? raw.id : '',
        name: raw.name,
        language: raw.language,
        status: typeof raw.status === 'string' ? raw.status : 'UNKNOWN',
        category: typeof raw.category === 'string' ? raw.category : '',
        components: Array.isArray(raw.components) ? raw.components : [],
      });
    }
    const next = answer?.paging?.cursors?.after;
    // Meta keeps a cursor on the last page too; `next` is only there when another page exists.
    if (typeof answer?.paging?.next !== 'string' || typeof next !== 'string' || next === after || data.length === 0) return out;
    after = next;
  }
  return out;
}

/** The legacy single sender (WHATSAPP_TOKEN / WHATSAPP_PHONE_NUMBER_ID). */
export class GraphApiProvider implements WhatsAppProvider {
  constructor(private readonly opts: GraphApiOptions) {}

  send(msg: OutboundMessage): Promise<{ providerMessageId: string }> {
    return graphSend(this.opts, msg, this.opts.timeoutMs);
  }
}
