// Cluster broker over core NATS. The connection is opened with noEcho: an event reaches this
// node's handlers directly (no round trip), and other nodes through NATS. A node subscribes to a
// NATS subject only while it has at least one local handler for it (interest-based).
//
// Local sockets first: handlers run in a microtask, and uWS sends what they published from its
// check callback, which libuv runs before Node's immediates. The NATS side of the same events is
// handed to the client from an immediate, so its write (a syscall that also wakes nats-server)
// comes after those socket sends instead of before them, and one loop turn's events share it.
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
  /** Events of this loop turn for other nodes (bounded by what one turn publishes). */
  private outgoing: Array<[string, Uint8Array]> = [];
  private outgoingScheduled = false;
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
    this.outgoing.push([subject, data]);
    if (!this.outgoingScheduled) {
      this.outgoingScheduled = true;
      setImmediate(() => this.flushOutgoing());
    }
  }

  private flushOutgoing(): void {
    this.outgoingScheduled = false;
    const batch = this.outgoing;
    if (batch.length === 0) return;
    this.outgoing = [];
    const nc = this.deps.link.connection;
    if (!nc || nc.isClosed()) {
      this.deps.dropped.inc({ reason: 'not_connected' }, batch.length);
      return;
    }
    for (const [subject, data] of batch) {
      try {
        nc.publish(this.wire(subject), data);
      } catch (err) {
        this.deps.dropped.inc({ reason: 'publish_failed' });
        this.deps.log.warn({ err: (err as Error).message, subject }, 'fanout publish failed');
      }
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
    this.flushOutgoing();
    for (const sub of this.remote.values()) sub.unsubscribe();
    this.remote.clear();
  }
}
