// The periodic tasks of the cluster (DESIGN §7): close idle conversations, archive old closed
// ones, expire presence of nodes that stopped heartbeating.
import type { ChatEvents } from '../chat/events.js';
import type { ChatService } from '../chat/service.js';
import type { Config } from '../config/load.js';
import { ClusterCron, type CronTask } from '../jobs/cron.js';
import type { Logger } from '../obs/log.js';
import type { Registry } from '../obs/metrics.js';
import { archiveClosed, idleConversations } from '../store/conversations.js';
import type { Sql } from '../store/db.js';
import type { MediaService } from '../media/service.js';
import { expireStale } from '../store/presence.js';

export interface CronParts {
  config: Config;
  sql: Sql;
  chat: ChatService;
  events: Pick<ChatEvents, 'userStatus'>;
  log: Logger;
  metrics: Registry;
  media: Pick<MediaService, 'cleanup'>;
}

export function cronTasks(p: CronParts): CronTask[] {
  const { config, sql } = p;
  return [
    {
      name: 'close-idle-conversations',
      schedule: config.cron.idleCloseSchedule,
      run: async () => {
        let closed = 0;
        for (;;) {
          const batch = await idleConversations(sql, config.cron.idleCloseMinutes, 200);
          if (batch.length === 0) return { closed };
          for (const { id } of batch) if (await p.chat.close(null, id)) closed++;
          if (batch.length < 200) return { closed };
        }
      },
    },
    {
      name: 'archive-closed-conversations',
      schedule: config.cron.archiveSchedule,
      run: async () => ({ archived: await archiveClosed(sql, config.cron.archiveDays) }),
    },
    {
      name: 'expire-stale-presence',
      schedule: config.cron.presenceSchedule,
      run: async () => {
        const gone = await expireStale(sql, config.presence.ttlS);
        for (const g of gone) p.events.userStatus(g.hotel_id, g.department, 'user_disconnected', { id: g.user_id, name: g.name });
        return { expired: gone.length };
      },
    },
    {
      name: 'remove-unused-media',
      schedule: config.cron.mediaSchedule,
      run: () => p.media.cleanup(config.media.orphanHours, config.media.retentionDays),
    },
  ];
}

export function startCron(p: CronParts): ClusterCron {
  const cron = new ClusterCron({ sql: p.sql, nodeId: p.config.nodeId, log: p.log, runs: p.metrics.counter('cron_runs_total', 'Periodic task runs on this node, by task and outcome') });
  cron.start(cronTasks(p));
  return cron;
}
