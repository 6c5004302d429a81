// DepartmentActor(hotel, department): the department topic of this node.
//
// Socket open/close call attach()/detach() synchronously: the first local socket makes the node
// subscribe to the department subject (interest-based fanout), the last one releases it. Per
// staff member it counts local sockets; the first and the last one are presence changes, which
// the actor's mailbox turns — one at a time — into cluster presence rows and user_status events
// (sent only when no other node has the user in this department).
import { Actor, type ActorStats } from '../actors/actor.js';
import type { Department } from '../core/departments.js';
import { LOW, subjects } from '../fanout/subjects.js';
import type { Logger } from '../obs/log.js';
import type { presenceChanges } from '../store/presence.js';
import type { SubjectRelay } from './delivery/relay.js';
import type { ChatEvents } from './events.js';

type PresenceCmd = { t: 'up' | 'down'; userId: number; name: string };

/** One change of this node's presence rows (store/presence.ts presenceChanges, bound to the pool). */
export type PresenceWrite = (change: Parameters<typeof presenceChanges>[1]) => ReturnType<typeof presenceChanges>;

export interface DepartmentDeps {
  presence: PresenceWrite;
  relay: Pick<SubjectRelay, 'acquire' | 'release'>;
  events: Pick<ChatEvents, 'userStatus'>;
  nodeId: string;
  log: Logger;
}

export class DepartmentActor extends Actor<PresenceCmd> {
  readonly subject: string;
  /** The low-priority topic (typing, presence) of the department. */
  readonly lowSubject: string;
  private users = new Map<number, number>();
  /** Users whose presence row this node has written (what the cluster believes). */
  private persisted = new Set<number>();
  private sockets = 0;

  constructor(readonly hotelId: string, readonly department: Department, private readonly deps: DepartmentDeps, capacity: number, stats: ActorStats) {
    super('department', `${hotelId}:${department}`, capacity, stats);
    this.subject = subjects.department(hotelId, department);
    this.lowSubject = this.subject + LOW;
  }

  /** Kept alive while it has sockets (see actors/registry.ts). */
  get pinned(): boolean {
    return this.sockets > 0;
  }

  get socketCount(): number {
    return this.sockets;
  }

  isPresent(userId: number): boolean {
    return this.users.has(userId);
  }

  attach(userId: number, name: string): void {
    if (this.sockets++ === 0) this.deps.relay.acquire(this.subject);
    const n = this.users.get(userId) ?? 0;
    this.users.set(userId, n + 1);
    if (n === 0) this.send({ t: 'up', userId, name });
  }

  detach(userId: number, name: string): void {
    const n = this.users.get(userId) ?? 0;
    if (n === 0) return;
    if (n === 1) {
      this.users.delete(userId);
      this.send({ t: 'down', userId, name });
    } else {
      this.users.set(userId, n - 1);
    }
    if (--this.sockets === 0) this.deps.relay.release(this.subject);
  }

  protected async receive(batch: PresenceCmd[]): Promise<void> {
    // Only where the local truth differs from what was persisted: a connect and a disconnect
    // that cancel out before we get here need no database work and no event. A whole batch of
    // changes (a connection storm) is one statement.
    const names = new Map(batch.map((c) => [c.userId, c.name]));
    const up: number[] = [];
    const down: number[] = [];
    for (const userId of names.keys()) {
      const present = this.users.has(userId);
      if (present && !this.persisted.has(userId)) up.push(userId);
      if (!present && this.persisted.has(userId)) down.push(userId);
    }
    if (up.length === 0 && down.length === 0) return;
    for (const id of up) this.persisted.add(id);
    for (const id of down) this.persisted.delete(id);
    try {
      const changes = await this.deps.presence({ nodeId: this.deps.nodeId, hotelId: this.hotelId, department: this.department, up, down });
      for (const c of changes) {
        if (c.elsewhere) continue;
        this.deps.events.userStatus(this.hotelId, this.department, c.dir === 'up' ? 'user_connected' : 'user_disconnected', { id: c.user_id, name: names.get(c.user_id) ?? '' });
      }
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, department: this.department }, 'presence update failed');
    }
  }
}
