import type { Db } from './db.js';

/** Removes up to `limit` outbox rows no other relay holds; they come back if the transaction rolls back. */
export function claimOutbox(db: Db, limit: number): Promise<Array<{ id: number; kind: string; message_id: number }>> {
  return db<Array<{ id: number; kind: string; message_id: number }>>`
    delete from outbox where id in (select id from outbox order by id limit ${limit} for update skip locked)
    returning id, kind, message_id`;
}
