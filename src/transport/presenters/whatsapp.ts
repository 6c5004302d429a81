// A synced WhatsApp template as the API shows it.
import type { WhatsAppTemplate } from '../../core/whatsapp.js';

export function presentWhatsAppTemplate(t: WhatsAppTemplate) {
  return {
    id: t.id,
    channel_id: t.channel_id,
    meta_id: t.meta_id,
    name: t.name,
    language: t.language,
    status: t.status,
    category: t.category,
    body_text: t.body_text,
    parameter_count: t.param_count,
    components: t.components,
    synced_at: t.synced_at.toISOString(),
  };
}
