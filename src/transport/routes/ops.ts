// Operations endpoints: liveness, readiness (database and bus) and Prometheus metrics.
import { timingSafeEqual } from 'node:crypto';
import type { Registry } from '../../obs/metrics.js';
import { AuthError } from '../../core/errors.js';
import type { Route } from '../http/router.js';

export interface OpsDeps {
  metrics: Registry;
  metricsToken: string;
  checks: Record<string, () => Promise<boolean> | boolean>;
  nodeId: string;
  startedAt: number;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function opsRoutes(deps: OpsDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      unlimited: true,
      handler: () => ({ status: 200, body: { status: 'ok', node: deps.nodeId, uptime_s: Math.round((Date.now() - deps.startedAt) / 1000) } }),
    },
    {
      method: 'GET',
      path: '/readyz',
      unlimited: true,
      handler: async () => {
        const entries = await Promise.all(
          Object.entries(deps.checks).map(async ([name, check]) => {
            try {
              return [name, await check()] as const;
            } catch {
              return [name, false] as const;
            }
          }),
        );
        const checks = Object.fromEntries(entries.map(([n, ok]) => [n, ok ? 'ok' : 'down']));
        const ready = entries.every(([, ok]) => ok);
        const headers: Record<string, string> = ready ? {} : { 'retry-after': '2' };
        return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not_ready', checks }, headers };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      unlimited: true,
      handler: (ctx) => {
        if (deps.metricsToken) {
          const auth = ctx.headers['authorization'] ?? '';
          if (!sameSecret(auth, `Bearer ${deps.metricsToken}`)) throw new AuthError('metrics need the metrics bearer token');
        }
        return { status: 200, raw: { contentType: 'text/plain; version=0.0.4; charset=utf-8', data: deps.metrics.render() } };
      },
    },
  ];
}
