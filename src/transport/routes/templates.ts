// Template REST: WhatsApp templates synced from Meta (/api/whatsapp/templates/…), a staff reply
// sent as one (/api/chat/send-template/), and the dashboard's message-templates page
// (/api/chat/templates/… and /api/chat/custom-templates/…). Handlers decode, call the services
// (which authorise and scope by hotel) and encode.
import type { Static } from '@sinclair/typebox';
import type { ChatCore } from '../../chat/core.js';
import type { MediaUrl } from '../../chat/message-frame.js';
import { TEMPLATE_TYPES, TEMPLATE_VARIABLES, type CustomTemplate, type GlobalTemplate } from '../../core/message-templates.js';
import type { MessageTemplateService, TemplateInput } from '../../directory/message-templates.js';
import { parseId } from '../../directory/scope.js';
import { ValidationError } from '../../core/errors.js';
import type { WhatsAppTemplateService } from '../../directory/whatsapp-templates.js';
import type { TemplateSendInput } from '../../chat/commands/staff.js';
import * as mt from '../../protocol/rest/message-templates.js';
import * as wa from '../../protocol/rest/whatsapp.js';
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

function presentGlobal(t: GlobalTemplate) {
  return {
    id: t.id,
    name: t.name,
    template_type: t.template_type,
    category: t.template_type,
    text_content: t.text_content,
    media_file: t.media_url,
    media_url: t.media_url,
    media_filename: t.media_filename,
    is_customizable: t.is_customizable,
    is_active: t.is_active,
    variables: t.variables,
    description: t.description,
    created_at: t.created_at.toISOString(),
    updated_at: t.updated_at.toISOString(),
  };
}

function presentCustom(t: CustomTemplate) {
  return {
    ...presentGlobal(t),
    hotel: t.hotel_id,
    hotel_name: t.hotel_name,
    base_template: t.base_template,
    base_template_name: t.base_template_name,
  };
}

/** A create or update body: JSON, or the page's multipart form (a media file is not taken yet). */
async function templateBody<S extends typeof mt.CustomTemplateCreate | typeof mt.CustomTemplatePatch | typeof mt.GlobalTemplateCreate | typeof mt.GlobalTemplatePatch>(
  ctx: HttpContext,
  schema: S,
): Promise<Static<S>> {
  const form = await readForm(ctx.stream(), ctx.headers['content-type'] ?? '', { fileBytes: 5 * 1024 * 1024, fileFields: ['media_file'] });
  if (form.file) throw ValidationError.of({ media_file: 'template media files are not stored yet; give media_url (an http(s) URL) instead' });
  return validate(schema, mt.formValues(form.fields));
}

export function templateRoutes(deps: TemplateRouteDeps, kit: Kit): Route[] {
  const { authed } = kit;
  const { whatsapp, templates } = deps;
  const id = (ctx: HttpContext) => parseId(ctx.params['id']!, 'Template');
  const stream = { body: 'stream' as const };
  return [
    // ───── WhatsApp (Meta) templates ─────
    authed('GET', '/api/whatsapp/templates', async (ctx, me) => {
      const q = parseQuery(ctx, wa.WhatsAppTemplateQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await whatsapp.list(me, q, p), presentWhatsAppTemplate);
    }),
    authed('GET', '/api/whatsapp/templates/:id', async (ctx, me) => ({ status: 200, body: presentWhatsAppTemplate(await whatsapp.get(me, id(ctx))) })),
    authed('POST', '/api/whatsapp/templates/sync', async (ctx, me) => {
      const results = await whatsapp.sync(me, await ctx.json(wa.WhatsAppTemplateSyncBody));
      return { status: 200, body: { results } };
    }),
    authed('POST', '/api/chat/send-template', async (ctx, me) => {
      const m = await deps.chat.staff.sendTemplate(me, await ctx.json(wa.TemplateSendBody));
      return { status: 201, body: restMessage(m, deps.mediaUrl) };
    }),

    // ───── the dashboard's templates: global ─────
    authed('GET', '/api/chat/templates', async (ctx, me) => {
      const q = parseQuery(ctx, mt.TemplateListQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await templates.listGlobal(me, q, p), presentGlobal);
    }),
    authed('POST', '/api/chat/templates', async (ctx, me) => ({ status: 201, body: presentGlobal(await templates.createGlobal(me, await templateBody(ctx, mt.GlobalTemplateCreate))) }), stream),
    authed('GET', '/api/chat/templates/types', async (_ctx, me) => {
      templates.assertReader(me);
      const pairs = TEMPLATE_TYPES.map(([v, l]) => [v, l]);
      return { status: 200, body: { template_types: pairs, categories: pairs } };
    }),
    authed('GET', '/api/chat/templates/variables', async (_ctx, me) => {
      templates.assertReader(me);
      const grouped: Record<string, typeof TEMPLATE_VARIABLES[number][]> = {};
      for (const v of TEMPLATE_VARIABLES) (grouped[v.model] ??= []).push(v);
      return { status: 200, body: { variables: TEMPLATE_VARIABLES, grouped_by_model: grouped, total_count: TEMPLATE_VARIABLES.length } };
    }),
    authed('GET', '/api/chat/templates/:id', async (ctx, me) => ({ status: 200, body: presentGlobal(await templates.getGlobal(me, id(ctx))) })),
    authed('PUT', '/api/chat/templates/:id', async (ctx, me) => ({ status: 200, body: presentGlobal(await templates.updateGlobal(me, id(ctx), await templateBody(ctx, mt.GlobalTemplateCreate))) }), stream),
    authed('PATCH', '/api/chat/templates/:id', async (ctx, me) => ({ status: 200, body: presentGlobal(await templates.updateGlobal(me, id(ctx), await templateBody(ctx, mt.GlobalTemplatePatch))) }), stream),
    authed('DELETE', '/api/chat/templates/:id', async (ctx, me) => {
      await templates.deleteGlobal(me, id(ctx));
      return { status: 204 };
    }),
    authed('GET', '/api/chat/templates/:id/preview', async (ctx, me) => ({ status: 200, body: await templates.preview(me, 'global', id(ctx)) })),

    // ───── the dashboard's templates: the hotel's own ─────
    authed('GET', '/api/chat/custom-templates', async (ctx, me) => {
      const q = parseQuery(ctx, mt.TemplateListQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await templates.listCustom(me, q, p), presentCustom);
    }),
    authed('POST', '/api/chat/custom-templates', async (ctx, me) => ({ status: 201, body: presentCustom(await templates.createCustom(me, await templateBody(ctx, mt.CustomTemplateCreate))) }), stream),
    authed('GET', '/api/chat/custom-templates/:id', async (ctx, me) => ({ status: 200, body: presentCustom(await templates.getCustom(me, id(ctx))) })),
    authed('PUT', '/api/chat/custom-templates/:id', async (ctx, me) => ({ status: 200, body: presentCustom(await templates.updateCustom(me, id(ctx), await templateBody(ctx, mt.CustomTemplateCreate))) }), stream),
    authed('PATCH', '/api/chat/custom-templates/:id', async (ctx, me) => ({ status: 200, body: presentCustom(await templates.updateCustom(me, id(ctx), await templateBody(ctx, mt.CustomTemplatePatch))) }), stream),
    authed('DELETE', '/api/chat/custom-templates/:id', async (ctx, me) => {
      await templates.deleteCustom(me, id(ctx));
      return { status: 204 };
    }),
    authed('GET', '/api/chat/custom-templates/:id/preview', async (ctx, me) => ({ status: 200, body: await templates.preview(me, 'custom', id(ctx)) })),
  ];
}
