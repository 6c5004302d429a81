// Gauges the alert rules need whose value takes I/O to learn: readiness (what /readyz would
// answer, so an alert does not depend on a probe's log) and the dead letters waiting for an
// operator. Refreshed on a timer, each refresh under a deadline, and served from the last values.
import type { Registry } from '../obs/metrics.js';
import type { Sql } from '../store/db.js';
import { readiness, type Dependency } from '../transport/routes/readiness.js';

export function startOpsGauges(p: {
  metrics: Registry;
  sql: Sql;
  dependencies: Dependency[];
  migrated: () => boolean;
  intervalMs?: number;
}): () => Promise<void> {
  const ready = p.metrics.gauge('readiness_status', 'What /readyz answers: 1 ready, 0.5 degraded, 0 not ready');
  const up = p.metrics.gauge('readiness_dependency_up', 'A dependency of this node answers (1) or not (0), by dependency');
  const dead = p.metrics.gauge('jobs_dead_letters', 'Dead letters waiting for an operator (cluster-wide, from the database), by kind');
  let deadByKind = new Map<string, number>();
  dead.collect(() => [...deadByKind].map(([kind, n]) => [{ kind }, n]));

  const within = <T>(ms: number, work: Promise<T>): Promise<T> =>
    Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

  let running = false;
  const refresh = async () => {
    if (running) return;
    running = true;
    try {
      const r = await within(3000, readiness(p.dependencies)).catch(() => null);
      ready.set(r === null ? 0 : r.status === 'ready' ? 1 : r.status === 'degraded' ? 0.5 : 0);
      for (const d of p.dependencies) up.set(r?.checks[d.name] === 'ok' ? 1 : 0, { dependency: d.name });
      if (p.migrated()) {
        const rows = await within(3000, p.sql<{ kind: string; n: number }[]>`select kind, count(*)::int as n from job_dead_letters group by kind`).catch(() => null);
        if (rows) {
          // Kinds whose dead letters were all handled go to 0 rather than vanishing.
          const next = new Map([...deadByKind.keys()].map((k) => [k, 0]));
          for (const row of rows) next.set(row.kind, row.n);
          deadByKind = next;
        }
      }
    } finally {
      running = false;
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), p.intervalMs ?? 10_000);
  timer.unref();
  return async () => clearInterval(timer);
}
