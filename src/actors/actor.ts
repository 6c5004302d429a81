// An actor is a bounded mailbox plus state, processing its messages one batch at a time: while a
// batch is being handled, new messages wait, so everything an actor owns is serialized without
// locks. Handing the whole waiting backlog to receive() lets an actor commit it in one go
// (group commit). The drain runs in a loop, not a timer hop per message.
import { OverloadedError } from '../core/errors.js';
import { Mailbox } from './mailbox.js';

export class MailboxFullError extends OverloadedError {
  constructor(actor: string) {
    super(`${actor} is overloaded; retry shortly`);
  }
}

export class ActorStoppedError extends Error {
  override readonly name = 'ActorStoppedError';
  readonly code = 'actor_stopped';
  constructor(actor: string) {
    super(`${actor} has stopped`);
  }
}

export interface ActorStats {
  onProcessed(type: string, batchSize: number, seconds: number): void;
  onRejected(type: string): void;
  onError(type: string, key: string, err: unknown): void;
}

export type SendResult = 'ok' | 'full' | 'stopped';

export abstract class Actor<M> {
  private readonly box: Mailbox<M>;
  private draining = false;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  lastActiveAt = Date.now();

  protected constructor(
    readonly type: string,
    readonly key: string,
    capacity: number,
    private readonly stats: ActorStats,
    private readonly maxBatch = 256,
  ) {
    this.box = new Mailbox<M>(capacity);
  }

  /** Handles a batch of messages in arrival order. Must not throw for one bad message. */
  protected abstract receive(batch: M[]): Promise<void>;

  /** Called once when the actor is passivated or the node stops, after the mailbox drained. */
  protected async onStop(): Promise<void> {}

  get depth(): number {
    return this.box.size;
  }

  get isIdle(): boolean {
    return !this.draining && this.box.size === 0;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  send(msg: M): SendResult {
    if (this.stopped) return 'stopped';
    if (!this.box.push(msg)) {
      this.stats.onRejected(this.type);
      return 'full';
    }
    this.lastActiveAt = Date.now();
    if (!this.draining) void this.drain();
    return 'ok';
  }

  /** Like send(), but throws MailboxFullError / ActorStoppedError. */
  tell(msg: M): void {
    const r = this.send(msg);
    if (r === 'full') throw new MailboxFullError(`${this.type} ${this.key}`);
    if (r === 'stopped') throw new ActorStoppedError(`${this.type} ${this.key}`);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.box.size > 0) {
        const batch = this.box.take(this.maxBatch);
        const t0 = performance.now();
        try {
          await this.receive(batch);
        } catch (err) {
          this.stats.onError(this.type, this.key, err);
        }
        this.stats.onProcessed(this.type, batch.length, (performance.now() - t0) / 1000);
      }
    } finally {
      this.draining = false;
      this.lastActiveAt = Date.now();
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Refuses new messages, finishes the backlog, then runs onStop(). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.isIdle) await new Promise<void>((r) => this.idleWaiters.push(r));
    await this.onStop();
  }
}
