// Wire shapes of the template and WhatsApp webhook responses (typebox), beside replies.ts and
// closed like its objects: transport/presenters/whatsapp.ts and transport/routes/templates.ts
// build them, test/contract/responses-whatsapp.test.ts checks real responses against them.
// Also the multipart forms those routes take (their JSON bodies are message-templates.ts).
import { Type, type TSchema } from 'typebox';
import { closed, obj, nullable, Str, Int, Bool, When, HotelId } from './reply-kit.js';
import { TEMPLATE_TYPE_VALUES } from '../../core/message-templates.js';

const TemplateType = Type.Union(TEMPLATE_TYPE_VALUES.map((v) => Type.Literal(v)));

// ───── WhatsApp (Meta) templates ─────
export const WhatsAppTemplateReply = obj({
  id: Int,
  channel_id: Int,
  meta_id: Type.String({ description: 'Meta\'s template id' }),
  name: Str,
  language: Type.String({ description: 'e.g. en_US' }),
  status: Type.String({ description: 'Meta\'s review status, upper case (APPROVED, PENDING, REJECTED, …)' }),
  category: Type.String({ description: 'UTILITY, MARKETING or AUTHENTICATION' }),
  body_text: Type.String({ description: 'the BODY component\'s text, with its {{n}} placeholders' }),
  parameter_count: Type.Integer({ description: 'how many parameters a send must give' }),
  components: Type.Array(Type.Unknown(), { description: 'the components as Meta lists them' }),
  synced_at: When,
});

export const TemplateSyncReply = obj({
  results: Type.Array(
    Type.Union([
      obj({ channel_id: Int, stored: Type.Integer({ description: 'templates now held' }), removed: Type.Integer({ description: 'templates Meta no longer lists' }) }),
      obj({ channel_id: Int, error: Type.String({ description: 'why this channel\'s sync failed (the others still ran)' }) }),
    ]),
    { description: 'one per channel synced' },
  ),
});

// ───── the dashboard's templates ─────
const templateFields = {
  id: Int,
  name: Str,
  template_type: TemplateType,
  category: Type.Union(TEMPLATE_TYPE_VALUES.map((v) => Type.Literal(v)), { description: 'the same as template_type' }),
  text_content: Str,
  media_file: nullable(Type.String({ description: 'the image\'s link (signed when stored here); the same as media_url' })),
  media_url: nullable(Str),
  media_filename: nullable(Str),
  is_customizable: Bool,
  is_active: Bool,
  variables: Type.Array(Str),
  description: Str,
  created_at: When,
  updated_at: When,
};
export const GlobalTemplateReply = obj(templateFields);
export const CustomTemplateReply = obj({
  ...templateFields,
  hotel: HotelId,
  hotel_name: Str,
  base_template: nullable(Type.Integer({ description: 'the global template it is based on' })),
  base_template_name: nullable(Str),
});

const TypePair = Type.Tuple([Str, Str], { description: '[value, label]' });
export const TemplateTypesReply = obj({ template_types: Type.Array(TypePair), categories: Type.Array(TypePair, { description: 'the same as template_types' }) });

export const TemplateVariableReply = obj({
  name: Str,
  model: Type.String({ description: 'where the value comes from: Hotel, WiFi, Guest, Room, Booking, Stay or System' }),
  field: Str,
  description: Str,
  example: Str,
});
export const TemplateVariablesReply = obj({
  variables: Type.Array(TemplateVariableReply),
  grouped_by_model: Type.Record(Type.String(), Type.Array(TemplateVariableReply), { description: 'model → its variables' }),
  total_count: Int,
});

export const TemplatePreviewReply = obj({
  template_id: Int,
  template_name: Str,
  template_type: TemplateType,
  template_model: Type.Union([Type.Literal('global'), Type.Literal('custom')]),
  rendered_content: Type.String({ description: 'the text with sample values (the hotel\'s real name when there is a hotel)' }),
  sample_data: Type.Record(Type.String(), Type.String(), { description: 'variable → the value used' }),
  hotel_id: Type.Optional(HotelId),
  hotel_name: Type.Optional(Str),
  media_url: nullable(Str),
  media_filename: nullable(Str),
});

export const TemplateMediaReply = obj({
  message: Str,
  file_url: Type.String({ description: 'a signed link; give it as media_url of a template' }),
  filename: Str,
  file_type: Type.Literal('image'),
  file_info: obj({ original_name: Str, size: Type.Integer({ description: 'bytes' }), content_type: Str }),
});

// Multipart forms: every field is text (formValues() in message-templates.ts reads them).
const formFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  template_type: TemplateType,
  category: Type.Union(TEMPLATE_TYPE_VALUES.map((v) => Type.Literal(v)), { description: 'the same as template_type' }),
  text_content: Type.String({ minLength: 1, maxLength: 4096 }),
  variables: Type.String({ description: 'a JSON list of names, or names separated by commas' }),
  is_active: Type.String({ description: 'true/false (or 1/0)' }),
  is_customizable: Type.String({ description: 'true/false (or 1/0)' }),
  description: Type.String({ maxLength: 2000 }),
  media_url: Type.String({ description: 'an http(s) URL (file_url of upload-template-media); empty: none' }),
  media_filename: Type.String({ maxLength: 255 }),
  media_file: Type.String({ contentMediaType: 'application/octet-stream', description: 'an image stored with the template (instead of media_url)' }),
};
const optional = <P extends Record<string, TSchema>>(p: P) =>
  Object.fromEntries(Object.entries(p).map(([k, s]) => [k, Type.Optional(s)])) as { [K in keyof P]: ReturnType<typeof Type.Optional<P[K]>> };
const { name, text_content, ...rest } = formFields;
const customExtra = {
  base_template: Type.String({ description: 'a global template id; empty or null: none' }),
  hotel: Type.String({ maxLength: 36, description: 'platform administrators: the hotel (uuid)' }),
};
export const GlobalTemplateForm = obj({ name, text_content, ...optional(rest) }, 'JSON (GlobalTemplateCreate) is taken too');
export const GlobalTemplatePatchForm = obj(optional(formFields), 'JSON (GlobalTemplatePatch) is taken too');
export const CustomTemplateForm = obj({ name, text_content, ...optional({ ...rest, ...customExtra }) }, 'JSON (CustomTemplateCreate) is taken too');
export const CustomTemplatePatchForm = obj(optional({ ...formFields, ...customExtra }), 'JSON (CustomTemplatePatch) is taken too');
export const TemplateMediaForm = obj({
  file: Type.String({ contentMediaType: 'application/octet-stream', description: 'an image (JPEG, PNG, GIF or WebP)' }),
});

// ───── Meta's webhook ─────
export const WhatsAppWebhookReply = obj({
  status: Type.Literal('accepted'),
  messages: Type.Integer({ description: 'messages stored (or queued, WEBHOOK_MODE=queued)' }),
  statuses: Type.Integer({ description: 'delivery statuses applied (or queued)' }),
  refused: Type.Integer({ description: 'changes skipped: their number is not a channel of the app that signed' }),
});
