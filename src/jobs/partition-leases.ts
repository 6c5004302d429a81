// Which node drains which partition of an ordered job kind. A partition is drained by one node at
// a time, which may then hold many of its jobs at once (max_ack_pending > 1) and run different
// keys concurrently, in order per key, into the group commit. NATS 2.9 has no exclusive consumer
// (pinned clients came in 2.11), so ownership is a lease in a KV bucket:
//
// - a lease is a key `<kind>.p<n>` whose value is the owner; it is created only if absent and
//   renewed only at the revision the owner last wrote (compare-and-set), every ttl/6 — also
//   while the partition is being given back, until it is;
// - the bucket's max_age is the TTL: a key not renewed for that long disappears, so the
//   partitions of a dead node are free after at most the TTL;
// - an owner trusts its lease for ttl/2 after it sent its last renewal; after that it takes no
//   job and heartbeats none it holds (a frozen process or a lost link never drains next to the
//   new owner), so those come due for redelivery by ttl/2 + the ack wait;
// - each node also renews a membership key `nodes.<owner>`; a node owns at most
//   ceil(partitions / members), so a new node gets its share as the others release theirs.
//
// The TTL is three ack waits (see queue-jetstream.ts), so ttl/2 + the ack wait leaves half an ack
// wait of margin: the jobs a dead owner held are back in the consumer's redelivery queue, which
// JetStream serves before newer jobs, by the time anyone else can own the partition — so the
// order per key survives a crash.
import { randomBytes } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { Logger } from '../obs/log.js';
import { settledWithin } from '../util/wait.js';

/** Deadline of the deletes a give-back makes: they only save the next owner the TTL. */
const STOP_CALL_MS = 1000;

export interface LeaseHooks {
  /** The partition is ours: start draining it. */
  acquired(key: string): void;
  /**
   * Stop draining; resolves once nothing of the partition is held. True: the key may be deleted
   * now, so the next owner starts at once; false: jobs went back unacknowledged, so the key is
   * left to expire (by then they are due for redelivery, ahead of anything newer).
   */
  release(key: string, why: 'rebalance' | 'lost' | 'stop'): Promise<boolean>;
}

interface Held {
  revision: number;
  renewedAt: number;
  /** The give-back in progress. */
  releasing?: Promise<void>;
}

/** How many partitions this node should own, and how many to take or give back now. */
export function leasePlan(partitions: number, members: number, owned: number): { take: number; give: number } {
  const share = Math.ceil(partitions / Math.max(1, members));
  return { take: Math.max(0, share - owned), give: Math.max(0, owned - share) };
}

/** A KV-safe owner id: the node id and a per-process suffix (two processes never share one). */
export function leaseOwner(nodeId: string): string {
  return `${nodeId.replace(/[^\w-]/g, '_').slice(0, 40)}-${randomBytes(4).toString('hex')}`;
}

export class PartitionLeases {
  private held = new Map<string, Held>();
  private keys: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private kv: KV,
    private readonly owner: string,
    private readonly hooks: LeaseHooks,
    private readonly opts: { ttlMs: number; log: Logger },
  ) {}

  /** The bucket through a new connection (the old one was replaced). */
  use(kv: KV): void {
    this.kv = kv;
  }

  /** Starts competing for `keys` (every partition of the ordered kinds this node works on). */
  start(keys: string[]): void {
    if (this.stopped) return;
    this.keys = keys;
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.opts.ttlMs / 6);
      this.timer.unref();
    }
    void this.tick();
  }

  /** True while this node may run and heartbeat jobs of the partition (given back or not). */
  valid(key: string): boolean {
    const h = this.held.get(key);
    return !!h && Date.now() - h.renewedAt < this.opts.ttlMs / 2;
  }

  get owned(): string[] {
    return [...this.held.keys()];
  }

  /** One round: renew, keep membership, then take or give back partitions toward a fair share. */
  tick(): Promise<void> {
    if (this.ticking) {
      // Asked again while a round runs (new keys, say): one more round after it.
      this.again = true;
      return this.ticking;
    }
    this.ticking = this.round().finally(() => {
      this.ticking = null;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.tick();
      }
    });
    return this.ticking;
  }

  private async round(): Promise<void> {
    // Every call has a deadline: a request lost while NATS restarts must not hold the rounds up
    // (nor a stop waiting for the round in progress).
    await Promise.all([...this.held].map(([key, h]) => this.renew(key, h)));
    if (this.stopped) return;
    try {
      await this.bounded(this.kv.put(`nodes.${this.owner}`, ''), 'membership put');
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'job partition leases: membership not renewed');
      return;
    }
    let members: number;
    try {
      members = await this.members();
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'job partition leases: members unknown');
      return;
    }
    const active = [...this.held.values()].filter((h) => !h.releasing).length;
    const { take, give } = leasePlan(this.keys.length, members, active);
    if (give > 0) {
      for (const key of [...this.held.keys()].filter((k) => !this.held.get(k)!.releasing).slice(0, give)) void this.giveBack(key, 'rebalance');
      return;
    }
    let taken = 0;
    for (const key of shuffled(this.keys)) {
      if (taken >= take || this.stopped) break;
      if (this.held.has(key)) continue;
      const sent = Date.now();
      try {
        const revision = await this.bounded(this.kv.create(key, this.owner), 'lease create');
        if (this.stopped) {
          // Won while stopping: give it straight back, without draining anything.
          await this.bounded(this.kv.delete(key, { previousSeq: revision }), 'lease delete', STOP_CALL_MS).catch(() => undefined);
          break;
        }
        this.held.set(key, { revision, renewedAt: sent });
        taken++;
        this.opts.log.debug({ key, owner: this.owner }, 'job partition lease acquired');
        this.hooks.acquired(key);
      } catch {
        // Owned by another node.
      }
    }
  }

  private async renew(key: string, h: Held): Promise<void> {
    // Timed from before the request: the server's clock starts the TTL later than this.
    const sent = Date.now();
    try {
      h.revision = await this.bounded(this.kv.update(key, this.owner, h.revision), 'lease renewal');
      h.renewedAt = sent;
    } catch (err) {
      if (!/wrong last sequence/i.test((err as Error).message)) {
        this.opts.log.warn({ key, err: (err as Error).message }, 'job partition lease not renewed');
        return;
      }
      // An earlier renewal may have landed with its answer lost: still ours if the value is.
      const now = await this.bounded(this.kv.get(key), 'lease read').catch(() => null);
      if (now && now.operation === 'PUT' && now.string() === this.owner) {
        h.revision = now.revision;
        h.renewedAt = sent;
      } else {
        // Written by someone else since (it expired and was taken): ours no more.
        void this.giveBack(key, 'lost');
      }
    }
  }

  /** Live members (their `nodes.*` keys), listing cut short at the deadline. */
  private async members(): Promise<number> {
    const keys = await this.bounded(this.kv.keys('nodes.*'), 'member list');
    let n = 0;
    const listed = (async () => {
      for await (const _ of keys) n++;
      return n;
    })();
    try {
      return await this.bounded(listed, 'member list');
    } finally {
      keys.stop();
    }
  }

  private bounded<T>(p: Promise<T>, what: string, ms = Math.max(1000, this.opts.ttlMs / 6)): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }

  /** Gives a partition back once; a second call waits for the first. */
  private giveBack(key: string, why: 'rebalance' | 'lost' | 'stop'): Promise<void> {
    const h = this.held.get(key);
    if (!h) return Promise.resolve();
    h.releasing ??= this.release(key, h, why);
    return h.releasing;
  }

  private async release(key: string, h: Held, why: 'rebalance' | 'lost' | 'stop'): Promise<void> {
    let clean = false;
    try {
      clean = await this.hooks.release(key, why);
    } catch (err) {
      this.opts.log.error({ err, key }, 'job partition release failed');
    }
    this.held.delete(key);
    // Deleted only if still ours, so the next owner need not wait for the TTL.
    if (why !== 'lost' && clean) await this.bounded(this.kv.delete(key, { previousSeq: h.revision }), 'lease delete', STOP_CALL_MS).catch(() => undefined);
    this.opts.log.debug({ key, why, deleted: why !== 'lost' && clean }, 'job partition lease given back');
  }

  /** Gives every partition back (after draining it; renewals go on meanwhile) and leaves the membership. */
  async stop(): Promise<void> {
    // A round in progress is not waited for: it takes nothing more, and a lease it wins now is
    // given straight back (see round()).
    this.stopped = true;
    await Promise.all([...this.held.keys()].map((k) => this.giveBack(k, 'stop')));
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Briefly, so a membership put of that round does not land after the delete (the other nodes
    // would count this one until the key expires).
    if (this.ticking) await settledWithin(this.ticking, STOP_CALL_MS);
    await this.bounded(this.kv.delete(`nodes.${this.owner}`), 'membership delete', STOP_CALL_MS).catch(() => undefined);
  }
}

function shuffled<T>(list: T[]): T[] {
  const a = list.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
