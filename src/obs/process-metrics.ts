// Process-level gauges read at scrape time: memory, event-loop lag, CPU.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Registry } from './metrics.js';

export function registerProcessMetrics(metrics: Registry): () => void {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  metrics.gauge('process_resident_memory_bytes', 'Resident set size').collect(() => [[undefined, process.memoryUsage.rss()]]);
  metrics.gauge('nodejs_heap_used_bytes', 'V8 heap in use').collect(() => [[undefined, process.memoryUsage().heapUsed]]);
  metrics.gauge('nodejs_eventloop_lag_seconds', 'Event-loop delay over the last scrape interval').collect(() => {
    const out: Array<[Record<string, string>, number]> = [
      [{ quantile: '0.5' }, lag.percentile(50) / 1e9],
      [{ quantile: '0.99' }, lag.percentile(99) / 1e9],
      [{ quantile: '1' }, lag.max / 1e9],
    ];
    lag.reset();
    return out;
  });
  metrics.gauge('process_cpu_seconds_total', 'User plus system CPU time').collect(() => {
    const u = process.cpuUsage();
    return [[undefined, (u.user + u.system) / 1e6]];
  });
  return () => lag.disable();
}
