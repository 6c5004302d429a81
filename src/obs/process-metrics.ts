// Process metrics: prom-client's defaults (CPU, memory, handles, GC, event-loop lag min/p50/p90/
// p99/max) plus the two series this service exposed before them, which dashboards and the bench
// read: nodejs_eventloop_lag_seconds by quantile and nodejs_heap_used_bytes.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import client from 'prom-client';
import type { Registry } from './metrics.js';

const LAG = 'nodejs_eventloop_lag_seconds';

export interface ProcessSample {
  rssBytes: number;
  heapUsedBytes: number;
  /** Event-loop delay p99 and max (seconds) since the previous sample. */
  lagP99S: number;
  lagMaxS: number;
}

export function registerProcessMetrics(metrics: Registry): { stop: () => void; sample: () => ProcessSample } {
  client.collectDefaultMetrics({ register: metrics.prom });
  // The default unlabelled lag gauge takes the legacy name; its collect also sets the
  // p50…max gauges, so it keeps running before each render without being exposed.
  const driver = metrics.prom.getSingleMetric(LAG);
  metrics.prom.removeSingleMetric(LAG);
  if (driver) metrics.onRender(() => driver.get());

  const scrapeLag = monitorEventLoopDelay({ resolution: 10 });
  scrapeLag.enable();
  metrics.gauge(LAG, 'Event-loop delay over the last scrape interval').collect(() => {
    const out: Array<[Record<string, string>, number]> = [
      [{ quantile: '0.5' }, scrapeLag.percentile(50) / 1e9],
      [{ quantile: '0.99' }, scrapeLag.percentile(99) / 1e9],
      [{ quantile: '1' }, scrapeLag.max / 1e9],
    ];
    scrapeLag.reset();
    return out;
  });
  metrics.gauge('nodejs_heap_used_bytes', 'V8 heap in use').collect(() => [[undefined, process.memoryUsage().heapUsed]]);

  // A separate histogram for the console's heartbeat, so scrapes and heartbeats do not reset each other.
  const beatLag = monitorEventLoopDelay({ resolution: 10 });
  beatLag.enable();
  return {
    stop: () => {
      scrapeLag.disable();
      beatLag.disable();
    },
    sample: () => {
      const mem = process.memoryUsage();
      const s = { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, lagP99S: beatLag.percentile(99) / 1e9, lagMaxS: beatLag.max / 1e9 };
      beatLag.reset();
      return s;
    },
  };
}
