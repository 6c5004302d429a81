// Changes to who a user is reach every node at once: the user's cached copy is forgotten (REST
// sees the change on its next request), and their open sockets are closed — for good
// (SESSION_REVOKED: deactivated, new password, admin reset) or with RIGHTS_CHANGED, which tells
// the client to reconnect and so get its current rights or a refusal (role, departments or hotel
// changed, a session ended by logout). A deactivated hotel loses all its sockets and cached users.
// The broadcast is best effort (core NATS): sockets opened later re-check the database at
// upgrade, and REST calls re-check within USER_CACHE_TTL_MS if a broadcast is lost.
import type { UserChange } from '../directory/users.js';
import type { Broker } from '../fanout/broker.js';
import { CloseCodes } from '../protocol/codes.js';
import type { SocketHub } from '../transport/ws/hub.js';

const USER = 'dir.user-revoked';
const HOTEL = 'dir.hotel-revoked';
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

export function revocation(broker: Broker, hub: Pick<SocketHub, 'closeUser' | 'closeHotel'>, forget: Forget) {
  const offUser = broker.subscribe(USER, (data) => {
    const m = parseUserMessage(dec.decode(data));
    if (!m) return;
    forget.user(m.id);
    if (m.change === 'ended') hub.closeUser(m.id, CloseCodes.SESSION_REVOKED);
    if (m.change === 'reconnect') hub.closeUser(m.id, CloseCodes.RIGHTS_CHANGED);
  });
  const offHotel = broker.subscribe(HOTEL, (data) => {
    forget.all();
    hub.closeHotel(dec.decode(data), CloseCodes.SESSION_REVOKED);
  });
  return {
    user: (id: number, change: UserChange) => broker.publish(USER, enc.encode(change === 'ended' ? String(id) : `${id}:${change}`)),
    hotel: (id: string) => broker.publish(HOTEL, enc.encode(id)),
    stop: () => {
      offUser();
      offHotel();
    },
  };
}
