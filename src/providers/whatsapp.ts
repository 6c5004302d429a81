// Outbound WhatsApp through the Cloud (Graph) API. Errors say whether a retry can help: 4xx other
// than 429 will fail the same way again, so the job gives up at once.
export type OutboundMessage =
  | { to: string; kind: 'text'; text: string }
  | { to: string; kind: 'media'; mediaType: 'image' | 'document' | 'video' | 'audio'; link: string; caption?: string; filename?: string }
  | { to: string; kind: 'buttons'; text: string; buttons: Array<{ id: string; title: string }> }
  | {
      to: string;
      kind: 'list';
      text: string;
      /** Label of the button that opens the list (≤ 20 characters). */
      button: string;
      sections: Array<{ title: string; rows: Array<{ id: string; title: string; description?: string }> }>;
    };

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code = 'provider_error';
  constructor(message: string, readonly retryable: boolean, opts?: { cause?: unknown }) {
    super(message, opts);
  }
}

export interface WhatsAppProvider {
  send(msg: OutboundMessage): Promise<{ providerMessageId: string }>;
}

export interface GraphApiOptions {
  apiUrl: string;
  token: string;
  phoneNumberId: string;
  timeoutMs?: number;
}

function body(msg: OutboundMessage): Record<string, unknown> {
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
          action: { buttons: msg.buttons.slice(0, 3).map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title.slice(0, 20) } })) },
        },
      };
    case 'list': {
      // Meta's limits: 10 rows in all, row title ≤ 24, description ≤ 72, section title ≤ 24.
      let left = 10;
      const sections = msg.sections.map((s) => {
        const rows = s.rows.slice(0, Math.max(0, left)).map((r) => ({
          id: r.id.slice(0, 200),
          title: r.title.slice(0, 24),
          ...(r.description ? { description: r.description.slice(0, 72) } : {}),
        }));
        left -= rows.length;
        return { title: s.title.slice(0, 24), rows };
      });
      return {
        ...base,
        type: 'interactive',
        interactive: { type: 'list', body: { text: msg.text.slice(0, 1024) }, action: { button: msg.button.slice(0, 20), sections: sections.filter((s) => s.rows.length) } },
      };
    }
  }
}

export class GraphApiProvider implements WhatsAppProvider {
  constructor(private readonly opts: GraphApiOptions) {}

  async send(msg: OutboundMessage): Promise<{ providerMessageId: string }> {
    let res: Response;
    try {
      res = await fetch(`${this.opts.apiUrl}/${this.opts.phoneNumberId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.opts.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body(msg)),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      throw new ProviderError(`WhatsApp API unreachable: ${(err as Error).message}`, true, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      const retryable = res.status === 429 || res.status >= 500;
      throw new ProviderError(`WhatsApp API answered ${res.status}: ${text.slice(0, 300)}`, retryable);
    }
    let id: unknown;
    try {
      id = (JSON.parse(text) as { messages?: Array<{ id?: string }> }).messages?.[0]?.id;
    } catch {
      id = undefined;
    }
    if (typeof id !== 'string') throw new ProviderError(`WhatsApp API answer without a message id: ${text.slice(0, 200)}`, false);
    return { providerMessageId: id };
  }
}
