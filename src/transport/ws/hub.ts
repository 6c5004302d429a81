// All sockets of this node. Fanout itself is uWS's (app.publish on topics); the hub only keeps
// what no topic can do: closing everything at shutdown, closing a deactivated user's sockets, and
// a look every 250 ms at each socket's outbound buffer — above the low-priority limit a socket
// stops receiving typing/presence topics until it drains, above the hard limit it is closed as a
// slow consumer (it can reconnect and resume by seq).
import { CloseCodes, type CloseCode } from '../../protocol/codes.js';
import type { Counter } from '../../obs/metrics.js';
import type { TemplatedApp, WebSocket } from '../uws.js';

export interface SocketState {
  id: number;
  kind: 'staff' | 'guest';
  /** Staff user id, or guest id for guest sockets. */
  userId: number;
  hotelId: string;
  closed: boolean;
  /** Topics dropped first when the socket falls behind (typing, presence). */
  lowTopics: Set<string>;
  lowPaused: boolean;
  openedAt: number;
}

export interface HubLimits {
  lowPriorityLimitBytes: number;
  maxBackpressureBytes: number;
}

export class SocketHub {
  private sockets = new Set<WebSocket<SocketState>>();
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;

  constructor(
    private readonly app: TemplatedApp,
    private readonly limits: HubLimits,
    private readonly closes: Counter,
  ) {}

  newId(): number {
    return this.nextId++;
  }

  start(): void {
    this.timer = setInterval(() => this.sweep(), 250);
    this.timer.unref();
  }

  get size(): number {
    return this.sockets.size;
  }

  add(ws: WebSocket<SocketState>): void {
    this.sockets.add(ws);
  }

  /** False when the socket was never added (closed before its open() ran). */
  remove(ws: WebSocket<SocketState>): boolean {
    return this.sockets.delete(ws);
  }

  /** Local fanout: every socket subscribed to `topic` on this node gets the same bytes. */
  publish(topic: string, frame: Uint8Array): void {
    this.app.publish(topic, frame, false);
  }

  subscribeLow(ws: WebSocket<SocketState>, topic: string): void {
    const s = ws.getUserData();
    s.lowTopics.add(topic);
    if (!s.lowPaused) ws.subscribe(topic);
  }

  unsubscribeLow(ws: WebSocket<SocketState>, topic: string): void {
    const s = ws.getUserData();
    s.lowTopics.delete(topic);
    ws.unsubscribe(topic);
  }

  end(ws: WebSocket<SocketState>, code: CloseCode): void {
    const s = ws.getUserData();
    if (s.closed) return;
    this.closes.inc({ reason: code.reason });
    ws.end(code.code, code.reason);
  }

  /** Called from the socket's drain handler: resume low-priority topics once caught up. */
  drained(ws: WebSocket<SocketState>): void {
    const s = ws.getUserData();
    if (s.lowPaused && ws.getBufferedAmount() < this.limits.lowPriorityLimitBytes / 2) {
      s.lowPaused = false;
      for (const t of s.lowTopics) ws.subscribe(t);
    }
  }

  private sweep(): void {
    for (const ws of this.sockets) {
      const s = ws.getUserData();
      if (s.closed) continue;
      const buffered = ws.getBufferedAmount();
      if (buffered > this.limits.maxBackpressureBytes) {
        this.end(ws, CloseCodes.SLOW_CONSUMER);
      } else if (buffered > this.limits.lowPriorityLimitBytes && !s.lowPaused) {
        s.lowPaused = true;
        for (const t of s.lowTopics) ws.unsubscribe(t);
      } else if (s.lowPaused) {
        this.drained(ws);
      }
    }
  }

  closeUser(userId: number, code: CloseCode): number {
    let n = 0;
    for (const ws of this.sockets) {
      const s = ws.getUserData();
      if (s.kind === 'staff' && s.userId === userId && !s.closed) {
        this.end(ws, code);
        n++;
      }
    }
    return n;
  }

  /** Every socket of a hotel (staff and guests): the hotel was deactivated. */
  closeHotel(hotelId: string, code: CloseCode): number {
    let n = 0;
    for (const ws of this.sockets) {
      const s = ws.getUserData();
      if (s.hotelId === hotelId && !s.closed) {
        this.end(ws, code);
        n++;
      }
    }
    return n;
  }

  closeAll(code: CloseCode = CloseCodes.GOING_AWAY): void {
    if (this.timer) clearInterval(this.timer);
    for (const ws of [...this.sockets]) this.end(ws, code);
  }
}
