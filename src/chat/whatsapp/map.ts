// Meta's webhook messages and statuses → what we store. Pure: no I/O, no clock.
//
// Every message becomes something stored; nothing is dropped:
// - text, template quick-reply buttons and interactive replies → a text message (the button or
//   row title the guest tapped); a reply whose id is `dept:<Department>` (the department menu)
//   also carries that department;
// - image, video, audio, document → a message of that type, caption as content, media fetched
//   later by a job; a sticker is an image;
// - location and contacts → a text message describing them (a map link, names and numbers);
// - reaction → a small text message ("Reacted 👍 …", or "Removed a reaction" for an empty emoji);
//   the command layer names the message reacted to when it is ours;
// - unsupported, unknown, system, any type we do not know, or a known type whose body does not
//   match its schema → a `system` note saying what arrived.
import { Compile, type Validator } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { canonicalDepartment, type Department } from '../../core/departments.js';
import type { DeliveryStatus, MediaType } from '../../core/chat.js';
import { repairText } from '../../core/text.js';
import { MessageSchemas, type MessageBody, type MessageKind, type WaChangeValue, type WaError, type WaMessageBase, type WaStatus } from '../../protocol/whatsapp.js';

export type WaMediaKind = MediaType | 'sticker';

/** A guest message from WhatsApp, ready to store. */
export interface WaInbound {
  wamid: string;
  /** The guest's number, digits only (Meta's `from`). */
  from: string;
  /** The guest's WhatsApp profile name, when Meta sent it. */
  name: string | null;
  /** Unix seconds (Meta's timestamp). */
  at: number;
  /** Meta's type, for logs and notes. */
  kind: string;
  messageType: 'text' | MediaType | 'system';
  content: string;
  media?: { id: string; kind: WaMediaKind; filename: string | null; mime: string | null };
  /** The department the guest picked in the menu. */
  department?: Department;
  reaction?: { messageId: string; emoji: string };
}

/** Progress of one of our outbound messages. */
export interface WaStatusUpdate {
  wamid: string;
  status: Exclude<DeliveryStatus, 'queued'>;
  /** For failed: Meta's error code and title. */
  error: string | null;
  at: number;
  recipient: string | null;
}

const checks = new Map<string, Validator<{}, TSchema>>(
  Object.entries(MessageSchemas).map(([k, s]) => [k, Compile(s as TSchema)]),
);

const clean = (s: string | undefined | null): string => repairText(s ?? '');

/** Row ids of the department menu: `dept:<Department>` (the original's `dept_<slug>` too). */
export const DEPARTMENT_ROW_PREFIX = 'dept:';

export function departmentOfChoice(id: string): Department | undefined {
  if (!id.startsWith('dept:') && !id.startsWith('dept_')) return undefined;
  return canonicalDepartment(id.slice(5)) ?? undefined;
}

export function errorText(errors: WaError[] | undefined): string | null {
  const e = errors?.[0];
  if (!e) return null;
  const title = clean(e.title ?? e.message ?? '').trim();
  const details = clean(e.error_data?.details ?? '').trim();
  return [`${e.code}${title ? `: ${title}` : ''}`, details && details !== title ? details : ''].filter(Boolean).join(' — ').slice(0, 500);
}

function body<K extends MessageKind>(m: WaMessageBase, kind: K): MessageBody<K> | undefined {
  const value = m[kind];
  return checks.get(kind)!.Check(value) ? (value as MessageBody<K>) : undefined;
}

function note(base: Omit<WaInbound, 'messageType' | 'content'>, content: string): WaInbound {
  return { ...base, messageType: 'system', content };
}

function describeLocation(l: MessageBody<'location'>): string {
  const label = [clean(l.name).trim(), clean(l.address).trim()].filter(Boolean).join(', ');
  return `📍 ${label ? `${label} ` : ''}(${l.latitude}, ${l.longitude})\nhttps://maps.google.com/?q=${l.latitude},${l.longitude}`;
}

function describeContacts(cs: MessageBody<'contacts'>): string {
  const people = cs.map((c) => {
    const name = clean(c.name?.formatted_name ?? [c.name?.first_name, c.name?.last_name].filter(Boolean).join(' ')).trim() || 'Unnamed';
    const phones = (c.phones ?? []).map((p) => clean(p.phone ?? p.wa_id ?? '').trim()).filter(Boolean);
    return phones.length ? `${name} (${phones.join(', ')})` : name;
  });
  return `👤 Shared contact${people.length > 1 ? 's' : ''}: ${people.join('; ')}`;
}

/** One Meta message → what we store. */
export function mapMessage(m: WaMessageBase, name: string | null): WaInbound {
  const base = { wamid: m.id, from: m.from, name, at: Number(m.timestamp), kind: m.type };
  const unreadable = () => note(base, `The guest sent a ${m.type} message that could not be read.`);
  switch (m.type) {
    case 'text': {
      const b = body(m, 'text');
      if (!b) return unreadable();
      const text = clean(b.body);
      return text.trim() === '' ? note(base, 'The guest sent an empty message.') : { ...base, messageType: 'text', content: text };
    }
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker': {
      const b = body(m, m.type);
      if (!b) return unreadable();
      const messageType: MediaType = m.type === 'sticker' ? 'image' : m.type;
      const filename = m.type === 'document' && b.filename ? clean(b.filename) : null;
      return { ...base, messageType, content: clean(b.caption), media: { id: b.id, kind: m.type, filename, mime: b.mime_type ?? null } };
    }
    case 'location': {
      const b = body(m, 'location');
      return b ? { ...base, messageType: 'text', content: describeLocation(b) } : unreadable();
    }
    case 'contacts': {
      const b = body(m, 'contacts');
      return b ? { ...base, messageType: 'text', content: describeContacts(b) } : unreadable();
    }
    case 'interactive': {
      const b = body(m, 'interactive');
      const reply = b?.button_reply ?? b?.list_reply;
      if (!b || !reply) return b ? note(base, `The guest sent an interactive ${clean(b.type)} reply, which is not shown here.`) : unreadable();
      const department = departmentOfChoice(reply.id);
      const content = clean(reply.title).trim() || clean(reply.id);
      return { ...base, messageType: 'text', content, ...(department ? { department } : {}) };
    }
    case 'button': {
      const b = body(m, 'button');
      if (!b) return unreadable();
      const content = clean(b.text).trim() || clean(b.payload).trim();
      return content ? { ...base, messageType: 'text', content } : note(base, 'The guest pressed a template button.');
    }
    case 'reaction': {
      const b = body(m, 'reaction');
      if (!b) return unreadable();
      const emoji = clean(b.emoji).trim();
      return { ...base, messageType: 'text', content: emoji ? `Reacted ${emoji}` : 'Removed a reaction', reaction: { messageId: b.message_id, emoji } };
    }
    case 'system': {
      const b = body(m, 'system');
      return note(base, `WhatsApp: ${clean(b?.body).trim() || 'a system notice about this guest'}`);
    }
    case 'unsupported':
    case 'unknown': {
      const why = errorText(m.errors);
      return note(base, `The guest sent a message WhatsApp does not support here${why ? ` (${why})` : ''}.`);
    }
    default:
      return note(base, `The guest sent a ${clean(m.type).slice(0, 64)} message, which is not shown here.`);
  }
}

const STATUS_KINDS = new Set(['sent', 'delivered', 'read', 'failed']);

/** One Meta status → a delivery update, or null for statuses we do not track (deleted, warnings). */
export function mapStatus(s: WaStatus): WaStatusUpdate | null {
  if (!STATUS_KINDS.has(s.status)) return null;
  const status = s.status as WaStatusUpdate['status'];
  return {
    wamid: s.id,
    status,
    error: status === 'failed' ? (errorText(s.errors) ?? 'failed without an error from WhatsApp') : null,
    at: Number(s.timestamp),
    recipient: s.recipient_id ?? null,
  };
}

/** Every message and status of one `messages` change, in delivery order. */
export function mapChange(v: WaChangeValue): { messages: WaInbound[]; statuses: WaStatusUpdate[] } {
  const names = new Map<string, string>();
  for (const c of v.contacts ?? []) {
    const n = clean(c.profile?.name).trim();
    if (c.wa_id && n) names.set(c.wa_id, n);
  }
  const messages = (v.messages ?? []).map((m) => mapMessage(m as WaMessageBase, names.get(m.from) ?? null));
  const statuses: WaStatusUpdate[] = [];
  for (const s of v.statuses ?? []) {
    const u = mapStatus(s);
    if (u) statuses.push(u);
  }
  return { messages, statuses };
}
