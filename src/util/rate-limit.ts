// Token buckets keyed by client (IP, token, account). Memory is bounded: idle full buckets are
// forgotten by a sweep, and the table has a hard cap beyond which the oldest keys are dropped.

export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly ratePerSec: number, private readonly burst: number, now = performance.now()) {
    this.tokens = burst;
    this.last = now;
  }
  /** Takes one token; returns 0 when allowed, else the seconds until one is available. */
  take(now = performance.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.ratePerSec;
  }
  full(now = performance.now()): boolean {
    return this.tokens + ((now - this.last) / 1000) * this.ratePerSec >= this.burst;
  }
}

export class KeyedRateLimiter {
  private buckets = new Map<string, TokenBucket>();
  private timer: NodeJS.Timeout;
  constructor(private readonly perMinute: number, private readonly maxKeys = 100_000) {
    this.timer = setInterval(() => this.sweep(), 30_000);
    this.timer.unref();
  }
  /** 0 when allowed, else seconds to wait. */
  take(key: string): number {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = new TokenBucket(this.perMinute / 60, Math.max(1, Math.ceil(this.perMinute / 6)));
      this.buckets.set(key, b);
    }
    return b.take();
  }
  private sweep(): void {
    const now = performance.now();
    for (const [k, b] of this.buckets) if (b.full(now)) this.buckets.delete(k);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}
