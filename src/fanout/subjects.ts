// Every NATS subject and JetStream stream name the application uses. Chat subjects carry the
// hotel, so no subscription can ever receive another hotel's traffic; the same strings name the
// local uWS topics, and low-priority events (typing, presence) go to a sibling topic with the LOW
// suffix, which slow sockets drop. The strings with a prefix name what a running deployment
// already has in NATS (streams, durable consumers' filters): changing one orphans them.
import { departmentSlug, type Department } from '../core/departments.js';

export const LOW = '|lo';

export const subjects = {
  /** Every staff socket of a hotel's department: messages, new conversations, updates, presence. */
  department: (hotelId: string, department: Department) => `dept.${hotelId}.${departmentSlug(department)}`,
  /** Sockets that opened one conversation: typing and read receipts. */
  conversation: (hotelId: string, conversationId: number) => `conv.${hotelId}.${conversationId}`,
  /** The guest's own sockets: staff replies and updates of their conversations. */
  guest: (hotelId: string, guestId: number) => `guest.${hotelId}.${guestId}`,
};

/** The NATS subject that carries a broker subject (above or below) between nodes. */
export const clusterSubject = (prefix: string, subject: string) => `${prefix}.ev.${subject}`;

// Directory broadcasts every node acts on (core NATS, best effort; see app/revocation.ts).
/** `<user id>` or `<user id>:<change>`: forget the user, close or recycle their sockets. */
export const USER_REVOKED = 'dir.user-revoked';
/** `<hotel id>`: the hotel was deactivated; its sessions end. */
export const HOTEL_REVOKED = 'dir.hotel-revoked';
/** `<guest id>`: the guest's status, room or number changed; routing caches drop it. */
export const GUEST_CHANGED = 'dir.guest-changed';

/** The reply-system hand-off stream (JetStream): one subject per hotel and conversation type. */
export const replySubjects = {
  stream: (prefix: string) => `${prefix}_REPLIES`,
  all: (prefix: string) => `${prefix}.replies.>`,
  one: (prefix: string, hotelId: string, conversationType: string) => `${prefix}.replies.${hotelId}.${conversationType}`,
};

/**
 * The durable job queue (JetStream work-queue stream): one subject per job kind, or per partition
 * (`.p<n>`) of a kind split for ordering by key.
 */
export const jobSubjects = {
  stream: (prefix: string) => `${prefix}_JOBS`,
  all: (prefix: string) => `${prefix}.jobs.>`,
  one: (prefix: string, kind: string, partition?: number) => `${prefix}.jobs.${kind}${partition === undefined ? '' : `.p${partition}`}`,
  /** Every partition of a split kind. */
  partitions: (prefix: string, kind: string) => `${prefix}.jobs.${kind}.*`,
};

/** Each node's stats heartbeat for the operator console (JSON; see ops/cluster.ts). */
export const OPS_STATS = 'ops.stats';
