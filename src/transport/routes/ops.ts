// Operations endpoints: liveness, readiness (each dependency and what its loss degrades: see
// readiness.ts) and Prometheus metrics.
import { timingSafeEqual } from 'node:crypto';
import type { Registry } from '../../obs/metrics.js';
import * as r from '../../protocol/rest/replies.js';
import { AuthError } from '../../core/errors.js';
import type { Route } from '../http/router.js';
import { readiness, type Dependency } from './readiness.js';

export interface OpsDeps {
  metrics: Registry;
  metricsToken: string;
  dependencies: Dependency[];
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
      doc: { summary: 'Liveness: the process answers', responses: { 200: r.HealthReply } },
      unlimited: true,
      handler: () => ({ status: 200, body: { status: 'ok', node: deps.nodeId, uptime_s: Math.round((Date.now() - deps.startedAt) / 1000) } }),
    },
    {
      method: 'GET',
      path: '/readyz',
      doc: { summary: 'Readiness: dependencies up (degraded: optional ones down)', responses: { 200: r.ReadinessReply, 503: { description: 'not ready', schema: r.ReadinessReply, headers: { 'retry-after': 'seconds' } } } },
      unlimited: true,
      handler: async () => {
        const r = await readiness(deps.dependencies);
        const serving = r.status !== 'not_ready';
        const headers: Record<string, string> = serving ? {} : { 'retry-after': '2' };
        return { status: serving ? 200 : 503, body: r, headers };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      doc: { summary: 'Prometheus metrics', auth: 'metrics-token', responses: { 200: { description: 'Prometheus text format 0.0.4', contentType: 'text/plain' } } },
      unlimited: true,
      handler: async (ctx) => {
        if (deps.metricsToken) {
          const auth = ctx.headers['authorization'] ?? '';
          if (!sameSecret(auth, `Bearer ${deps.metricsToken}`)) throw new AuthError('metrics need the metrics bearer token');
        }
        return { status: 200, raw: { contentType: 'text/plain; version=0.0.4; charset=utf-8', data: await deps.metrics.render() } };
      },
    },
  ];
}
