// The postgres.js instance. int8 columns come back as JS numbers (ids stay below 2^53 and the
// dashboard compares ids with ===), timestamps as Date.
import postgres from 'postgres';
import type { Logger } from '../obs/log.js';

export type Sql = postgres.Sql<Record<string, never>>;
export type Tx = postgres.TransactionSql<Record<string, never>>;
/** Either the pool or a transaction: store functions accept both. */
export type Db = Sql | Tx;

export interface DbOptions {
  url: string;
  poolMax: number;
  statementTimeoutMs: number;
  applicationName: string;
  log: Logger;
}

export function createDb(opts: DbOptions): Sql {
  return postgres(opts.url, {
    max: opts.poolMax,
    idle_timeout: 60,
    connect_timeout: 5,
    max_lifetime: 60 * 30,
    prepare: true,
    onnotice: (n) => opts.log.debug({ notice: n.message }, 'postgres notice'),
    connection: {
      application_name: opts.applicationName,
      statement_timeout: opts.statementTimeoutMs,
    },
    types: {
      int8: { to: 20, from: [20], serialize: (x: number | bigint | string) => String(x), parse: (x: string) => Number(x) },
    },
  }) as unknown as Sql;
}

/** True if the database answered a trivial query. */
export async function ping(sql: Sql, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sql`select 1`,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** `set …` fragment for a partial update: only the given fields, plus updated_at. */
export function assignments(db: Db, fields: object, touch = true) {
  const values: Record<string, unknown> = { ...fields };
  if (touch) values['updated_at'] = new Date();
  const helper = db as unknown as (v: Record<string, unknown>, cols: string[]) => ReturnType<Db['unsafe']>;
  return helper(values, Object.keys(values));
}
