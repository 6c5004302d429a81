// A stand-in for Meta's Graph API (WhatsApp Cloud API) on loopback: a real HTTP server that
// records every request, answers sends with fresh wamids, serves media (id → URL → bytes, both
// behind the bearer token), lists message templates per Business Account, and fails on demand
// with Meta's real error shapes. Tests point WHATSAPP_API_URL (or a channel) at `url`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface GraphRequest {
  method: string;
  /** Path without the version prefix, e.g. `/106540352242922/messages`. */
  path: string;
  auth: string;
  body: any;
  at: number;
}

/** Meta's error object: `{ error: { message, type, code, error_subcode?, error_data?, fbtrace_id } }`. */
export interface GraphError {
  status: number;
  code: number;
  title?: string;
  message?: string;
  subcode?: number;
  details?: string;
}

/** Errors Meta really sends, by name (codes from Meta's error reference). */
export const GRAPH_ERRORS = {
  rateLimit: { status: 400, code: 130429, title: 'Rate limit hit', message: '(#130429) Rate limit hit', details: 'Cloud API message throughput has been reached.' },
  pairRateLimit: { status: 400, code: 131056, title: '(Business Account, Consumer Account) pair rate limit hit', message: '(#131056) (Business Account, Consumer Account) pair rate limit hit' },
  reEngagement: { status: 400, code: 131047, title: 'Re-engagement message', message: 'Re-engagement message', details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' },
  undeliverable: { status: 400, code: 131026, title: 'Message Undeliverable', message: 'Message Undeliverable' },
  invalidToken: { status: 401, code: 190, title: 'Invalid OAuth access token', message: 'Invalid OAuth access token - Cannot parse access token' },
  templateMissing: { status: 404, code: 132001, title: 'Template name does not exist in the translation', message: '(#132001) Template name does not exist in the translation' },
  serviceUnavailable: { status: 503, code: 131016, title: 'Service unavailable', message: 'Service temporarily unavailable' },
  internal: { status: 500, code: 131000, title: 'Something went wrong', message: 'Something went wrong' },
} satisfies Record<string, GraphError>;

export interface FakeMedia {
  bytes: Buffer;
  mime: string;
}

export interface FakeTemplate {
  name: string;
  language: string;
  status: string;
  category: string;
  id?: string;
  components: unknown[];
}

export interface FakeGraph {
  /** Base URL with the version, e.g. `http://127.0.0.1:1234/v22.0`. */
  url: string;
  requests: GraphRequest[];
  /** The POSTs to `/<phone_number_id>/messages`, in order. */
  sends(phoneNumberId?: string): GraphRequest[];
  /** The next n requests whose path matches fail with this error (then normal service resumes). */
  failNext(match: RegExp, error: GraphError, n?: number): void;
  /** Answer sends to this recipient (digits) with this error, every time. */
  refuseRecipient(to: string, error: GraphError): void;
  /** Serve a media object under this id; the token must match. */
  addMedia(id: string, media: FakeMedia): void;
  /** Templates listed for a Business Account id. */
  setTemplates(wabaId: string, templates: FakeTemplate[]): void;
  /** Only this bearer token is accepted (default: any non-empty token). */
  acceptToken(token: string): void;
  close(): Promise<void>;
}

function errorBody(e: GraphError) {
  return {
    error: {
      message: e.message ?? e.title ?? 'error',
      type: 'OAuthException',
      code: e.code,
      ...(e.subcode !== undefined ? { error_subcode: e.subcode } : {}),
      error_data: { messaging_product: 'whatsapp', details: e.details ?? e.title ?? '' },
      fbtrace_id: 'AbCdEfGhIjKl',
    },
  };
}

export async function startFakeGraph(t: Test, version = 'v22.0'): Promise<FakeGraph> {
  const requests: GraphRequest[] = [];
  const failures: Array<{ match: RegExp; error: GraphError; left: number }> = [];
  const refused = new Map<string, GraphError>();
  const media = new Map<string, FakeMedia>();
  const templates = new Map<string, FakeTemplate[]>();
  let token: string | null = null;
  let wamids = 0;
  let base = '';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname.startsWith(`/${version}/`) ? url.pathname.slice(version.length + 1) : url.pathname;
      const auth = req.headers['authorization'] ?? '';
      const r: GraphRequest = { method: req.method ?? 'GET', path, auth, body, at: Date.now() };
      requests.push(r);
      const json = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      };
      const fail = (e: GraphError) => json(e.status, errorBody(e));

      const authOk = auth.startsWith('Bearer ') && auth.length > 7 && (token === null || auth === `Bearer ${token}`);
      if (!authOk) return fail({ status: 401, code: 190, title: 'Invalid OAuth access token', message: 'Invalid OAuth access token - Cannot parse access token' });
      const failure = failures.find((f) => f.left > 0 && f.match.test(path));
      if (failure) {
        failure.left--;
        return fail(failure.error);
      }

      // Media bytes: the URL the lookup hands out (expires in real life; here it needs the token).
      const bytesPath = /^\/media-bytes\/([^/]+)$/.exec(path);
      if (bytesPath && r.method === 'GET') {
        const m = media.get(decodeURIComponent(bytesPath[1]!));
        if (!m) return fail({ status: 404, code: 100, title: 'Media not found' });
        res.writeHead(200, { 'content-type': m.mime, 'content-length': String(m.bytes.length) }).end(m.bytes);
        return;
      }
      const send = /^\/([^/]+)\/messages$/.exec(path);
      if (send && r.method === 'POST') {
        const b = body as { to?: string; status?: string } | undefined;
        if (b?.status === 'read') return json(200, { success: true });
        const refusal = b?.to ? refused.get(b.to) : undefined;
        if (refusal) return fail(refusal);
        wamids++;
        const id = `wamid.HBgL${String(wamids).padStart(8, '0')}${Math.random().toString(36).slice(2, 10)}`;
        return json(200, { messaging_product: 'whatsapp', contacts: [{ input: b?.to ?? '', wa_id: b?.to ?? '' }], messages: [{ id }] });
      }
      const list = /^\/([^/]+)\/message_templates$/.exec(path);
      if (list && r.method === 'GET') {
        const all = templates.get(list[1]!) ?? [];
        const limit = Number(url.searchParams.get('limit') ?? '25');
        const after = Number(url.searchParams.get('after') ?? '0');
        const page = all.slice(after, after + limit).map((tp, i) => ({ id: tp.id ?? `${list[1]}-${after + i}`, ...tp }));
        const next = after + limit < all.length ? { cursors: { after: String(after + limit) }, next: `${base}${path}?after=${after + limit}&limit=${limit}` } : {};
        return json(200, { data: page, paging: next });
      }
      const lookup = /^\/([^/]+)$/.exec(path);
      if (lookup && r.method === 'GET') {
        const id = decodeURIComponent(lookup[1]!);
        const m = media.get(id);
        if (!m) return fail({ status: 404, code: 100, title: 'Unsupported get request', message: `Unsupported get request. Object with ID '${id}' does not exist` });
        return json(200, {
          messaging_product: 'whatsapp',
          url: `${base}/media-bytes/${encodeURIComponent(id)}`,
          mime_type: m.mime,
          sha256: 'c0ffee',
          file_size: m.bytes.length,
          id,
        });
      }
      fail({ status: 400, code: 100, title: 'Unknown path', message: `Unsupported ${r.method} request to ${path}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  base = `${origin}/${version}`;
  const graph: FakeGraph = {
    url: base,
    requests,
    sends: (id) => requests.filter((r) => r.method === 'POST' && /\/messages$/.test(r.path) && (id === undefined || r.path === `/${id}/messages`)),
    failNext: (match, error, n = 1) => void failures.push({ match, error, left: n }),
    refuseRecipient: (to, error) => void refused.set(to, error),
    addMedia: (id, m) => void media.set(id, m),
    setTemplates: (waba, list) => void templates.set(waba, list),
    acceptToken: (tk) => void (token = tk),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  t.teardown(() => graph.close());
  return graph;
}
