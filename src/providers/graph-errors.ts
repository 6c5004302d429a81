// What a Graph API error means for a send: slow down and retry (throttling), retry later (Meta or
// the network failed), or give up (retrying sends the same refusal). Codes from Meta's WhatsApp
// Cloud API error reference.

export type GraphErrorKind = 'throttled' | 'transient' | 'permanent';

export interface GraphFailure {
  kind: GraphErrorKind;
  /** Meta's error code (0 when the answer carried none). */
  code: number;
  title: string;
  details: string;
  /** How long Meta asks us to hold off (throttling), in ms. */
  retryAfterMs: number;
}

/** Throttling codes and how long to hold the number (or pair) off before the first retry. */
const THROTTLE_MS: Record<number, number> = {
  130429: 1_000, // Cloud API throughput of the number reached
  131056: 6_000, // too many messages to the same guest in a short time (pair rate limit)
  131048: 60_000, // spam rate limit: the number sends too much that is blocked or reported
  80007: 60_000, // Business Account rate limit
  4: 60_000, // application request limit
  613: 60_000, // calls exceeded the rate limit
};

/** Errors Meta may answer differently a moment later. */
const TRANSIENT = new Set([1, 2, 131000, 131016, 133004]);

/** Errors an operator or the guest must fix first; named here so a 5xx with one of them is not retried. */
const PERMANENT = new Set([
  0, 10, 100, 190, 200, 368, 131008, 131009, 131021, 131026, 131030, 131031, 131045, 131047, 131051, 131052, 131053, 132000, 132001,
  132005, 132007, 132012, 132015, 132016, 133010,
]);

interface GraphErrorBody {
  error?: { message?: unknown; code?: unknown; error_user_title?: unknown; error_data?: { details?: unknown } };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Retry-After in seconds or as an HTTP date, in ms (0 when absent or unreadable). */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (!header) return 0;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, 3_600_000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.min(Math.max(0, at - now), 3_600_000) : 0;
}

export function classifyGraphError(status: number, bodyText: string, retryAfterHeader: string | null = null): GraphFailure {
  let body: GraphErrorBody = {};
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed && typeof parsed === 'object') body = parsed as GraphErrorBody;
  } catch {
    // Not JSON (a proxy's page): the status alone decides.
  }
  const e = body.error && typeof body.error === 'object' ? body.error : {};
  const coded = typeof e.code === 'number' && Number.isSafeInteger(e.code);
  const code = coded ? (e.code as number) : 0;
  const message = str(e.message).replace(/^\(#\d+\)\s*/, '');
  const title = (str(e.error_user_title) || message || `HTTP ${status}`).slice(0, 200);
  const details = str(e.error_data?.details).slice(0, 300);
  const hinted = retryAfterMs(retryAfterHeader);
  const throttle = THROTTLE_MS[code];
  if (throttle !== undefined || status === 429) return { kind: 'throttled', code, title, details, retryAfterMs: Math.max(hinted, throttle ?? 1_000) };
  if (TRANSIENT.has(code)) return { kind: 'transient', code, title, details, retryAfterMs: hinted };
  if (coded && PERMANENT.has(code)) return { kind: 'permanent', code, title, details, retryAfterMs: 0 };
  return { kind: status >= 500 || status === 408 ? 'transient' : 'permanent', code, title, details, retryAfterMs: hinted };
}

/** The reason staff read on a failed message: Meta's code and title, then its details. */
export function failureReason(f: Pick<GraphFailure, 'code' | 'title' | 'details'>): string {
  const more = f.details && f.details !== f.title ? ` (${f.details})` : '';
  return `WhatsApp error ${f.code}: ${f.title}${more}`.slice(0, 500);
}
