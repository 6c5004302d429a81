// A small HDR-like histogram: values in microseconds, exact below 128 µs, then 64 sub-buckets per
// power of two (≤ 1.6 % relative error) up to ~2^41 µs. Mergeable across processes through a
// sparse [index, count] list. Exact min, max and sum are kept beside the buckets.

const SUB_BITS = 6;
const SUB = 1 << SUB_BITS; // 64
const LINEAR = SUB * 2; // 128: values below are exact
const MAX_EXP = 41;
const SIZE = LINEAR + (MAX_EXP - 7 + 1) * SUB;

function indexOf(us: number): number {
  if (us < LINEAR) return us < 0 ? 0 : Math.floor(us);
  const e = Math.min(MAX_EXP, Math.floor(Math.log2(us)));
  const shift = e - SUB_BITS;
  const sub = Math.min(SUB * 2 - 1, Math.floor(us / 2 ** shift)); // 64..127
  return LINEAR + (e - 7) * SUB + (sub - SUB);
}

/** Lower bound and width of bucket i (µs). */
function bucketRange(i: number): [number, number] {
  if (i < LINEAR) return [i, 1];
  const e = Math.floor((i - LINEAR) / SUB) + 7;
  const sub = ((i - LINEAR) % SUB) + SUB;
  const shift = e - SUB_BITS;
  return [sub * 2 ** shift, 2 ** shift];
}

export interface HistJSON {
  count: number;
  min: number;
  max: number;
  sum: number;
  buckets: Array<[number, number]>;
}

export interface Percentiles {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class Histogram {
  private counts = new Uint32Array(SIZE);
  count = 0;
  min = Infinity;
  max = 0;
  sum = 0;

  /** Records a value in milliseconds. */
  recordMs(ms: number): void {
    this.recordUs(ms * 1000);
  }

  recordUs(us: number): void {
    if (!(us >= 0)) us = 0;
    this.counts[indexOf(us)]!++;
    this.count++;
    this.sum += us;
    if (us < this.min) this.min = us;
    if (us > this.max) this.max = us;
  }

  merge(other: Histogram | HistJSON): this {
    const o = other instanceof Histogram ? other.toJSON() : other;
    if (!o || o.count === 0) return this;
    for (const [i, c] of o.buckets) this.counts[i] = (this.counts[i] ?? 0) + c;
    this.count += o.count;
    this.sum += o.sum;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    return this;
  }

  static from(json: HistJSON | undefined): Histogram {
    const h = new Histogram();
    if (json) h.merge(json);
    return h;
  }

  /** Value (µs) at quantile q in [0, 1]: the middle of the bucket, clamped to [min, max]. */
  quantileUs(q: number): number {
    if (this.count === 0) return 0;
    if (q >= 1) return this.max;
    if (q <= 0) return this.min;
    const target = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i]!;
      if (seen >= target) {
        const [lo, w] = bucketRange(i);
        const v = i < LINEAR ? lo : lo + w / 2;
        return Math.min(this.max, Math.max(this.min, v));
      }
    }
    return this.max;
  }

  quantileMs(q: number): number {
    return this.quantileUs(q) / 1000;
  }

  /** Percentiles in milliseconds. */
  summary(): Percentiles {
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: this.count,
      min: this.count ? ms(this.min) : 0,
      mean: this.count ? ms(this.sum / this.count) : 0,
      p50: ms(this.quantileUs(0.5)),
      p90: ms(this.quantileUs(0.9)),
      p99: ms(this.quantileUs(0.99)),
      p999: ms(this.quantileUs(0.999)),
      max: ms(this.count ? this.max : 0),
    };
  }

  toJSON(): HistJSON {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i]) buckets.push([i, this.counts[i]!]);
    return { count: this.count, min: this.count ? this.min : 0, max: this.max, sum: this.sum, buckets };
  }

  /**
   * Coarse bars for charts: counts regrouped into `perDecade` log-spaced bins between the
   * smallest and largest value (ms edges).
   */
  bins(perDecade = 10): Array<{ lo: number; hi: number; count: number }> {
    if (this.count === 0) return [];
    const lo = Math.max(0.001, this.min / 1000);
    const hi = Math.max(lo * 1.0001, this.max / 1000);
    const a = Math.floor(Math.log10(lo) * perDecade);
    const b = Math.ceil(Math.log10(hi) * perDecade);
    const out: Array<{ lo: number; hi: number; count: number }> = [];
    for (let k = a; k < Math.max(b, a + 1); k++) out.push({ lo: 10 ** (k / perDecade), hi: 10 ** ((k + 1) / perDecade), count: 0 });
    for (let i = 0; i < SIZE; i++) {
      const c = this.counts[i]!;
      if (!c) continue;
      const [l, w] = bucketRange(i);
      const vMs = (i < LINEAR ? l : l + w / 2) / 1000;
      const k = Math.min(out.length - 1, Math.max(0, Math.floor(Math.log10(Math.max(vMs, 0.001)) * perDecade) - a));
      out[k]!.count += c;
    }
    return out;
  }

  /** (percentile, ms) points for an HDR-style percentile distribution plot. */
  percentileCurve(): Array<[number, number]> {
    const qs = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 1];
    return qs.map((q) => [q, this.quantileMs(q)]);
  }
}
