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
import { WA_SIGNATURE_HEADER, WaEnvelope, WaVerifyQuery, checkEnvelope } from '../../protocol/whatsapp.js';
import { ErrorReply } from '../../protocol/rest/replies.js';
import { WhatsAppWebhookReply } from '../../protocol/rest/template-replies.js';
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
      doc: {
        summary: 'Meta\'s webhook subscription handshake',
        description: 'Meta calls it when the webhook URL is saved: the challenge comes back when an active channel has that verify token and hub.mode is subscribe.',
        auth: 'none',
        query: WaVerifyQuery,
        responses: {
          200: { description: 'hub.challenge, echoed', contentType: 'text/plain' },
          403: { description: 'unknown verify token, or hub.mode is not subscribe', schema: ErrorReply },
        },
      },
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
      doc: {
        summary: 'Messages and delivery statuses from Meta\'s WhatsApp Cloud API (signed)',
        description:
          'Signed with the header `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` under the app secret of one of the ' +
          'active whatsapp_cloud channels (not the x-lobbybee-signature of the relay webhooks); the signature is checked before the body is read. ' +
          'Only `messages` changes are read, each for a phone_number_id registered under the app that signed. ' +
          '200 once every message and status is durable.',
        auth: 'webhook-signature',
        body: WaEnvelope,
        responses: {
          200: WhatsAppWebhookReply,
          403: { description: 'every change was for a number not registered under the app that signed', schema: ErrorReply },
          429: { description: 'too many bad signatures from this client: wait for Retry-After seconds', schema: ErrorReply },
        },
      },
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
