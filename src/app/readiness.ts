// The dependencies /readyz reports, with what this node loses while each one is down.
import type { Dependency } from '../transport/routes/readiness.js';
import type { Bus } from './bus.js';
import type { Database } from './database.js';

export function dependencies(p: {
  db: Pick<Database, 'healthy'>;
  bus: Pick<Bus, 'healthy'>;
  storage: { healthy(): Promise<boolean> | boolean };
  webhookMode: 'sync' | 'queued';
}): Dependency[] {
  return [
    { name: 'database', required: true, capabilities: ['everything'], check: () => p.db.healthy() },
    {
      name: 'bus',
      required: false,
      capabilities: [
        ...(p.webhookMode === 'queued' ? ['queued_webhooks'] : []),
        'cross_node_delivery',
        'background_jobs',
      ],
      check: () => p.bus.healthy(),
    },
    { name: 'media', required: false, capabilities: ['media_upload', 'media_ingest'], check: () => p.storage.healthy() },
  ];
}
