// Registers the background workers of this node on the job queue.
import type { GuestMessageInput, GuestMessages } from '../chat/commands/guest-message.js';
import type { SystemCommands } from '../chat/commands/system.js';
import type { Config } from '../config/load.js';
import { inboundWebhookHandler } from '../jobs/handlers/inbound-webhook.js';
import { pingHandler } from '../jobs/handlers/ping.js';
import { replyHandoffHandler } from '../jobs/handlers/reply-handoff.js';
import { whatsappSendHandler } from '../jobs/handlers/whatsapp-send.js';
import { whatsappInboundHandler, whatsappStatusHandler } from '../jobs/handlers/whatsapp-inbound.js';
import type { WaBatchJob, WaStatusJob, WhatsAppInbound } from '../chat/whatsapp/inbound.js';
import { JetStreamReplySink, MemoryReplySink, type ReplySink } from '../jobs/reply-sink.js';
import type { MediaSigner } from '../media/signer.js';
import type { MediaService } from '../media/service.js';
import { mediaIngestHandler } from '../jobs/handlers/media-ingest.js';
import type { Logger } from '../obs/log.js';
import { graphSend } from '../providers/whatsapp.js';
import { SendPacers } from '../jobs/whatsapp-senders.js';
import type { Sql } from '../store/db.js';
import type { Bus } from './bus.js';

export interface JobParts {
  config: Config;
  sql: Sql;
  bus: Bus;
  chat: { guestMessages: GuestMessages; system: Pick<SystemCommands, 'deliveryStatus'> };
  whatsappInbound: WhatsAppInbound;
  media: MediaService;
  signer: MediaSigner;
  log: Logger;
}

export function startJobs(p: JobParts): { sink: ReplySink; stop(): Promise<void> } {
  const { config, bus } = p;
  const sink: ReplySink = bus.link ? new JetStreamReplySink(bus.link, config.nats.prefix, config.nats.replicas) : new MemoryReplySink();
  bus.queue.work('ping', pingHandler(config.nodeId, bus.link), { concurrency: 4 });
  bus.queue.work('reply.handoff', replyHandoffHandler({ sql: p.sql, sink, signer: p.signer }), { concurrency: 8 });
  bus.queue.work('media.ingest', mediaIngestHandler(p.media), { concurrency: 4 });
  // Inbound kinds are ordered by guest: a node runs many guests at once (jobs of one guest wait in
  // its key lane without a slot), and what they store shares the group commit.
  bus.queue.work<GuestMessageInput>('inbound.webhook', inboundWebhookHandler(p.chat.guestMessages), { concurrency: 256 });
  bus.queue.work<WaBatchJob>('whatsapp.inbound', whatsappInboundHandler(p.whatsappInbound, bus.queue), { concurrency: 256 });
  bus.queue.work<WaStatusJob>('whatsapp.status', whatsappStatusHandler(p.whatsappInbound, p.log), { concurrency: 16 });
  // Always on: a reply goes out from its hotel's WhatsApp channel, or the global sender if one
  // is configured (a hotel with neither gets no send jobs: see ConversationDeps.sendsToWhatsapp).
  bus.queue.work(
    'whatsapp.send',
    whatsappSendHandler({
      sql: p.sql,
      apiUrl: config.whatsappCloud.apiUrl,
      legacy: config.whatsapp,
      delivery: p.chat.system,
      send: (sender, msg) => graphSend(sender, msg),
      pacers: new SendPacers(config.whatsappCloud.sendRatePerS),
      signer: p.signer,
      maxDeliveries: config.jobs.maxDeliveries,
      log: p.log,
    }),
    { concurrency: 16 },
  );
  return { sink, stop: () => bus.queue.stop() };
}
