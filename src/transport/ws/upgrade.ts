// The asynchronous upgrade of uWS: copy what is needed from the stack-allocated request first
// (the Exchange has registered onAborted), admit the client (upgrade rate per IP), authenticate
// (async), take one of the owner's socket slots, then upgrade inside cork (nested in the node's
// cork anchor, see cork-anchor.ts) — or refuse with an HTTP status before any socket exists.
import type { Logger } from '../../obs/log.js';
import { safeUrl } from '../../obs/log.js';
import { CloseCodes } from '../../protocol/codes.js';
import { isAppError } from '../../core/errors.js';
import type { Exchange } from '../http/exchange.js';
import { errorReply, sendReply } from '../http/reply.js';
import type { HttpRequest, us_socket_context_t } from '../uws.js';
import type { CorkAnchor } from './cork-anchor.js';
import type { SocketAdmission, SocketState } from './hub.js';

/**
 * The subprotocol that carries a token outside the URL: the client offers
 * `Sec-WebSocket-Protocol: bearer, <token>` and the server answers `bearer`.
 */
export const TOKEN_PROTOCOL = 'bearer';

export interface UpgradeRequest {
  url: string;
  query: URLSearchParams;
  origin: string;
  authorization: string;
  ip: string;
  /** The token from the `bearer` subprotocol, the Authorization header or ?token=, in that order. */
  token: string | null;
}

export interface UpgradeDeps {
  log: Logger;
  corsOrigins: string[];
  trustProxy: boolean;
  /** Upgrades after the await run inside its cork. */
  anchor: Pick<CorkAnchor, 'corkUpgrade'>;
}

function originAllowed(origin: string, allowed: string[]): boolean {
  // Non-browser clients send no Origin; browsers must come from a configured origin.
  return origin === '' || allowed.includes('*') || allowed.includes(origin);
}

/** The token offered with the `bearer` subprotocol, and the protocol to answer with. */
export function protocolToken(header: string): { token: string | null; answer: string } {
  const offered = header.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (!offered.includes(TOKEN_PROTOCOL)) return { token: null, answer: header };
  return { token: offered.find((p) => p !== TOKEN_PROTOCOL) ?? null, answer: TOKEN_PROTOCOL };
}

/**
 * Wraps an async authorizer into an upgrade handler. `authorize` returns the socket's user data
 * or throws an AppError (its status is the HTTP answer).
 */
export function upgradeHandler<T extends SocketState>(deps: UpgradeDeps, admission: SocketAdmission, authorize: (r: UpgradeRequest) => Promise<T>) {
  return (ex: Exchange, req: HttpRequest, context: us_socket_context_t): void | Promise<void> => {
    const key = req.getHeader('sec-websocket-key');
    const offered = protocolToken(req.getHeader('sec-websocket-protocol'));
    const extensions = req.getHeader('sec-websocket-extensions');
    const query = new URLSearchParams(req.getQuery() ?? '');
    const authorization = req.getHeader('authorization');
    const connection = req.getHeader('connection');
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] ?? null;
    const fwd = deps.trustProxy ? req.getHeader('x-forwarded-for') : '';
    const r: UpgradeRequest = {
      url: req.getUrl(),
      query,
      origin: req.getHeader('origin'),
      authorization,
      ip: fwd ? fwd.split(',').at(-1)!.trim() : Buffer.from(ex.res.getRemoteAddressAsText()).toString(),
      token: offered.token || bearer || query.get('token') || null,
    };
    const refuse = (status: number, message: string, headers?: Record<string, string>) => {
      void sendReply(ex, errorReply(status, message, undefined, headers), {});
    };
    // RFC 6455 handshakes say `Connection: Upgrade`. uWS marks a request with `Connection: close`
    // (any 5-character value, in fact) to be closed once answered, which would cut the socket
    // right after its 101: refuse it plainly instead.
    if (!/(^|,)\s*upgrade\s*(,|$)/i.test(connection)) return refuse(400, 'a WebSocket handshake needs the header Connection: Upgrade');
    if (!originAllowed(r.origin, deps.corsOrigins)) return refuse(403, `origin ${r.origin} is not allowed`);
    const wait = admission.admitUpgrade(r.ip);
    if (wait > 0) {
      const retry = Math.ceil(wait);
      deps.log.debug({ url: safeUrl(r.url), ip: r.ip }, 'socket upgrade rate limited');
      return refuse(429, `too many socket upgrades from this address; retry in ${retry} s`, { 'retry-after': String(retry) });
    }
    // Taken before authorisation reads the user: a revocation or rights change that lands while
    // it runs still reaches this socket (see SocketHub.reserve).
    const mark = admission.mark();
    return authorize(r).then(
      (userData) => {
        if (ex.aborted) return;
        // Over the cap the socket is still opened, only to be closed at once with a code a
        // browser can read (a refused handshake is an anonymous 1006 there).
        if (!admission.reserve(userData, mark)) userData.refusal = CloseCodes.TOO_MANY_SOCKETS;
        let upgraded = false;
        try {
          upgraded = ex.upgrade(userData, key, offered.answer, extensions, context, (fn) => deps.anchor.corkUpgrade(ex.res, fn));
        } finally {
          if (!upgraded) admission.release(userData);
        }
      },
      (err) => {
        if (isAppError(err)) {
          deps.log.debug({ url: safeUrl(r.url), status: err.status, reason: err.message }, 'socket upgrade refused');
          refuse(err.status, err.message);
        } else {
          deps.log.error({ err, url: safeUrl(r.url) }, 'socket upgrade failed');
          refuse(503, 'could not open the socket; retry');
        }
      },
    );
  };
}
