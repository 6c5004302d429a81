// Subject names of chat fanout. Every subject carries the hotel, so no subscription can ever
// receive another hotel's traffic. The same strings name the local uWS topics; low-priority
// events (typing, presence) go to a sibling topic with the LOW suffix, which slow sockets drop.
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
