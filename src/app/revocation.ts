// Changes to who a user is reach every node at once: the user's cached copy is forgotten (REST
// sees the change on its next request), and their open sockets are closed — for good
// (SESSION_REVOKED: deactivated, new password, admin reset) or with RIGHTS_CHANGED, which tells
// the client to reconnect and so get its current rights or a refusal (role, departments or hotel
// changed, a session ended by logout). A deactivated hotel loses all its sockets and cached users.
// The broadcast is best effort (core NATS): sockets opened later re-check the database at
// upgrade, and REST calls re-check within USER_CACHE_TTL_MS if a broadcast is lost.
import type { UserChange } from '../directory/users.js';
import type { Broker } from '../fanout/broker.js';
import { HOTEL_REVOKED, USER_REVOKED } from '../fanout/subjects.js';
import { CloseCodes } from '../protocol/codes.js';
import type { SocketHub } from '../transport/ws/hub.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface Forget {
  user(id: number): void;
  all(): void;
}

const CHANGES: readonly UserChange[] = ['ended', 'reconnect', 'none'];

/** `<id>` (ended, as older nodes send it) or `<id>:<change>`. */
function parseUserMessage(text: string): { id: number; change: UserChange } | null {
  const [idText, change = 'ended'] = text.split(':', 2);
  const id = Number(idText);
  if (!Number.isSafeInteger(id) || !CHANGES.includes(change as UserChange)) return null;
  return { id, change: change as UserChange };
}

/** The publishing half: directory services announce changes before any node listens for them. */
export function revocationPublisher(broker: Pick<Broker, 'publish'>) {
  return {
    user: (id: number, change: UserChange) => broker.publish(USER_REVOKED, enc.encode(change === 'ended' ? String(id) : `${id}:${change}`)),
    hotel: (id: string) => broker.publish(HOTEL_REVOKED, enc.encode(id)),
  };
}

/** The listening half: every node forgets the user (or all users) and closes their sockets. */
export function revocationListener(broker: Pick<Broker, 'subscribe'>, hub: Pick<SocketHub, 'closeUser' | 'closeHotel'>, forget: Forget) {
  const offUser = broker.subscribe(USER_REVOKED, (data) => {
    const m = parseUserMessage(dec.decode(data));
    if (!m) return;
    forget.user(m.id);
    if (m.change === 'ended') hub.closeUser(m.id, CloseCodes.SESSION_REVOKED);
    if (m.change === 'reconnect') hub.closeUser(m.id, CloseCodes.RIGHTS_CHANGED);
  });
  const offHotel = broker.subscribe(HOTEL_REVOKED, (data) => {
    forget.all();
    hub.closeHotel(dec.decode(data), CloseCodes.SESSION_REVOKED);
  });
  return {
    stop: () => {
      offUser();
      offHotel();
    },
  };
}
