// Contract of cross-node fanout.
//
// publish(subject, bytes) hands the bytes to every handler subscribed to that subject on every
// node of the cluster, this node included, at most once each. Order is kept per publishing node
// and subject. Delivery to other nodes is best effort (core NATS): while the link is down events
// can be lost, which is why every chat event that matters carries the conversation `seq` and
// receivers repair gaps from Postgres (the seq gate of chat/delivery/relay.ts). After such an outage the
// broker calls its resync listeners so receivers can catch up even when no later event comes.
//
// Handlers run on the event loop and must not throw or block; bytes are shared, not copied.

export type DeliveryHandler = (data: Uint8Array, subject: string) => void;
export type Unsubscribe = () => void;

export interface Broker {
  readonly kind: 'memory' | 'nats';
  publish(subject: string, data: Uint8Array): void;
  subscribe(subject: string, handler: DeliveryHandler): Unsubscribe;
  /** Called after the link to the other nodes was lost and came back. */
  onResync(listener: () => void): Unsubscribe;
  /** Number of distinct subjects this node currently has interest in. */
  interestCount(): number;
  healthy(): boolean;
  stop(): Promise<void>;
}

/** Local handler table shared by both implementations: subject → handlers, delivered in order. */
export class LocalSubscriptions {
  private table = new Map<string, Set<DeliveryHandler>>();

  /** Returns true when this is the first handler of the subject. */
  add(subject: string, handler: DeliveryHandler): boolean {
    let set = this.table.get(subject);
    const first = !set;
    if (!set) this.table.set(subject, (set = new Set()));
    set.add(handler);
    return first;
  }

  /** Returns true when the subject has no handler left. */
  remove(subject: string, handler: DeliveryHandler): boolean {
    const set = this.table.get(subject);
    if (!set) return false;
    set.delete(handler);
    if (set.size > 0) return false;
    this.table.delete(subject);
    return true;
  }

  deliver(subject: string, data: Uint8Array, onError: (err: unknown) => void): void {
    const set = this.table.get(subject);
    if (!set) return;
    for (const h of set) {
      try {
        h(data, subject);
      } catch (err) {
        onError(err);
      }
    }
  }

  get size(): number {
    return this.table.size;
  }

  subjects(): IterableIterator<string> {
    return this.table.keys();
  }
}
