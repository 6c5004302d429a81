// The asynchronous upgrade of uWS: copy what is needed from the stack-allocated request first,
// register onAborted, authenticate (async), then upgrade inside cork — or refuse with an HTTP
// status before any socket exists.
import type { Logger } from '../../obs/log.js';
import { isAppError } from '../../protocol/errors.js';
import type { HttpRequest, HttpResponse } from '../uws.js';
import type { us_socket_context_t } from 'uWebSockets.js';
import { statusLine } from '../http/reply.js';

export interface UpgradeRequest {
  url: string;
  query: URLSearchParams;
  origin: string;
  authorization: string;
  ip: string;
  /** The bearer token from ?token= or the Authorization header. */
  token: string | null;
}

export interface UpgradeDeps {
  log: Logger;
  corsOrigins: string[];
  trustProxy: boolean;
}

function originAllowed(origin: string, allowed: string[]): boolean {
  // Non-browser clients send no Origin; browsers must come from a configured origin.
  return origin === '' || allowed.includes('*') || allowed.includes(origin);
}

/**
 * Wraps an async authorizer into a uWS upgrade handler. `authorize` returns the socket's user
 * data or throws an AppError (its status is the HTTP answer).
 */
export function upgradeHandler<T>(deps: UpgradeDeps, authorize: (r: UpgradeRequest) => Promise<T>) {
  return (res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void => {
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
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
      ip: fwd ? fwd.split(',').at(-1)!.trim() : Buffer.from(res.getRemoteAddressAsText()).toString(),
      token: query.get('token') || bearer,
    };
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const refuse = (status: number, message: string) => {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(statusLine(status)).writeHeader('content-type', 'application/json').end(JSON.stringify({ error: message }));
      });
    };
    // RFC 6455 handshakes say `Connection: Upgrade`. uWS marks a request with `Connection: close`
    // (any 5-character value, in fact) to be closed once answered, which would cut the socket
    // right after its 101: refuse it plainly instead.
    if (!/(^|,)\s*upgrade\s*(,|$)/i.test(connection)) {
      refuse(400, 'a WebSocket handshake needs the header Connection: Upgrade');
      return;
    }
    if (!originAllowed(r.origin, deps.corsOrigins)) {
      refuse(403, `origin ${r.origin} is not allowed`);
      return;
    }
    authorize(r).then(
      (userData) => {
        if (aborted) return;
        res.cork(() => res.upgrade(userData, key, protocol, extensions, context));
      },
      (err) => {
        if (isAppError(err)) {
          deps.log.debug({ url: r.url.split('?')[0], status: err.status, reason: err.message }, 'socket upgrade refused');
          refuse(err.status, err.message);
        } else {
          deps.log.error({ err, url: r.url.split('?')[0] }, 'socket upgrade failed');
          refuse(503, 'could not open the socket; retry');
        }
      },
    );
  };
}
