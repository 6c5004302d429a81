// Dead letters and done-markers of background jobs.
import type { Db } from './db.js';
import type { DeadLetter } from '../jobs/queue.js';

export async function insertDeadLetter(db: Db, rec: DeadLetter): Promise<void> {
  await db`
    insert into job_dead_letters (kind, job_id, payload, deliveries, reason)
    values (${rec.kind}, ${rec.jobId}, ${db.json(rec.payload as never)}, ${rec.deliveries}, ${rec.reason})`;
}

export interface DeadLetterRow {
  id: number;
  kind: string;
  job_id: string;
  payload: unknown;
  deliveries: number;
  reason: string;
  failed_at: Date;
}

export function listDeadLetters(db: Db, kind: string, limit = 100): Promise<DeadLetterRow[]> {
  return db<DeadLetterRow[]>`
    select id, kind, job_id, payload, deliveries, reason, failed_at
    from job_dead_letters where kind = ${kind} order by id desc limit ${limit}`;
}

/** Claims a job id; false when it was already done (a redelivery). Use inside the job's transaction. */
export async function claimJob(db: Db, jobId: string, kind: string): Promise<boolean> {
  const rows = await db`insert into job_done (job_id, kind) values (${jobId}, ${kind}) on conflict do nothing returning job_id`;
  return rows.length === 1;
}
