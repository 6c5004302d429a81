// Single-node broker: delivery is a microtask hop, in publish order. Never loses an event, so it
// never asks for a resync.
import type { Logger } from '../obs/log.js';
import { LocalSubscriptions, type Broker, type DeliveryHandler, type Unsubscribe } from './broker.js';

export class MemoryBroker implements Broker {
  readonly kind = 'memory' as const;
  private subs = new LocalSubscriptions();
  private queue: Array<[string, Uint8Array]> = [];
  private scheduled = false;

  constructor(private readonly log: Logger) {}

  publish(subject: string, data: Uint8Array): void {
    this.queue.push([subject, data]);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const [subject, data] of batch) {
      this.subs.deliver(subject, data, (err) => this.log.error({ err, subject }, 'fanout handler failed'));
    }
  }

  subscribe(subject: string, handler: DeliveryHandler): Unsubscribe {
    this.subs.add(subject, handler);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.subs.remove(subject, handler);
    };
  }

  onResync(): Unsubscribe {
    return () => undefined;
  }

  interestCount(): number {
    return this.subs.size;
  }

  healthy(): boolean {
    return true;
  }

  async stop(): Promise<void> {
    this.flush();
  }
}
