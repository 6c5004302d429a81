// Prometheus metrics through prom-client (exposition format, default process metrics), behind
// the small API the rest of the code uses: counters, gauges and histograms created by name, whose
// label names are learnt on first use (callers never declare them), plus synchronous reads for
// the console (a counter's series, a histogram's buckets and percentiles).
import client from 'prom-client';

type Labels = Record<string, string>;

/** The prom-client fields these wrappers rely on (pinned version 15.1.3). */
interface Internals {
  labelNames: string[];
  sortedLabelNames: string[];
  hashMap: Record<string, { value?: number; labels: Labels; bucketValues?: Record<string, number>; sum?: number; count?: number }>;
}

function hashOf(m: Internals, labels: Labels | undefined): string {
  if (!labels) return '';
  let hash = '';
  for (const k of m.sortedLabelNames) {
    const v = labels[k];
    if (v !== undefined) hash += `${k}:${v},`;
  }
  return hash;
}

/** prom-client checks labels against the names given at creation; new names are added here. */
class LabelLearner {
  private known = new Set<string>();
  constructor(private readonly m: Internals) {}
  /**
   * Makes prom-client accept the label names; returns the labels with names in sorted order (the
   * series keeps the object it is created with, and its exposition lists labels in that order,
   * as the in-house registry did and tests read).
   */
  learn(labels: Labels): Labels {
    let prev = '';
    let sorted = true;
    for (const k in labels) {
      if (k < prev) sorted = false;
      prev = k;
      if (this.known.has(k)) continue;
      // A labelled metric drops the unlabelled zero series prom-client starts it with.
      if (this.known.size === 0) {
        const empty = this.m.hashMap[''];
        if (empty && !empty.value && !empty.count) delete this.m.hashMap[''];
      }
      this.known.add(k);
      if (!this.m.labelNames.includes(k)) {
        this.m.labelNames.push(k);
        // Series hashed before keep their hash: names missing from a label set are skipped.
        this.m.sortedLabelNames = [...this.m.labelNames].sort();
      }
    }
    if (sorted) return labels;
    const out: Labels = {};
    for (const k of Object.keys(labels).sort()) out[k] = labels[k]!;
    return out;
  }
}

export interface Series {
  labels: Labels;
  value: number;
}

function matches(labels: Labels, filter: Labels | undefined): boolean {
  if (!filter) return true;
  for (const k in filter) if (labels[k] !== filter[k]) return false;
  return true;
}

export class Counter {
  private readonly m: client.Counter<string>;
  private readonly learner: LabelLearner;
  constructor(readonly name: string, readonly help: string, register: client.Registry) {
    this.m = new client.Counter({ name, help, registers: [register] });
    this.learner = new LabelLearner(this.m as unknown as Internals);
  }
  inc(labels?: Labels, by = 1): void {
    if (labels) {
      this.m.inc(this.learner.learn(labels), by);
    } else this.m.inc(by);
  }
  get(labels?: Labels): number {
    const m = this.m as unknown as Internals;
    return m.hashMap[hashOf(m, labels)]?.value ?? 0;
  }
  /** Every series whose labels include `filter`. */
  series(filter?: Labels): Series[] {
    return Object.values((this.m as unknown as Internals).hashMap)
      .filter((s) => matches(s.labels, filter))
      .map((s) => ({ labels: s.labels, value: s.value ?? 0 }));
  }
  /** Sum of the series whose labels include `filter`. */
  total(filter?: Labels): number {
    return this.series(filter).reduce((a, s) => a + s.value, 0);
  }
}

/** A gauge is either set directly or computed at scrape time by collect functions. */
export class Gauge {
  private readonly m: client.Gauge<string>;
  private readonly learner: LabelLearner;
  private collectors: Array<() => Array<[Labels | undefined, number]>> = [];
  constructor(readonly name: string, readonly help: string, register: client.Registry) {
    const self = this;
    this.m = new client.Gauge({
      name,
      help,
      registers: [register],
      collect() {
        self.runCollectors();
      },
    });
    this.learner = new LabelLearner(this.m as unknown as Internals);
  }
  private runCollectors(): void {
    for (const fn of this.collectors) for (const [labels, v] of fn()) this.set(v, labels);
  }
  set(value: number, labels?: Labels): void {
    if (labels) {
      this.m.set(this.learner.learn(labels), value);
    } else this.m.set(value);
  }
  add(by: number, labels?: Labels): void {
    if (labels) {
      this.m.inc(this.learner.learn(labels), by);
    } else this.m.inc(by);
  }
  get(labels?: Labels): number {
    const m = this.m as unknown as Internals;
    return m.hashMap[hashOf(m, labels)]?.value ?? 0;
  }
  collect(fn: () => Array<[Labels | undefined, number]>): void {
    this.collectors.push(fn);
  }
  /** Current values (collect functions run first), whose labels include `filter`. */
  series(filter?: Labels): Series[] {
    this.runCollectors();
    return Object.values((this.m as unknown as Internals).hashMap)
      .filter((s) => matches(s.labels, filter))
      .map((s) => ({ labels: s.labels, value: s.value ?? 0 }));
  }
}

/** Per-bucket (not cumulative) counts of a histogram, merged over label sets. */
export interface BucketSnapshot {
  bounds: readonly number[];
  counts: number[];
  count: number;
  sum: number;
}

/**
 * The q-quantile (0..1) of a bucket snapshot, interpolated linearly inside its bucket as
 * Prometheus' histogram_quantile does; NaN when empty. Above the last bound: that bound.
 */
export function quantileOf(s: BucketSnapshot, q: number): number {
  const total = s.counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < s.bounds.length; i++) {
    const c = s.counts[i]!;
    if (seen + c >= rank && c > 0) {
      const lower = i === 0 ? 0 : s.bounds[i - 1]!;
      return lower + (s.bounds[i]! - lower) * ((rank - seen) / c);
    }
    seen += c;
  }
  return s.bounds[s.bounds.length - 1] ?? Number.NaN;
}

/** later − earlier, bucket by bucket (a window between two snapshots of one histogram). */
export function snapshotDelta(later: BucketSnapshot, earlier: BucketSnapshot | undefined): BucketSnapshot {
  if (!earlier) return later;
  return {
    bounds: later.bounds,
    counts: later.counts.map((c, i) => Math.max(0, c - (earlier.counts[i] ?? 0))),
    count: Math.max(0, later.count - earlier.count),
    sum: Math.max(0, later.sum - earlier.sum),
  };
}

export class Histogram {
  private readonly m: client.Histogram<string>;
  private readonly learner: LabelLearner;
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[], register: client.Registry) {
    this.m = new client.Histogram({ name, help, buckets: [...buckets], registers: [register] });
    this.learner = new LabelLearner(this.m as unknown as Internals);
  }
  observe(value: number, labels?: Labels): void {
    if (labels) {
      this.m.observe(this.learner.learn(labels), value);
    } else this.m.observe(value);
  }
  count(labels?: Labels): number {
    const m = this.m as unknown as Internals;
    return m.hashMap[hashOf(m, labels)]?.count ?? 0;
  }
  /** Buckets of every series whose labels include `filter`, merged. */
  snapshot(filter?: Labels): BucketSnapshot {
    const counts = new Array<number>(this.buckets.length).fill(0);
    let count = 0;
    let sum = 0;
    for (const s of Object.values((this.m as unknown as Internals).hashMap)) {
      if (!matches(s.labels, filter)) continue;
      this.buckets.forEach((b, i) => (counts[i]! += s.bucketValues?.[String(b)] ?? 0));
      count += s.count ?? 0;
      sum += s.sum ?? 0;
    }
    // Observations above the last bound are counted but in no bucket: place them in the last.
    const inBuckets = counts.reduce((a, b) => a + b, 0);
    if (count > inBuckets && counts.length > 0) counts[counts.length - 1]! += count - inBuckets;
    return { bounds: this.buckets, counts, count, sum };
  }
  /** The q-quantile since start of the series whose labels include `filter`. */
  percentile(q: number, filter?: Labels): number {
    return quantileOf(this.snapshot(filter), q);
  }
}

export class Registry {
  /** The prom-client registry underneath (default process metrics are registered on it). */
  readonly prom = new client.Registry();
  private metrics = new Map<string, Counter | Gauge | Histogram>();
  private beforeRender: Array<() => Promise<unknown> | unknown> = [];
  private named<T extends Counter | Gauge | Histogram>(name: string, make: () => T): T {
    const existing = this.metrics.get(name);
    if (existing) return existing as T;
    const m = make();
    this.metrics.set(name, m);
    return m;
  }
  counter(name: string, help: string): Counter {
    return this.named(name, () => new Counter(name, help, this.prom));
  }
  gauge(name: string, help: string): Gauge {
    return this.named(name, () => new Gauge(name, help, this.prom));
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.named(name, () => new Histogram(name, help, buckets, this.prom));
  }
  /** A metric created earlier by name, if any. */
  find(name: string): Counter | Gauge | Histogram | undefined {
    return this.metrics.get(name);
  }
  /** Runs before each render (a collector whose values other metrics read). */
  onRender(fn: () => Promise<unknown> | unknown): void {
    this.beforeRender.push(fn);
  }
  get contentType(): string {
    return this.prom.contentType;
  }
  async render(): Promise<string> {
    for (const fn of this.beforeRender) await fn();
    return this.prom.metrics();
  }
}

/** Seconds buckets from 0.1 ms to 10 s, for latencies. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
