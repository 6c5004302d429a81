// whatsapp.inbound and whatsapp.status (queued WhatsApp webhook): one guest message or one status
// of a delivery Meta signed, placed on its channel when it was accepted. The command is idempotent
// by wamid, so a redelivered job stores nothing twice.
import type { WaInboundJob, WaStatusJob, WhatsAppInbound } from '../../chat/whatsapp/inbound.js';
import { isAppError } from '../../core/errors.js';
import type { Logger } from '../../obs/log.js';
import { PermanentJobError, type Job } from '../queue.js';

/** Deliveries a status waits for its message to be known (a status can overtake the send job's record). */
const STATUS_WAIT_DELIVERIES = 3;

function placed(p: { channel_id?: unknown; hotel_id?: unknown } | undefined): boolean {
  return typeof p?.channel_id === 'number' && typeof p.hotel_id === 'string';
}

export function whatsappInboundHandler(inbound: Pick<WhatsAppInbound, 'message'>) {
  return async (job: Job<WaInboundJob>): Promise<void> => {
    if (!placed(job.payload) || typeof job.payload.item?.wamid !== 'string') throw new PermanentJobError('whatsapp.inbound without its channel or message');
    try {
      await inbound.message(job.payload);
    } catch (err) {
      if (isAppError(err) && err.status >= 400 && err.status < 500) throw new PermanentJobError(`${err.status}: ${err.message}`);
      throw err;
    }
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
