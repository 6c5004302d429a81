// One shared copy of values that many long-lived objects hold and that repeat across them (a
// hotel's id, a department list): every database row brings its own copy, and a staff socket
// keeps its user for as long as it is open. Bounded: past the cap a value is returned as it is.
export class Interner<T> {
  private readonly table = new Map<string, T>();

  constructor(private readonly max = 10_000) {}

  /** The shared copy of `value`, known by `key` (for strings, the string itself). */
  of(key: string, value: T): T {
    const known = this.table.get(key);
    if (known !== undefined) return known;
    if (this.table.size < this.max) this.table.set(key, value);
    return value;
  }

  get size(): number {
    return this.table.size;
  }
}
