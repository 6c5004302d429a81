// Wire shapes of the operator console's replies (/api/ops/...), as src/ops/console.ts and the
// cluster view (src/ops/cluster.ts) build them. Closed like replies.ts: a field added there must be
// added here, or test/contract/responses-console.test.ts fails.
import { Type, type TSchema } from 'typebox';
import { obj, literals, nullable, Str, Int, Num, When, HotelId } from './reply-kit.js';
import { CONVERSATION_STATUSES, CONVERSATION_TYPES, DELIVERY_STATUSES, MEDIA_TYPES } from '../../core/chat.js';
import { DEPARTMENTS } from '../../core/departments.js';
import { USER_TYPES } from '../../core/directory.js';

const Ms = (description: string) => nullable(Type.Number({ description }));
const SenderType = literals(['guest', 'staff', 'system'] as const);
const MessageType = literals(['text', ...MEDIA_TYPES, 'system'] as const);
const Readiness = literals(['ready', 'degraded', 'not_ready'] as const);

// ───── overview ─────
export const OpsNode = obj(
  {
    node: Str,
    version: Str,
    started_at: Type.Integer({ description: 'ms since epoch' }),
    at: Type.Integer({ description: 'when the heartbeat was taken (ms since epoch, the node’s clock)' }),
    sockets: Int,
    actors: obj({ conversation: Num, department: Num }),
    lag_p99_ms: Num,
    lag_max_ms: Num,
    rss_bytes: Num,
    heap_bytes: Num,
    ready: Readiness,
    lacking: Type.Array(Str, { description: 'dependencies that are down' }),
    degraded: Type.Array(Str, { description: 'capabilities lost to them' }),
    stored: Type.Number({ description: 'messages stored since start' }),
    delivered: Type.Number({ description: 'messages delivered since start' }),
    stale: Type.Boolean({ description: 'no heartbeat for 3 periods' }),
    age_ms: Type.Number({ description: 'age of the last heartbeat' }),
  },
  'a node of the cluster, from its last heartbeat',
);

export const OpsTrafficPoint = obj(
  {
    t: Type.Integer({ description: 'start of the heartbeat period (ms since epoch)' }),
    stored_per_s: Num,
    delivered_per_s: Num,
    webhook_p50_ms: Ms('guest webhook latency; null without requests'),
    webhook_p99_ms: Ms('guest webhook latency; null without requests'),
    socket_p50_ms: Ms('fan-out latency; null without messages'),
    socket_p99_ms: Ms('fan-out latency; null without messages'),
  },
  'cluster traffic in one heartbeat period',
);

export const OpsJobSummary = obj(
  {
    kind: Str,
    depth: Num,
    done: Num,
    retry: Num,
    dead: Num,
    stalled: Num,
    per_s: Type.Number({ description: 'jobs finished per second, cluster-wide' }),
    failures_per_min: Num,
  },
  'a job kind, summed over nodes',
);

export const OpsOverviewReply = obj({
  node: Type.String({ description: 'the node that answered' }),
  scope: literals(['platform', 'hotel'] as const),
  hotel_id: nullable(HotelId),
  user: obj({ id: Int, username: Str, user_type: literals(USER_TYPES) }),
  simulator: Type.Boolean({ description: 'the guest simulator is available (outside production)' }),
  nodes: nullable(Type.Array(OpsNode, { description: 'null for hotel administrators' })),
  traffic: nullable(Type.Array(OpsTrafficPoint)),
  jobs: nullable(Type.Array(OpsJobSummary)),
});

// ───── hotels ─────
export const OpsHotel = obj({
  hotel_id: HotelId,
  name: Str,
  staff_sockets: Int,
  guest_sockets: Int,
  departments: Type.Record(Type.String(), obj({ sockets: Int, active_conversations: Int }), { description: 'department → sockets and active conversations' }),
  active_conversations: Int,
});
export const OpsHotelsReply = obj({ hotels: Type.Array(OpsHotel) });

// ───── conversations ─────
export const OpsConversationHead = obj({
  id: Int,
  hotel_id: HotelId,
  department: literals(DEPARTMENTS),
  conversation_type: literals(CONVERSATION_TYPES),
  status: literals(CONVERSATION_STATUSES),
  last_seq: Int,
  guest_id: Int,
  guest_name: Str,
  guest_number: Str,
});

export const OpsEvent = obj({
  seq: Int,
  sender_type: SenderType,
  message_type: MessageType,
  content: Type.String({ description: 'the first 200 characters' }),
  delivery_status: nullable(literals(DELIVERY_STATUSES)),
  delivery_error: nullable(Str),
  read_at: nullable(When),
  created_at: When,
});

export const OpsConversationReply = obj({ conversation: OpsConversationHead, events: Type.Array(OpsEvent, { description: 'the latest, oldest first' }) });

// ───── dead letters ─────
export const OpsDeadLetter = obj({
  id: Int,
  kind: Type.String({ description: 'the job kind' }),
  job_id: Str,
  payload: Type.Unknown({ description: 'the job’s payload, as enqueued' }),
  deliveries: Int,
  reason: Str,
  failed_at: When,
  hotel_id: nullable(Str),
});
export const OpsDeadLettersReply = obj({ total: Type.Integer({ description: 'open dead letters in scope' }), dead_letters: Type.Array(OpsDeadLetter) });
export const OpsRetryReply = obj({ id: Int, kind: Str, resolution: Type.Literal('retried'), job_id: Type.String({ description: 'the job enqueued again' }) });
export const OpsDiscardReply = obj({ id: Int, kind: Str, resolution: Type.Literal('discarded') });

// ───── guest simulator ─────
export const OpsDemoGuest = obj({
  guest_id: Int,
  full_name: Str,
  whatsapp_number: Str,
  hotel_id: HotelId,
  hotel_name: Str,
  channel: nullable(Type.String({ description: 'the hotel’s active relay channel' })),
  room: nullable(Str),
});
export const OpsSimulatorGuestsReply = obj({ guests: Type.Array(OpsDemoGuest) });
export const OpsSimulatorThreadReply = obj({ guest: OpsDemoGuest, conversations: Type.Array(OpsConversationReply, { description: 'up to 3 active conversations' }) });

export const OpsSimulatorSendReply = Type.Union([
  obj({ mode: Type.Literal('queued'), job_id: Str, provider_message_id: Str }, 'queued webhook mode: the inbound job'),
  obj({ mode: Type.Literal('sync'), conversation_id: Int, seq: Int, provider_message_id: Str }, 'sync webhook mode: the stored message'),
]);

/** The stored message as the chat core returns it (not the dashboard's MessageReply). */
export const OpsStoredMessage = obj({
  id: Int,
  conversation_id: Int,
  seq: Int,
  sender_type: SenderType,
  sender_id: nullable(Int),
  message_type: MessageType,
  content: Str,
  media_key: nullable(Str),
  media_url: nullable(Str),
  media_filename: nullable(Str),
  media_content_type: nullable(Str),
  provider_message_id: nullable(Str),
  delivery_status: nullable(literals(DELIVERY_STATUSES)),
  read_at: nullable(When),
  created_at: When,
  updated_at: When,
  sender_name: Str,
  guest: obj({ id: Int, full_name: Str, whatsapp_number: Str, email: Str, room_number: nullable(Str), floor: nullable(Int) }),
});
export const OpsSimulatorReplyReply = obj({ conversation_id: Int, as: Type.String({ description: 'the username the reply was sent as' }), message: OpsStoredMessage });
