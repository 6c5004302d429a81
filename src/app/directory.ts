// Builds identity and directory services with the hooks chat and sockets need.
import { AuthService } from '../auth/service.js';
import { TokenService } from '../auth/tokens.js';
import { ChannelCache } from '../chat/channel-cache.js';
import { WhatsAppChannels } from '../chat/whatsapp/webhook.js';
import { loadWhatsAppChannels } from './whatsapp-inbound.js';
import type { Config } from '../config/load.js';
import { ChannelService } from '../directory/channels.js';
import { GuestService } from '../directory/guests.js';
import { HotelService } from '../directory/hotels.js';
import { NotificationService } from '../directory/notifications.js';
import { RoomService } from '../directory/rooms.js';
import { StayService } from '../directory/stays.js';
import { UserService, type UserChange } from '../directory/users.js';
import type { Logger } from '../obs/log.js';
import { activeChannelRoutes } from '../store/channels.js';
import type { Sql } from '../store/db.js';
import type { CpuPool } from '../workers/pool.js';

export interface DirectoryParts {
  config: Config;
  sql: Sql;
  cpu: CpuPool;
  log: Logger;
  /** A guest's last active stay at a hotel ended: close their conversations there. */
  checkedOut: (guestId: number, hotelId: string) => Promise<void>;
  /** A guest checked in or out (status, room). */
  guestChanged: (guestId: number, current?: { hotel_id: string; whatsapp_number: string }) => void;
  /** A user changed: every node forgets its copy, and ends or recycles the user's sockets. */
  userChanged: (userId: number, change: UserChange) => void;
  /** A hotel was deactivated: its sessions end on every node. */
  hotelDeactivated: (hotelId: string) => void;
}

export function buildDirectory(p: DirectoryParts) {
  const tokens = new TokenService(p.config.auth);
  const auth = new AuthService({ sql: p.sql, tokens, cpu: p.cpu, cfg: p.config.auth, log: p.log, onUserChanged: p.userChanged });
  const guests = new GuestService({
    sql: p.sql,
    onChanged: p.guestChanged,
    defaultRegion: p.config.phoneRegion,
    signGuestToken: (id, number) => tokens.signGuest(id, number),
    guestTokenTtlS: p.config.auth.guestTtlS,
  });
  const services = {
    hotels: new HotelService(p.sql, p.hotelDeactivated),
    users: new UserService({
      sql: p.sql,
      cpu: p.cpu,
      onChanged: (id, change) => {
        auth.forget(id);
        p.userChanged(id, change);
      },
    }),
    rooms: new RoomService(p.sql),
    guests,
    stays: new StayService({ sql: p.sql, guests, hooks: { guestChanged: p.guestChanged, checkedOut: p.checkedOut } }),
    notifications: new NotificationService(p.sql),
  };
  // Inbound routing by channel; a change through the API drops the cached entry on this node.
  const channelCache = new ChannelCache((provider, ids) => activeChannelRoutes(p.sql, provider, ids));
  // WhatsApp webhook: app secrets and numbers of active channels, reloaded after any channel change here.
  const whatsappChannels = new WhatsAppChannels(() => loadWhatsAppChannels(p.sql));
  const channels = new ChannelService({
    sql: p.sql,
    defaultRegion: p.config.phoneRegion,
    onChanged: (provider, id) => {
      channelCache.invalidate(provider, id);
      whatsappChannels.invalidate();
    },
  });
  return { tokens, auth, services, channels, channelCache, whatsappChannels };
}
