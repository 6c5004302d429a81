// Queued provider webhooks (WEBHOOK_MODE=queued): the route enqueues, handlers/inbound-webhook.ts
// processes. Both sides agree on the key here.
import type { GuestMessageInput } from '../chat/commands/guest-message.js';

/** Ordering key of a queued webhook: the guest's number, digits only (all spellings line up). */
export function inboundKey(payload: Pick<GuestMessageInput, 'whatsapp_number'>): string {
  return String(payload?.whatsapp_number ?? '').replace(/\D/g, '');
}
