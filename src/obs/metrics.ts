// A small Prometheus registry: counters, gauges and histograms with fixed label sets, rendered
// in the text exposition format. Kept in-house because the hot path touches it per message and
// needs nothing beyond an array increment.

type Labels = Record<string, string>;

function labelKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return keys
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

interface Metric {
  readonly name: string;
  readonly help: string;
  render(): string;
}

export class Counter implements Metric {
  private values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels?: Labels, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [key, v] of this.values) lines.push(key ? `${this.name}{${key}} ${v}` : `${this.name} ${v}`);
    return lines.join('\n');
  }
}

/** A gauge is either set directly or computed at scrape time by a collect function. */
export class Gauge implements Metric {
  private values = new Map<string, number>();
  private collectors: Array<() => Array<[Labels | undefined, number]>> = [];
  constructor(readonly name: string, readonly help: string) {}
  set(value: number, labels?: Labels): void {
    this.values.set(labelKey(labels), value);
  }
  add(by: number, labels?: Labels): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  collect(fn: () => Array<[Labels | undefined, number]>): void {
    this.collectors.push(fn);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    const all = new Map(this.values);
    for (const fn of this.collectors) {
      for (const [labels, v] of fn()) all.set(labelKey(labels), v);
    }
    if (all.size === 0) lines.push(`${this.name} 0`);
    for (const [key, v] of all) lines.push(key ? `${this.name}{${key}} ${v}` : `${this.name} ${v}`);
    return lines.join('\n');
  }
}

export class Histogram implements Metric {
  private series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {}
  observe(value: number, labels?: Labels): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= this.buckets[i]!) s.counts[i]!++;
    }
    s.sum += value;
    s.count++;
  }
  count(labels?: Labels): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series) {
      const sep = key ? `${key},` : '';
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${sep}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(key ? `${this.name}_sum{${key}} ${s.sum}` : `${this.name}_sum ${s.sum}`);
      lines.push(key ? `${this.name}_count{${key}} ${s.count}` : `${this.name}_count ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class Registry {
  private metrics = new Map<string, Metric>();
  private register<T extends Metric>(m: T): T {
    const existing = this.metrics.get(m.name);
    if (existing) return existing as T;
    this.metrics.set(m.name, m);
    return m;
  }
  counter(name: string, help: string): Counter {
    return this.register(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.register(new Gauge(name, help));
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, buckets));
  }
  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('\n') + '\n';
  }
}

/** Seconds buckets from 0.1 ms to 10 s, for latencies. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
