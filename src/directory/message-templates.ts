// The dashboard's message templates. Global templates: every hotel user reads the customizable,
// active ones; platform administrators read all and write them. Custom templates belong to one
// hotel: its staff read them, its admins and managers write them; another hotel's is a 404.
import { ConflictError, ForbiddenError, ValidationError } from '../core/errors.js';
import type { User } from '../core/directory.js';
import type { Page, Paged } from '../core/paging.js';
import {
  sampleData,
  type CustomTemplate,
  type GlobalTemplate,
  type TemplateFields,
  type TemplateType,
} from '../core/message-templates.js';
import { renderVariables } from '../core/whatsapp.js';
import type { Sql } from '../store/db.js';
import { isUniqueViolation } from '../store/errors.js';
import * as store from '../store/message-templates.js';
import { findHotel } from '../store/hotels.js';
import { isChatStaff, isPlatformAdmin } from './roles.js';
import { isUuid, listScope, notFound, writeScope } from './scope.js';

export interface TemplateInput {
  name?: string;
  template_type?: TemplateType;
  category?: TemplateType;
  text_content?: string;
  variables?: string[];
  is_active?: boolean;
  is_customizable?: boolean;
  description?: string;
  media_url?: string | null;
  media_filename?: string | null;
  base_template?: number | null;
  hotel?: string;
}

export interface TemplateListInput {
  search?: string;
  template_type?: TemplateType;
  is_active?: boolean;
  hotel?: string;
}

/** Where template images go (media/template-media.ts). */
export interface TemplateMediaPort {
  store(hotelId: string | null, file: { bytes: Buffer; filename: string }, field?: string): Promise<{ key: string; filename: string; mime: string; size: number }>;
  keyOf(url: string, hotelId: string | null): string | null;
}

export interface TemplateFile {
  bytes: Buffer;
  filename: string;
}

export interface Preview {
  template_id: number;
  template_name: string;
  template_type: string;
  template_model: 'global' | 'custom';
  rendered_content: string;
  sample_data: Record<string, string>;
  hotel_id?: string;
  hotel_name?: string;
  media_key?: string | null;
  media_url?: string | null;
  media_filename?: string | null;
}

/** {{name}} and {name} placeholders of a text, in order of first use. */
export function variablesOf(text: string): string[] {
  const seen: string[] = [];
  for (const m of text.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}|\{([A-Za-z_][A-Za-z0-9_]{0,63})\}/g)) {
    const v = (m[1] ?? m[2])!;
    if (!seen.includes(v)) seen.push(v);
  }
  return seen.slice(0, 50);
}

function canRead(u: User): boolean {
  return isChatStaff(u) || isPlatformAdmin(u);
}

function canWriteCustom(u: User): boolean {
  return u.user_type === 'hotel_admin' || u.user_type === 'manager' || isPlatformAdmin(u);
}

function nameTaken(err: unknown): never {
  if (isUniqueViolation(err)) throw new ConflictError('A template with this name already exists.', { details: { field: 'name' } });
  // The named hotel (platform administrators) or base template was removed meanwhile.
  if ((err as { code?: unknown })?.code === '23503') throw ValidationError.of({ hotel: 'no such hotel (or base_template: no such template)' });
  throw err;
}

/** The stored fields of an input: the type from template_type, else category. */
function fieldsOf(b: TemplateInput, creating: boolean): Partial<TemplateFields> & { base_template?: number | null } {
  const f: Partial<TemplateFields> & { base_template?: number | null } = {
    name: b.name?.trim(),
    template_type: b.template_type ?? b.category ?? (creating ? 'general' : undefined),
    text_content: b.text_content,
    variables: b.variables ?? (b.text_content !== undefined ? variablesOf(b.text_content) : undefined),
    is_active: b.is_active,
    is_customizable: b.is_customizable,
    description: b.description,
    media_url: b.media_url,
    media_filename: b.media_filename,
    base_template: b.base_template,
  };
  if (f.name === '') throw ValidationError.of({ name: 'must not be blank' });
  return f;
}

export class MessageTemplateService {
  constructor(private readonly deps: { sql: Sql; media?: TemplateMediaPort }) {}

  /**
   * A stored image from the form's media_file, or our own uploaded image named by media_url
   * (kept as its key: signed links expire), or an outside link as given.
   */
  private async withMedia<F extends Partial<TemplateFields>>(f: F, b: TemplateInput, hotelId: string | null, file?: TemplateFile): Promise<F> {
    if (file) {
      if (!this.deps.media) throw ValidationError.of({ media_file: 'template images cannot be stored on this server' });
      const s = await this.deps.media.store(hotelId, file, 'media_file');
      return { ...f, media_key: s.key, media_url: null, media_filename: b.media_filename ?? s.filename };
    }
    if (b.media_url === undefined) return f;
    const key = b.media_url ? (this.deps.media?.keyOf(b.media_url, hotelId) ?? null) : null;
    return key ? { ...f, media_key: key, media_url: null } : { ...f, media_key: null };
  }

  /** POST /chat/upload-template-media/: an image for a template, not yet attached to one. */
  async uploadMedia(actor: User, file: TemplateFile | null) {
    if (!canWriteCustom(actor)) throw new ForbiddenError('You do not have permission to upload template media.');
    if (!file) throw ValidationError.of({ file: 'is required' });
    if (!this.deps.media) throw ValidationError.of({ file: 'template images cannot be stored on this server' });
    const s = await this.deps.media.store(isPlatformAdmin(actor) ? null : actor.hotel_id, file, 'file');
    return s;
  }

  /** Who may read templates (the catalogs of types and variables too). */
  assertReader(u: User): void {
    this.requireRead(u);
  }

  private requireRead(u: User): void {
    if (!canRead(u)) throw new ForbiddenError('You do not have permission to view message templates.');
  }

  // ───── global ─────

  listGlobal(actor: User, q: TemplateListInput, page: Page): Promise<Paged<GlobalTemplate>> {
    this.requireRead(actor);
    return store.listGlobal(this.deps.sql, { all: isPlatformAdmin(actor), search: q.search, templateType: q.template_type, isActive: q.is_active }, page);
  }

  async getGlobal(actor: User, id: number): Promise<GlobalTemplate> {
    this.requireRead(actor);
    const t = await store.findGlobal(this.deps.sql, id, isPlatformAdmin(actor));
    if (!t) throw notFound('Template');
    return t;
  }

  async createGlobal(actor: User, b: TemplateInput, file?: TemplateFile): Promise<GlobalTemplate> {
    if (!isPlatformAdmin(actor)) throw new ForbiddenError('Only platform administrators can write global templates.');
    const f = await this.withMedia(fieldsOf(b, true), b, null, file);
    delete f.base_template;
    try {
      return await store.insertGlobal(this.deps.sql, f as TemplateFields);
    } catch (err) {
      nameTaken(err);
    }
  }

  async updateGlobal(actor: User, id: number, b: TemplateInput, file?: TemplateFile): Promise<GlobalTemplate> {
    if (!isPlatformAdmin(actor)) throw new ForbiddenError('Only platform administrators can write global templates.');
    const f = await this.withMedia(fieldsOf(b, false), b, null, file);
    delete f.base_template;
    try {
      const t = await store.updateGlobal(this.deps.sql, id, f);
      if (!t) throw notFound('Template');
      return t;
    } catch (err) {
      nameTaken(err);
    }
  }

  async deleteGlobal(actor: User, id: number): Promise<void> {
    if (!isPlatformAdmin(actor)) throw new ForbiddenError('Only platform administrators can write global templates.');
    if (!(await store.deleteGlobal(this.deps.sql, id))) throw notFound('Template');
  }

  // ───── custom (per hotel) ─────

  listCustom(actor: User, q: TemplateListInput, page: Page): Promise<Paged<CustomTemplate>> {
    this.requireRead(actor);
    return store.listCustom(this.deps.sql, listScope(actor, q.hotel), { all: true, search: q.search, templateType: q.template_type, isActive: q.is_active }, page);
  }

  async getCustom(actor: User, id: number): Promise<CustomTemplate> {
    this.requireRead(actor);
    const t = await store.findCustom(this.deps.sql, isPlatformAdmin(actor) ? null : actor.hotel_id, id);
    if (!t) throw notFound('Template');
    return t;
  }

  private async checkBase(base: number | null | undefined): Promise<void> {
    if (base === undefined || base === null) return;
    if (!(await store.findGlobal(this.deps.sql, base, false))) throw ValidationError.of({ base_template: 'no customizable global template has this id' });
  }

  async createCustom(actor: User, b: TemplateInput & { hotel_id?: string }, file?: TemplateFile): Promise<CustomTemplate> {
    if (!canWriteCustom(actor)) throw new ForbiddenError('You do not have permission to manage message templates.');
    const named = isPlatformAdmin(actor) ? (b.hotel_id ?? b.hotel) : undefined;
    if (named !== undefined && !isUuid(named)) throw ValidationError.of({ hotel: 'must be a hotel id (uuid)' });
    const hotelId = writeScope(actor, named);
    const f = await this.withMedia(fieldsOf(b, true), b, hotelId, file);
    await this.checkBase(f.base_template);
    try {
      return await store.insertCustom(this.deps.sql, hotelId, f as TemplateFields & { base_template?: number | null });
    } catch (err) {
      nameTaken(err);
    }
  }

  async updateCustom(actor: User, id: number, b: TemplateInput, file?: TemplateFile): Promise<CustomTemplate> {
    if (!canWriteCustom(actor)) throw new ForbiddenError('You do not have permission to manage message templates.');
    const before = await this.getCustom(actor, id);
    const f = await this.withMedia(fieldsOf(b, false), b, before.hotel_id, file);
    await this.checkBase(f.base_template);
    try {
      const t = await store.updateCustom(this.deps.sql, before.hotel_id, id, f);
      if (!t) throw notFound('Template');
      return t;
    } catch (err) {
      nameTaken(err);
    }
  }

  async deleteCustom(actor: User, id: number): Promise<void> {
    if (!canWriteCustom(actor)) throw new ForbiddenError('You do not have permission to manage message templates.');
    const t = await this.getCustom(actor, id);
    if (!(await store.deleteCustom(this.deps.sql, t.hotel_id, id))) throw notFound('Template');
  }

  // ───── preview ─────

  /**
   * The template rendered with sample values (the hotel's real name for a hotel user). Each route
   * previews its own kind: unlike the original, a custom id never previews a global template.
   */
  async preview(actor: User, kind: 'global' | 'custom', id: number): Promise<Preview> {
    const t = kind === 'global' ? await this.getGlobal(actor, id) : await this.getCustom(actor, id);
    const hotelId = kind === 'custom' ? (t as CustomTemplate).hotel_id : actor.hotel_id;
    const hotel = hotelId ? await findHotel(this.deps.sql, hotelId) : undefined;
    const sample = { ...sampleData(), ...(hotel ? { hotel_name: hotel.name } : {}) };
    return {
      template_id: t.id,
      template_name: t.name,
      template_type: t.template_type,
      template_model: kind,
      rendered_content: renderVariables(t.text_content, sample),
      sample_data: sample,
      ...(hotel ? { hotel_id: hotel.id, hotel_name: hotel.name } : {}),
      media_key: t.media_key,
      media_url: t.media_url,
      media_filename: t.media_filename,
    };
  }
}
