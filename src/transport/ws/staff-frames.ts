// One inbound staff frame → one chat command → the reply frames for this socket. Every failure
// becomes {type:"error", message} and the socket stays open.
import { subjects, LOW } from '../../fanout/subjects.js';
import { isAppError } from '../../core/errors.js';
import { ack, errorFrame, parseInbound, type InboundFrame } from '../../protocol/frames.js';
import { encodeMessageFrame } from '../../chat/message-frame.js';
import type { WebSocket } from '../uws.js';
import { sendFrame } from './behavior.js';
import type { StaffSocketDeps, StaffSocketState } from './staff.js';

export async function handleStaffFrame(ws: WebSocket<StaffSocketState>, text: string, deps: StaffSocketDeps): Promise<void> {
  const send = (frame: unknown) => sendFrame(deps.hub, ws, frame);
  let frame: InboundFrame;
  try {
    frame = parseInbound(text);
  } catch (err) {
    send(errorFrame((err as Error).message));
    return;
  }
  try {
    await dispatch(ws, frame, deps, send);
  } catch (err) {
    if (!isAppError(err)) throw err;
    send(errorFrame(err.message, { code: err.code, ...('conversation_id' in frame ? { conversation_id: frame.conversation_id } : {}) }));
  }
}

async function dispatch(ws: WebSocket<StaffSocketState>, frame: InboundFrame, deps: StaffSocketDeps, send: (f: unknown) => void): Promise<void> {
  const s = ws.getUserData();
  const { staff, queries } = deps.chat;
  switch (frame.type) {
    case 'text': {
      const m = await staff.sendText(s.user, frame.conversation_id, frame.content);
      send(ack('received', frame.conversation_id, { message_id: m.id, seq: m.seq, message_type: m.message_type, timestamp: new Date(m.created_at).toISOString() }));
      return;
    }
    case 'media': {
      const m = await staff.sendMedia(s.user, frame);
      send(
        ack('received', frame.conversation_id, {
          message_id: m.id,
          seq: m.seq,
          message_type: m.message_type,
          caption: frame.caption ?? '',
          timestamp: new Date(m.created_at).toISOString(),
        }),
      );
      return;
    }
    case 'typing':
      await staff.typing(s.user, frame.conversation_id, frame.is_typing ?? false);
      return;
    case 'mark_read': {
      // Acknowledged only after the read is committed: the dashboard re-fetches the list at once.
      const r = await staff.markRead(s.user, frame.conversation_id, frame.message_ids ?? null);
      send(ack('marked_read', frame.conversation_id, { up_to_seq: r.upToSeq, marked: r.marked }));
      return;
    }
    case 'subscribe_conversation': {
      const conv = await queries.conversation(s.user, frame.conversation_id);
      if (!s.closed && !s.conversations?.has(conv.id)) {
        const subject = subjects.conversation(conv.hotel_id, conv.id);
        (s.conversations ??= new Set()).add(conv.id);
        deps.relay.acquire(subject);
        deps.hub.subscribeLow(ws, subject + LOW);
      }
      send(ack('subscribed', frame.conversation_id));
      return;
    }
    case 'unsubscribe_conversation': {
      if (s.conversations?.delete(frame.conversation_id)) {
        const subject = subjects.conversation(s.user.hotel_id!, frame.conversation_id);
        deps.hub.unsubscribeLow(ws, subject + LOW);
        deps.relay.release(subject);
      }
      send(ack('unsubscribed', frame.conversation_id));
      return;
    }
    case 'close_conversation':
      await staff.close(s.user, frame.conversation_id);
      send(ack('conversation_closed', frame.conversation_id));
      return;
    case 'reopen-temporary':
      await staff.reopenTemporary(s.user, frame.conversation_id);
      send(ack('reopen_button_sent', frame.conversation_id));
      return;
    case 'resume': {
      const r = await queries.resume(s.user, frame.conversation_id, frame.since_seq);
      if ('failed' in r) {
        send({ type: 'resume_failed', conversation_id: frame.conversation_id, reason: 'too many messages missed; reload the conversation', last_seq: r.lastSeq });
        return;
      }
      if (s.closed) return;
      ws.cork(() => {
        for (const m of r.messages) ws.send(encodeMessageFrame(m, deps.mediaUrl), false);
      });
      send(ack('resumed', frame.conversation_id, { since_seq: frame.since_seq, last_seq: r.lastSeq, count: r.messages.length }));
      return;
    }
    case 'send_template': {
      const m = await staff.sendTemplate(s.user, frame);
      send(ack('received', frame.conversation_id, { message_id: m.id, seq: m.seq, message_type: m.message_type, template_id: frame.template_id, timestamp: new Date(m.created_at).toISOString() }));
      return;
    }
    case 'ping':
      send({ type: 'pong', timestamp: new Date().toISOString() });
      return;
  }
}
