// The dashboard's message templates: global ones (platform-wide) and each hotel's custom ones.
import type { Page, Paged } from '../core/paging.js';
import type { CustomTemplate, GlobalTemplate, TemplateFields } from '../core/message-templates.js';
import { assignments, type Db } from './db.js';

const globalColumns = (db: Db) => db`
  t.id, t.name, t.template_type, t.text_content, t.media_key, t.media_url, t.media_filename, t.is_customizable, t.is_active,
  t.variables, t.description, t.created_at, t.updated_at`;

const customColumns = (db: Db) => db`
  t.id, t.hotel_id, h.name as hotel_name, t.base_template, b.name as base_template_name, t.name, t.template_type, t.text_content,
  t.media_key, t.media_url, t.media_filename, t.is_customizable, t.is_active, t.variables, t.description, t.created_at, t.updated_at`;

export interface TemplateFilter {
  /** false: only customizable and active ones (what hotel users see). */
  all: boolean;
  search?: string;
  templateType?: string;
  isActive?: boolean;
}

const filters = (db: Db, f: TemplateFilter) => db`
  ${f.all ? db`` : db`and t.is_customizable and t.is_active`}
  ${f.search ? db`and (strpos(lower(t.name), lower(${f.search})) > 0 or strpos(lower(t.text_content), lower(${f.search})) > 0)` : db``}
  ${f.templateType ? db`and t.template_type = ${f.templateType}` : db``}
  ${f.isActive !== undefined ? db`and t.is_active = ${f.isActive}` : db``}`;

export async function listGlobal(db: Db, f: TemplateFilter, page: Page): Promise<Paged<GlobalTemplate>> {
  const [rows, [c]] = await Promise.all([
    db<GlobalTemplate[]>`select ${globalColumns(db)} from message_templates t where true ${filters(db, f)} order by t.name limit ${page.limit} offset ${page.offset}`,
    db<{ n: number }[]>`select count(*)::int as n from message_templates t where true ${filters(db, f)}`,
  ]);
  return { count: c!.n, rows };
}

export async function findGlobal(db: Db, id: number, all: boolean): Promise<GlobalTemplate | undefined> {
  const [t] = await db<GlobalTemplate[]>`
    select ${globalColumns(db)} from message_templates t where t.id = ${id} ${all ? db`` : db`and t.is_customizable and t.is_active`}`;
  return t;
}

export async function insertGlobal(db: Db, v: TemplateFields): Promise<GlobalTemplate> {
  const [r] = await db<{ id: number }[]>`insert into message_templates ${db(toRow(db, v))} returning id`;
  return (await findGlobal(db, r!.id, true))!;
}

export async function updateGlobal(db: Db, id: number, v: Partial<TemplateFields>): Promise<GlobalTemplate | undefined> {
  const [r] = await db<{ id: number }[]>`update message_templates set ${assignments(db, toRow(db, v))} where id = ${id} returning id`;
  return r ? findGlobal(db, id, true) : undefined;
}

export async function deleteGlobal(db: Db, id: number): Promise<boolean> {
  return (await db`delete from message_templates where id = ${id} returning id`).length === 1;
}

const customFrom = (db: Db) => db`
  custom_message_templates t join hotels h on h.id = t.hotel_id left join message_templates b on b.id = t.base_template`;

export async function listCustom(db: Db, hotelId: string | null, f: TemplateFilter, page: Page): Promise<Paged<CustomTemplate>> {
  const where = db`where true ${hotelId ? db`and t.hotel_id = ${hotelId}` : db``} ${filters(db, { ...f, all: true })}`;
  const [rows, [c]] = await Promise.all([
    db<CustomTemplate[]>`select ${customColumns(db)} from ${customFrom(db)} ${where} order by t.name limit ${page.limit} offset ${page.offset}`,
    db<{ n: number }[]>`select count(*)::int as n from custom_message_templates t ${where}`,
  ]);
  return { count: c!.n, rows };
}

export async function findCustom(db: Db, hotelId: string | null, id: number): Promise<CustomTemplate | undefined> {
  const [t] = await db<CustomTemplate[]>`
    select ${customColumns(db)} from ${customFrom(db)} where t.id = ${id} ${hotelId ? db`and t.hotel_id = ${hotelId}` : db``}`;
  return t;
}

export async function insertCustom(db: Db, hotelId: string, v: TemplateFields & { base_template?: number | null }): Promise<CustomTemplate> {
  const [r] = await db<{ id: number }[]>`insert into custom_message_templates ${db({ ...toRow(db, v), hotel_id: hotelId })} returning id`;
  return (await findCustom(db, hotelId, r!.id))!;
}

export async function updateCustom(
  db: Db,
  hotelId: string,
  id: number,
  v: Partial<TemplateFields> & { base_template?: number | null },
): Promise<CustomTemplate | undefined> {
  const [r] = await db<{ id: number }[]>`
    update custom_message_templates set ${assignments(db, toRow(db, v))} where id = ${id} and hotel_id = ${hotelId} returning id`;
  return r ? findCustom(db, hotelId, id) : undefined;
}

export async function deleteCustom(db: Db, hotelId: string, id: number): Promise<boolean> {
  return (await db`delete from custom_message_templates where id = ${id} and hotel_id = ${hotelId} returning id`).length === 1;
}

/** Only the columns given; variables go in as jsonb. */
function toRow(db: Db, v: Partial<TemplateFields> & { base_template?: number | null }): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (val === undefined) continue;
    row[k] = k === 'variables' ? db.json(val as string[]) : val;
  }
  return row;
}
