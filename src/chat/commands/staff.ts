// Commands of a staff member (socket frames and REST): each is authorised from the conversation's
// facts before its actor is asked (nothing is allocated for an id the caller may not use), then
// handled by that actor, which checks access again against the state it applies the command to.
import { canonicalDepartment, DEPARTMENTS, type Department } from '../../core/departments.js';
import type { ChatUser } from '../../core/directory.js';
import { normalizePhone } from '../../directory/phone.js';
import { effectiveDepartments } from '../../directory/roles.js';
import { attachmentFor } from '../../media/attachment.js';
import type { MediaSigner } from '../../media/signer.js';
import { ConflictError, ForbiddenError, NotFoundError, UnavailableError, ValidationError } from '../../core/errors.js';
import { renderPlaceholders } from '../../core/whatsapp.js';
import { findTemplate, templateFitsConversation } from '../../store/whatsapp.js';
import * as convStore from '../../store/conversations.js';
import type { ConversationState } from '../../core/chat.js';
import type { Sql } from '../../store/db.js';
import { guestContextAt } from '../../store/guests.js';
import type { AppendInput, AppendOutcome, ReadOutcome } from '../conversation-actor.js';
import { authoriseStaff, staffOnly, type ConversationFactsCache } from '../conversation-facts.js';
import type { MediaType, MessageView } from '../../core/chat.js';
import { staffName } from '../rules.js';
import { askConversation, type ActorAccess } from './ask.js';

export interface StaffCommandDeps extends ActorAccess {
  sql: Sql;
  facts: Pick<ConversationFactsCache, 'get'>;
  signer: MediaSigner;
  phoneRegion?: string;
  /** Whether staff replies can reach WhatsApp (a provider is configured). */
  whatsappEnabled: boolean;
  /** Queues a provider-side action (e.g. the reopen button). */
  enqueueOutbound: (payload: Record<string, unknown>) => Promise<void>;
  /** Whether a hotel has a WhatsApp channel of its own to send from (when no global sender is configured). */
  hotelSendsWhatsapp?: (hotelId: string) => Promise<boolean>;
}

export interface TemplateSendInput {
  conversation_id: number;
  template_id: number;
  parameters?: string[];
}

export interface MediaInput {
  conversation_id: number;
  file_url: string;
  filename: string;
  file_type: MediaType;
  caption?: string;
}

export class StaffCommands {
  constructor(private readonly deps: StaffCommandDeps) {}

  async sendText(user: ChatUser, conversationId: number, content: string): Promise<MessageView> {
    const text = content.trim();
    if (!text) throw ValidationError.of({ content: 'Message content cannot be empty' });
    await authoriseStaff(this.deps.facts, user, conversationId);
    return this.append(conversationId, { sender: { kind: 'staff', user }, messageType: 'text', content: text });
  }

  /**
   * A staff attachment: an upload of this conversation, typed by its sniffed content (see
   * media/attachment.ts; the frame's file_type and filename are not trusted). The message insert
   * marks the upload as used in the same statement (trigger of sql/006_media_attach.sql).
   */
  async sendMedia(user: ChatUser, m: MediaInput): Promise<MessageView> {
    await authoriseStaff(this.deps.facts, user, m.conversation_id);
    const file = await attachmentFor(this.deps, m.conversation_id, m.file_url);
    return this.append(m.conversation_id, {
      sender: { kind: 'staff', user },
      messageType: file.kind,
      content: m.caption?.trim() || file.filename,
      media: { key: file.key, url: null, filename: file.filename, contentType: file.contentType },
    });
  }

  /**
   * A staff reply as an approved WhatsApp template (what may reach a guest outside the 24-hour
   * window). The parameters fill the body's {{1}}…{{n}}: their count must match. The message is
   * stored as text (the rendered body, what staff and the dashboard read) with the template
   * attached, and the send job sends Meta's template payload.
   */
  async sendTemplate(user: ChatUser, input: TemplateSendInput): Promise<MessageView> {
    await authoriseStaff(this.deps.facts, user, input.conversation_id);
    const t = await findTemplate(this.deps.sql, user.hotel_id, input.template_id);
    if (!t) throw new NotFoundError('Template not found');
    if (t.status !== 'APPROVED') throw ValidationError.of({ template_id: `template "${t.name}" is ${t.status}; only APPROVED templates can be sent` });
    const params = input.parameters ?? [];
    if (params.length !== t.param_count) {
      throw ValidationError.of({ parameters: `template "${t.name}" takes ${t.param_count} parameter(s) ({{1}}…), got ${params.length}` });
    }
    // Meta refuses text parameters with new lines, tabs or more than four spaces in a row.
    const bad = params.findIndex((p) => p.trim() === '' || /[\n\t]| {5,}/.test(p));
    if (bad >= 0) throw ValidationError.of({ [`parameters[${bad}]`]: 'must be non-empty, without new lines, tabs or more than four spaces in a row' });
    const s = await askConversation<ConversationState>(this.deps, input.conversation_id, (reply) => ({ t: 'view', user, reply }));
    if (s.conversation_type !== 'service') throw ValidationError.of({ conversation_id: 'templates are sent in service conversations only' });
    if (!(await templateFitsConversation(this.deps.sql, t.id, s.id))) {
      throw ValidationError.of({ template_id: 'belongs to another WhatsApp Business Account than the number this guest writes to' });
    }
    if (!(await this.sendsWhatsapp(s.hotel_id))) throw new UnavailableError('WhatsApp sending is not configured for this hotel; the template was not sent');
    return this.append(input.conversation_id, {
      sender: { kind: 'staff', user },
      messageType: 'text',
      content: renderPlaceholders(t.body_text, params).trim() || `[template ${t.name}]`,
      template: { template_id: t.id, name: t.name, language: t.language, parameters: params },
    });
  }

  private async sendsWhatsapp(hotelId: string): Promise<boolean> {
    if (this.deps.whatsappEnabled) return true;
    return this.deps.hotelSendsWhatsapp ? this.deps.hotelSendsWhatsapp(hotelId) : false;
  }

  private async append(conversationId: number, input: AppendInput): Promise<MessageView> {
    const outcome = await askConversation<AppendOutcome>(this.deps, conversationId, (reply) => ({ t: 'append', input, reply }));
    if (outcome.status !== 'ok') throw new ConflictError('This conversation is closed');
    return outcome.message;
  }

  /** Marks what was asked read for this staff member (who joins the conversation on first read). */
  async markRead(user: ChatUser, conversationId: number, messageIds: number[] | null): Promise<ReadOutcome> {
    await authoriseStaff(this.deps.facts, user, conversationId);
    return askConversation<ReadOutcome>(this.deps, conversationId, (reply) => ({ t: 'read', staff: user, messageIds, reply }));
  }

  async typing(user: ChatUser, conversationId: number, isTyping: boolean): Promise<void> {
    await authoriseStaff(this.deps.facts, user, conversationId);
    await askConversation<void>(this.deps, conversationId, (reply) => ({ t: 'typing', who: { kind: 'staff', user }, isTyping, reply }));
  }

  /** Closes an active conversation. Returns false if it was not active. */
  async close(user: ChatUser, conversationId: number): Promise<boolean> {
    await authoriseStaff(this.deps.facts, user, conversationId);
    return askConversation<boolean>(this.deps, conversationId, (reply) => ({ t: 'close', by: user, reply }));
  }

  /** Reopens a closed conversation. Returns false if it was not closed; 409 if the guest has another active one. */
  async reopen(user: ChatUser, conversationId: number): Promise<boolean> {
    await authoriseStaff(this.deps.facts, user, conversationId);
    return askConversation<boolean>(this.deps, conversationId, (reply) => ({ t: 'reopen', by: user, reply }));
  }

  /** Asks the guest on WhatsApp whether to continue an expired conversation (a button). */
  async reopenTemporary(user: ChatUser, conversationId: number): Promise<void> {
    await authoriseStaff(this.deps.facts, user, conversationId);
    const s = await askConversation<ConversationState>(this.deps, conversationId, (reply) => ({ t: 'view', user, reply }));
    if (s.conversation_type !== 'service') throw new ValidationError('WhatsApp button messages are only supported for service conversations');
    if (!(await this.sendsWhatsapp(s.hotel_id))) throw new UnavailableError('WhatsApp sending is not configured on this server; the reopen button was not sent');
    await this.deps.enqueueOutbound({
      action: 'reopen_button',
      conversation_id: s.id,
      to: s.guest.whatsapp_number,
      department: s.department,
      requested_by: user.id,
    });
  }

  /** Staff create a service conversation with a checked-in guest of their hotel. */
  async createConversation(user: ChatUser, rawNumber: string, rawDepartment: string): Promise<{ conversation_id: number; created: boolean; guest_name: string; department: Department }> {
    staffOnly(user);
    const department = canonicalDepartment(rawDepartment);
    const number = normalizePhone(rawNumber, this.deps.phoneRegion);
    const bad: Record<string, string> = {};
    if (!department) bad['department_type'] = `must be one of ${DEPARTMENTS.join(', ')}`;
    if (!number) bad['guest_whatsapp_number'] = 'Invalid phone number format';
    if (Object.keys(bad).length) throw ValidationError.of(bad);
    if (!effectiveDepartments(user).includes(department!)) throw new ForbiddenError(`You are not in the ${department} department`);
    const guest = await guestContextAt(this.deps.sql, user.hotel_id!, number!);
    if (!guest) throw ValidationError.of({ guest_whatsapp_number: 'Guest not found' });
    if (guest.stay_status !== 'active') throw ValidationError.of({ guest_whatsapp_number: 'Guest does not have an active stay' });
    const { id, created } = await convStore.findOrCreateActive(this.deps.sql, {
      guest_id: guest.guest_id,
      hotel_id: guest.hotel_id,
      department: department!,
      conversation_type: 'service',
    });
    if (created) {
      // Every listed conversation has at least one message (the dashboard needs last_message).
      await askConversation<AppendOutcome>(this.deps, id, (reply) => ({
        t: 'append',
        input: { sender: { kind: 'system' }, messageType: 'system', content: `Conversation started by ${staffName(user)}` },
        reply,
      }));
    }
    return { conversation_id: id, created, guest_name: guest.full_name, department: department! };
  }
}
