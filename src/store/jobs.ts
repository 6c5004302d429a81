// Dead letters of background jobs.
import { repairText, textProblem } from '../core/text.js';
import type { Db } from './db.js';

/**
 * The payload as JSON that jsonb accepts whatever the job held: NUL and unpaired surrogates in any
 * string or key become U+FFFD (a dead letter must never fail on its payload, or its job would be
 * redelivered forever). `repaired` says whether anything was replaced.
 */
export function storablePayload(payload: unknown): { json: string; repaired: boolean } {
  let repaired = false;
  const fix = (s: string): string => {
    if (textProblem(s) === null) return s;
    repaired = true;
    return repairText(s);
  };
  let json: string | undefined;
  try {
    json = JSON.stringify(payload, function (_key, value: unknown) {
      if (typeof value === 'string') return fix(value);
      if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).some((k) => textProblem(k) !== null)) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [fix(k), v]));
      }
      return value;
    });
  } catch (err) {
    json = JSON.stringify({ unserializable: fix(String(err)) });
    repaired = true;
  }
  return { json: json ?? 'null', repaired };
}

/** A job given up on, as the dead-letter table keeps it (the queue's DeadLetter has this shape). */
export interface DeadLetterRecord {
  kind: string;
  jobId: string;
  payload: unknown;
  deliveries: number;
  reason: string;
}

export async function insertDeadLetter(db: Db, rec: DeadLetterRecord): Promise<void> {
  const { json, repaired } = storablePayload(rec.payload);
  const reason = repairText(repaired ? `${rec.reason} (payload text repaired: NUL or unpaired surrogates replaced by U+FFFD)` : rec.reason);
  // Already JSON: typed text so it is sent as is and parsed by Postgres, not serialized again.
  await db`
    insert into job_dead_letters (kind, job_id, payload, deliveries, reason)
    values (${repairText(rec.kind)}, ${repairText(String(rec.jobId))}, ${json}::text::jsonb, ${rec.deliveries}, ${reason})`;
}
