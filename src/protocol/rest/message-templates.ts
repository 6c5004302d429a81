// Wire shapes of the dashboard's message-templates page: /api/chat/templates/… (global templates)
// and /api/chat/custom-templates/… (the hotel's own). Create and update come as JSON or as
// multipart form fields (all strings); formValues() turns the latter into the types below first.
import { Type } from 'typebox';
import { TEMPLATE_TYPE_VALUES } from '../../core/message-templates.js';
import { PageQuery } from './paging.js';

const strict = { additionalProperties: false } as const;
const TemplateTypeLiteral = Type.Union(TEMPLATE_TYPE_VALUES.map((v) => Type.Literal(v)), { description: 'greeting, checkin, service, farewell, emergency, promotion or general' });
const Variable = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'a variable name' });

const fields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  template_type: TemplateTypeLiteral,
  // the dashboard sends the type twice, as template_type and as category
  category: TemplateTypeLiteral,
  text_content: Type.String({ minLength: 1, maxLength: 4096 }),
  variables: Type.Array(Variable, { maxItems: 50 }),
  is_active: Type.Boolean(),
  is_customizable: Type.Boolean(),
  description: Type.String({ maxLength: 2000 }),
  media_url: Type.Union([Type.Null(), Type.String({ maxLength: 2048, pattern: '^https?://[^\\s]+$', description: 'an http(s) URL' })]),
  media_filename: Type.Union([Type.Null(), Type.String({ maxLength: 255 })]),
};

export const GlobalTemplateCreate = Type.Object(
  {
    name: fields.name,
    template_type: Type.Optional(fields.template_type),
    category: Type.Optional(fields.category),
    text_content: fields.text_content,
    variables: Type.Optional(fields.variables),
    is_active: Type.Optional(fields.is_active),
    is_customizable: Type.Optional(fields.is_customizable),
    description: Type.Optional(fields.description),
    media_url: Type.Optional(fields.media_url),
    media_filename: Type.Optional(fields.media_filename),
  },
  strict,
);
export const GlobalTemplatePatch = Type.Partial(GlobalTemplateCreate, strict);

export const CustomTemplateCreate = Type.Object(
  {
    ...GlobalTemplateCreate.properties,
    base_template: Type.Optional(Type.Union([Type.Null(), Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })], { description: 'a global template id' })),
    hotel: Type.Optional(Type.String({ maxLength: 36, description: 'platform administrators: the hotel (uuid); ignored for hotel users, whose templates belong to their hotel' })),
  },
  strict,
);
export const CustomTemplatePatch = Type.Partial(CustomTemplateCreate, strict);

export const TemplateListQuery = Type.Object(
  {
    ...PageQuery,
    search: Type.Optional(Type.String({ maxLength: 100 })),
    template_type: Type.Optional(TemplateTypeLiteral),
    is_active: Type.Optional(Type.Boolean()),
    hotel: Type.Optional(Type.String({ maxLength: 36 })),
  },
  strict,
);

const BOOLEAN_FIELDS = new Set(['is_active', 'is_customizable']);

/**
 * Multipart fields are strings: "true"/"false" become booleans, `variables` a JSON list (or a
 * comma-separated one), `base_template` a number ("" or "null": none), "" media fields null.
 * Anything unreadable is left as it is, for the schema to name.
 */
export function formValues(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') {
      out[k] = v;
      continue;
    }
    if (BOOLEAN_FIELDS.has(k)) out[k] = v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v;
    else if (k === 'variables') {
      const t = v.trim();
      if (t === '') out[k] = [];
      else if (t.startsWith('[')) {
        try {
          out[k] = JSON.parse(t) as unknown;
        } catch {
          out[k] = v;
        }
      } else out[k] = t.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (k === 'base_template') out[k] = v === '' || v === 'null' ? null : /^\d{1,15}$/.test(v) ? Number(v) : v;
    else if (k === 'media_url' || k === 'media_filename') out[k] = v === '' ? null : v;
    else out[k] = v;
  }
  return out;
}
