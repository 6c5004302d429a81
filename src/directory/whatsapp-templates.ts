// Approved WhatsApp message templates of a hotel: synced from the Business Account of each of its
// channels (on a schedule, once per cluster, and on demand), listed for its staff. Only APPROVED
// templates can be sent (chat/commands/staff.ts sendTemplate); the others are kept so staff can
// see why one is missing (PENDING, REJECTED, PAUSED…).
import { ForbiddenError, ValidationError } from '../core/errors.js';
import type { User } from '../core/directory.js';
import type { Page, Paged } from '../core/paging.js';
import type { WhatsAppChannel } from '../core/channel.js';
import { placeholderCount } from '../core/whatsapp.js';
import type { GraphTemplate } from '../providers/whatsapp.js';
import type { Logger } from '../obs/log.js';
import type { Sql } from '../store/db.js';
import * as store from '../store/whatsapp.js';
import { isChatStaff, isPlatformAdmin } from './roles.js';
import { listScope, notFound } from './scope.js';

export interface TemplateServiceDeps {
  sql: Sql;
  /** Meta's template list of a Business Account, every page (providers/whatsapp.ts listTemplates). */
  fetchTemplates: (channel: WhatsAppChannel) => Promise<GraphTemplate[]>;
  log: Logger;
}

export type SyncResult = { channel_id: number; stored: number; removed: number } | { channel_id: number; error: string };

/** The body component's text, where Meta puts the {{n}} placeholders a send fills. */
export function bodyText(components: unknown[]): string {
  for (const c of components) {
    if (c && typeof c === 'object' && String((c as { type?: unknown }).type).toUpperCase() === 'BODY') {
      const text = (c as { text?: unknown }).text;
      return typeof text === 'string' ? text.slice(0, 4096) : '';
    }
  }
  return '';
}

export function templateRow(t: GraphTemplate): store.TemplateRow {
  const body = bodyText(t.components);
  return {
    meta_id: t.id.slice(0, 64),
    name: t.name.slice(0, 512),
    language: t.language.slice(0, 16),
    status: t.status.toUpperCase().slice(0, 32),
    category: t.category.toUpperCase().slice(0, 32),
    components: t.components,
    body_text: body,
    param_count: Math.min(100, placeholderCount(body)),
  };
}

/** Hotel admins and managers sync; every chat staff member of the hotel reads. */
function canSync(u: Pick<User, 'user_type'>): boolean {
  return u.user_type === 'hotel_admin' || u.user_type === 'manager' || isPlatformAdmin(u);
}

export class WhatsAppTemplateService {
  constructor(private readonly deps: TemplateServiceDeps) {}

  list(actor: User, q: { status?: string; channel_id?: number; name?: string; hotel?: string }, page: Page): Promise<Paged<store.WhatsAppTemplate>> {
    if (!isChatStaff(actor) && !isPlatformAdmin(actor)) throw new ForbiddenError('You do not have permission to view message templates.');
    return store.listTemplates(
      this.deps.sql,
      { hotelId: listScope(actor, q.hotel), status: q.status ?? 'APPROVED', channelId: q.channel_id, name: q.name },
      page,
    );
  }

  async get(actor: User, id: number): Promise<store.WhatsAppTemplate> {
    if (!isChatStaff(actor) && !isPlatformAdmin(actor)) throw new ForbiddenError('You do not have permission to view message templates.');
    const t = await store.findTemplate(this.deps.sql, isPlatformAdmin(actor) ? null : actor.hotel_id, id);
    if (!t) throw notFound('Template');
    return t;
  }

  /** On demand: the caller's hotel's channels (or one of them), now. */
  async sync(actor: User, q: { channel_id?: number; hotel_id?: string }): Promise<SyncResult[]> {
    if (!canSync(actor)) throw new ForbiddenError('You do not have permission to sync message templates.');
    const hotelId = isPlatformAdmin(actor) ? (q.hotel_id ?? null) : actor.hotel_id!;
    if (isPlatformAdmin(actor) && hotelId === null && q.channel_id === undefined) {
      throw ValidationError.of({ hotel_id: 'is required for platform administrators (or name a channel_id)' });
    }
    const sources = await store.templateSources(this.deps.sql, hotelId, q.channel_id);
    if (q.channel_id !== undefined && sources.length === 0) throw notFound('Channel');
    return this.syncChannels(sources);
  }

  /** The scheduled sync: every active channel with a Business Account, one after another. */
  async syncAll(): Promise<{ channels: number; failed: number; templates: number }> {
    const results = await this.syncChannels(await store.templateSources(this.deps.sql, null));
    return {
      channels: results.length,
      failed: results.filter((r) => 'error' in r).length,
      templates: results.reduce((n, r) => n + ('stored' in r ? r.stored : 0), 0),
    };
  }

  private async syncChannels(channels: WhatsAppChannel[]): Promise<SyncResult[]> {
    const out: SyncResult[] = [];
    for (const c of channels) {
      try {
        const listed = await this.deps.fetchTemplates(c);
        // Meta lists a name once per language; a repeat inside one answer is kept once.
        const rows = [...new Map(listed.map((t) => [`${t.name}\u0000${t.language}`, templateRow(t)])).values()];
        out.push({ channel_id: c.id, ...(await store.replaceChannelTemplates(this.deps.sql, c, rows)) });
      } catch (err) {
        // One account failing (a revoked token) must not stop the others: reported and logged.
        const message = (err as Error).message.slice(0, 300);
        this.deps.log.warn({ channel: c.id, err: message }, 'template sync of a channel failed');
        out.push({ channel_id: c.id, error: message });
      }
    }
    return out;
  }
}
