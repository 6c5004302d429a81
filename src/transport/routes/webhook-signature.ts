// Signed provider webhooks (guest messages and delivery statuses).
//
//   X-Lobbybee-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// The timestamp is signed with the body, so a captured request stops working once it leaves the
// tolerance window (WEBHOOK_TOLERANCE_S either side of our clock). Several v1 values may be sent
// (a secret being rotated): one match is enough. The legacy `sha256=<hex of the body>` form has no
// timestamp and can be replayed forever; it is accepted only with WEBHOOK_LEGACY_SIGNATURE=true.
//
// Bad signatures are counted per client IP; past the budget the client gets 429 with Retry-After
// until its bucket refills. Good signatures are never limited: providers deliver in bursts.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AuthError, RateLimitedError } from '../../core/errors.js';
import { KeyedRateLimiter } from '../../util/rate-limit.js';

export const SIGNATURE_HEADER = 'x-lobbybee-signature';

export interface WebhookAuthConfig {
  secret: string;
  toleranceS: number;
  legacySignature: boolean;
  badSignaturesPerMinute: number;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

const HEX64 = /^[0-9a-f]{64}$/i;

function hmacEquals(secret: string, parts: Array<string | Buffer>, hex: string): boolean {
  if (!HEX64.test(hex)) return false;
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return timingSafeEqual(Buffer.from(hex, 'hex'), h.digest());
}

/** Builds the header value for a body (providers in tests and the bench sign this way). */
export function signWebhook(secret: string, raw: string | Buffer, t = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${t}.`).update(raw).digest('hex');
  return `t=${t},v1=${mac}`;
}

/** Checks a signature header against the raw body at nowS (unix seconds). Pure. */
export function verifySignature(
  cfg: Pick<WebhookAuthConfig, 'secret' | 'toleranceS' | 'legacySignature'>,
  raw: Buffer,
  header: string | undefined,
  nowS = Date.now() / 1000,
): SignatureCheck {
  const value = header?.trim() ?? '';
  if (value === '') return { ok: false, reason: 'missing webhook signature (X-Lobbybee-Signature: t=<unix seconds>,v1=<hex>)' };
  if (value.toLowerCase().startsWith('sha256=')) {
    if (!cfg.legacySignature) return { ok: false, reason: 'the sha256= signature form is disabled; sign with t=<unix seconds>,v1=<hex>' };
    return hmacEquals(cfg.secret, [raw], value.slice(7)) ? { ok: true } : { ok: false, reason: 'invalid webhook signature' };
  }
  let t: string | undefined;
  const macs: string[] = [];
  for (const part of value.split(',', 10)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't') t = v;
    else if (k === 'v1') macs.push(v);
  }
  if (t === undefined || !/^\d{1,12}$/.test(t) || macs.length === 0) {
    return { ok: false, reason: 'malformed webhook signature; expected t=<unix seconds>,v1=<hex>' };
  }
  // Checked before the MAC so that an old capture is refused for what it is; a forged t fails the MAC.
  if (Math.abs(nowS - Number(t)) > cfg.toleranceS) return { ok: false, reason: `webhook timestamp outside the ${cfg.toleranceS} s tolerance` };
  const signed = [`${t}.`, raw];
  return macs.some((m) => hmacEquals(cfg.secret, signed, m)) ? { ok: true } : { ok: false, reason: 'invalid webhook signature' };
}

/** Verifies signatures and limits clients that keep sending bad ones. */
export class WebhookGuard {
  private readonly badByIp: KeyedRateLimiter;

  constructor(private readonly cfg: WebhookAuthConfig) {
    this.badByIp = new KeyedRateLimiter(cfg.badSignaturesPerMinute);
  }

  /**
   * Throws 401 for a bad signature, or 429 once the client's bad-signature budget is spent. The
   * client's address is read only for a refusal.
   */
  check(ip: () => string, raw: Buffer, header: string | undefined): void {
    const r = verifySignature(this.cfg, raw, header);
    if (r.ok) return;
    const wait = this.badByIp.take(ip());
    if (wait > 0) throw new RateLimitedError(`too many bad webhook signatures from this client; retry in ${Math.ceil(wait)} s`, Math.ceil(wait));
    throw new AuthError(r.reason);
  }

  stop(): void {
    this.badByIp.stop();
  }
}
