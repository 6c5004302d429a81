// whatsapp.send: a staff reply (text, media or an approved template) or a provider-side action
// (the reopen button, the department menu) goes to the guest through Meta's Cloud API, from the
// number the guest wrote to (see ../whatsapp-senders.ts), with WhatsApp's rules:
//   - the 24-hour customer-service window is checked before a free-form message is sent; outside
//     it the reply ends `failed` with reason `outside_24h_window` and nothing is sent;
//   - sends of one number are paced (SendPacers); a throttling answer pauses the number and the
//     job retries after the time Meta asked for (at least), doubling per delivery;
//   - a permanent refusal ends `failed` at once with Meta's code and title; a transient one is
//     retried with back-off and ends `failed` when the deliveries run out.
// The delivery status only moves forward (queued → sent, or → failed) through the conversation's
// actor, so staff see it live as `message_status`. A redelivered job whose message is no longer
// queued does nothing (idempotent).
import type { MediaSigner } from '../../media/signer.js';
import type { Logger } from '../../obs/log.js';
import { canonicalDepartment } from '../../core/departments.js';
import { outsideWindowReason, windowOpen } from '../../core/whatsapp.js';
import { failureReason } from '../../providers/graph-errors.js';
import { needsServiceWindow, ProviderError, type OutboundMessage, type WhatsAppSender } from '../../providers/whatsapp.js';
import type { Sql } from '../../store/db.js';
import type { SystemCommands } from '../../chat/commands/system.js';
import { lastInboundOfConversation, sendContext, type SendContext } from '../../store/whatsapp.js';
import { PermanentJobError, RetryLaterError, type Job } from '../queue.js';
import { channelSender, resolveSender, type ResolvedSender, type SendPacers, type SenderDeps } from '../whatsapp-senders.js';

export interface WhatsAppSendDeps extends SenderDeps {
  delivery: Pick<SystemCommands, 'deliveryStatus'>;
  send: (sender: WhatsAppSender, msg: OutboundMessage) => Promise<{ providerMessageId: string }>;
  pacers: SendPacers;
  signer: MediaSigner;
  maxDeliveries: number;
  log: Logger;
}

type Payload = {
  message_id?: number;
  action?: string;
  to?: string;
  department?: string;
  conversation_id?: number;
  channel_id?: number;
  departments?: unknown;
};

/** Longest a send waits in its worker slot for its number's turn; longer holds go back to the queue. */
const MAX_PACE_WAIT_MS = 5_000;

/** Row ids of the department menu: the inbound side reads the choice back from them. */
export const DEPARTMENT_ROW_PREFIX = 'dept:';

export function departmentMenu(to: string, departments: string[]): OutboundMessage {
  return {
    to,
    kind: 'list',
    text: 'How can we help you? Choose a department to chat with.',
    button: 'Departments',
    sections: [{ title: 'Departments', rows: departments.slice(0, 10).map((d) => ({ id: `${DEPARTMENT_ROW_PREFIX}${d}`, title: d })) }],
  };
}

function messageOf(deps: WhatsAppSendDeps, m: SendContext): OutboundMessage {
  if (m.template) return { to: m.guest_number, kind: 'template', template: { name: m.template.name, language: m.template.language, parameters: m.template.parameters } };
  if (m.message_type === 'text' || m.message_type === 'system' || (!m.media_key && !m.media_url)) return { to: m.guest_number, kind: 'text', text: m.content };
  return {
    to: m.guest_number,
    kind: 'media',
    mediaType: m.message_type as 'image' | 'document' | 'video' | 'audio',
    link: m.media_key ? deps.signer.url(m.media_key, 24 * 3600) : m.media_url!,
    caption: m.content !== m.media_filename ? m.content : undefined,
    filename: m.media_filename ?? undefined,
  };
}

export function whatsappSendHandler(deps: WhatsAppSendDeps) {
  return async (job: Job<Payload>): Promise<void> => {
    const p = job.payload ?? {};
    if (p.action === 'reopen_button') return reopenButton(deps, job, p);
    if (p.action === 'department_menu') return departmentMenuJob(deps, job, p);
    const id = Number(p.message_id);
    if (!Number.isSafeInteger(id)) throw new PermanentJobError('whatsapp.send without a message id');
    const m = await sendContext(deps.sql, id);
    if (!m || m.delivery_status !== 'queued') return;
    const fail = (reason: string) => deps.delivery.deliveryStatus(m.conversation_id, id, 'failed', reason.slice(0, 500));
    const sender = await resolveSender(deps, m.hotel_id, m.channel_id);
    if (!sender) {
      await fail('no WhatsApp sender: the hotel has no active WhatsApp channel with an access token and no global sender is configured');
      return;
    }
    const msg = messageOf(deps, m);
    if (needsServiceWindow(msg) && !windowOpen(m.last_inbound_at)) {
      await fail(outsideWindowReason(m.last_inbound_at));
      return;
    }
    let providerMessageId: string;
    try {
      ({ providerMessageId } = await paced(deps, job, sender, msg));
    } catch (err) {
      const final = err instanceof PermanentJobError || job.deliveries >= deps.maxDeliveries;
      if (final) await fail(staffReason(err));
      throw err;
    }
    // Outside the try: a send that succeeded is never marked failed because recording it did not
    // answer in time; the redelivered job finds the message still queued and sends again.
    await deps.delivery.deliveryStatus(m.conversation_id, id, 'sent', null, providerMessageId);
  };
}

/** What staff read: Meta's code and title when Meta answered, else the error itself. */
function staffReason(err: unknown): string {
  const cause = err instanceof ProviderError ? err : (err as { cause?: unknown })?.cause;
  if (cause instanceof ProviderError && cause.failure) return failureReason(cause.failure);
  return (err as Error).message;
}

async function reopenButton(deps: WhatsAppSendDeps, job: Job, p: Payload): Promise<void> {
  if (typeof p.to !== 'string' || typeof p.conversation_id !== 'number') throw new PermanentJobError('reopen_button without a recipient');
  const conv = await lastInboundOfConversation(deps.sql, p.conversation_id);
  if (!conv) return;
  const sender = await resolveSender(deps, conv.hotel_id, conv.channel_id);
  if (!sender) throw new PermanentJobError('reopen_button: no WhatsApp sender for this hotel');
  if (!windowOpen(conv.last_inbound_at)) throw new PermanentJobError(`reopen_button not sent: ${outsideWindowReason(conv.last_inbound_at)}`);
  await paced(deps, job, sender, {
    to: p.to,
    kind: 'buttons',
    text: `There is an update to your ${p.department ?? ''} conversation, do you want to continue?`.replace('  ', ' '),
    buttons: [{ id: `accept_reopen_conversation_conv#${p.conversation_id}`, title: 'Continue' }],
  });
}

/**
 * The department menu the inbound side asks for when a checked-in guest writes without an active
 * conversation: an interactive list from the channel the guest wrote to (no window check: it
 * answers a message that just arrived).
 */
async function departmentMenuJob(deps: WhatsAppSendDeps, job: Job, p: Payload): Promise<void> {
  if (typeof p.to !== 'string' || !/^\+?\d{5,20}$/.test(p.to)) throw new PermanentJobError('department_menu without a recipient');
  if (typeof p.channel_id !== 'number' || !Number.isSafeInteger(p.channel_id)) throw new PermanentJobError('department_menu without a channel');
  const raw = Array.isArray(p.departments) ? p.departments : [];
  const departments = [...new Set(raw.map((d) => (typeof d === 'string' ? canonicalDepartment(d) : null)).filter((d): d is NonNullable<typeof d> => d !== null))];
  if (departments.length === 0) throw new PermanentJobError('department_menu without departments');
  const sender = await channelSender(deps, p.channel_id);
  if (!sender) throw new PermanentJobError(`department_menu: channel ${p.channel_id} is not an active WhatsApp channel with a token`);
  await paced(deps, job, sender, departmentMenu(p.to, departments));
}

/** Waits for the number's next send slot, sends, and turns Meta's answer into the job's outcome. */
async function paced(deps: WhatsAppSendDeps, job: Job, sender: ResolvedSender, msg: OutboundMessage): Promise<{ providerMessageId: string }> {
  // A number held off for long (Meta throttled it) must not hold worker slots other numbers need:
  // the job goes back to the queue until then instead of sleeping here.
  const ahead = deps.pacers.wait(sender.phoneNumberId);
  if (ahead > MAX_PACE_WAIT_MS) throw new RetryLaterError(`sending from ${sender.phoneNumberId} is held off for ${Math.ceil(ahead / 1000)} s (WhatsApp throttling)`, ahead);
  const wait = deps.pacers.reserve(sender.phoneNumberId);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  try {
    return await deps.send(sender, msg);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    const f = err.failure;
    if (f?.kind === 'throttled') {
      deps.pacers.pause(sender.phoneNumberId, f.retryAfterMs);
      deps.log.warn({ job: job.id, code: f.code, phoneNumberId: sender.phoneNumberId, holdMs: f.retryAfterMs }, 'WhatsApp throttled a send; backing off');
      throw new RetryLaterError(err.message, f.retryAfterMs * 2 ** Math.max(0, job.deliveries - 1), { cause: err });
    }
    if (!err.retryable) throw new PermanentJobError(err.message, { cause: err });
    deps.log.debug({ job: job.id, err: err.message }, 'whatsapp send failed');
    throw err;
  }
}
