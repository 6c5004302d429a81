// The NATS connection of a node. It connects in the background and keeps retrying forever, so a
// node starts (and reports not-ready) while NATS is down; after the first connection nats.js
// reconnects by itself and keeps subscriptions. Every state change is logged, and listeners learn
// about reconnects (events published meanwhile may be lost: see fanout/broker.ts on resync).
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../obs/log.js';
import { safeServerUrl } from '../obs/log.js';

export interface NatsLinkOptions {
  servers: string[];
  name: string;
  log: Logger;
  /** Do not receive our own publishes (fanout delivers locally without the round trip). */
  noEcho?: boolean;
}

type Listener = (event: 'connected' | 'reconnected' | 'disconnected') => void;

export class NatsLink {
  private nc: NatsConnection | null = null;
  private stopped = false;
  private listeners = new Set<Listener>();
  private firstConnect: Promise<void>;
  private resolveFirst!: () => void;
  connected = false;

  constructor(private readonly opts: NatsLinkOptions) {
    this.firstConnect = new Promise((r) => (this.resolveFirst = r));
  }

  /** Starts connecting; resolves at once (use ready() to wait for the first connection). */
  start(): void {
    void this.connectLoop();
  }

  /** Resolves on the first successful connection, or after timeoutMs with false. */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.connected) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const ok = await Promise.race([this.firstConnect.then(() => true), timeout]);
    clearTimeout(timer);
    return ok;
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The live connection, or null while NATS has never been reached. */
  get connection(): NatsConnection | null {
    return this.nc;
  }

  private emit(event: Parameters<Listener>[0]): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.opts.log.error({ err }, 'nats link listener failed');
      }
    }
  }

  private async connectLoop(): Promise<void> {
    const log = this.opts.log;
    const servers = this.opts.servers.map(safeServerUrl).join(',');
    let delay = 250;
    while (!this.stopped) {
      try {
        const nc = await connect({
          servers: this.opts.servers,
          name: this.opts.name,
          noEcho: this.opts.noEcho ?? false,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
          reconnectJitter: 250,
          pingInterval: 10_000,
          maxPingOut: 3,
          timeout: 3000,
          // Each request (every JetStream pull and publish ack) would otherwise capture a stack
          // trace up front, in case it fails: about 1 % of the node's CPU under load.
          noAsyncTraces: true,
        });
        if (this.stopped) {
          await nc.close();
          return;
        }
        this.nc = nc;
        this.connected = true;
        log.info({ servers, server: nc.info?.server_name, version: nc.info?.version }, 'nats connected');
        this.resolveFirst();
        this.emit('connected');
        void this.watch(nc);
        const err = await nc.closed();
        this.connected = false;
        if (this.stopped) return;
        log.error({ err }, 'nats connection closed unexpectedly; reconnecting');
        this.emit('disconnected');
      } catch (err) {
        if (this.stopped) return;
        log.warn({ servers, err: (err as Error).message, retryMs: delay }, 'nats unreachable; retrying');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    const log = this.opts.log;
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.connected = false;
          log.warn({ server: s.server }, 'nats disconnected');
          this.emit('disconnected');
          break;
        case 'reconnect':
          this.connected = true;
          log.info({ server: s.server }, 'nats reconnected');
          this.emit('reconnected');
          break;
        case 'error':
          log.error({ err: s.error }, 'nats error');
          break;
        case 'slowConsumer':
          log.warn({ subject: s.sub.getSubject(), pending: s.pending }, 'nats slow consumer');
          break;
        case 'staleConnection':
          log.warn('nats connection stale');
          break;
        case 'ldm':
          log.warn({ server: s.server }, 'nats server entering lame duck mode');
          break;
        default:
          break;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const nc = this.nc;
    this.nc = null;
    this.connected = false;
    if (nc && !nc.isClosed()) {
      await nc.drain().catch(() => nc.close());
    }
  }
}
