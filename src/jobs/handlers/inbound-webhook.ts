// inbound.webhook (WEBHOOK_MODE=queued): a provider webhook accepted with 202 is processed here
// through the same command as the synchronous path. Jobs of one guest number run in order. The
// payload carries the channel and the hotel it resolved to when the webhook was accepted, so the
// guest is looked up only within that hotel, as in the synchronous path.
import type { GuestMessageInput, GuestMessages } from '../../chat/commands/guest-message.js';
import { isAppError } from '../../core/errors.js';
import { PermanentJobError, type Job } from '../queue.js';

export function inboundWebhookHandler(chat: Pick<GuestMessages, 'receive'>) {
  return async (job: Job<GuestMessageInput>): Promise<void> => {
    // A job accepted before inbound messages were routed by channel cannot be placed safely.
    if (typeof job.payload?.hotel_id !== 'string') throw new PermanentJobError('inbound webhook without the hotel of its channel');
    try {
      // Without a provider id the job id makes the message idempotent: a redelivered job finds
      // its message already stored instead of storing it twice.
      await chat.receive({ ...job.payload, provider_message_id: job.payload.provider_message_id ?? `job:${job.id}` });
    } catch (err) {
      // Bad input or an unknown guest will not get better with retries.
      if (isAppError(err) && err.status >= 400 && err.status < 500) throw new PermanentJobError(`${err.status}: ${err.message}`);
      throw err;
    }
  };
}
