// Asynchronous JetStream publishes, batched across concurrent callers.
//
// js.publish() is one request per message: its own reply subscription entry, timer and error
// object, and (because nats.js flushes its write buffer once per microtask checkpoint) usually its
// own socket write. Here every publish asked for in one event-loop turn goes out together: core
// publishes with a reply subject under one long-lived inbox, one socket write, one deadline timer
// per batch. Each caller still resolves only on the PubAck of ITS message (stored durably, or
// reported a duplicate by the stream's de-duplication window) and rejects only for its own
// message, so a refused or timed-out publish fails its callers alone.
//
// Bounded: at most `maxInFlight` messages wait for their ack; later ones wait in a queue of at
// most `maxQueued`, and beyond that a publish is refused at once (503) instead of growing memory.
import { createInbox, headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { OverloadedError, UnavailableError } from '../core/errors.js';

export interface PublishAck {
  seq: number;
  duplicate: boolean;
}

export interface BatchPublisherOptions {
  /** Messages published and not yet acknowledged. */
  maxInFlight: number;
  /** Messages waiting for a slot; beyond this a publish is refused. */
  maxQueued: number;
  /** Deadline of one batch's acks, from the moment it is written. */
  timeoutMs: number;
}

interface Item {
  subject: string;
  data: Uint8Array;
  msgId: string;
  resolve: (ack: PublishAck) => void;
  reject: (err: Error) => void;
  /** Set once published: its key in `inFlight`, and the batch it went out with. */
  token?: string;
  batch?: Batch;
}

/** The deadline of one written batch; cleared when its last ack arrives (so nothing is held). */
interface Batch {
  left: number;
  timer: NodeJS.Timeout | null;
}

const dec = new TextDecoder();

/** Maps a PubAck error or transport failure onto the errors callers answer with (both 503). */
export function publishError(msg: string, cause?: unknown): Error {
  if (/maximum messages|maximum bytes|resource limits|insufficient resources/i.test(msg)) return new OverloadedError('job queue is full', { cause });
  return new UnavailableError(`job queue unavailable: ${msg}`, { cause });
}

export class BatchPublisher {
  private queue: Item[] = [];
  private inFlight = new Map<string, Item>();
  private scheduled = false;
  private nc: NatsConnection | null = null;
  private sub: Subscription | null = null;
  private prefix = '';
  private next = 0;

  constructor(
    private readonly connection: () => NatsConnection | null,
    private readonly opts: BatchPublisherOptions,
  ) {}

  /** Messages published and waiting for their ack. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Messages waiting for a publish slot. */
  get queued(): number {
    return this.queue.length;
  }

  publish(subject: string, data: Uint8Array, msgId: string): Promise<PublishAck> {
    if (this.queue.length >= this.opts.maxQueued) return Promise.reject(new OverloadedError('job queue publisher is saturated; retry shortly'));
    return new Promise<PublishAck>((resolve, reject) => {
      this.queue.push({ subject, data, msgId, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight.size >= this.opts.maxInFlight) return;
    this.scheduled = true;
    // One macrotask hop gathers every publish of this event-loop turn into one write.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** The reply inbox of the current connection (a new connection gets a new subscription). */
  private inbox(nc: NatsConnection): string {
    if (this.nc !== nc || !this.sub || this.sub.isClosed()) {
      try {
        this.sub?.unsubscribe();
      } catch {
        // the old connection is closed: its subscription went with it
      }
      this.nc = nc;
      this.prefix = createInbox();
      this.sub = nc.subscribe(`${this.prefix}.*`, {
        callback: (err, m) => {
          if (err) return; // the subscription closed: pending items meet their deadline
          this.settle(m.subject.slice(this.prefix.length + 1), m.data, m.headers?.code ?? 0, m.headers?.description ?? '');
        },
      });
    }
    return this.prefix;
  }

  private flush(): void {
    const room = this.opts.maxInFlight - this.inFlight.size;
    if (room <= 0 || this.queue.length === 0) return;
    const batch = this.queue.splice(0, room);
    const nc = this.connection();
    if (!nc || nc.isClosed()) {
      for (const it of batch) it.reject(new UnavailableError('job queue unavailable: NATS not connected'));
      return;
    }
    let prefix: string;
    try {
      prefix = this.inbox(nc);
    } catch (err) {
      for (const it of batch) it.reject(publishError((err as Error).message, err));
      return;
    }
    const sent: Item[] = [];
    const b: Batch = { left: 0, timer: null };
    for (const it of batch) {
      const token = (this.next++).toString(36);
      const h = headers();
      h.set('Nats-Msg-Id', it.msgId);
      try {
        nc.publish(it.subject, it.data, { reply: `${prefix}.${token}`, headers: h });
      } catch (err) {
        it.reject(publishError((err as Error).message, err));
        continue;
      }
      it.token = token;
      it.batch = b;
      this.inFlight.set(token, it);
      sent.push(it);
    }
    if (sent.length === 0) return;
    b.left = sent.length;
    b.timer = setTimeout(() => {
      for (const it of sent) {
        if (this.inFlight.get(it.token!) !== it) continue;
        this.inFlight.delete(it.token!);
        it.reject(new UnavailableError('job queue unavailable: no acknowledgement from JetStream in time'));
      }
      this.schedule();
    }, this.opts.timeoutMs);
    b.timer.unref();
  }

  private settle(token: string, data: Uint8Array, statusCode: number, statusText: string): void {
    const it = this.inFlight.get(token);
    if (!it) return; // late ack of a message already timed out (its caller answered 503)
    this.inFlight.delete(token);
    const b = it.batch!;
    if (--b.left === 0 && b.timer) clearTimeout(b.timer);
    if (data.length === 0) {
      // A status message: 503 is "no responders" (no stream for the subject).
      it.reject(publishError(statusCode === 503 ? 'no stream answers for the subject' : `status ${statusCode} ${statusText}`));
    } else {
      try {
        const ack = JSON.parse(dec.decode(data)) as { seq?: number; duplicate?: boolean; stream?: string; error?: { description?: string; code?: number } };
        if (ack.error) it.reject(publishError(ack.error.description ?? `error ${ack.error.code ?? ''}`));
        else if (!ack.stream) it.reject(publishError('invalid acknowledgement'));
        else it.resolve({ seq: ack.seq ?? 0, duplicate: ack.duplicate === true });
      } catch (err) {
        it.reject(publishError('undecodable acknowledgement', err));
      }
    }
    this.schedule();
  }

  /** Rejects everything still waiting (the queue is stopping). */
  close(): void {
    for (const it of this.queue.splice(0)) it.reject(new UnavailableError('job queue is stopping'));
    try {
      this.sub?.unsubscribe();
    } catch {
      // already closed with its connection
    }
    this.sub = null;
  }
}
