// The postgres.js instance. int8 columns come back as JS numbers (ids stay below 2^53 and the
// dashboard compares ids with ===), timestamps as Date.
//
// Outages fail fast: postgres.js queues a query until a connection is up and, by default, backs
// off up to 20 s between reconnects. Here reconnects are retried every ≤ 0.5 s (so writes resume
// within a second of Postgres accepting connections), and a query that has not reached a
// connection within the acquire deadline is rejected with a connection error (503 with
// Retry-After at the request boundary). Such a single statement may still run once a connection
// appears — atomically, and recognisable by its idempotency key; a transaction that could not
// start in time rolls back instead of running late.
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
  /** How long a query may wait for a connection before it fails (default 1 s). */
  acquireTimeoutMs?: number;
  /** Called each time a query or transaction got no connection within the deadline. */
  onAcquireTimeout?: () => void;
  applicationName: string;
  log: Logger;
}

/** Reconnect delay in seconds: 50 ms doubling per failed attempt, at most 0.5 s. */
export const reconnectBackoff = (retries: number): number => Math.min(0.05 * 2 ** Math.max(0, retries - 1), 0.5);

export function createDb(opts: DbOptions): Sql {
  const sql = postgres(opts.url, {
    max: opts.poolMax,
    idle_timeout: 60,
    connect_timeout: 2,
    backoff: reconnectBackoff,
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
  return withAcquireDeadline(sql, opts.acquireTimeoutMs ?? 1000, opts.onAcquireTimeout ?? (() => undefined));
}

/** The error of a query that got no connection in time; store/errors.ts maps its code to 503. */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
  readonly code = 'CONNECT_TIMEOUT';
}

/** postgres.js internals the deadline relies on: a query runs on handle() and gets `state` once sent. */
interface PendingQuery extends Promise<unknown> {
  handle(): Promise<void>;
  state: unknown;
  reject(err: unknown): void;
}

const isPendingQuery = (q: unknown): q is PendingQuery =>
  q instanceof Promise && typeof (q as Partial<PendingQuery>).handle === 'function' && 'state' in q;

function armQuery<T>(q: T, ms: number, timedOut: () => void): T {
  if (!isPendingQuery(q)) return q; // fragments, identifiers, helpers
  const handle = q.handle;
  let armed = false;
  q.handle = function (this: PendingQuery) {
    if (!armed) {
      armed = true;
      const timer = setTimeout(() => {
        if (this.state == null) {
          timedOut();
          this.reject(new DatabaseUnreachableError(`no database connection within ${ms} ms`));
        }
      }, ms);
      // The native then: Query#then would call handle() again.
      Promise.prototype.then.call(this, () => clearTimeout(timer), () => clearTimeout(timer));
    }
    return handle.call(this);
  };
  return q;
}

/**
 * Wraps the pool so that every query and transaction started on it has a deadline for getting a
 * connection. Queries inside a transaction already hold one and are not wrapped.
 */
function withAcquireDeadline(sql: Sql, ms: number, timedOut: () => void): Sql {
  const begin = (...args: unknown[]) => {
    const fn = args.pop() as (tx: Tx) => unknown;
    let late = false;
    let started = false;
    const run = (sql.begin as (...a: unknown[]) => Promise<unknown>)(...args, (tx: Tx) => {
      // Rolls back a transaction that got its connection after the caller was told 503.
      if (late) throw new DatabaseUnreachableError('transaction started after its deadline');
      started = true;
      return fn(tx);
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (started) return;
        late = true;
        timedOut();
        reject(new DatabaseUnreachableError(`no database connection within ${ms} ms`));
      }, ms);
    });
    run.catch(() => undefined); // settled through the race below or swallowed when late
    return Promise.race([run, deadline]).finally(() => clearTimeout(timer));
  };
  return new Proxy(sql, {
    apply: (target, self, args) => armQuery(Reflect.apply(target, self, args), ms, timedOut),
    get: (target, prop, receiver) => {
      if (prop === 'begin') return begin;
      if (prop === 'unsafe') return (...args: Parameters<Sql['unsafe']>) => armQuery(target.unsafe(...args), ms, timedOut);
      return Reflect.get(target, prop, receiver);
    },
  });
}

/** True if the database answered a trivial query. */
export async function ping(sql: Sql, timeoutMs = 1000): Promise<boolean> {
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
