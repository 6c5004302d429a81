// whatsapp.inbound and whatsapp.status (queued WhatsApp webhook). whatsapp.inbound is one change
// of a delivery Meta signed (its messages and statuses), placed on its channel when it was
// accepted; jobs of one business number run in order. The command is idempotent by wamid, so a
// redelivered job stores nothing twice. whatsapp.status retries a status whose message was not
// known yet (it can overtake the send job's record of the wamid).
import type { WaBatchJob, WaStatusJob, WhatsAppInbound } from '../../chat/whatsapp/inbound.js';
import { retryStatuses, type WhatsAppWebhookDeps } from '../../chat/whatsapp/webhook.js';
import type { Logger } from '../../obs/log.js';
import { PermanentJobError, type Job } from '../queue.js';

/** Deliveries a status waits for its message to be known (a status can overtake the send job's record). */
const STATUS_WAIT_DELIVERIES = 3;

function placed(p: { channel_id?: unknown; hotel_id?: unknown } | undefined): boolean {
  return typeof p?.channel_id === 'number' && typeof p.hotel_id === 'string';
}

export function whatsappInboundHandler(inbound: Pick<WhatsAppInbound, 'batch'>, queue: WhatsAppWebhookDeps['queue']) {
  return async (job: Job<WaBatchJob>): Promise<void> => {
    const p = job.payload;
    if (!placed(p) || !Array.isArray(p.messages) || !Array.isArray(p.statuses)) throw new PermanentJobError('whatsapp.inbound without its channel or change');
    // A message that can never be stored is logged and passed over inside batch(); what throws
    // here (a dependency that did not answer) retries the change.
    const { unknown } = await inbound.batch(p);
    await retryStatuses(queue, p, unknown);
  };
}

export function whatsappStatusHandler(inbound: Pick<WhatsAppInbound, 'status'>, log: Logger) {
  return async (job: Job<WaStatusJob>): Promise<void> => {
    if (!placed(job.payload) || typeof job.payload.update?.wamid !== 'string') throw new PermanentJobError('whatsapp.status without its channel or status');
    const outcome = await inbound.status(job.payload);
    if (outcome !== 'unknown') return;
    // Not (yet) one of ours: the send job may not have recorded the wamid. Statuses of messages we
    // never stored (the department menu, sends from other tools) end here after a few tries.
    if (job.deliveries < STATUS_WAIT_DELIVERIES) throw new Error(`no outbound message has wamid ${job.payload.update.wamid} yet`);
    log.debug({ wamid: job.payload.update.wamid, status: job.payload.update.status }, 'WhatsApp status for a message we do not know');
  };
}
