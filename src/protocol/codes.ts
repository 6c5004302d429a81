// WebSocket close codes used by this service, with whether a client should reconnect.
// Handlers refer to these names, never to numbers.

export const CloseCodes = {
  /** Server shutting down or node draining: reconnect (to another node). */
  GOING_AWAY: { code: 1001, reason: 'server going away', reconnect: true },
  /** A frame larger than WS_MAX_PAYLOAD_BYTES. */
  TOO_BIG: { code: 1009, reason: 'frame too large', reconnect: true },
  /** Unexpected server failure. */
  INTERNAL: { code: 1011, reason: 'internal error', reconnect: true },
  /** The socket's credentials stopped being valid (user deactivated, token revoked). */
  SESSION_REVOKED: { code: 4001, reason: 'session revoked', reconnect: false },
  /** The user's role, departments or sessions changed: reconnect to get the current rights (or a refusal). */
  RIGHTS_CHANGED: { code: 4003, reason: 'rights changed, reconnect', reconnect: true },
  /** More inbound frames than WS_FRAMES_PER_SECOND allows. */
  RATE_LIMITED: { code: 4008, reason: 'too many frames', reconnect: true },
  /**
   * The user (or guest) already has MAX_SOCKETS_PER_USER sockets on this node. Do not reconnect
   * automatically: close another socket (tab) first.
   */
  TOO_MANY_SOCKETS: { code: 4029, reason: 'too many sockets for this user', reconnect: false },
  /** The socket could not keep up: outbound buffer over WS_MAX_BACKPRESSURE_BYTES. Reconnect and resume. */
  SLOW_CONSUMER: { code: 4009, reason: 'slow consumer', reconnect: true },
} as const;

export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes];
