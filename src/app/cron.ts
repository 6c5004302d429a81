// The periodic tasks of the cluster (DESIGN §7): close idle conversations, archive old closed
// ones, expire presence of nodes that stopped heartbeating. Conversations are closed and archived
// one by one through the same commands as everywhere else, so each change sends its event.
import type { SystemCommands } from '../chat/commands/system.js';
import type { ChatEvents } from '../chat/events.js';
import type { Config } from '../config/load.js';
import { ClusterCron, type CronTask } from '../jobs/cron.js';
import type { Logger } from '../obs/log.js';
import type { Registry } from '../obs/metrics.js';
import { closedBefore, idleConversations } from '../store/conversations.js';
import type { Sql } from '../store/db.js';
import type { MediaService } from '../media/service.js';
import { expireStale } from '../store/presence.js';
import type { WhatsAppTemplateService } from '../directory/whatsapp-templates.js';

export interface CronParts {
  config: Config;
  sql: Sql;
  chat: Pick<SystemCommands, 'close' | 'archive'>;
  events: Pick<ChatEvents, 'userStatus'>;
  log: Logger;
  metrics: Registry;
  media: Pick<MediaService, 'cleanup'>;
  /** Approved WhatsApp templates, synced from every channel's Business Account. */
  whatsappTemplates?: Pick<WhatsAppTemplateService, 'syncAll'>;
}

const SWEEP_BATCH = 200;

/**
 * Applies `change` to every conversation `next` lists, a batch at a time, until a batch is short.
 * A conversation that `change` leaves as it was (moved by someone else meanwhile) is not counted;
 * a batch in which nothing changed ends the sweep, so a row that keeps being listed cannot spin it.
 */
async function sweep(next: () => Promise<{ id: number }[]>, change: (id: number) => Promise<boolean>): Promise<number> {
  let changed = 0;
  for (;;) {
    const batch = await next();
    let moved = 0;
    for (const { id } of batch) if (await change(id)) moved++;
    changed += moved;
    if (batch.length < SWEEP_BATCH || moved === 0) return changed;
  }
}

export function cronTasks(p: CronParts): CronTask[] {
  const { config, sql } = p;
  return [
    {
      name: 'close-idle-conversations',
      schedule: config.cron.idleCloseSchedule,
      run: async () => ({ closed: await sweep(() => idleConversations(sql, config.cron.idleCloseMinutes, SWEEP_BATCH), (id) => p.chat.close(id)) }),
    },
    {
      name: 'archive-closed-conversations',
      schedule: config.cron.archiveSchedule,
      run: async () => ({ archived: await sweep(() => closedBefore(sql, config.cron.archiveDays, SWEEP_BATCH), (id) => p.chat.archive(id)) }),
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
    ...(p.whatsappTemplates
      ? [{ name: 'sync-whatsapp-templates', schedule: config.whatsappCloud.templateSyncSchedule, run: () => p.whatsappTemplates!.syncAll() }]
      : []),
  ];
}

export function startCron(p: CronParts): ClusterCron {
  const cron = new ClusterCron({ sql: p.sql, nodeId: p.config.nodeId, log: p.log, runs: p.metrics.counter('cron_runs_total', 'Periodic task runs on this node, by task and outcome') });
  cron.start(cronTasks(p));
  return cron;
}
