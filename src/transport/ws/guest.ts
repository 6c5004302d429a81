// Guest sockets: /ws/guest/<whatsapp_number>/ for a guest with an active stay. Guests write over
// WhatsApp; the socket receives staff replies and updates of the guest's conversations, and may
// send typing and ping frames. A guest token (issued by staff, POST /api/guests/<id>/socket-token/)
// is required unless GUEST_SOCKET_AUTH=none.
import type { TokenService } from '../../auth/tokens.js';
import type { SubjectRelay } from '../../chat/delivery/relay.js';
import type { ChatCore } from '../../chat/core.js';
import type { GuestService } from '../../directory/guests.js';
import { normalizePhone } from '../../directory/phone.js';
import { LOW, subjects } from '../../fanout/subjects.js';
import type { Logger } from '../../obs/log.js';
import { AuthError, ForbiddenError, isAppError, NotFoundError } from '../../core/errors.js';
import { errorFrame, parseInbound } from '../../protocol/frames.js';
import type { TokenBucket } from '../../util/rate-limit.js';
import type { SocketEndpoint } from '../server.js';
import { freshSocketState, sendFrame, socketBehavior, type SocketLimits } from './behavior.js';
import type { SocketHub, SocketState } from './hub.js';
import { decodeSegment, trimSlashes } from '../http/path.js';
import { upgradeHandler, type UpgradeDeps } from './upgrade.js';

export interface GuestSocketState extends SocketState {
  kind: 'guest';
  hotelId: string;
  number: string;
  subjects: string[];
  conversations: Set<number>;
  bucket: TokenBucket | null;
}

export interface GuestSocketDeps {
  guests: Pick<GuestService, 'socketGuest'>;
  /** Ids of the guest's active conversations at the hotel. */
  activeConversations: (guestId: number, hotelId: string) => Promise<number[]>;
  tokens: TokenService;
  chat: Pick<ChatCore, 'guestSocket'>;
  relay: SubjectRelay;
  hub: SocketHub;
  log: Logger;
  upgrade: UpgradeDeps;
  limits: SocketLimits;
  requireToken: boolean;
  phoneRegion?: string;
}

const PREFIX = '/ws/guest/';

export function guestSocketEndpoints(deps: GuestSocketDeps): SocketEndpoint[] {
  const behavior = socketBehavior<GuestSocketState>({
    limits: deps.limits,
    hub: deps.hub,
    log: deps.log,
    upgrade: upgradeHandler(deps.upgrade, deps.hub, async (r) => {
      const raw = decodeSegment(trimSlashes(r.url.slice(PREFIX.length)), 'whatsapp_number');
      const number = normalizePhone(raw, deps.phoneRegion);
      if (!number) throw new NotFoundError('Guest not found');
      let tokenGuest: number | null = null;
      if (deps.requireToken) {
        if (!r.token) throw new AuthError('A guest token is required (Sec-WebSocket-Protocol: bearer, <token>; or ?token=)');
        tokenGuest = (await deps.tokens.verifyGuest(r.token)).guestId;
      }
      const ctx = await deps.guests.socketGuest(number);
      if (!ctx) throw new NotFoundError('Guest not found');
      if (tokenGuest !== null && tokenGuest !== ctx.guest_id) throw new AuthError('The token belongs to another guest');
      if (ctx.stay_status !== 'active' || !ctx.hotel_id) throw new ForbiddenError('Guest does not have an active stay');
      const conversations = await deps.activeConversations(ctx.guest_id, ctx.hotel_id);
      return {
        ...freshSocketState(deps.hub, deps.limits),
        kind: 'guest',
        userId: ctx.guest_id,
        hotelId: ctx.hotel_id,
        number,
        subjects: [],
        conversations: new Set(conversations),
      } satisfies GuestSocketState;
    }),
    open(ws) {
      const s = ws.getUserData();
      const own = subjects.guest(s.hotelId, s.userId);
      ws.subscribe(own);
      deps.relay.acquire(own);
      s.subjects.push(own);
      for (const id of s.conversations) {
        const subject = subjects.conversation(s.hotelId, id);
        deps.relay.acquire(subject);
        deps.hub.subscribeLow(ws, subject + LOW);
        s.subjects.push(subject);
      }
    },
    async message(ws, text) {
      const s = ws.getUserData();
      const send = (f: unknown) => sendFrame(deps.hub, ws, f);
      try {
        const frame = parseInbound(text);
        if (frame.type === 'ping') return send({ type: 'pong', timestamp: new Date().toISOString() });
        if (frame.type === 'typing') {
          if (!s.conversations.has(frame.conversation_id)) throw new NotFoundError('Conversation not found');
          return await deps.chat.guestSocket.typing(s.userId, frame.conversation_id, frame.is_typing ?? false);
        }
        send(errorFrame(`guests cannot send ${frame.type} frames here; messages go through WhatsApp`));
      } catch (err) {
        if (!isAppError(err)) throw err;
        send(errorFrame(err.message, { code: err.code }));
      }
    },
    close(ws) {
      const s = ws.getUserData();
      for (const subject of s.subjects) deps.relay.release(subject);
      s.subjects = [];
    },
  });
  return [{ pattern: `${PREFIX}*`, behavior }];
}
