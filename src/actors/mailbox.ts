// A bounded FIFO. push() refuses when full instead of growing: overflow is the sender's problem,
// reported as an error, never silent loss or unbounded memory.
export class Mailbox<M> {
  private items: (M | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(Math.min(capacity, 16));
  }

  get size(): number {
    return this.count;
  }

  push(item: M): boolean {
    if (this.count >= this.capacity) return false;
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
    return true;
  }

  private grow(): void {
    const next = new Array<M | undefined>(Math.min(this.capacity, this.items.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }

  /** Removes and returns up to `max` items in arrival order. */
  take(max: number): M[] {
    const n = Math.min(max, this.count);
    const out = new Array<M>(n);
    for (let i = 0; i < n; i++) {
      const idx = (this.head + i) % this.items.length;
      out[i] = this.items[idx] as M;
      this.items[idx] = undefined;
    }
    this.head = (this.head + n) % this.items.length;
    this.count -= n;
    return out;
  }
}
