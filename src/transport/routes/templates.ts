// Template REST: WhatsApp templates synced from Meta (/api/whatsapp/templates/…), a staff reply
// sent as one (/api/chat/send-template/), and the dashboard's message-templates page
// (/api/chat/templates/… and /api/chat/custom-templates/…). Handlers decode, call the services
// (which authorise and scope by hotel) and encode.
import type { Static } from 'typebox';
import type { ChatCore } from '../../chat/core.js';
import type { MediaUrl } from '../../chat/message-frame.js';
import { TEMPLATE_TYPES, TEMPLATE_VARIABLES, type CustomTemplate, type GlobalTemplate } from '../../core/message-templates.js';
import type { MessageTemplateService, Preview, TemplateFile, TemplateInput } from '../../directory/message-templates.js';
import { TEMPLATE_MEDIA_MAX_BYTES } from '../../media/template-media.js';
import { parseId } from '../../directory/scope.js';
import type { WhatsAppTemplateService } from '../../directory/whatsapp-templates.js';
import type { TemplateSendInput } from '../../chat/commands/staff.js';
import * as mt from '../../protocol/rest/message-templates.js';
import * as wa from '../../protocol/rest/whatsapp.js';
import * as r from '../../protocol/rest/replies.js';
import * as tr from '../../protocol/rest/template-replies.js';
import type { RouteDoc } from '../../protocol/contract.js';
import { validate } from '../../protocol/validate.js';
import { readForm } from '../http/form.js';
import type { HttpContext } from '../http/context.js';
import { parseQuery } from '../http/query.js';
import type { Route } from '../http/router.js';
import { restMessage } from '../presenters/chat.js';
import { presentWhatsAppTemplate } from '../presenters/whatsapp.js';
import { pageParams, type Checked, type Kit, type WireFits } from './kit.js';

type TemplateBodiesFit = Checked<[
  WireFits<Static<typeof mt.CustomTemplateCreate>, TemplateInput>,
  WireFits<Static<typeof mt.GlobalTemplateCreate>, TemplateInput>,
  WireFits<Static<typeof wa.TemplateSendBody>, TemplateSendInput>,
]>;

export interface TemplateRouteDeps {
  whatsapp: WhatsAppTemplateService;
  templates: MessageTemplateService;
  chat: Pick<ChatCore, 'staff'>;
  mediaUrl: MediaUrl;
}

function presentGlobal(t: GlobalTemplate, mediaUrl: MediaUrl) {
  const media = mediaUrl(t);
  return {
    id: t.id,
    name: t.name,
    template_type: t.template_type,
    category: t.template_type,
    text_content: t.text_content,
    media_file: media,
    media_url: media,
    media_filename: t.media_filename,
    is_customizable: t.is_customizable,
    is_active: t.is_active,
    variables: t.variables,
    description: t.description,
    created_at: t.created_at.toISOString(),
    updated_at: t.updated_at.toISOString(),
  };
}

function presentCustom(t: CustomTemplate, mediaUrl: MediaUrl) {
  return {
    ...presentGlobal(t, mediaUrl),
    hotel: t.hotel_id,
    hotel_name: t.hotel_name,
    base_template: t.base_template,
    base_template_name: t.base_template_name,
  };
}

/** A create or update body: JSON, or the page's multipart form with an optional media_file image. */
async function templateBody<S extends typeof mt.CustomTemplateCreate | typeof mt.CustomTemplatePatch | typeof mt.GlobalTemplateCreate | typeof mt.GlobalTemplatePatch>(
  ctx: HttpContext,
  schema: S,
): Promise<[Static<S>, TemplateFile | undefined]> {
  const form = await readForm(ctx.stream(), ctx.headers['content-type'] ?? '', { jsonBytes: ctx.maxBodyBytes, fileBytes: TEMPLATE_MEDIA_MAX_BYTES, fileFields: ['media_file'] });
  const body = validate(schema, mt.formValues(form.fields));
  return [body, form.file ? { bytes: form.file.bytes, filename: form.file.filename } : undefined];
}

function presentPreview(p: Preview, mediaUrl: MediaUrl) {
  const { media_key, ...rest } = p;
  return { ...rest, media_url: mediaUrl({ media_key: media_key ?? null, media_url: p.media_url ?? null }) };
}

const doc = (summary: string, responses: RouteDoc['responses'], more: Omit<RouteDoc, 'summary' | 'responses'> = {}) => ({ doc: { summary, responses, ...more } });
const gone = { 204: { description: 'Deleted; no body' } };

export function templateRoutes(deps: TemplateRouteDeps, kit: Kit): Route[] {
  const { authed } = kit;
  const { whatsapp, templates } = deps;
  const id = (ctx: HttpContext) => parseId(ctx.params['id']!, 'Template');
  // Create and update take JSON or the page's multipart form (an image in media_file).
  const stream = (summary: string, responses: RouteDoc['responses'], body: RouteDoc['body'], form: RouteDoc['form']) => ({ body: 'stream' as const, ...doc(summary, responses, { body, form }) });
  return [
    // ───── WhatsApp (Meta) templates ─────
    authed('GET', '/api/whatsapp/templates', async (ctx, me) => {
      const q = parseQuery(ctx, wa.WhatsAppTemplateQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await whatsapp.list(me, q, p), presentWhatsAppTemplate);
    }, doc('The hotel\'s WhatsApp templates synced from Meta (APPROVED unless status says otherwise)', { 200: r.Page(tr.WhatsAppTemplateReply) }, { query: wa.WhatsAppTemplateQuery })),
    authed('GET', '/api/whatsapp/templates/:id', async (ctx, me) => ({ status: 200, body: presentWhatsAppTemplate(await whatsapp.get(me, id(ctx))) }), doc('A synced WhatsApp template', { 200: tr.WhatsAppTemplateReply })),
    authed('POST', '/api/whatsapp/templates/sync', async (ctx, me) => {
      const results = await whatsapp.sync(me, await ctx.json(wa.WhatsAppTemplateSyncBody));
      return { status: 200, body: { results } };
    }, doc('Sync templates from the Business Account of the hotel\'s channels (hotel admins and managers)', { 200: tr.TemplateSyncReply }, { body: wa.WhatsAppTemplateSyncBody })),
    authed('POST', '/api/chat/send-template', async (ctx, me) => {
      const m = await deps.chat.staff.sendTemplate(me, await ctx.json(wa.TemplateSendBody));
      return { status: 201, body: restMessage(m, deps.mediaUrl) };
    }, doc('Reply with an approved WhatsApp template (also outside the 24-hour window)', { 201: r.MessageReply }, { body: wa.TemplateSendBody })),

    // ───── the dashboard's templates: global ─────
    authed('GET', '/api/chat/templates', async (ctx, me) => {
      const q = parseQuery(ctx, mt.TemplateListQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await templates.listGlobal(me, q, p), (t) => presentGlobal(t, deps.mediaUrl));
    }, doc('Global message templates (platform admins: all; others: active customizable ones)', { 200: r.Page(tr.GlobalTemplateReply) }, { query: mt.TemplateListQuery })),
    authed('POST', '/api/chat/templates', async (ctx, me) => ({ status: 201, body: presentGlobal(await templates.createGlobal(me, ...(await templateBody(ctx, mt.GlobalTemplateCreate))), deps.mediaUrl) }), stream('Create a global template (platform admins)', { 201: tr.GlobalTemplateReply }, mt.GlobalTemplateCreate, tr.GlobalTemplateForm)),
    authed('GET', '/api/chat/templates/types', async (_ctx, me) => {
      templates.assertReader(me);
      const pairs = TEMPLATE_TYPES.map(([v, l]) => [v, l]);
      return { status: 200, body: { template_types: pairs, categories: pairs } };
    }, doc('Template types, as [value, label] pairs', { 200: tr.TemplateTypesReply })),
    authed('GET', '/api/chat/templates/variables', async (_ctx, me) => {
      templates.assertReader(me);
      const grouped: Record<string, typeof TEMPLATE_VARIABLES[number][]> = {};
      for (const v of TEMPLATE_VARIABLES) (grouped[v.model] ??= []).push(v);
      return { status: 200, body: { variables: TEMPLATE_VARIABLES, grouped_by_model: grouped, total_count: TEMPLATE_VARIABLES.length } };
    }, doc('The variables a template may use, with where each comes from', { 200: tr.TemplateVariablesReply })),
    authed('GET', '/api/chat/templates/:id', async (ctx, me) => ({ status: 200, body: presentGlobal(await templates.getGlobal(me, id(ctx)), deps.mediaUrl) }), doc('A global template', { 200: tr.GlobalTemplateReply })),
    authed('PUT', '/api/chat/templates/:id', async (ctx, me) => ({ status: 200, body: presentGlobal(await templates.updateGlobal(me, id(ctx), ...(await templateBody(ctx, mt.GlobalTemplateCreate))), deps.mediaUrl) }), stream('Replace a global template (platform admins)', { 200: tr.GlobalTemplateReply }, mt.GlobalTemplateCreate, tr.GlobalTemplateForm)),
    authed('PATCH', '/api/chat/templates/:id', async (ctx, me) => ({ status: 200, body: presentGlobal(await templates.updateGlobal(me, id(ctx), ...(await templateBody(ctx, mt.GlobalTemplatePatch))), deps.mediaUrl) }), stream('Edit a global template (platform admins)', { 200: tr.GlobalTemplateReply }, mt.GlobalTemplatePatch, tr.GlobalTemplatePatchForm)),
    authed('DELETE', '/api/chat/templates/:id', async (ctx, me) => {
      await templates.deleteGlobal(me, id(ctx));
      return { status: 204 };
    }, doc('Delete a global template (platform admins)', gone)),
    authed('GET', '/api/chat/templates/:id/preview', async (ctx, me) => ({ status: 200, body: presentPreview(await templates.preview(me, 'global', id(ctx)), deps.mediaUrl) }), doc('A global template rendered with sample values', { 200: tr.TemplatePreviewReply })),

    // ───── the dashboard's templates: the hotel's own ─────
    authed('GET', '/api/chat/custom-templates', async (ctx, me) => {
      const q = parseQuery(ctx, mt.TemplateListQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await templates.listCustom(me, q, p), (t) => presentCustom(t, deps.mediaUrl));
    }, doc('The hotel\'s own message templates', { 200: r.Page(tr.CustomTemplateReply) }, { query: mt.TemplateListQuery })),
    authed('POST', '/api/chat/custom-templates', async (ctx, me) => ({ status: 201, body: presentCustom(await templates.createCustom(me, ...(await templateBody(ctx, mt.CustomTemplateCreate))), deps.mediaUrl) }), stream('Create a template of the hotel (hotel admins and managers)', { 201: tr.CustomTemplateReply }, mt.CustomTemplateCreate, tr.CustomTemplateForm)),
    authed('GET', '/api/chat/custom-templates/:id', async (ctx, me) => ({ status: 200, body: presentCustom(await templates.getCustom(me, id(ctx)), deps.mediaUrl) }), doc('A template of the hotel', { 200: tr.CustomTemplateReply })),
    authed('PUT', '/api/chat/custom-templates/:id', async (ctx, me) => ({ status: 200, body: presentCustom(await templates.updateCustom(me, id(ctx), ...(await templateBody(ctx, mt.CustomTemplateCreate))), deps.mediaUrl) }), stream('Replace a template of the hotel', { 200: tr.CustomTemplateReply }, mt.CustomTemplateCreate, tr.CustomTemplateForm)),
    authed('PATCH', '/api/chat/custom-templates/:id', async (ctx, me) => ({ status: 200, body: presentCustom(await templates.updateCustom(me, id(ctx), ...(await templateBody(ctx, mt.CustomTemplatePatch))), deps.mediaUrl) }), stream('Edit a template of the hotel', { 200: tr.CustomTemplateReply }, mt.CustomTemplatePatch, tr.CustomTemplatePatchForm)),
    authed('DELETE', '/api/chat/custom-templates/:id', async (ctx, me) => {
      await templates.deleteCustom(me, id(ctx));
      return { status: 204 };
    }, doc('Delete a template of the hotel', gone)),
    authed(
      'POST',
      '/api/chat/upload-template-media',
      async (ctx, me) => {
        const form = await readForm(ctx.stream(), ctx.headers['content-type'] ?? '', { jsonBytes: ctx.maxBodyBytes, fileBytes: TEMPLATE_MEDIA_MAX_BYTES, fileFields: ['file'] });
        const s = await templates.uploadMedia(me, form.file ? { bytes: form.file.bytes, filename: form.file.filename } : null);
        return {
          status: 201,
          body: {
            message: 'File uploaded successfully',
            file_url: deps.mediaUrl({ media_key: s.key, media_url: null }),
            filename: s.filename,
            file_type: 'image',
            file_info: { original_name: form.file!.filename, size: s.size, content_type: s.mime },
          },
        };
      },
      { body: 'stream', ...doc('Upload an image for a template; give its file_url as the template\'s media_url', { 201: tr.TemplateMediaReply }, { form: tr.TemplateMediaForm }) },
    ),
    authed('GET', '/api/chat/custom-templates/:id/preview', async (ctx, me) => ({ status: 200, body: presentPreview(await templates.preview(me, 'custom', id(ctx)), deps.mediaUrl) }), doc('A template of the hotel rendered with sample values', { 200: tr.TemplatePreviewReply })),
  ];
}
