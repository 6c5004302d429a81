// From the bus to local sockets. A node subscribes to a subject while at least one local socket
// wants it (acquire/release count interest) and hands each event to the uWS topic of the same
// name — uWS does the per-socket fanout natively.
//
// Messages pass a seq gate per (subject, conversation): a duplicate (seq already delivered) is
// dropped; a gap (seq jumps ahead, e.g. an event lost while NATS reconnected, or two nodes writing
// one conversation) holds the newer events, fetches the missing ones from Postgres, and delivers
// all of them in order. So every socket sees each message once and in seq order. After a broker
// resync the relay also compares what it delivered with the database and catches up.
import type { Broker, Unsubscribe } from '../../fanout/broker.js';
import { LOW } from '../../fanout/subjects.js';
import type { Logger } from '../../obs/log.js';
import type { Counter, Histogram } from '../../obs/metrics.js';
import { decodeEvent } from '../envelope.js';

export interface RelayDeps {
  broker: Broker;
  publishLocal: (topic: string, frame: Uint8Array) => void;
  /** Socket frames of messages fromSeq..toSeq of a conversation, in seq order. */
  fetchRange: (conversationId: number, fromSeq: number, toSeq: number) => Promise<Array<{ seq: number; frame: Uint8Array }>>;
  /** Current last seq of each conversation. */
  lastSeqs: (conversationIds: number[]) => Promise<Map<number, number>>;
  log: Logger;
  counters: { delivered: Counter; duplicates: Counter; repaired: Counter };
  /** Seconds from publish to local delivery. */
  latency: Histogram;
}

interface Gate {
  subject: string;
  conversationId: number;
  last: number;
  repairing: boolean;
  held: Array<{ seq: number; frame: Uint8Array }>;
  /** The first seq this node saw: older seqs arriving shortly after (another node's concurrent
   *  write overtaken on the wire) are delivered late rather than dropped. */
  born: { seq: number; at: number; late: Set<number> } | null;
}

const BIRTH_GRACE_MS = 5000;

const MAX_HELD = 10_000;
const MAX_GATES = 500_000;

export class SubjectRelay {
  private subs = new Map<string, { count: number; off: Unsubscribe }>();
  private gates = new Map<string, Gate>();
  private offResync: Unsubscribe;

  constructor(private readonly deps: RelayDeps) {
    this.offResync = deps.broker.onResync(() => void this.resync());
  }

  acquire(subject: string): void {
    const s = this.subs.get(subject);
    if (s) {
      s.count++;
      return;
    }
    const off = this.deps.broker.subscribe(subject, (data) => this.onEvent(subject, data));
    this.subs.set(subject, { count: 1, off });
  }

  release(subject: string): void {
    const s = this.subs.get(subject);
    if (!s) return;
    if (--s.count > 0) return;
    s.off();
    this.subs.delete(subject);
    for (const [key, g] of this.gates) if (g.subject === subject) this.gates.delete(key);
  }

  interest(subject: string): number {
    return this.subs.get(subject)?.count ?? 0;
  }

  get subjects(): number {
    return this.subs.size;
  }

  private onEvent(subject: string, data: Uint8Array): void {
    let decoded;
    try {
      decoded = decodeEvent(data);
    } catch (err) {
      this.deps.log.error({ err, subject }, 'undecodable event');
      return;
    }
    const { header, frame } = decoded;
    if (header.t !== undefined) this.deps.latency.observe(Math.max(0, Date.now() - header.t) / 1000);
    if (header.k !== 'm' || header.c === undefined || header.s === undefined) {
      this.deps.publishLocal(header.lo ? subject + LOW : subject, frame);
      return;
    }
    this.gate(subject, header.c, header.s, frame);
  }

  private gate(subject: string, conversationId: number, seq: number, frame: Uint8Array): void {
    const key = `${subject}#${conversationId}`;
    let g = this.gates.get(key);
    if (!g) {
      if (this.gates.size >= MAX_GATES) this.trim();
      g = { subject, conversationId, last: seq - 1, repairing: false, held: [], born: { seq, at: Date.now(), late: new Set() } };
      this.gates.set(key, g);
    }
    if (seq <= g.last) {
      const born = g.born;
      if (born && seq < born.seq && !born.late.has(seq) && Date.now() - born.at < BIRTH_GRACE_MS) {
        born.late.add(seq);
        this.deps.publishLocal(subject, frame);
        this.deps.counters.delivered.inc();
        return;
      }
      if (born && Date.now() - born.at >= BIRTH_GRACE_MS) g.born = null;
      this.deps.counters.duplicates.inc();
      return;
    }
    if (g.repairing) {
      this.hold(g, seq, frame);
      return;
    }
    if (seq === g.last + 1) {
      this.deliver(g, seq, frame);
      return;
    }
    this.hold(g, seq, frame);
    void this.repair(g, seq - 1);
  }

  private deliver(g: Gate, seq: number, frame: Uint8Array): void {
    g.last = seq;
    this.deps.publishLocal(g.subject, frame);
    this.deps.counters.delivered.inc();
  }

  private hold(g: Gate, seq: number, frame: Uint8Array): void {
    if (g.held.some((h) => h.seq === seq)) return;
    g.held.push({ seq, frame });
    g.held.sort((a, b) => a.seq - b.seq);
    if (g.held.length > MAX_HELD) {
      this.deps.log.error({ subject: g.subject, conversation: g.conversationId }, 'too many events held behind a gap; delivering with the gap');
      for (const h of g.held.splice(0)) this.deliver(g, h.seq, h.frame);
    }
  }

  /** Fetches last+1..upTo from the database, delivers them, then whatever was held. */
  private async repair(g: Gate, upTo: number): Promise<void> {
    g.repairing = true;
    try {
      while (upTo > g.last) {
        const from = g.last + 1;
        let rows: Array<{ seq: number; frame: Uint8Array }> = [];
        try {
          rows = await this.deps.fetchRange(g.conversationId, from, upTo);
        } catch (err) {
          this.deps.log.warn({ err: (err as Error).message, conversation: g.conversationId }, 'gap repair failed; retrying');
          await new Promise((r) => setTimeout(r, 500));
          if (!this.gates.has(`${g.subject}#${g.conversationId}`)) return;
          continue;
        }
        for (const r of rows) if (r.seq > g.last) this.deliver(g, r.seq, r.frame);
        this.deps.counters.repaired.inc(undefined, rows.length);
        // A seq that is not in the database was never committed: skip past it.
        if (g.last < upTo) g.last = upTo;
        // Deliver held events that are now contiguous; stop at the next gap.
        while (g.held.length && g.held[0]!.seq <= g.last + 1) {
          const h = g.held.shift()!;
          if (h.seq > g.last) this.deliver(g, h.seq, h.frame);
        }
        if (g.held.length) upTo = g.held[0]!.seq - 1;
      }
    } finally {
      g.repairing = false;
    }
  }

  /** After the bus reconnected: catch up every gated conversation from the database. */
  async resync(): Promise<void> {
    const byConv = new Map<number, Gate[]>();
    for (const g of this.gates.values()) {
      const list = byConv.get(g.conversationId);
      if (list) list.push(g);
      else byConv.set(g.conversationId, [g]);
    }
    if (byConv.size === 0) return;
    try {
      const ids = [...byConv.keys()];
      for (let i = 0; i < ids.length; i += 1000) {
        const last = await this.deps.lastSeqs(ids.slice(i, i + 1000));
        for (const [id, seq] of last) {
          for (const g of byConv.get(id) ?? []) if (seq > g.last && !g.repairing) void this.repair(g, seq);
        }
      }
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'resync after reconnect failed');
    }
  }

  private trim(): void {
    let n = 0;
    for (const [key, g] of this.gates) {
      if (!g.repairing) this.gates.delete(key);
      if (++n >= MAX_GATES / 10) break;
    }
  }

  stop(): void {
    this.offResync();
    for (const s of this.subs.values()) s.off();
    this.subs.clear();
    this.gates.clear();
  }
}
