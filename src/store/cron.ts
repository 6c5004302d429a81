// Cluster-wide cron claims: the node that inserts a tick's row runs that tick.
import type { Db } from './db.js';

export async function claimTick(db: Db, key: string, nodeId: string): Promise<boolean> {
  const rows = await db`insert into cron_runs (key, node_id) values (${key}, ${nodeId}) on conflict (key) do nothing returning key`;
  return rows.length === 1;
}

export async function finishTick(db: Db, key: string): Promise<void> {
  await db`update cron_runs set finished_at = now() where key = ${key}`;
}

export async function pruneTicks(db: Db, days: number): Promise<void> {
  await db`delete from cron_runs where started_at < now() - make_interval(days => ${days})`;
}
