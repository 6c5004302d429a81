// What every socket endpoint shares: limits (frame size, idle pings, backpressure, flood), the
// hub bookkeeping, safe sends after an await, and never letting a handler error kill the socket.
import type { Logger } from '../../obs/log.js';
import { CloseCodes } from '../../protocol/codes.js';
import { errorFrame } from '../../protocol/frames.js';
import { TokenBucket } from '../../util/rate-limit.js';
import type { SocketBehavior, UpgradeHandler } from '../guard.js';
import type { WebSocket } from '../uws.js';
import type { SocketHub, SocketState } from './hub.js';

export interface SocketLimits {
  maxPayloadBytes: number;
  maxBackpressureBytes: number;
  lowPriorityLimitBytes: number;
  idleTimeoutS: number;
  framesPerSecond: number;
  frameBurst: number;
}

export interface BehaviorSpec<S extends SocketState & { bucket: TokenBucket | null }> {
  limits: SocketLimits;
  hub: SocketHub;
  log: Logger;
  upgrade: UpgradeHandler;
  open(ws: WebSocket<S>): void;
  message(ws: WebSocket<S>, frame: string): Promise<void> | void;
  close(ws: WebSocket<S>): void;
}

/** The bookkeeping every socket starts with (the endpoint adds who it is). */
export function freshSocketState(hub: SocketHub, limits: SocketLimits) {
  return {
    id: hub.newId(),
    closed: false,
    lowTopics: [] as string[],
    lowPaused: false,
    openedAt: 0,
    slot: false,
    refusal: null,
    // Made with the first frame: most staff sockets only listen.
    bucket: null as TokenBucket | null,
  };
}

/** Sends one JSON frame unless the socket is gone; a dropped send marks it a slow consumer. */
export function sendFrame(hub: SocketHub, ws: WebSocket<SocketState>, frame: unknown): void {
  const s = ws.getUserData();
  if (s.closed) return;
  let status = 1;
  ws.cork(() => {
    status = ws.send(JSON.stringify(frame), false);
  });
  if (status === 2) hub.end(ws, CloseCodes.SLOW_CONSUMER);
}

export function socketBehavior<S extends SocketState & { bucket: TokenBucket | null }>(spec: BehaviorSpec<S>): SocketBehavior {
  const { limits, hub, log } = spec;
  const behavior: SocketBehavior<S> = {
    // uWS drops the connection without a close frame above its limit; frames between our limit
    // and 4× it get a proper 1009 from us.
    maxPayloadLength: limits.maxPayloadBytes * 4,
    idleTimeout: limits.idleTimeoutS,
    sendPingsAutomatically: true,
    // uWS's own limit is only a memory cap: above it uWS skips messages for the socket. The hub's
    // sweep closes a slow socket with 4009 as soon as it passes our (32× lower) limit, and the
    // client resumes by seq. uWS's closeOnBackpressureLimit stays off: with it, v20.30 cuts
    // freshly upgraded sockets (1006, no close frame) during connection storms.
    maxBackpressure: limits.maxBackpressureBytes * 32,
    closeOnBackpressureLimit: 0,
    upgrade: spec.upgrade,
    open(ws) {
      const s = ws.getUserData();
      s.openedAt = Date.now();
      // The endpoint's setup allocates native memory (ws.subscribe). After an upgrade that
      // followed an await, uWS v20.30's res.cork() reads the old HTTP state from memory the
      // upgrade just released, and an allocation there can read as "Connection: close" (uWS then
      // cuts the socket). Upgrades run inside the cork anchor, where that read does not happen
      // (cork-anchor.ts); while the anchor reconnects they do not, so the setup still runs once
      // the upgrade's cork has returned, before any frame of this socket can arrive.
      queueMicrotask(() => {
        if (s.closed) return;
        // Admitted only to be told why it cannot stay (see upgrade.ts): nothing to set up.
        const refusal = hub.opened(s);
        if (refusal) return hub.end(ws as WebSocket<SocketState>, refusal);
        log.debug({ socket: s.id, kind: s.kind, user: s.userId }, 'socket open');
        hub.add(ws as WebSocket<SocketState>);
        try {
          spec.open(ws);
        } catch (err) {
          log.error({ err }, 'socket open failed');
          hub.end(ws as WebSocket<SocketState>, CloseCodes.INTERNAL);
        }
      });
    },
    message(ws, data, isBinary) {
      const s = ws.getUserData();
      if (s.closed) return;
      if ((s.bucket ??= new TokenBucket(limits.framesPerSecond, limits.frameBurst)).take() > 0) {
        hub.end(ws as WebSocket<SocketState>, CloseCodes.RATE_LIMITED);
        return;
      }
      if (data.byteLength > limits.maxPayloadBytes) {
        hub.end(ws as WebSocket<SocketState>, CloseCodes.TOO_BIG);
        return;
      }
      if (isBinary) {
        sendFrame(hub, ws as WebSocket<SocketState>, errorFrame('Frames must be JSON text'));
        return;
      }
      // The ArrayBuffer is neutered when this callback returns: decode it now.
      const text = Buffer.from(data).toString('utf8');
      Promise.resolve()
        .then(() => spec.message(ws, text))
        .catch((err) => {
          log.error({ err, socket: s.id }, 'socket frame handler failed');
          sendFrame(hub, ws as WebSocket<SocketState>, errorFrame('Error processing message'));
        });
    },
    drain(ws) {
      hub.drained(ws as WebSocket<SocketState>);
    },
    close(ws, code) {
      const s = ws.getUserData();
      // 1006: the connection ended without a close handshake (network, client crash, or uWS
      // itself): worth a line, with what we know about the socket.
      if (code === 1006 && !s.closed) {
        const ageMs = Date.now() - s.openedAt;
        // A socket cut seconds after it opened is unusual; mass disconnects of old ones are not.
        log[ageMs < 10_000 ? 'info' : 'debug']({ socket: s.id, kind: s.kind, user: s.userId, ageMs }, 'socket closed abnormally (1006)');
      } else {
        log.debug({ socket: s.id, kind: s.kind, user: s.userId, code }, 'socket closed');
      }
      s.closed = true;
      hub.release(s);
      // Not in the hub: closed before its open() ran, so there is nothing to undo.
      if (!hub.remove(ws as WebSocket<SocketState>)) return;
      try {
        spec.close(ws);
      } catch (err) {
        log.error({ err }, 'socket close handler failed');
      }
    },
  };
  return behavior as SocketBehavior;
}
