// What a node can still do without each dependency (README "Operations"). /readyz answers 200
// while the node serves, degraded or not, and 503 only when it cannot serve at all — so a NATS
// outage, which every node sees at once, degrades the cluster instead of emptying the load
// balancer.
//
//   database down → nothing works (every request reads or writes it): not ready.
//   bus down      → synchronous webhooks, REST and same-node socket delivery keep working;
//                   queued webhooks, cross-node fanout and background jobs wait for NATS.
//   media down    → uploads and media ingestion fail; chat keeps working.

export type DependencyState = 'ok' | 'down';

export interface Dependency {
  name: string;
  /** A dependency the node cannot serve without. */
  required: boolean;
  /** What stops working while it is down. */
  capabilities: string[];
  check: () => Promise<boolean> | boolean;
}

export interface Readiness {
  status: 'ready' | 'degraded' | 'not_ready';
  checks: Record<string, DependencyState>;
  /** Capabilities lost to the dependencies that are down. */
  degraded: string[];
}

async function probe(check: Dependency['check']): Promise<DependencyState> {
  try {
    return (await check()) ? 'ok' : 'down';
  } catch {
    return 'down';
  }
}

export async function readiness(deps: Dependency[]): Promise<Readiness> {
  const states = await Promise.all(deps.map((d) => probe(d.check)));
  const down = deps.filter((_, i) => states[i] === 'down');
  const status = down.length === 0 ? 'ready' : down.some((d) => d.required) ? 'not_ready' : 'degraded';
  return {
    status,
    checks: Object.fromEntries(deps.map((d, i) => [d.name, states[i]!])),
    degraded: [...new Set(down.flatMap((d) => d.capabilities))],
  };
}
