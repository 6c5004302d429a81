// Builds the chat core: group-commit writer, event publisher, delivery relay, the conversation
// and department actor registries, the outbox relay and the command layer.
import type { ActorStats } from '../actors/actor.js';
import { Registry as ActorRegistry } from '../actors/registry.js';
import { ConversationActor } from '../chat/conversation-actor.js';
import { DepartmentActor } from '../chat/department-actor.js';
import { SubjectRelay } from '../chat/delivery/relay.js';
import { ChatEvents } from '../chat/events.js';
import { ConversationFactsCache, type FactsLimits } from '../chat/conversation-facts.js';
import { GuestMessages } from '../chat/commands/guest-message.js';
import { GuestSocketCommands } from '../chat/commands/guest-socket.js';
import { StaffCommands } from '../chat/commands/staff.js';
import { SystemCommands } from '../chat/commands/system.js';
import { pgConversationStore } from '../chat/conversation-store.js';
import type { ChatCore } from '../chat/core.js';
import { ChatQueries } from '../chat/queries.js';
import { GuestContextCache } from '../chat/guest-cache.js';
import { MessageWriter } from '../chat/writer.js';
import { WhatsAppInbound } from '../chat/whatsapp/inbound.js';
import type { Config } from '../config/load.js';
import { canonicalDepartment } from '../core/departments.js';
import { GUEST_CHANGED } from '../fanout/subjects.js';
import { OutboxRelay } from '../jobs/outbox.js';
import type { MediaSigner } from '../media/signer.js';
import type { Logger } from '../obs/log.js';
import { LATENCY_BUCKETS, type Registry } from '../obs/metrics.js';
import { encodeMessageFrame, type MediaUrl } from '../chat/message-frame.js';
import type { Sql } from '../store/db.js';
import { guestContextsAt } from '../store/guests.js';
import { conversationFacts, lastSeqs } from '../store/conversations.js';
import { appendMessages } from '../store/messages.js';
import { presenceChangesMany } from '../store/presence.js';
import { PresenceBatch } from '../chat/presence-batch.js';
import { hotelSendsWhatsapp as hotelHasChannel } from '../store/whatsapp.js';
import { Lru } from '../util/lru.js';
import type { Bus } from './bus.js';

export interface ChatParts {
  config: Config;
  sql: Sql;
  bus: Bus;
  log: Logger;
  metrics: Registry;
  signer: MediaSigner;
  mediaUrl: MediaUrl;
  publishLocal: (topic: string, frame: Uint8Array) => void;
  /** Resolves once the schema is migrated: the outbox relay has nothing to read before. */
  whenMigrated: () => Promise<void>;
}

const enc = new TextEncoder();
/**
 * Facts of up to 100k conversations (about 200 bytes each). A staff member who names ids that do
 * not exist may do so 30 times at once and once every 2 s after that: the dashboard only names
 * ids it was given, so only a stale or hostile client ever spends this.
 */
const FACTS_LIMITS: FactsLimits = { maxEntries: 100_000, missBurst: 30, missesPerSecond: 0.5, maxCallers: 20_000 };

function actorStats(metrics: Registry, log: Logger): ActorStats {
  const processed = metrics.histogram('actor_batch_seconds', 'Time an actor spends on one mailbox batch', LATENCY_BUCKETS);
  const messages = metrics.counter('actor_messages_total', 'Messages handled by actors');
  const rejected = metrics.counter('actor_mailbox_rejected_total', 'Messages refused because a mailbox was full');
  return {
    onProcessed: (type, n, s) => {
      processed.observe(s, { type });
      messages.inc({ type }, n);
    },
    onRejected: (type) => rejected.inc({ type }),
    onError: (type, key, err) => log.error({ err, actor: type, key }, 'actor failed on a batch'),
  };
}

/**
 * Whether a hotel has a WhatsApp channel. Only a yes is remembered (10 s per hotel): a remembered
 * no would drop the replies of a hotel that has just connected its first number, on every node,
 * while a stale yes only queues a send that then fails with a clear reason.
 */
function whatsappHotels(sql: Sql): (hotelId: string) => Promise<boolean> {
  const known = new Lru<string, number>(10_000);
  return async (hotelId) => {
    const at = known.get(hotelId);
    if (at !== undefined && Date.now() - at < 10_000) return true;
    const value = await hotelHasChannel(sql, hotelId);
    if (value) known.set(hotelId, Date.now());
    else known.delete(hotelId);
    return value;
  };
}

export function buildChat(p: ChatParts) {
  const { config, sql, bus, log, metrics } = p;
  const stats = actorStats(metrics, log);

  const writer = new MessageWriter({
    insert: (rows) => appendMessages(sql, rows),
    log,
    batchMax: config.actors.writeBatchMax,
    maxInFlight: config.actors.writeConcurrency,
    maxQueued: config.actors.writeBatchMax * 200,
    batches: metrics.histogram('message_write_batch_size', 'Messages per insert statement', [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]),
    messages: metrics.counter('messages_stored_total', 'Messages stored'),
  });
  const events = new ChatEvents({ broker: bus.broker, mediaUrl: p.mediaUrl, published: metrics.counter('events_published_total', 'Events published, by type (one per subject)') });
  const outbox = new OutboxRelay({ sql, queue: bus.queue, log, intervalMs: 1000 });

  const store = pgConversationStore(sql);
  const hotelSendsWhatsapp = whatsappHotels(sql);
  const conversations = new ActorRegistry<ConversationActor>(
    'conversation',
    (key, retire) =>
      new ConversationActor(
        Number(key),
        { store, writer, events, kickOutbox: () => outbox.kick(), sendsToWhatsapp: config.whatsapp !== null, hotelSendsWhatsapp, log, retire, moved: (s) => guestMessages.conversationMoved(s) },
        config.actors.mailboxCapacity,
        stats,
      ),
    config.actors.idleMs,
  );

  const access = { conversations, askTimeoutMs: config.actors.askTimeoutMs };
  const facts = new ConversationFactsCache((ids) => conversationFacts(sql, ids), FACTS_LIMITS);
  const guests = new GuestContextCache((keys) => guestContextsAt(sql, keys), 10_000);
  const queries = new ChatQueries({ ...access, sql, facts });
  const guestMessages = new GuestMessages({ ...access, sql, facts, guests, phoneRegion: config.phoneRegion, providerMedia: config.whatsapp !== null });
  const core: ChatCore = {
    guestMessages,
    guestSocket: new GuestSocketCommands({ ...access, facts }),
    staff: new StaffCommands({
      ...access,
      sql,
      facts,
      signer: p.signer,
      phoneRegion: config.phoneRegion,
      whatsappEnabled: config.whatsapp !== null,
      hotelSendsWhatsapp,
      enqueueOutbound: async (payload) => {
        await bus.queue.enqueue('whatsapp.send', payload);
      },
    }),
    system: new SystemCommands({ ...access, sql, guests, log }),
    queries,
  };

  // WhatsApp Cloud API messages and statuses (webhook in-process, or its jobs).
  const whatsappInbound = new WhatsAppInbound({
    sql,
    guests,
    guestMessages: core.guestMessages,
    delivery: core.system,
    sendMenu: async (job, id) => {
      await bus.queue.enqueue('whatsapp.send', job, { id });
    },
    phoneRegion: config.phoneRegion,
    log,
  });

  const relay = new SubjectRelay({
    broker: bus.broker,
    publishLocal: p.publishLocal,
    fetchRange: async (conversationId, from, to) => {
      const views = await queries.range(conversationId, from, to);
      return views.map((v) => ({ seq: v.seq, frame: enc.encode(encodeMessageFrame(v, p.mediaUrl)) }));
    },
    lastSeqs: (ids) => lastSeqs(sql, ids),
    log,
    counters: {
      delivered: metrics.counter('messages_delivered_total', 'Message events handed to local sockets'),
      duplicates: metrics.counter('fanout_duplicates_dropped_total', 'Message events dropped as already delivered'),
      repaired: metrics.counter('fanout_gap_repaired_total', 'Messages fetched from the database to fill a gap'),
    },
    latency: metrics.histogram('fanout_latency_seconds', 'From event publish to local delivery', LATENCY_BUCKETS),
  });

  // One statement for the presence changes of every department in an event-loop turn.
  const presence = new PresenceBatch((changes) => presenceChangesMany(sql, config.nodeId, changes));
  const departments = new ActorRegistry<DepartmentActor>(
    'department',
    (key) => {
      const [hotelId, name] = [key.slice(0, 36), key.slice(37)];
      const d = canonicalDepartment(name);
      if (!d) throw new Error(`bad department key ${key}`);
      return new DepartmentActor(hotelId, d, { presence: (change) => presence.write(change), relay, events, nodeId: config.nodeId, log }, config.actors.mailboxCapacity, stats);
    },
    config.actors.idleMs,
  );

  const live = metrics.gauge('actors_live', 'Live actors by type');
  live.collect(() => [
    [{ type: 'conversation' }, conversations.size],
    [{ type: 'department' }, departments.size],
  ]);
  metrics.gauge('actor_mailbox_depth', 'Messages waiting in actor mailboxes').collect(() => [
    [{ type: 'conversation' }, conversations.depth()],
    [{ type: 'department' }, departments.depth()],
  ]);
  metrics.gauge('message_writer_queued', 'Messages waiting for the group commit').collect(() => [[undefined, writer.queued]]);
  metrics.gauge('fanout_subjects', 'Subjects this node is subscribed to').collect(() => [[undefined, relay.subjects]]);

  // Directory changes that routing depends on reach every node: caches drop the guest and live
  // conversation actors reload it.
  const offGuestChanged = bus.broker.subscribe(GUEST_CHANGED, (data) => {
    const id = Number(Buffer.from(data).toString());
    if (Number.isSafeInteger(id)) void core.system.guestChanged(id).catch((err) => log.warn({ err, guest: id }, 'guest refresh failed'));
  });

  conversations.start();
  departments.start();
  void p.whenMigrated().then(() => outbox.start());

  return {
    core,
    whatsappInbound,
    relay,
    departments,
    conversations,
    writer,
    events,
    /** Tells every node that a guest's status, room or number changed. */
    guestChanged(guestId: number, current?: { hotel_id: string; whatsapp_number: string }): void {
      // This node forgets at once (the request that made the change may be followed by a webhook
      // before the broadcast comes back); every node, this one included, reloads on the broadcast.
      guests.invalidateGuest(guestId, current);
      bus.broker.publish(GUEST_CHANGED, enc.encode(String(guestId)));
    },
    async stop() {
      offGuestChanged();
      relay.stop();
      await departments.stop();
      await conversations.stop();
      await writer.drained();
      await outbox.stop();
    },
  };
}
