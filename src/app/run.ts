// Composition root: config → log → metrics → workers → database → bus → directory → chat
// (actors, writer, outbox) → transport (routes, sockets) → jobs → cron. Each long-running part
// registers its stop hook as it starts; stop() runs them in reverse under one deadline. This is
// the only module that picks concrete implementations.
import type { Config } from '../config/load.js';
import { createLogger, type Logger } from '../obs/log.js';
import { Registry } from '../obs/metrics.js';
import { registerProcessMetrics } from '../obs/process-metrics.js';
import { CloseCodes } from '../protocol/codes.js';
import { activeConversationsOfGuest } from '../store/conversations.js';
import { translateDbError } from '../store/errors.js';
import { clearNode, heartbeat } from '../store/presence.js';
import { createSigner } from '../media/signer.js';
import { Router } from '../transport/http/router.js';
import { authRoutes } from '../transport/routes/auth.js';
import { channelRoutes } from '../transport/routes/channels.js';
import { chatRoutes } from '../transport/routes/chat.js';
import { directoryRoutes } from '../transport/routes/directory.js';
import { makeKit } from '../transport/routes/kit.js';
import { opsRoutes } from '../transport/routes/ops.js';
import { consoleRoutes } from '../transport/routes/console.js';
import { readiness } from '../transport/routes/readiness.js';
import { WebhookGuard } from '../transport/routes/webhook-signature.js';
import { whatsappRoutes } from '../transport/routes/whatsapp.js';
import { WhatsAppWebhook } from '../chat/whatsapp/webhook.js';
import { verifyTokenKnown } from '../store/channels.js';
import { channelMediaToken } from './whatsapp-inbound.js';
import { mediaRoutes } from '../transport/routes/media.js';
import { templateRoutes } from '../transport/routes/templates.js';
import { buildTemplates } from './whatsapp.js';
import { docsRoutes, packageVersion } from '../transport/routes/docs.js';
import { MediaService } from '../media/service.js';
import { DiskStorage } from '../media/storage-disk.js';
import { S3Storage } from '../media/storage-s3.js';
import { HttpServer } from '../transport/server.js';
import { SocketHub } from '../transport/ws/hub.js';
import { guestSocketEndpoints } from '../transport/ws/guest.js';
import { staffSocketEndpoints } from '../transport/ws/staff.js';
import { createCpuPool, type CpuPool } from '../workers/pool.js';
import type { Sql } from '../store/db.js';
import { openBus } from './bus.js';
import { buildChat } from './chat.js';
import { startCron } from './cron.js';
import { openDatabase } from './database.js';
import { buildDirectory } from './directory.js';
import { revocationListener, revocationPublisher } from './revocation.js';
import { startJobs } from './jobs.js';
import { startOps } from './ops.js';
import { dependencies } from './readiness.js';
import { Lifecycle } from './lifecycle.js';
import { startOpsGauges } from './ops-gauges.js';

export interface RunningApp {
  port: number;
  log: Logger;
  metrics: Registry;
  /** Resolves when the database is migrated and the bus connected (what /readyz reports). */
  ready(timeoutMs?: number): Promise<void>;
  stop(): Promise<boolean>;
  /** For start-up tasks of the entry point (seeding the demo). */
  sql: Sql;
  cpu: Pick<CpuPool, 'hashPassword'>;
}

export async function run(config: Config, opts: { log?: Logger } = {}): Promise<RunningApp> {
  const log = opts.log ?? createLogger({ level: config.log.level, nodeId: config.nodeId });
  const life = new Lifecycle();
  const startedAt = Date.now();
  try {
    if (config.auth.usingDevSecret) log.warn('JWT_SECRET is not set: using the development secret (never in production)');

    const metrics = new Registry();
    const processMetrics = registerProcessMetrics(metrics);
    life.add('process metrics', processMetrics.stop);

    const cpu = createCpuPool({ threads: config.workers.threads });
    life.add('cpu pool', () => cpu.stop());

    const db = await openDatabase(config.db, config.nodeId, log, metrics);
    life.add('database', (left) => db.stop(left));

    const bus = openBus({ nats: config.nats, jobs: config.jobs, nodeId: config.nodeId, log, metrics, sql: db.sql });
    life.add('bus', (left) => bus.stop(left));

    const server = new HttpServer(log);
    // Without PUBLIC_URL, media links name the port the server listens on (known once it listens).
    const baseUrl = () => config.http.publicUrl || `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${server.port}`;
    const signer = createSigner({ secret: config.media.signingSecret, baseUrl, ttlS: config.media.urlTtlS });
    const mediaUrl = (m: { media_key: string | null; media_url: string | null }) => (m.media_key ? signer.url(m.media_key) : m.media_url);

    const storage = config.media.driver === 's3' ? new S3Storage(config.media.s3) : new DiskStorage(config.media.dir);
    log.info({ driver: storage.kind }, 'media storage');
    const hub = new SocketHub(server.app, config.ws, metrics.counter('ws_closed_total', 'Sockets closed by the server, by reason'));
    const chat = buildChat({ config, sql: db.sql, bus, log, metrics, signer, mediaUrl, publishLocal: (topic, frame) => hub.publish(topic, frame), whenMigrated: db.whenMigrated });
    life.add('chat', () => chat.stop());

    const revoke = revocationPublisher(bus.broker);
    const directory = buildDirectory({
      config,
      sql: db.sql,
      cpu,
      log,
      checkedOut: (guestId, hotelId) => chat.core.system.closeGuestConversations(guestId, hotelId),
      guestChanged: (guestId, current) => chat.guestChanged(guestId, current),
      userChanged: (userId, change) => revoke.user(userId, change),
      hotelDeactivated: (hotelId) => revoke.hotel(hotelId),
    });
    const revocations = revocationListener(bus.broker, hub, { user: (id) => directory.auth.forget(id), all: () => directory.auth.forgetAll() });
    life.add('revocation', () => revocations.stop());
    const media = new MediaService({
      sql: db.sql,
      storage,
      cpu,
      signer,
      chat: { conversation: (u, id) => chat.core.queries.conversation(u, id), mediaIngested: (c, m, media) => chat.core.system.mediaIngested(c, m, media) },
      maxBytes: config.media.maxBytes,
      log,
      whatsapp: config.whatsapp ? { apiUrl: config.whatsapp.apiUrl, token: config.whatsapp.token } : null,
      channelMedia: { apiUrl: config.whatsappCloud.apiUrl, token: channelMediaToken(db.sql) },
    });

    // Presence rows exist only once migrations ran (a fresh database has no presence table yet).
    // A missed write only delays presence (the next beat retries; expiry is PRESENCE_TTL_S).
    const presenceFailed = (what: string) => (err: unknown) => log.warn({ err: (err as Error).message }, `presence ${what} failed`);
    void db.whenMigrated().then(() => clearNode(db.sql, config.nodeId)).catch(presenceFailed('reset'));
    const beat = setInterval(() => {
      if (db.migrated()) void heartbeat(db.sql, config.nodeId).catch(presenceFailed('heartbeat'));
    }, Math.max(1000, (config.presence.ttlS * 1000) / 3));
    beat.unref();
    life.add('presence heartbeat', async () => {
      clearInterval(beat);
      await clearNode(db.sql, config.nodeId).catch(presenceFailed('cleanup'));
    });

    metrics.gauge('ws_sockets', 'Open sockets on this node').collect(() => [[undefined, hub.size]]);
    const socketLimits = { ...config.ws };
    const upgrade = { log, corsOrigins: config.http.corsOrigins, trustProxy: config.http.trustProxy, anchor: server.anchor };
    const sockets = [
      ...staffSocketEndpoints({
        auth: directory.auth,
        chat: chat.core,
        departments: chat.departments,
        relay: chat.relay,
        hub,
        log,
        upgrade,
        limits: socketLimits,
        mediaUrl,
      }),
      ...guestSocketEndpoints({
        guests: directory.services.guests,
        activeConversations: async (guestId, hotelId) => (await activeConversationsOfGuest(db.sql, guestId, hotelId)).map((c) => c.id),
        tokens: directory.tokens,
        chat: chat.core,
        relay: chat.relay,
        hub,
        log,
        upgrade,
        limits: socketLimits,
        requireToken: config.ws.guestAuth === 'token',
        phoneRegion: config.phoneRegion,
      }),
    ];

    const router = new Router({
      log,
      metrics,
      nodeId: config.nodeId,
      maxBodyBytes: config.http.maxBodyBytes,
      corsOrigins: config.http.corsOrigins,
      rateLimitPerMinute: config.http.rateLimitPerMinute,
      trustProxy: config.http.trustProxy,
      translateError: translateDbError,
    });
    life.add('router', () => router.stop());
    const kit = makeKit(directory.auth, config.http.publicUrl);
    const readinessDeps = dependencies({ db, bus, storage, webhookMode: config.webhook.mode });
    const ops = startOps({ config, sql: db.sql, bus, metrics, hub, chat: chat.core, readiness: () => readiness(readinessDeps), processSample: processMetrics.sample, startedAt, log });
    life.add('ops stats', ops.stop);
    const webhookGuard = new WebhookGuard(config.webhook);
    life.add('webhook guard', () => webhookGuard.stop());
    const templates = buildTemplates({ config, sql: db.sql, log, storage, signer });
    const whatsapp = whatsappRoutes({
      webhook: new WhatsAppWebhook({
        channels: directory.whatsappChannels,
        verifyTokenKnown: (token) => verifyTokenKnown(db.sql, token),
        mode: config.webhook.mode,
        queue: bus.queue,
        inbound: chat.whatsappInbound,
        log,
      }),
      badSignaturesPerMinute: config.webhook.badSignaturesPerMinute,
    });
    life.add('whatsapp webhook', () => whatsapp.stop());
    const routes = [
      ...opsRoutes({
        metrics,
        metricsToken: config.http.metricsToken,
        nodeId: config.nodeId,
        startedAt,
        dependencies: dependencies({ db, bus, storage, webhookMode: config.webhook.mode }),
      }),
      ...authRoutes(directory.auth, kit),
      ...directoryRoutes(directory.services, kit),
      ...channelRoutes(directory.channels, kit),
      ...chatRoutes({ chat: chat.core, queue: bus.queue, webhookGuard, webhookMode: config.webhook.mode, channels: directory.channelCache, mediaUrl }, kit),
      ...mediaRoutes(media, kit),
      ...consoleRoutes(ops.service, kit),
      ...templateRoutes({ whatsapp: templates.whatsapp, templates: templates.messages, chat: chat.core, mediaUrl }, kit),
      ...whatsapp.routes,
    ];
    // Last: /openapi.json lists every route above (and these).
    routes.push(...docsRoutes(routes, { version: packageVersion(), publicUrl: config.http.publicUrl }));
    server.mount(router, routes, sockets);
    life.add('ops gauges', startOpsGauges({ metrics, sql: db.sql, migrated: db.migrated, dependencies: dependencies({ db, bus, storage, webhookMode: config.webhook.mode }) }));

    const jobs = startJobs({ config, sql: db.sql, bus, chat: chat.core, whatsappInbound: chat.whatsappInbound, media, signer, log });
    life.add('job workers', () => jobs.stop());

    if (config.cron.enabled) {
      const cron = startCron({ config, sql: db.sql, chat: chat.core.system, events: chat.events, log, metrics, media, whatsappTemplates: templates.whatsapp });
      life.add('cron', () => cron.stop());
    }

    hub.start();
    // Stopped in reverse: the listener first, then sockets (1001), then open HTTP connections.
    life.add('http connections', (left) => server.closeConnections(left));
    life.add('sockets', () => hub.closeAll(CloseCodes.GOING_AWAY));
    // Registered first: a stop while it still listens (or opens the cork anchor) closes both.
    life.add('listener', () => server.stopListening());
    const port = await server.listen(config.http.host, config.http.port);

    return {
      port,
      log,
      metrics,
      ready: async (timeoutMs = 30_000) => {
        const deadline = Date.now() + timeoutMs;
        await db.whenMigrated();
        if (bus.link && !(await bus.link.ready(Math.max(0, deadline - Date.now())))) throw new Error('bus not connected');
      },
      stop: () => life.stopAll(config.shutdownTimeoutMs, log),
      sql: db.sql,
      cpu,
    };
  } catch (err) {
    await life.stopAll(config.shutdownTimeoutMs, log);
    throw err;
  }
}
