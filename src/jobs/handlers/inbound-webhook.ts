// inbound.webhook (WEBHOOK_MODE=queued): a provider webhook accepted with 202 is processed here
// through the same command as the synchronous path. Jobs of one guest number run in order. The
// payload carries the channel and the hotel it resolved to when the webhook was accepted, so the
// guest is looked up only within that hotel, as in the synchronous path.
import type { GuestMessageInput, GuestMessages } from '../../chat/commands/guest-message.js';
import { isAppError } from '../../core/errors.js';
import { PermanentJobError, type Job, type JobHandler } from '../queue.js';

/** Most queued messages of one guest stored by one write when a backlog has built up. */
export const INBOUND_BATCH_MAX = 64;

export function inboundWebhookHandler(chat: Pick<GuestMessages, 'receive' | 'receiveMany'>): JobHandler<GuestMessageInput> {
  const handler: JobHandler<GuestMessageInput> = async (job) => {
    // A job accepted before inbound messages were routed by channel cannot be placed safely.
    if (!placeable(job)) throw new PermanentJobError('inbound webhook without the hotel of its channel');
    try {
      await chat.receive(inputOf(job));
    } catch (err) {
      // Bad input or an unknown guest will not get better with retries.
      if (isAppError(err) && err.status >= 400 && err.status < 500) throw new PermanentJobError(`${err.status}: ${err.message}`);
      throw err;
    }
  };
  // A guest's backlog (a burst, a node that was down): its messages go in one write per
  // conversation instead of one write each. Anything not done runs again through the handler above.
  handler.many = {
    max: INBOUND_BATCH_MAX,
    run: (jobs) => {
      const n = jobs.findIndex((j) => !placeable(j));
      return chat.receiveMany((n === -1 ? jobs : jobs.slice(0, n)).map(inputOf));
    },
  };
  return handler;
}

function placeable(job: Job<GuestMessageInput>): boolean {
  return typeof job.payload?.hotel_id === 'string';
}

/**
 * Without a provider id the job id makes the message idempotent: a redelivered job finds its
 * message already stored instead of storing it twice.
 */
function inputOf(job: Job<GuestMessageInput>): GuestMessageInput {
  return { ...job.payload, provider_message_id: job.payload.provider_message_id ?? `job:${job.id}` };
}
