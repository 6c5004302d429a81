// The boundary between uWS and our code. uWS calls JavaScript from C++: an exception thrown in
// one of those callbacks (or a rejected promise one of them returned) would reach the top level
// and end the process. Every handler is registered through guardedEdge(), which catches it, logs
// it once and ends only the request (500, or a cut if the answer had begun) or the socket (1011)
// concerned. Request handlers get an Exchange instead of the raw response (see http/exchange.ts).
import type { Logger } from '../obs/log.js';
import { CloseCodes } from '../protocol/codes.js';
import { Exchange } from './http/exchange.js';
import type { InFlight } from './http/in-flight.js';
import { errorReply, sendReply } from './http/reply.js';
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, WebSocketBehavior, us_socket_context_t } from './uws.js';

export type HttpHandler = (ex: Exchange, req: HttpRequest) => void | Promise<void>;
export type UpgradeHandler = (ex: Exchange, req: HttpRequest, context: us_socket_context_t) => void | Promise<void>;

/** A uWS socket behaviour whose upgrade handler receives an Exchange. */
export type SocketBehavior<S = unknown> = Omit<WebSocketBehavior<S>, 'upgrade'> & { upgrade?: UpgradeHandler };

/** What route tables and socket endpoints are registered on. */
export interface Edge {
  any(pattern: string, handler: HttpHandler): void;
  ws(pattern: string, behavior: SocketBehavior): void;
}

const SOCKET_CALLBACKS = ['open', 'message', 'drain', 'ping', 'pong', 'subscription'] as const;

/** `inFlight` (optional) counts requests until they are answered, for a graceful shutdown. */
export function guardedEdge(app: TemplatedApp, log: Logger, inFlight?: InFlight): Edge {
  return {
    any: (pattern, handler) => void app.any(pattern, guardRequest(log, pattern, handler, inFlight)),
    ws: (pattern, behavior) => void app.ws(pattern, guardSocket(log, pattern, behavior, inFlight)),
  };
}

function isPromise(v: unknown): v is Promise<unknown> {
  return typeof (v as Promise<unknown> | undefined)?.then === 'function';
}

function guardRequest<A extends unknown[]>(
  log: Logger,
  pattern: string,
  handler: (ex: Exchange, req: HttpRequest, ...rest: A) => void | Promise<void>,
  inFlight?: InFlight,
) {
  return (res: HttpResponse, req: HttpRequest, ...rest: A): void => {
    let ex: Exchange | undefined;
    // The request is copied for the log line only when something failed; req is gone by then.
    const fail = (err: unknown) => {
      log.error({ err, route: pattern }, 'uncaught error in an HTTP handler');
      if (ex) void failExchange(ex, log);
      else closeQuietly(res, log);
    };
    try {
      ex = new Exchange(res, req, fail, inFlight);
      const out = handler(ex, req, ...rest);
      if (isPromise(out)) out.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}

/** 500 if nothing was written yet (after the body, like any answer); a cut if a stream had begun. */
async function failExchange(ex: Exchange, log: Logger): Promise<void> {
  try {
    const sent = await sendReply(ex, errorReply(500, 'internal server error'), {});
    if (!sent) ex.close();
  } catch (err) {
    log.debug({ err }, 'could not answer a failed request');
  }
}

function closeQuietly(res: HttpResponse, log: Logger): void {
  try {
    res.close();
  } catch (err) {
    log.debug({ err }, 'could not close a failed request');
  }
}

function guardSocket(log: Logger, pattern: string, behavior: SocketBehavior, inFlight?: InFlight): WebSocketBehavior<unknown> {
  const closed = new WeakSet<object>();
  const fail = (where: string, ws: WebSocket<unknown>, err: unknown) => {
    log.error({ err, route: pattern, where }, 'uncaught error in a socket handler');
    if (closed.has(ws)) return;
    try {
      ws.end(CloseCodes.INTERNAL.code, CloseCodes.INTERNAL.reason);
    } catch (e) {
      log.debug({ err: e }, 'could not close a failed socket');
    }
  };
  const { upgrade, ...rest } = behavior;
  const guarded: WebSocketBehavior<unknown> = { ...rest };
  if (upgrade) guarded.upgrade = guardRequest(log, pattern, upgrade, inFlight);
  for (const name of SOCKET_CALLBACKS) {
    const fn = behavior[name] as ((ws: WebSocket<unknown>, ...args: unknown[]) => unknown) | undefined;
    if (!fn) continue;
    (guarded as Record<string, unknown>)[name] = (ws: WebSocket<unknown>, ...args: unknown[]) => {
      try {
        const out = fn(ws, ...args);
        if (isPromise(out)) out.catch((err) => fail(name, ws, err));
      } catch (err) {
        fail(name, ws, err);
      }
    };
  }
  const close = behavior.close;
  guarded.close = (ws, code, message) => {
    closed.add(ws);
    try {
      close?.(ws, code, message);
    } catch (err) {
      log.error({ err, route: pattern, where: 'close' }, 'uncaught error in a socket handler');
    }
  };
  return guarded;
}
