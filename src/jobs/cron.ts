// Periodic work with node-cron, each tick run by exactly one node of the cluster: every node
// schedules the same tasks, and at each tick they race to insert the tick's row in cron_runs
// (node-cron's run coordinator); the winner runs it. A claim is per tick, so a node that dies
// holding one loses only that tick — the next tick is claimed afresh. The tasks are idempotent
// sweeps, so a skipped tick only delays work.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../obs/log.js';
import type { Counter } from '../obs/metrics.js';
import type { Sql } from '../store/db.js';
import { claimTick, finishTick, pruneTicks } from '../store/cron.js';

export interface CronTask {
  name: string;
  schedule: string;
  run: () => Promise<unknown>;
}

export interface CronDeps {
  sql: Sql;
  nodeId: string;
  log: Logger;
  runs: Counter;
}

export class ClusterCron {
  private tasks: ScheduledTask[] = [];
  /** node-cron's own messages (e.g. a failed run coordinator) into the JSON log, not stdout. */
  private readonly cronLog = {
    info: (msg: string) => this.deps.log.info({ source: 'node-cron' }, msg),
    warn: (msg: string) => this.deps.log.warn({ source: 'node-cron' }, msg),
    error: (msg: string | Error, err?: unknown) =>
      this.deps.log.error({ source: 'node-cron', err: err ?? (msg instanceof Error ? msg : undefined) }, msg instanceof Error ? msg.message : msg),
    debug: (msg: string | Error, err?: unknown) => this.deps.log.debug({ source: 'node-cron', err }, String(msg)),
  };

  constructor(private readonly deps: CronDeps) {}

  start(tasks: CronTask[]): void {
    const { sql, nodeId, log } = this.deps;
    const coordinator = {
      shouldRun: (key: string) => claimTick(sql, key, nodeId),
      onComplete: (key: string) => finishTick(sql, key),
    };
    for (const task of [...tasks, { name: 'cron-prune', schedule: '11 4 * * *', run: () => pruneTicks(sql, 14) }]) {
      const scheduled = cron.schedule(
        task.schedule,
        async () => {
          const t0 = performance.now();
          try {
            const result = await task.run();
            this.deps.runs.inc({ task: task.name, outcome: 'ok' });
            log.info({ task: task.name, result, ms: Math.round(performance.now() - t0) }, 'cron task done');
          } catch (err) {
            this.deps.runs.inc({ task: task.name, outcome: 'failed' });
            log.error({ task: task.name, err }, 'cron task failed');
          }
        },
        { name: task.name, noOverlap: true, distributed: true, runCoordinator: coordinator, timezone: 'UTC', logger: this.cronLog },
      );
      this.tasks.push(scheduled);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((t) => t.stop()));
    await Promise.all(this.tasks.map((t) => t.destroy()));
    this.tasks = [];
  }
}
