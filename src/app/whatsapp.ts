// The WhatsApp template services: Meta templates synced per channel, and the dashboard's own
// message templates.
import type { Config } from '../config/load.js';
import { MessageTemplateService } from '../directory/message-templates.js';
import { WhatsAppTemplateService } from '../directory/whatsapp-templates.js';
import type { Logger } from '../obs/log.js';
import { listTemplates } from '../providers/whatsapp.js';
import type { Sql } from '../store/db.js';
import type { MediaSigner } from '../media/signer.js';
import type { MediaStorage } from '../media/storage.js';
import { TemplateMedia } from '../media/template-media.js';

export function buildTemplates(p: { config: Config; sql: Sql; log: Logger; storage: MediaStorage; signer: MediaSigner }) {
  const apiUrl = p.config.whatsappCloud.apiUrl;
  return {
    whatsapp: new WhatsAppTemplateService({
      sql: p.sql,
      log: p.log,
      fetchTemplates: (c) => {
        if (!c.access_token) throw new Error('the channel has no access token');
        return listTemplates(apiUrl, c.access_token, c.waba_id);
      },
    }),
    messages: new MessageTemplateService({ sql: p.sql, media: new TemplateMedia({ storage: p.storage, signer: p.signer }) }),
  };
}
