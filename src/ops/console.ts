// The operator console's actions and reads. Platform administrators see every hotel and the
// cluster; hotel administrators see their own hotel only (its sockets, conversations, dead
// letters and demo guests); anyone else is refused. Acting on a dead letter is written to the
// log as an audit line (who, what, which job).
import { randomUUID } from 'node:crypto';
import type { GuestMessageInput, GuestMessages } from '../chat/commands/guest-message.js';
import type { StaffCommands } from '../chat/commands/staff.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../core/errors.js';
import type { User } from '../core/directory.js';
import { inboundKey } from '../jobs/inbound.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Logger } from '../obs/log.js';
import type { Sql } from '../store/db.js';
import * as store from '../store/ops.js';
import { findUserWithSessions } from '../store/users.js';
import type { ClusterView } from './cluster.js';

export interface OpsConsoleDeps {
  sql: Sql;
  cluster: ClusterView;
  queue: Pick<JobQueue, 'enqueue'>;
  guestMessages: Pick<GuestMessages, 'receive'>;
  staff: Pick<StaffCommands, 'sendText'>;
  webhookMode: 'sync' | 'queued';
  /** The guest simulator exists only outside production. */
  simulator: boolean;
  nodeId: string;
  log: Logger;
}

export interface Scope {
  /** null: every hotel. */
  hotelId: string | null;
  platform: boolean;
}

/** Who may open the console, and which hotels they see. */
export function consoleScope(user: User): Scope {
  if (user.user_type === 'platform_admin') return { hotelId: null, platform: true };
  if (user.user_type === 'hotel_admin' && user.hotel_id) return { hotelId: user.hotel_id, platform: false };
  throw new ForbiddenError('The console is for platform and hotel administrators.');
}

const MAX_HOTELS = 200;

export class OpsConsole {
  constructor(private readonly deps: OpsConsoleDeps) {}

  /** The cluster, its traffic and background work (platform administrators only). */
  overview(user: User) {
    const scope = consoleScope(user);
    const base = {
      node: this.deps.nodeId,
      scope: scope.platform ? ('platform' as const) : ('hotel' as const),
      hotel_id: scope.hotelId,
      user: { id: user.id, username: user.username, user_type: user.user_type },
      simulator: this.deps.simulator,
    };
    if (!scope.platform) return { ...base, nodes: null, traffic: null, jobs: null };
    const nodes = this.deps.cluster.nodes().map(({ webhook: _w, socket: _s, hotels: _h, jobs: _j, ...n }) => n);
    return { ...base, nodes, traffic: this.deps.cluster.traffic(), jobs: this.deps.cluster.jobs() };
  }

  async hotels(user: User) {
    const scope = consoleScope(user);
    const sockets = this.deps.cluster.hotels(scope.hotelId);
    const counts = await store.activeConversationCounts(this.deps.sql, scope.hotelId, MAX_HOTELS);
    const rows = new Map<string, { hotel_id: string; name: string; staff_sockets: number; guest_sockets: number; departments: Record<string, { sockets: number; active_conversations: number }>; active_conversations: number }>();
    const row = (id: string, name = '') => {
      let r = rows.get(id);
      if (!r) rows.set(id, (r = { hotel_id: id, name, staff_sockets: 0, guest_sockets: 0, departments: {}, active_conversations: 0 }));
      return r;
    };
    for (const c of counts) {
      const r = row(c.hotel_id, c.hotel_name);
      r.active_conversations += c.active;
      (r.departments[c.department] ??= { sockets: 0, active_conversations: 0 }).active_conversations += c.active;
    }
    for (const s of sockets.slice(0, MAX_HOTELS)) {
      const r = row(s.hotel_id);
      r.staff_sockets += s.staff;
      r.guest_sockets += s.guests;
      for (const [d, n] of Object.entries(s.departments)) (r.departments[d] ??= { sockets: 0, active_conversations: 0 }).sockets += n;
    }
    const unnamed = [...rows.values()].filter((r) => !r.name).map((r) => r.hotel_id);
    const names = await store.hotelNames(this.deps.sql, unnamed);
    for (const id of unnamed) row(id).name = names.get(id) ?? id;
    return { hotels: [...rows.values()].sort((a, b) => b.staff_sockets + b.guest_sockets - (a.staff_sockets + a.guest_sockets) || a.name.localeCompare(b.name)) };
  }

  async conversation(user: User, id: number, limit: number) {
    const scope = consoleScope(user);
    const found = await store.conversationEvents(this.deps.sql, id, scope.hotelId, limit);
    if (!found) throw new NotFoundError('Conversation not found');
    return { conversation: found.head, events: found.events };
  }

  async deadLetters(user: User, limit: number) {
    const scope = consoleScope(user);
    const { rows, total } = await store.openDeadLetters(this.deps.sql, scope.hotelId, limit);
    return { total, dead_letters: rows };
  }

  /** Enqueues the job again and marks the dead letter retried, in one transaction: a failed enqueue leaves it open. */
  async retry(user: User, id: number) {
    const scope = consoleScope(user);
    const { row, jobId } = await this.deps.sql.begin(async (tx) => {
      const row = await store.resolveDeadLetter(tx, id, scope.hotelId, 'retried', user.id);
      if (!row) throw new NotFoundError('Dead letter not found or already resolved');
      const key = row.kind === 'inbound.webhook' ? inboundKey(row.payload as GuestMessageInput) : undefined;
      const { id: jobId } = await this.deps.queue.enqueue(row.kind, row.payload, { id: `dead-letter-${row.id}`, ...(key ? { key } : {}) });
      return { row, jobId };
    });
    this.audit(user, 'retried', row, { new_job: jobId });
    return { id: row.id, kind: row.kind, resolution: 'retried' as const, job_id: jobId };
  }

  async discard(user: User, id: number) {
    const scope = consoleScope(user);
    const row = await store.resolveDeadLetter(this.deps.sql, id, scope.hotelId, 'discarded', user.id);
    if (!row) throw new NotFoundError('Dead letter not found or already resolved');
    this.audit(user, 'discarded', row, {});
    return { id: row.id, kind: row.kind, resolution: 'discarded' as const };
  }

  private audit(user: User, action: string, row: store.DeadLetterRow, extra: Record<string, unknown>): void {
    this.deps.log.info(
      { audit: `dead_letter.${action}`, user: user.id, username: user.username, dead_letter: row.id, kind: row.kind, job: row.job_id, reason: row.reason, ...extra },
      `dead letter ${action} from the console`,
    );
  }

  private simulatorOnly(): void {
    if (!this.deps.simulator) throw new NotFoundError('The guest simulator is available only outside production');
  }

  async simulatorGuests(user: User) {
    const scope = consoleScope(user);
    this.simulatorOnly();
    return { guests: await store.checkedInGuests(this.deps.sql, scope.hotelId, 100) };
  }

  private async guest(user: User, guestId: number): Promise<store.DemoGuestRow> {
    const scope = consoleScope(user);
    this.simulatorOnly();
    const [g] = await store.checkedInGuests(this.deps.sql, scope.hotelId, 1, guestId);
    if (!g) throw new NotFoundError('Checked-in guest not found');
    return g;
  }

  /** A guest message through the real inbound path: the webhook's job (queued mode) or command (sync). */
  async simulatorSend(user: User, guestId: number, message: string, department: string) {
    const g = await this.guest(user, guestId);
    if (!g.channel) throw ValidationError.of({ guest_id: 'the guest’s hotel has no active relay channel' });
    const input: GuestMessageInput = {
      hotel_id: g.hotel_id,
      channel: g.channel,
      whatsapp_number: g.whatsapp_number,
      message,
      department,
      provider_message_id: `sim-${randomUUID()}`,
    };
    if (this.deps.webhookMode === 'queued') {
      const { id } = await this.deps.queue.enqueue('inbound.webhook', input, { key: inboundKey(input), id: input.provider_message_id! });
      return { mode: 'queued' as const, job_id: id, provider_message_id: input.provider_message_id! };
    }
    const r = await this.deps.guestMessages.receive(input);
    return { mode: 'sync' as const, conversation_id: r.conversation_id, seq: r.seq, provider_message_id: input.provider_message_id! };
  }

  /** The guest's active conversations with their recent messages (what both sides see). */
  async simulatorThread(user: User, guestId: number) {
    const g = await this.guest(user, guestId);
    const convs = await store.activeConversationsOf(this.deps.sql, g.guest_id, g.hotel_id);
    const threads = [];
    for (const c of convs.slice(0, 3)) {
      const found = await store.conversationEvents(this.deps.sql, c.id, g.hotel_id, 30);
      if (found) threads.push({ conversation: found.head, events: found.events });
    }
    return { guest: g, conversations: threads };
  }

  /**
   * A staff reply through the real staff command. A hotel administrator answers as themself; a
   * platform administrator (who is not hotel staff) answers as the hotel's administrator.
   */
  async simulatorReply(user: User, conversationId: number, message: string) {
    const scope = consoleScope(user);
    this.simulatorOnly();
    const found = await store.conversationEvents(this.deps.sql, conversationId, scope.hotelId, 1);
    if (!found) throw new NotFoundError('Conversation not found');
    let actor = user;
    if (scope.platform) {
      const adminId = await store.hotelAdminOf(this.deps.sql, found.head.hotel_id);
      const admin = adminId === null ? undefined : await findUserWithSessions(this.deps.sql, adminId);
      if (!admin) throw ValidationError.of({ conversation_id: 'the hotel has no active administrator to answer as' });
      const { token_version: _v, ended_sessions: _e, ...plain } = admin;
      actor = plain;
    }
    const sent = await this.deps.staff.sendText(actor, conversationId, message);
    return { conversation_id: conversationId, as: actor.username, message: sent };
  }
}
