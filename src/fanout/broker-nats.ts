// Cluster broker over core NATS. The connection is opened with noEcho: an event reaches this
// node's handlers directly (no round trip), and other nodes through NATS. A node subscribes to a
// NATS subject only while it has at least one local handler for it (interest-based).
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from '../obs/log.js';
import type { Counter } from '../obs/metrics.js';
import type { NatsLink } from '../nats/link.js';
import { LocalSubscriptions, type Broker, type DeliveryHandler, type Unsubscribe } from './broker.js';
import { clusterSubject } from './subjects.js';

export interface NatsBrokerDeps {
  link: NatsLink;
  prefix: string;
  log: Logger;
  dropped: Counter;
}

export class NatsBroker implements Broker {
  readonly kind = 'nats' as const;
  private subs = new LocalSubscriptions();
  private remote = new Map<string, Subscription>();
  private resync = new Set<() => void>();
  private local: Array<[string, Uint8Array]> = [];
  private scheduled = false;
  private offLink: () => void;

  constructor(private readonly deps: NatsBrokerDeps) {
    this.offLink = deps.link.on((event) => {
      if (event === 'connected') {
        // A brand-new connection: subscriptions of the old one died with it.
        this.remote.clear();
        this.subscribeAll();
      }
      if (event === 'reconnected' || event === 'connected') {
        for (const l of this.resync) l();
      }
    });
    if (deps.link.connection) this.subscribeAll();
  }

  private wire(subject: string): string {
    return clusterSubject(this.deps.prefix, subject);
  }

  private subscribeAll(): void {
    for (const subject of this.subs.subjects()) this.subscribeRemote(subject);
  }

  private subscribeRemote(subject: string): void {
    const nc = this.deps.link.connection;
    if (!nc || this.remote.has(subject)) return;
    const sub = nc.subscribe(this.wire(subject), {
      callback: (err, msg) => {
        if (err) {
          this.deps.log.error({ err, subject }, 'nats subscription error');
          return;
        }
        this.subs.deliver(subject, msg.data, (e) => this.deps.log.error({ err: e, subject }, 'fanout handler failed'));
      },
    });
    this.remote.set(subject, sub);
  }

  publish(subject: string, data: Uint8Array): void {
    this.local.push([subject, data]);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flushLocal());
    }
    const nc = this.deps.link.connection;
    if (!nc || nc.isClosed()) {
      this.deps.dropped.inc({ reason: 'not_connected' });
      return;
    }
    try {
      nc.publish(this.wire(subject), data);
    } catch (err) {
      this.deps.dropped.inc({ reason: 'publish_failed' });
      this.deps.log.warn({ err: (err as Error).message, subject }, 'fanout publish failed');
    }
  }

  private flushLocal(): void {
    this.scheduled = false;
    const batch = this.local;
    this.local = [];
    for (const [subject, data] of batch) {
      this.subs.deliver(subject, data, (err) => this.deps.log.error({ err, subject }, 'fanout handler failed'));
    }
  }

  subscribe(subject: string, handler: DeliveryHandler): Unsubscribe {
    if (this.subs.add(subject, handler)) this.subscribeRemote(subject);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (this.subs.remove(subject, handler)) {
        this.remote.get(subject)?.unsubscribe();
        this.remote.delete(subject);
      }
    };
  }

  onResync(listener: () => void): Unsubscribe {
    this.resync.add(listener);
    return () => this.resync.delete(listener);
  }

  interestCount(): number {
    return this.subs.size;
  }

  healthy(): boolean {
    return this.deps.link.connected;
  }

  async stop(): Promise<void> {
    this.offLink();
    this.flushLocal();
    for (const sub of this.remote.values()) sub.unsubscribe();
    this.remote.clear();
  }
}
