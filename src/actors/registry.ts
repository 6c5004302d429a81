// Finds actors by key, spawning on first use and passivating those idle longer than idleMs.
// An actor is removed from the table before it is stopped, so a message arriving meanwhile
// spawns a fresh one instead of hitting a stopped actor. An actor that finds it has nothing to
// own (its row does not exist) retires itself the same way at once: absence is never kept alive.
import { UnavailableError } from '../core/errors.js';
import type { Actor } from './actor.js';

export class Registry<A extends Actor<unknown>> {
  private actors = new Map<string, A>();
  private timer: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(
    readonly type: string,
    /** Builds the actor for `key`; `retire` removes and stops that very actor. */
    private readonly spawn: (key: string, retire: () => void) => A,
    private readonly idleMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), Math.max(250, Math.floor(this.idleMs / 2)));
    this.timer.unref();
  }

  get size(): number {
    return this.actors.size;
  }

  /** Total messages waiting in all mailboxes of this registry. */
  depth(): number {
    let n = 0;
    for (const a of this.actors.values()) n += a.depth;
    return n;
  }

  get(key: string): A {
    const a = this.actors.get(key);
    if (a && !a.isStopped) return a;
    if (this.closing) throw new UnavailableError(`this node is shutting down (${this.type}s stopped); retry on another node`);
    const spawned: A = this.spawn(key, () => this.retire(key, spawned));
    this.actors.set(key, spawned);
    return spawned;
  }

  /** Removes this actor (not a successor under the same key) and stops it after its backlog. */
  private retire(key: string, actor: A): void {
    if (this.actors.get(key) === actor) this.actors.delete(key);
    void actor.stop();
  }

  peek(key: string): A | undefined {
    return this.actors.get(key);
  }

  values(): IterableIterator<A> {
    return this.actors.values();
  }

  /** Passivates actors idle for longer than idleMs; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    const victims: A[] = [];
    for (const [key, a] of this.actors) {
      if (a.isIdle && now - a.lastActiveAt >= this.idleMs && this.canPassivate(a)) {
        this.actors.delete(key);
        victims.push(a);
      }
    }
    await Promise.all(victims.map((a) => a.stop()));
    return victims.length;
  }

  /** Override point: actors holding live interest (sockets) are kept. */
  protected canPassivate(actor: A): boolean {
    return (actor as unknown as { pinned?: boolean }).pinned !== true;
  }

  async stop(): Promise<void> {
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    const all = [...this.actors.values()];
    this.actors.clear();
    await Promise.all(all.map((a) => a.stop()));
  }
}
