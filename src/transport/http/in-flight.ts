// Requests of this node that have not been answered yet, for a graceful shutdown: once draining,
// answers close their keep-alive connection, and the server waits until none is left before it
// closes the connections that are still open (idle keep-alive ones).
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  /** Set at shutdown: every answer from now on carries `Connection: close`. */
  draining = false;

  get size(): number {
    return this.count;
  }

  begin(): void {
    this.count++;
  }

  end(): void {
    this.count--;
    if (this.count === 0) for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Resolves true once nothing is in flight, false if `timeoutMs` passed first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, Math.max(0, timeoutMs));
      this.waiters.push(done);
    });
  }
}
