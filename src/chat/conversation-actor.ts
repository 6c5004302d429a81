// ConversationActor: the only writer of one conversation on this node.
//
// It loads the conversation once (hotel, department, type, guest snapshot) and then handles, one
// batch at a time, every change of the conversation and its messages: appends (guest, staff and
// system messages; a staff attachment claims its upload in the same statement), mark-read,
// typing, close, reopen, archive, delivery status (send job and provider receipts) and ingested
// media. Each command is committed in one statement or transaction, then followed by its event;
// no other code writes these rows. A run of appends in its mailbox becomes one call to the node's
// MessageWriter (group commit); the seq comes from the database statement, so two nodes writing
// the same conversation still get distinct, gap-free seqs. Events are published after commit, in
// seq order.
//
// Access is checked here too, for every staff command (the command layer checks first, without
// an actor; this check is the one that sees the state the command is applied to).
//
// Callers authorise a client-named id before they reach the actor (ConversationFactsCache), so an
// actor exists only for a conversation that exists. If its row is missing anyway, it answers 404
// and retires at once: absence is never remembered, so a conversation created later under that id
// gets a fresh actor that finds it.
import { Actor, type ActorStats } from '../actors/actor.js';
import type { ReplyTo } from '../actors/ask.js';
import type { ChatUser } from '../core/directory.js';
import type { Logger } from '../obs/log.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../core/errors.js';
import type { ConversationState } from '../core/chat.js';
import type { InsertedMessage, NewMessage } from '../store/messages.js';
import type { ConversationStore, IngestedMedia, ReadOutcome } from './conversation-store.js';
import type { ChatEvents } from './events.js';
import type { DeliveryStatus, MessageType, MessageView, SenderType } from '../core/chat.js';
import { conversationAccess, firstName, previewOf, staffName, startsConversation } from './rules.js';
import { viewOf } from './views.js';

export type { ReadOutcome };

export interface AppendInput {
  sender: { kind: 'guest' } | { kind: 'staff'; user: ChatUser } | { kind: 'system'; name?: string };
  messageType: MessageType;
  content: string;
  media?: { key: string | null; url: string | null; filename: string; contentType: string | null; source?: string | null };
  providerMessageId?: string;
  /** A staff reply sent as an approved WhatsApp template: {template_id, name, language, parameters}. */
  template?: { template_id: number; name: string; language: string; parameters: string[] };
}

export type AppendOutcome = { status: 'ok'; message: MessageView; conversation: ConversationState } | { status: 'closed' } | { status: 'duplicate' };

export type ConversationCmd =
  | { t: 'append'; input: AppendInput; reply: ReplyTo<AppendOutcome> }
  /** Appends stored together: one write, all or none (a queued guest's backlog). */
  | { t: 'appendMany'; inputs: AppendInput[]; reply: ReplyTo<AppendOutcome[]> }
  | { t: 'read'; staff: ChatUser; messageIds: number[] | null; reply: ReplyTo<ReadOutcome> }
  | { t: 'typing'; who: { kind: 'staff'; user: ChatUser } | { kind: 'guest'; guestId: number }; isTyping: boolean; reply: ReplyTo<void> }
  | { t: 'close'; by: ChatUser | null; reply: ReplyTo<boolean> }
  | { t: 'reopen'; by: ChatUser | null; reply: ReplyTo<boolean> }
  | { t: 'archive'; reply: ReplyTo<boolean> }
  | { t: 'delivery'; messageId: number; status: DeliveryStatus; error: string | null; providerMessageId: string | null; reply: ReplyTo<boolean> }
  | { t: 'media_ingested'; messageId: number; media: IngestedMedia; reply: ReplyTo<boolean> }
  | { t: 'view'; user: ChatUser | null; reply: ReplyTo<ConversationState> }
  | { t: 'refresh'; reply: ReplyTo<void> };

export interface ConversationDeps {
  store: ConversationStore;
  writer: { append(rows: NewMessage[]): Promise<(InsertedMessage | null)[]> };
  events: Pick<ChatEvents, 'message' | 'newConversation' | 'conversationUpdate' | 'typing' | 'readReceipt' | 'messageStatus' | 'messageUpdated'>;
  /** Wakes the outbox relay after rows that carry follow-up work were committed. */
  kickOutbox: () => void;
  /** Staff replies in service conversations are sent to WhatsApp (when a provider is configured). */
  sendsToWhatsapp: boolean;
  /**
   * Otherwise, whether this hotel has a WhatsApp channel to send staff replies from (asked once
   * per run of appends that holds a staff reply; may be cached briefly by the caller).
   */
  hotelSendsWhatsapp?: (hotelId: string) => Promise<boolean>;
  log: Logger;
  /** Removes this actor from its registry and stops it (it found no conversation to own). */
  retire: () => void;
  /** The conversation's status changed (closed, reopened, archived), or was found changed. */
  moved?: (s: ConversationState) => void;
}

export class ConversationActor extends Actor<ConversationCmd> {
  private state: ConversationState | null = null;

  constructor(readonly conversationId: number, private readonly deps: ConversationDeps, capacity: number, stats: ActorStats) {
    super('conversation', String(conversationId), capacity, stats);
  }

  protected async receive(cmds: ConversationCmd[]): Promise<void> {
    const batch = expandMany(cmds);
    if (!this.state) {
      try {
        this.state = (await this.deps.store.load(this.conversationId)) ?? null;
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
        await this.handle(cmd as Exclude<ConversationCmd, { t: 'append' | 'appendMany' }>, this.state);
      } catch (err) {
        cmd.reply.reject(err);
      }
      i++;
    }
  }

  /** Access of a staff member to this conversation: 404 across hotels, 403 across departments. */
  private check(user: ChatUser, s: ConversationState): void {
    const access = conversationAccess(user, s);
    if (access === 'not_found') throw new NotFoundError('Conversation not found');
    if (access === 'forbidden') throw new ForbiddenError('Access denied to this conversation');
  }

  private async handle(cmd: Exclude<ConversationCmd, { t: 'append' | 'appendMany' }>, s: ConversationState): Promise<void> {
    switch (cmd.t) {
      case 'view':
        if (cmd.user) this.check(cmd.user, s);
        cmd.reply.resolve(s);
        return;
      case 'refresh':
        // The guest checked in or out (room, status): reload what we keep.
        this.state = (await this.deps.store.load(s.id)) ?? this.state;
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
        const outcome = await this.deps.store.markRead(s.id, cmd.staff.id, cmd.messageIds);
        this.deps.events.readReceipt(s, { id: cmd.staff.id, name: staffName(cmd.staff), kind: 'staff' }, outcome.upToSeq, cmd.messageIds);
        cmd.reply.resolve(outcome);
        return;
      }
      case 'close': {
        if (cmd.by) this.check(cmd.by, s);
        cmd.reply.resolve(await this.move(s, 'active', 'closed', cmd.by, 'conversation_closed'));
        return;
      }
      case 'reopen': {
        if (cmd.by) this.check(cmd.by, s);
        cmd.reply.resolve(await this.move(s, 'closed', 'active', cmd.by, 'conversation_reopened'));
        return;
      }
      case 'archive':
        cmd.reply.resolve(await this.move(s, 'closed', 'archived', null, 'conversation_archived'));
        return;
      case 'delivery': {
        const moved = await this.deps.store.setDeliveryStatus(s.id, cmd.messageId, cmd.status, cmd.error, cmd.providerMessageId);
        if (moved) this.deps.events.messageStatus(s, cmd.messageId, cmd.status, cmd.error);
        cmd.reply.resolve(moved);
        return;
      }
      case 'media_ingested': {
        const m = await this.deps.store.setMessageMedia(s.id, cmd.messageId, cmd.media);
        if (m) this.deps.events.messageUpdated(s, viewOf(m, s.guest));
        cmd.reply.resolve(m !== undefined);
        return;
      }
    }
  }

  /**
   * A status change from `from` to `to`, then its event. False (and no event) when the
   * conversation is not `from`: a reopen while another conversation of the same guest and
   * department is active is a conflict (one active conversation per key).
   */
  private async move(
    s: ConversationState,
    from: ConversationState['status'],
    to: ConversationState['status'],
    by: ChatUser | null,
    event: 'conversation_closed' | 'conversation_reopened' | 'conversation_archived',
  ): Promise<boolean> {
    if (s.status !== from) return false;
    let changed: boolean;
    try {
      changed = await this.deps.store.setStatus(s.id, from, to, by?.id ?? null);
    } catch (err) {
      if ((err as { code?: unknown }).code === '23505') throw new ConflictError('The guest already has an active conversation in this department');
      throw err;
    }
    if (changed) {
      s.status = to;
      this.deps.events.conversationUpdate(s, event, by ? { id: by.id, name: staffName(by) } : null);
      this.deps.moved?.(s);
    } else {
      // Changed by another node meanwhile: reload what we believe.
      this.state = (await this.deps.store.load(s.id)) ?? null;
      if (this.state) this.deps.moved?.(this.state);
    }
    return changed;
  }

  private row(input: AppendInput, s: ConversationState, sends: boolean): NewMessage {
    const senderType: SenderType = input.sender.kind;
    const staffReply = senderType === 'staff' && s.conversation_type === 'service' && sends;
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
      ...(input.template ? { template: input.template } : {}),
      outbox_kinds: [
        ...(m?.source ? ['media.ingest'] : []),
        ...(staffReply ? ['whatsapp.send'] : []),
        ...(handoff ? ['reply.handoff'] : []),
      ],
    };
  }

  /** Reads the conversation again; true (and the new state kept) when it is no longer active. */
  private async closedElsewhere(s: ConversationState): Promise<boolean> {
    const fresh = await this.deps.store.load(s.id).catch(() => undefined);
    if (!fresh || fresh.status === 'active') return false;
    this.state = fresh;
    this.deps.moved?.(fresh);
    return true;
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
    let sends = this.deps.sendsToWhatsapp;
    if (!sends && this.deps.hotelSendsWhatsapp && s.conversation_type === 'service' && accepted.some((c) => c.input.sender.kind === 'staff')) {
      // Unknown is treated as yes: the send job then decides, and says why when it cannot send.
      sends = await this.deps.hotelSendsWhatsapp(s.hotel_id).catch(() => true);
    }
    const rows = accepted.map((c) => this.row(c.input, s, sends));
    let results: (InsertedMessage | null)[];
    try {
      results = await this.deps.writer.append(rows);
    } catch (err) {
      for (const c of accepted) c.reply.reject(err);
      return;
    }
    // A row comes back empty when its provider id was claimed before (a duplicate) or when the
    // conversation is no longer active (closed on another node): only a fresh read tells which.
    const closed = results.some((r, i) => !r && rows[i]!.provider_message_id) && (await this.closedElsewhere(s));
    let outbox = false;
    for (let i = 0; i < accepted.length; i++) {
      const c = accepted[i]!;
      const inserted = results[i];
      const row = rows[i]!;
      if (!inserted) {
        if (row.provider_message_id && !closed) {
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

/**
 * An appendMany becomes its appends, one right after the other, so they land in one run of
 * appends: one call to the writer, stored all or none. Its reply gets every outcome, or the
 * first failure.
 */
function expandMany(batch: ConversationCmd[]): ConversationCmd[] {
  if (!batch.some((c) => c.t === 'appendMany')) return batch;
  const out: ConversationCmd[] = [];
  for (const c of batch) {
    if (c.t !== 'appendMany') {
      out.push(c);
      continue;
    }
    if (c.inputs.length === 0) {
      c.reply.resolve([]);
      continue;
    }
    const outcomes: AppendOutcome[] = new Array<AppendOutcome>(c.inputs.length);
    let left = c.inputs.length;
    let failed = false;
    c.inputs.forEach((input, i) =>
      out.push({
        t: 'append',
        input,
        reply: {
          resolve: (o) => {
            outcomes[i] = o;
            if (--left === 0 && !failed) c.reply.resolve(outcomes);
          },
          reject: (err) => {
            if (failed) return;
            failed = true;
            c.reply.reject(err);
          },
        },
      }),
    );
  }
  return out;
}
