// Fakes of what the chat core's actors and writer depend on (no I/O): a conversation store, a
// writer that numbers seqs, and an event sink that records what was sent.
import type { ActorStats } from '../../src/actors/actor.js';
import { ConversationActor, type ConversationDeps } from '../../src/chat/conversation-actor.js';
import type { ConversationStore } from '../../src/chat/conversation-store.js';
import type { User } from '../../src/core/directory.js';
import { createLogger } from '../../src/obs/log.js';
import type { ConversationState } from '../../src/core/chat.js';
import type { InsertedMessage, NewMessage } from '../../src/store/messages.js';

export const HOTEL = '00000000-0000-4000-8000-000000000001';
export const OTHER_HOTEL = '00000000-0000-4000-8000-000000000002';
export const silentLog = createLogger({ level: 'silent', nodeId: 'fake' });
export const noStats: ActorStats = { onProcessed: () => undefined, onRejected: () => undefined, onError: () => undefined };

export function staff(id: number, over: Partial<User> = {}): User {
  return {
    id,
    username: `staff${id}`,
    email: `staff${id}@example.test`,
    first_name: 'Sam',
    last_name: `Staff${id}`,
    phone_number: '',
    user_type: 'receptionist',
    hotel_id: HOTEL,
    hotel_name: 'Fake Hotel',
    hotel_is_active: true,
    departments: ['Reception'],
    is_active: true,
    created_at: new Date(0),
    updated_at: new Date(0),
    last_login_at: null,
    ...over,
  };
}

export function conversation(over: Partial<ConversationState> = {}): ConversationState {
  return {
    id: 7,
    hotel_id: HOTEL,
    hotel_name: 'Fake Hotel',
    guest_id: 3,
    department: 'Reception',
    conversation_type: 'service',
    status: 'active',
    last_seq: 0,
    last_message_at: null,
    created_at: new Date(0),
    guest: { id: 3, full_name: 'Gina Guest', whatsapp_number: '+15550000003', email: '', room_number: '101', floor: 1 },
    ...over,
  };
}

/** The conversation row in memory; every write is recorded in `writes`. */
export class FakeStore implements ConversationStore {
  writes: string[] = [];
  /** Makes the next status change fail with this error (e.g. a unique violation). */
  failStatus: unknown = null;
  delivery = new Map<number, string | null>();
  constructor(public row: ConversationState) {}
  async load(id: number) {
    return id === this.row.id ? structuredClone(this.row) : undefined;
  }
  async setStatus(id: number, from: ConversationState['status'], to: ConversationState['status']) {
    if (this.failStatus) throw this.failStatus;
    if (this.row.status !== from) return false;
    this.row.status = to;
    this.writes.push(`status ${id} ${from}->${to}`);
    return true;
  }
  async markRead(conversationId: number, staffId: number) {
    this.writes.push(`read ${conversationId} by ${staffId}`);
    return { upToSeq: this.row.last_seq, marked: 0 };
  }
  async setDeliveryStatus(conversationId: number, messageId: number, status: string) {
    const from = this.delivery.get(messageId);
    if (from === undefined || from === 'failed' || from === status) return false;
    this.delivery.set(messageId, status);
    this.writes.push(`delivery ${messageId} ${status}`);
    return true;
  }
  async setMessageMedia(conversationId: number, messageId: number, media: { key: string; contentType: string; filename: string; type: string }) {
    this.writes.push(`media ${messageId} ${media.key}`);
    const now = new Date(0);
    return {
      id: messageId, conversation_id: conversationId, seq: 1, sender_type: 'guest' as const, sender_id: null, message_type: media.type as 'image',
      content: 'photo', media_key: media.key, media_url: null, media_filename: media.filename, media_content_type: media.contentType,
      provider_message_id: null, delivery_status: null, read_at: null, created_at: now, updated_at: now, staff_name: null,
    };
  }
}

/** Numbers seqs per conversation like the database statement; `fail` makes the next call reject. */
export class FakeWriter {
  rows: NewMessage[] = [];
  fail: unknown = null;
  private seqs = new Map<number, number>();
  async append(rows: NewMessage[]): Promise<(InsertedMessage | null)[]> {
    if (this.fail) throw this.fail;
    return rows.map((r, i) => {
      const seq = (this.seqs.get(r.conversation_id) ?? 0) + 1;
      this.seqs.set(r.conversation_id, seq);
      this.rows.push(r);
      return { ord: i + 1, id: 1000 + this.rows.length, conversation_id: r.conversation_id, seq, created_at: new Date(0), updated_at: new Date(0) };
    });
  }
}

export type Sent = { event: string; args: unknown[] };

/** Records every event by name. */
export function fakeEvents(sent: Sent[]): ConversationDeps['events'] {
  const record = (event: string) => (...args: unknown[]) => void sent.push({ event, args });
  return {
    message: record('message'),
    newConversation: record('newConversation'),
    conversationUpdate: record('conversationUpdate'),
    typing: record('typing'),
    readReceipt: record('readReceipt'),
    messageStatus: record('messageStatus'),
    messageUpdated: record('messageUpdated'),
  };
}

export function fakeActor(row = conversation()) {
  const store = new FakeStore(row);
  const writer = new FakeWriter();
  const sent: Sent[] = [];
  let retired = false;
  const actor = new ConversationActor(
    row.id,
    { store, writer, events: fakeEvents(sent), kickOutbox: () => undefined, sendsToWhatsapp: true, log: silentLog, retire: () => (retired = true) },
    64,
    noStats,
  );
  return { actor, store, writer, sent, retired: () => retired };
}
