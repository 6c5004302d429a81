// The ping job (`npm run cli -- jobs:ping`): answers on the reply subject it carries.
import type { NatsLink } from '../../nats/link.js';
import { PermanentJobError, type Job } from '../queue.js';

export function pingHandler(nodeId: string, link: NatsLink | null) {
  return async (job: Job<{ reply?: unknown }>): Promise<void> => {
    const reply = job.payload?.reply;
    if (typeof reply !== 'string' || !reply.startsWith('_INBOX.')) throw new PermanentJobError('ping job without a reply inbox');
    const nc = link?.connection;
    if (!nc) throw new Error('not connected to NATS');
    nc.publish(reply, JSON.stringify({ node: nodeId, job: job.id, received_at: new Date().toISOString() }));
  };
}
