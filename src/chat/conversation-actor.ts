// ConversationActor: the only writer of one conversation on this node.
//
// It loads the conversation once (hotel, department, type, guest snapshot) and then handles, one
// batch at a time: appends (guest, staff and system messages), mark-read, typing, close. A run
// of appends in its mailbox becomes one call to the node's MessageWriter (group commit); the
// seq comes from the database statement, so two nodes writing the same conversation still get
// distinct, gap-free seqs. Events are published after commit, in seq order.
//
// Callers authorise a client-named id before they reach the actor (ConversationFactsCache), so an
// actor exists only for a conversation that exists. If its row is missing anyway, it answers 404
// and retires at once: absence is never remembered, so a conversation created later under that id
// gets a fresh actor that finds it.
import { Actor, type ActorStats } from '../actors/actor.js';
import type { ReplyTo } from '../actors/ask.js';
import type { User } from '../core/directory.js';
import type { Logger } from '../obs/log.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../core/errors.js';
import * as convStore from '../store/conversations.js';
import type { Sql } from '../store/db.js';
import * as msgStore from '../store/messages.js';
import type { InsertedMessage, NewMessage } from '../store/messages.js';
import type { ChatEvents } from './events.js';
import type { ConversationState, MessageType, MessageView, SenderType } from '../core/chat.js';
import { markRead } from './read-state.js';
import { conversationAccess, firstName, previewOf, staffName, startsConversation } from './rules.js';

export interface AppendInput {
  sender: { kind: 'guest' } | { kind: 'staff'; user: User } | { kind: 'system'; name?: string };
  messageType: MessageType;
  content: string;
  media?: { key: string | null; url: string | null; filename: string; contentType: string | null; source?: string | null };
  providerMessageId?: string;
}

export type AppendOutcome = { status: 'ok'; message: MessageView; conversation: ConversationState } | { status: 'closed' } | { status: 'duplicate' };

export interface ReadOutcome {
  upToSeq: number;
  marked: number;
}

export type ConversationCmd =
  | { t: 'append'; input: AppendInput; reply: ReplyTo<AppendOutcome> }
  | { t: 'read'; staff: User; messageIds: number[] | null; reply: ReplyTo<ReadOutcome> }
  | { t: 'typing'; who: { kind: 'staff'; user: User } | { kind: 'guest'; guestId: number }; isTyping: boolean; reply: ReplyTo<void> }
  | { t: 'close'; by: User | null; reply: ReplyTo<boolean> }
  | { t: 'view'; user: User | null; reply: ReplyTo<ConversationState> }
  | { t: 'refresh'; reply: ReplyTo<void> };

export interface ConversationDeps {
  sql: Sql;
  writer: { append(rows: NewMessage[]): Promise<(InsertedMessage | null)[]> };
  events: ChatEvents;
  /** Wakes the outbox relay after rows that carry follow-up work were committed. */
  kickOutbox: () => void;
  /** Staff replies in service conversations are sent to WhatsApp (when a provider is configured). */
  sendsToWhatsapp: boolean;
  log: Logger;
  /** Removes this actor from its registry and stops it (it found no conversation to own). */
  retire: () => void;
}

export class ConversationActor extends Actor<ConversationCmd> {
  private state: ConversationState | null = null;

  constructor(readonly conversationId: number, private readonly deps: ConversationDeps, capacity: number, stats: ActorStats) {
    super('conversation', String(conversationId), capacity, stats);
  }

  protected async receive(batch: ConversationCmd[]): Promise<void> {
    if (!this.state) {
      try {
        this.state = (await convStore.loadConversationState(this.deps.sql, this.conversationId)) ?? null;
      } catch (err) {
        for (const c of batch) c.reply.reject(err);
        return;
      }
    }
    if (!this.state) {
      for (const c of batch) c.reply.reject(new NotFoundError('Conversation not found'));
      this.deps.retire();
      return;
    }
    let i = 0;
    while (i < batch.length) {
      const cmd = batch[i]!;
      if (cmd.t === 'append') {
        let j = i;
        while (j < batch.length && batch[j]!.t === 'append') j++;
        await this.appendRun(batch.slice(i, j) as Extract<ConversationCmd, { t: 'append' }>[]);
        i = j;
        continue;
      }
      try {
        await this.handle(cmd, this.state);
      } catch (err) {
        cmd.reply.reject(err);
      }
      i++;
    }
  }

  /** Access of a staff member to this conversation: 404 across hotels, 403 across departments. */
  private check(user: User, s: ConversationState): void {
    const access = conversationAccess(user, s);
    if (access === 'not_found') throw new NotFoundError('Conversation not found');
    if (access === 'forbidden') throw new ForbiddenError('Access denied to this conversation');
  }

  private async handle(cmd: Exclude<ConversationCmd, { t: 'append' }>, s: ConversationState): Promise<void> {
    switch (cmd.t) {
      case 'view':
        if (cmd.user) this.check(cmd.user, s);
        cmd.reply.resolve(s);
        return;
      case 'refresh':
        // The guest checked in or out (room, status): reload what we keep.
        this.state = (await convStore.loadConversationState(this.deps.sql, s.id)) ?? this.state;
        cmd.reply.resolve();
        return;
      case 'typing': {
        if (cmd.who.kind === 'staff') {
          this.check(cmd.who.user, s);
          this.deps.events.typing(s, { kind: 'staff', id: cmd.who.user.id, name: staffName(cmd.who.user) }, cmd.isTyping);
        } else {
          if (cmd.who.guestId !== s.guest_id) throw new NotFoundError('Conversation not found');
          this.deps.events.typing(s, { kind: 'guest', id: s.guest_id, name: firstName(s.guest.full_name) }, cmd.isTyping);
        }
        cmd.reply.resolve();
        return;
      }
      case 'read': {
        this.check(cmd.staff, s);
        const outcome = await this.markRead(cmd.staff, s, cmd.messageIds);
        this.deps.events.readReceipt(s, { id: cmd.staff.id, name: staffName(cmd.staff), kind: 'staff' }, outcome.upToSeq, cmd.messageIds);
        cmd.reply.resolve(outcome);
        return;
      }
      case 'close': {
        if (cmd.by) this.check(cmd.by, s);
        if (s.status !== 'active') {
          cmd.reply.resolve(false);
          return;
        }
        const changed = await convStore.setStatus(this.deps.sql, s.id, 'active', 'closed', cmd.by?.id ?? null);
        if (changed) {
          s.status = 'closed';
          this.deps.events.conversationUpdate(s, 'conversation_closed', cmd.by ? { id: cmd.by.id, name: staffName(cmd.by) } : null);
        } else {
          // Closed by another node meanwhile: reload what we believe.
          this.state = (await convStore.loadConversationState(this.deps.sql, s.id)) ?? null;
        }
        cmd.reply.resolve(changed);
        return;
      }
    }
  }

  /** Marks exactly the given messages (or everything) read for this staff member. */
  private async markRead(staff: User, s: ConversationState, messageIds: number[] | null): Promise<ReadOutcome> {
    return this.deps.sql.begin(async (tx) => {
      const current = await convStore.lockParticipant(tx, s.id, staff.id);
      let seqs: number[] = [];
      let upTo: number | undefined;
      if (messageIds) {
        const found = await msgStore.seqsOf(tx, s.id, messageIds);
        const known = new Set(found.map((f) => f.id));
        const unknown = messageIds.filter((id) => !known.has(id));
        if (unknown.length) throw ValidationError.of({ message_ids: `not messages of conversation ${s.id}: ${unknown.join(', ')}` });
        seqs = found.map((f) => f.seq);
      } else {
        upTo = await convStore.lastSeq(tx, s.id);
      }
      const next = markRead({ lastReadSeq: current.last_read_seq, readSeqs: current.read_seqs }, seqs, upTo);
      await convStore.saveParticipantRead(tx, s.id, staff.id, next.lastReadSeq, next.readSeqs);
      await msgStore.stampGuestMessagesRead(tx, s.id, upTo ?? 0, seqs);
      return { upToSeq: Math.max(next.lastReadSeq, ...seqs), marked: messageIds ? seqs.length : (upTo ?? 0) - current.last_read_seq };
    });
  }

  private row(input: AppendInput, s: ConversationState): NewMessage {
    const senderType: SenderType = input.sender.kind;
    const staffReply = senderType === 'staff' && s.conversation_type === 'service' && this.deps.sendsToWhatsapp;
    const handoff = senderType === 'guest' && s.conversation_type !== 'service';
    const m = input.media;
    return {
      conversation_id: s.id,
      sender_type: senderType,
      sender_id: input.sender.kind === 'staff' ? input.sender.user.id : null,
      message_type: input.messageType,
      content: input.content,
      preview: previewOf({ message_type: input.messageType, content: input.content, media_filename: m?.filename ?? null }),
      media_key: m?.key ?? null,
      media_url: m?.url ?? null,
      media_filename: m?.filename ?? null,
      media_content_type: m?.contentType ?? null,
      provider_message_id: input.providerMessageId ?? null,
      delivery_status: staffReply ? 'queued' : null,
      media_source: m?.source ?? null,
      outbox_kinds: [
        ...(m?.source ? ['media.ingest'] : []),
        ...(staffReply ? ['whatsapp.send'] : []),
        ...(handoff ? ['reply.handoff'] : []),
      ],
    };
  }

  private senderName(input: AppendInput, s: ConversationState): string {
    if (input.sender.kind === 'staff') return staffName(input.sender.user);
    if (input.sender.kind === 'guest') return firstName(s.guest.full_name);
    return input.sender.name ?? 'System';
  }

  private async appendRun(cmds: Extract<ConversationCmd, { t: 'append' }>[]): Promise<void> {
    const s = this.state!;
    const accepted: typeof cmds = [];
    for (const c of cmds) {
      try {
        if (c.input.sender.kind === 'staff') this.check(c.input.sender.user, s);
        if (s.status !== 'active') {
          if (c.input.sender.kind === 'staff') throw new ConflictError('This conversation is closed');
          c.reply.resolve({ status: 'closed' });
          continue;
        }
        accepted.push(c);
      } catch (err) {
        c.reply.reject(err);
      }
    }
    if (accepted.length === 0) return;
    const rows = accepted.map((c) => this.row(c.input, s));
    let results: (InsertedMessage | null)[];
    try {
      results = await this.deps.writer.append(rows);
    } catch (err) {
      for (const c of accepted) c.reply.reject(err);
      return;
    }
    let outbox = false;
    for (let i = 0; i < accepted.length; i++) {
      const c = accepted[i]!;
      const inserted = results[i];
      const row = rows[i]!;
      if (!inserted) {
        if (row.provider_message_id) {
          c.reply.resolve({ status: 'duplicate' });
        } else {
          // Not active any more (closed on another node): refresh our copy.
          s.status = 'closed';
          c.reply.resolve({ status: 'closed' });
        }
        continue;
      }
      if (inserted.seq > s.last_seq) s.last_seq = inserted.seq;
      const view: MessageView = {
        id: inserted.id,
        conversation_id: s.id,
        seq: inserted.seq,
        sender_type: row.sender_type,
        sender_id: row.sender_id,
        message_type: row.message_type,
        content: row.content,
        media_key: row.media_key,
        media_url: row.media_url,
        media_filename: row.media_filename,
        media_content_type: row.media_content_type,
        provider_message_id: row.provider_message_id,
        delivery_status: row.delivery_status,
        read_at: null,
        created_at: inserted.created_at,
        updated_at: inserted.updated_at,
        sender_name: this.senderName(c.input, s),
        guest: s.guest,
      };
      this.deps.events.message(s, view);
      if (startsConversation(inserted.seq)) this.deps.events.newConversation(s, view);
      if (row.outbox_kinds.length) outbox = true;
      c.reply.resolve({ status: 'ok', message: view, conversation: s });
    }
    if (outbox) this.deps.kickOutbox();
  }
}
