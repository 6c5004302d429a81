// Small waits with deadlines, shared by the parts that stop or poll.

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True if `p` settles (either way) within `ms`; false once the time is up. */
export function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = p.then(() => true, () => true);
  return Promise.race([settled, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, ms))))]).finally(() => clearTimeout(timer));
}

export const HALTED = Symbol('halted');

/**
 * Lets a loop's waits end at once when it is halted. Unlike `Promise.race` with one pending
 * promise (which keeps a reaction per call until that promise settles — a leak in a loop that
 * runs for days), each wait removes its own listener when it ends.
 */
export class Halt {
  private listeners = new Set<() => void>();
  private done = false;

  get halted(): boolean {
    return this.done;
  }

  /** Pending waits (for tests: none are kept once they end). */
  get waiting(): number {
    return this.listeners.size;
  }

  halt(): void {
    if (this.done) return;
    this.done = true;
    for (const l of this.listeners) l();
    this.listeners.clear();
  }

  /** `p`'s outcome, or HALTED as soon as halt() is called. */
  race<T>(p: Promise<T>): Promise<T | typeof HALTED> {
    if (this.done) return Promise.resolve(HALTED);
    return new Promise<T | typeof HALTED>((resolve, reject) => {
      const onHalt = () => resolve(HALTED);
      this.listeners.add(onHalt);
      p.then(
        (v) => {
          this.listeners.delete(onHalt);
          resolve(v);
        },
        (e) => {
          this.listeners.delete(onHalt);
          reject(e);
        },
      );
    });
  }
}
