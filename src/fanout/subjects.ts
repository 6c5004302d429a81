// Every NATS subject name the application publishes or subscribes to (the job queue's own
// subjects, <prefix>.jobs.<kind>, are private to jobs/queue-jetstream.ts). Chat subjects carry the
// hotel, so no subscription can ever receive another hotel's traffic; the same strings name the
// local uWS topics, and low-priority events (typing, presence) go to a sibling topic with the LOW
// suffix, which slow sockets drop.
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

// Directory broadcasts every node acts on (core NATS, best effort; see app/revocation.ts).
/** `<user id>` or `<user id>:<change>`: forget the user, close or recycle their sockets. */
export const USER_REVOKED = 'dir.user-revoked';
/** `<hotel id>`: the hotel was deactivated; its sessions end. */
export const HOTEL_REVOKED = 'dir.hotel-revoked';
/** `<guest id>`: the guest's status, room or number changed; routing caches drop it. */
export const GUEST_CHANGED = 'dir.guest-changed';

/** The reply-system hand-off stream (JetStream): one subject per hotel and conversation type. */
export const replySubjects = {
  all: (prefix: string) => `${prefix}.replies.>`,
  one: (prefix: string, hotelId: string, conversationType: string) => `${prefix}.replies.${hotelId}.${conversationType}`,
};
