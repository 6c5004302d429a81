// Process metrics: prom-client's defaults (CPU, memory, handles, GC, event-loop lag min/p50/p90/
// p99/max) plus the two series this service exposed before them, which dashboards and the bench
// read: nodejs_eventloop_lag_seconds by quantile and nodejs_heap_used_bytes.
import { readdir } from 'node:fs/promises';
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
  countOpenFdsOffLoop(metrics);

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

const FDS = 'process_open_fds';

/**
 * prom-client counts open descriptors by listing /proc/self/fd synchronously on every scrape: one
 * entry per socket, about 7 ms of blocked event loop per scrape at 10,000 sockets. The count is
 * taken on the libuv pool instead: a scrape reports the last finished count and starts the next
 * one (unless one is still running), so the value is a scrape or two old.
 */
function countOpenFdsOffLoop(metrics: Registry): void {
  const builtin = metrics.prom.getSingleMetric(FDS);
  if (!builtin) return;
  metrics.prom.removeSingleMetric(FDS);
  let fds = 0;
  let counting: Promise<void> | null = null;
  const count = () =>
    (counting ??= readdir('/proc/self/fd').then(
      // Less the descriptor the listing itself held (closed by now), as prom-client counts.
      (entries) => void (fds = entries.length - 1),
      () => undefined,
    ).finally(() => (counting = null)));
  void count();
  metrics.gauge(FDS, 'Number of open file descriptors (counted off the event loop: a scrape or two old).').collect(() => {
    void count();
    return [[undefined, fds]];
  });
}
