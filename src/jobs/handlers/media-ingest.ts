// media.ingest: a guest's media (provider URL or media id) is copied into our store.
import type { MediaService } from '../../media/service.js';
import { isAppError } from '../../core/errors.js';
import { PermanentJobError, type Job } from '../queue.js';

export function mediaIngestHandler(media: MediaService) {
  return async (job: Job<{ message_id?: unknown }>): Promise<void> => {
    const id = Number(job.payload?.message_id);
    if (!Number.isSafeInteger(id)) throw new PermanentJobError('media.ingest without a message id');
    try {
      await media.ingest(id);
    } catch (err) {
      // A refused type or size will be refused again.
      if (isAppError(err) && err.status < 500) throw new PermanentJobError(err.message);
      throw err;
    }
  };
}
