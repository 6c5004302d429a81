// reply.handoff: a guest message of a non-service conversation goes to the reply-system stream.
import type { MediaSigner } from '../../media/signer.js';
import type { Sql } from '../../store/db.js';
import { outboundContext } from '../../store/messages.js';
import { PermanentJobError, type Job } from '../queue.js';
import type { ReplySink } from '../reply-sink.js';

export function replyHandoffHandler(deps: { sql: Sql; sink: ReplySink; signer: MediaSigner }) {
  return async (job: Job<{ message_id?: unknown }>): Promise<void> => {
    const id = Number(job.payload?.message_id);
    if (!Number.isSafeInteger(id)) throw new PermanentJobError('reply.handoff without a message id');
    const m = await outboundContext(deps.sql, id);
    if (!m) return; // deleted with its conversation: nothing to hand off
    await deps.sink.publish({
      message_id: m.id,
      conversation_id: m.conversation_id,
      hotel_id: m.hotel_id,
      conversation_type: m.conversation_type,
      department: m.department,
      guest_number: m.guest_number,
      message_type: m.message_type,
      content: m.content,
      media_url: m.media_key ? deps.signer.url(m.media_key, 7 * 24 * 3600) : m.media_url,
      created_at: m.created_at.toISOString(),
    });
  };
}
