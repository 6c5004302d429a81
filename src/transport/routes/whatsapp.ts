// Meta's WhatsApp Cloud API webhook: one URL per Meta app (every number of the app posts to it).
//
//   GET  /api/webhooks/whatsapp/?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…
//        → 200 text/plain challenge when an active channel has that verify token; 403 otherwise.
//   POST /api/webhooks/whatsapp/   X-Hub-Signature-256: sha256=<hex HMAC of the raw body>
//        → 401 unless an active channel's app secret signed the raw body (checked before parsing);
//          200 once every message and status is durable; 403 when every change was refused.
// Bad signatures are counted per client IP like the relay webhook's (429 past the budget).
import { AuthError, ForbiddenError, RateLimitedError, ValidationError } from '../../core/errors.js';
import type { WhatsAppWebhook } from '../../chat/whatsapp/webhook.js';
import { WA_SIGNATURE_HEADER, WaVerifyQuery, checkEnvelope } from '../../protocol/whatsapp.js';
import { KeyedRateLimiter } from '../../util/rate-limit.js';
import { parseQuery } from '../http/query.js';
import type { Route } from '../http/router.js';

export interface WhatsAppRouteDeps {
  webhook: Pick<WhatsAppWebhook, 'handshake' | 'signedBy' | 'accept'>;
  badSignaturesPerMinute: number;
}

export function whatsappRoutes(deps: WhatsAppRouteDeps): { routes: Route[]; stop(): void } {
  const badByIp = new KeyedRateLimiter(deps.badSignaturesPerMinute);
  const path = '/api/webhooks/whatsapp';
  const routes: Route[] = [
    {
      method: 'GET',
      path,
      handler: async (ctx) => {
        const q = parseQuery(ctx, WaVerifyQuery);
        const challenge = await deps.webhook.handshake(q['hub.mode'], q['hub.verify_token'], q['hub.challenge']);
        if (challenge === null) throw new ForbiddenError('verification failed: unknown verify token or mode is not subscribe');
        return { status: 200, raw: { contentType: 'text/plain; charset=utf-8', data: challenge } };
      },
    },
    {
      method: 'POST',
      path,
      // Authenticated by its signature; Meta delivers in bursts from few addresses.
      unlimited: true,
      handler: async (ctx) => {
        const raw = await ctx.body();
        const secret = await deps.webhook.signedBy(raw, ctx.headers[WA_SIGNATURE_HEADER]);
        if (secret === null) {
          const wait = badByIp.take(ctx.ip);
          if (wait > 0) throw new RateLimitedError(`too many bad webhook signatures from this client; retry in ${Math.ceil(wait)} s`, Math.ceil(wait));
          throw new AuthError('missing or invalid X-Hub-Signature-256');
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch (e) {
          throw new ValidationError(`body is not valid JSON: ${(e as Error).message}`);
        }
        const envelope = checkEnvelope(parsed);
        const r = await deps.webhook.accept(envelope, secret);
        const changes = envelope.entry.reduce((n, e) => n + e.changes.filter((c) => c.field === 'messages').length, 0);
        if (r.refused > 0 && r.refused === changes) throw new ForbiddenError('no change of this delivery belongs to a number of the app that signed it');
        return { status: 200, body: { status: 'accepted', ...r } };
      },
    },
  ];
  return { routes, stop: () => badByIp.stop() };
}
