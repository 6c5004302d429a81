// whatsapp.send: a staff reply (or a provider-side action such as the reopen button) goes to the
// guest through the provider. The message's delivery status only moves forward: queued → sent,
// or → failed when retrying cannot help or the deliveries ran out. Both go through the
// conversation's actor (SystemCommands.deliveryStatus), so staff see a failed reply live. A
// redelivered job whose message is no longer queued does nothing (idempotent).
import type { MediaSigner } from '../../media/signer.js';
import type { Logger } from '../../obs/log.js';
import { ProviderError, type OutboundMessage, type WhatsAppProvider } from '../../providers/whatsapp.js';
import type { Sql } from '../../store/db.js';
import type { SystemCommands } from '../../chat/commands/system.js';
import { outboundContext } from '../../store/messages.js';
import { PermanentJobError, type Job } from '../queue.js';

export interface WhatsAppSendDeps {
  sql: Sql;
  delivery: Pick<SystemCommands, 'deliveryStatus'>;
  provider: WhatsAppProvider;
  signer: MediaSigner;
  maxDeliveries: number;
  log: Logger;
  /** The sender of one WhatsApp Cloud API channel (its number and token), when it has one. */
  channelProvider?: (channelId: number) => Promise<WhatsAppProvider | undefined>;
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

/** Descriptions of the department menu's rows (the original system's wording). */
const DEPARTMENT_DESCRIPTIONS: Record<string, string> = {
  Reception: 'Front desk and guest services',
  Housekeeping: 'Room cleaning and maintenance',
  'Room Service': 'In-room dining and amenities',
  Restaurant: 'Dining reservations and inquiries',
  Management: 'Speak with hotel management',
};

export function whatsappSendHandler(deps: WhatsAppSendDeps) {
  return async (job: Job<Payload>): Promise<void> => {
    const p = job.payload ?? {};
    if (p.action === 'reopen_button') {
      if (typeof p.to !== 'string' || typeof p.conversation_id !== 'number') throw new PermanentJobError('reopen_button without a recipient');
      await send(deps, job, {
        to: p.to,
        kind: 'buttons',
        text: `There is an update to your ${p.department ?? ''} conversation, do you want to continue?`.replace('  ', ' '),
        buttons: [{ id: `accept_reopen_conversation_conv#${p.conversation_id}`, title: 'Continue' }],
      });
      return;
    }
    if (p.action === 'department_menu') {
      const departments = Array.isArray(p.departments) ? p.departments.filter((d): d is string => typeof d === 'string').slice(0, 10) : [];
      if (typeof p.to !== 'string' || departments.length === 0) throw new PermanentJobError('department_menu without a recipient or departments');
      // From the number the guest wrote to, when that channel can send; else the configured sender.
      const provider = (typeof p.channel_id === 'number' ? await deps.channelProvider?.(p.channel_id) : undefined) ?? deps.provider;
      await send({ ...deps, provider }, job, {
        to: p.to,
        kind: 'list',
        text: 'Welcome! Which department would you like to talk to?',
        button: 'Departments',
        sections: [{ title: 'Departments', rows: departments.map((d) => ({ id: `dept:${d}`, title: d, description: DEPARTMENT_DESCRIPTIONS[d] })) }],
      });
      return;
    }
    const id = Number(p.message_id);
    if (!Number.isSafeInteger(id)) throw new PermanentJobError('whatsapp.send without a message id');
    const m = await outboundContext(deps.sql, id);
    if (!m || m.delivery_status !== 'queued') return;
    const msg: OutboundMessage =
      m.message_type === 'text' || m.message_type === 'system' || (!m.media_key && !m.media_url)
        ? { to: m.guest_number, kind: 'text', text: m.content }
        : {
            to: m.guest_number,
            kind: 'media',
            mediaType: m.message_type as 'image' | 'document' | 'video' | 'audio',
            link: m.media_key ? deps.signer.url(m.media_key, 24 * 3600) : m.media_url!,
            caption: m.content !== m.media_filename ? m.content : undefined,
            filename: m.media_filename ?? undefined,
          };
    let providerMessageId: string;
    try {
      ({ providerMessageId } = await send(deps, job, msg));
    } catch (err) {
      const final = err instanceof PermanentJobError || job.deliveries >= deps.maxDeliveries;
      if (final) await deps.delivery.deliveryStatus(m.conversation_id, id, 'failed', (err as Error).message.slice(0, 500));
      throw err;
    }
    // Outside the try: a send that succeeded is never marked failed because recording it did not
    // answer in time; the redelivered job finds the message still queued and sends again.
    await deps.delivery.deliveryStatus(m.conversation_id, id, 'sent', null, providerMessageId);
  };
}

async function send(deps: WhatsAppSendDeps, job: Job, msg: OutboundMessage): Promise<{ providerMessageId: string }> {
  try {
    return await deps.provider.send(msg);
  } catch (err) {
    if (err instanceof ProviderError && !err.retryable) throw new PermanentJobError(err.message);
    deps.log.debug({ job: job.id, err: (err as Error).message }, 'whatsapp send failed');
    throw err;
  }
}
