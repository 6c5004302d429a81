// Ending sessions across the cluster: a deactivated user (or one with a new password) and a
// deactivated hotel lose their open sockets on every node, not only the one that made the change.
// The broadcast is best effort; sockets opened later re-check the database at upgrade, and REST
// calls re-check within USER_CACHE_TTL_MS.
import type { Broker } from '../fanout/broker.js';
import { CloseCodes } from '../protocol/codes.js';
import type { SocketHub } from '../transport/ws/hub.js';

const USER = 'dir.user-revoked';
const HOTEL = 'dir.hotel-revoked';
const enc = new TextEncoder();
const dec = new TextDecoder();

export function revocation(broker: Broker, hub: SocketHub, forgetUser: (id: number) => void) {
  const offUser = broker.subscribe(USER, (data) => {
    const id = Number(dec.decode(data));
    if (!Number.isSafeInteger(id)) return;
    forgetUser(id);
    hub.closeUser(id, CloseCodes.SESSION_REVOKED);
  });
  const offHotel = broker.subscribe(HOTEL, (data) => hub.closeHotel(dec.decode(data), CloseCodes.SESSION_REVOKED));
  return {
    user: (id: number) => broker.publish(USER, enc.encode(String(id))),
    hotel: (id: string) => broker.publish(HOTEL, enc.encode(id)),
    stop: () => {
      offUser();
      offHotel();
    },
  };
}
