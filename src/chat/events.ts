// Building and publishing chat events. Each event is serialized once here and the same bytes go
// to every subject it belongs to; nodes hand them to their uWS topics untouched.
import type { Department } from '../core/departments.js';
import type { Broker } from '../fanout/broker.js';
import { subjects } from '../fanout/subjects.js';
import type { Counter } from '../obs/metrics.js';
import { messageFrame, socketMessage, type MediaUrl } from './message-frame.js';
import { truncateCodePoints } from '../core/text.js';
import { encodeEvent, type EventHeader } from './envelope.js';
import type { ConversationState, MessageView } from '../core/chat.js';
import { broadcastsToStaff, firstName } from './rules.js';

export interface ChatEventsDeps {
  broker: Pick<Broker, 'publish'>;
  mediaUrl: MediaUrl;
  published: Counter;
}

type Conv = Pick<ConversationState, 'id' | 'hotel_id' | 'department' | 'conversation_type' | 'guest_id' | 'status' | 'created_at' | 'guest'>;

export class ChatEvents {
  constructor(private readonly deps: ChatEventsDeps) {}

  private send(subjectsList: string[], header: EventHeader, frame: unknown): void {
    if (subjectsList.length === 0) return;
    const bytes = encodeEvent({ ...header, t: Date.now() }, frame);
    for (const s of subjectsList) this.deps.broker.publish(s, bytes);
    this.deps.published.inc({ type: (frame as { type: string }).type }, subjectsList.length);
  }

  /** A stored message: to the department (service conversations) and, for replies, the guest. */
  message(conv: Conv, m: MessageView): void {
    const targets: string[] = [];
    if (broadcastsToStaff(conv.conversation_type)) targets.push(subjects.department(conv.hotel_id, conv.department));
    if (m.sender_type !== 'guest') targets.push(subjects.guest(conv.hotel_id, conv.guest_id));
    this.send(targets, { k: 'm', c: conv.id, s: m.seq }, messageFrame(m, this.deps.mediaUrl));
  }

  /**
   * A stored message changed after it was sent (a guest's media copied into our store): the same
   * frame shape as `message`, under its own type, so clients replace the message they hold by id
   * (a `message` frame with a seq already delivered is dropped as a duplicate).
   */
  messageUpdated(conv: Conv, m: MessageView): void {
    const targets: string[] = [];
    if (broadcastsToStaff(conv.conversation_type)) targets.push(subjects.department(conv.hotel_id, conv.department));
    if (m.sender_type !== 'guest') targets.push(subjects.guest(conv.hotel_id, conv.guest_id));
    this.send(targets, { k: 'e' }, { type: 'message_updated', data: socketMessage(m, this.deps.mediaUrl) });
  }

  /** Sent after the conversation and its first message are committed (the dashboard then re-fetches). */
  newConversation(conv: Conv, first: MessageView): void {
    if (!broadcastsToStaff(conv.conversation_type)) return;
    this.send([subjects.department(conv.hotel_id, conv.department)], { k: 'e' }, {
      type: 'new_conversation',
      data: {
        id: conv.id,
        guest_name: firstName(conv.guest.full_name),
        department: conv.department,
        conversation_type: conv.conversation_type,
        status: conv.status,
        created_at: conv.created_at.toISOString(),
        last_message_preview: truncateCodePoints(first.content, 255),
        last_message_at: new Date(first.created_at).toISOString(),
      },
    });
  }

  conversationUpdate(conv: Conv, type: 'conversation_closed' | 'conversation_reopened' | 'conversation_archived', by: { id: number; name: string } | null): void {
    this.send(
      [subjects.department(conv.hotel_id, conv.department), subjects.guest(conv.hotel_id, conv.guest_id)],
      { k: 'e' },
      {
        type: 'conversation_update',
        data: {
          type,
          conversation_id: conv.id,
          department: conv.department,
          status: type === 'conversation_closed' ? 'closed' : type === 'conversation_archived' ? 'archived' : 'active',
          updated_by: by?.name ?? 'System',
          updated_by_id: by?.id ?? null,
          timestamp: new Date().toISOString(),
        },
      },
    );
  }

  typing(conv: Conv, who: { kind: 'staff' | 'guest'; id: number; name: string }, isTyping: boolean): void {
    this.send([subjects.conversation(conv.hotel_id, conv.id)], { k: 'e', lo: 1 }, {
      type: 'typing',
      data: { conversation_id: conv.id, user_id: who.id, user_name: who.name, sender_type: who.kind, is_typing: isTyping },
    });
  }

  readReceipt(conv: Conv, reader: { id: number; name: string; kind: 'staff' | 'guest' }, upToSeq: number, messageIds: number[] | null): void {
    const targets = [subjects.conversation(conv.hotel_id, conv.id)];
    if (reader.kind === 'staff') targets.push(subjects.guest(conv.hotel_id, conv.guest_id));
    this.send(targets, { k: 'e', lo: 1 }, {
      type: 'read_receipt',
      data: { conversation_id: conv.id, reader_id: reader.id, reader_name: reader.name, reader_type: reader.kind, up_to_seq: upToSeq, message_ids: messageIds, read_at: new Date().toISOString() },
    });
  }

  /** Outbound delivery progress of a staff reply (sent, delivered, read, failed). */
  messageStatus(conv: Conv, messageId: number, status: string, error?: string | null): void {
    this.send([subjects.department(conv.hotel_id, conv.department), subjects.conversation(conv.hotel_id, conv.id)], { k: 'e', lo: 1 }, {
      type: 'message_status',
      // A failure says why (WhatsApp's error code and title), so staff know what to do next.
      data: { conversation_id: conv.id, message_id: messageId, status, is_read: status === 'read', timestamp: new Date().toISOString(), ...(error ? { error } : {}) },
    });
  }

  userStatus(hotelId: string, department: Department, type: 'user_connected' | 'user_disconnected', user: { id: number; name: string }): void {
    this.send([subjects.department(hotelId, department)], { k: 'e', lo: 1 }, {
      type: 'user_status',
      data: { type, user_id: user.id, user_name: user.name, department },
    });
  }
}
