// All sockets of this node. Fanout itself is uWS's (app.publish on topics); the hub only keeps
// what no topic can do: closing everything at shutdown, closing a deactivated user's sockets, and
// a look every 250 ms at each socket's outbound buffer — above the low-priority limit a socket
// stops receiving typing/presence topics until it drains, above the hard limit it is closed as a
// slow consumer (it can reconnect and resume by seq). That look is spread over ten ticks, so the
// event loop never stops for all sockets at once; the per-hotel census and each user's sockets
// are kept as sockets come and go, not searched for among all of them.
// The hub also admits sockets: upgrades per client IP are rate limited, and each user (or guest)
// holds at most MAX_SOCKETS_PER_USER slots, taken at upgrade (before the socket exists, so
// concurrent upgrades of one user count) and given back when the socket closes.
import { CloseCodes, type CloseCode } from '../../protocol/codes.js';
import type { Counter } from '../../obs/metrics.js';
import { KeyedRateLimiter } from '../../util/rate-limit.js';
import type { TemplatedApp, WebSocket } from '../uws.js';

export interface SocketState {
  id: number;
  kind: 'staff' | 'guest';
  /** Staff user id, or guest id for guest sockets. */
  userId: number;
  hotelId: string;
  closed: boolean;
  /** Topics dropped first when the socket falls behind (typing, presence); an array: a few at most. */
  lowTopics: string[];
  lowPaused: boolean;
  openedAt: number;
  /** True while the socket holds one of its owner's slots (from upgrade until close). */
  slot: boolean;
  /** Set at upgrade when the socket is admitted only to be closed with this code at open. */
  refusal: CloseCode | null;
}

export interface HubLimits {
  lowPriorityLimitBytes: number;
  maxBackpressureBytes: number;
  maxSocketsPerUser: number;
  upgradesPerMinute: number;
}

/** What the upgrade handler asks before a socket is created. */
export interface SocketAdmission {
  /** 0 when the client at `ip` may upgrade now, else the seconds to wait. */
  admitUpgrade(ip: string): number;
  /** Takes a slot of the socket's owner; false when all are taken. Sets `s.slot`. */
  reserve(s: SocketState, mark?: number): boolean;
  /** Gives the slot back (once; a socket without one is ignored). */
  release(s: SocketState): void;
  /** A mark taken before the upgrade's authorisation reads the database (see `reserve`). */
  mark(): number;
}

/** How long a user's or hotel's change is remembered for upgrades authorised before it. */
const CHANGE_MEMORY_MS = 60_000;
/** Every socket's buffer is looked at once per pass... */
const SWEEP_PASS_MS = 250;
/** ...in this many ticks, each taking its share of the sockets. */
const SWEEP_TICKS = 10;

export interface HotelCensus {
  hotel_id: string;
  staff: number;
  guests: number;
  departments: Record<string, number>;
}

export class SocketHub implements SocketAdmission {
  private sockets = new Set<WebSocket<SocketState>>();
  /** Where the sweep goes on at its next tick (a Set iterator survives adds and deletes). */
  private cursor: Iterator<WebSocket<SocketState>> | null = null;
  private perHotel = new Map<string, HotelCensus>();
  /** Open staff sockets by user (one socket as it is, several in an array): a user's close finds them at once. */
  private byUser = new Map<number, WebSocket<SocketState> | WebSocket<SocketState>[]>();
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  /** Slots held per owner (`kind:id`): upgraded sockets that have not closed yet. */
  private slots = new Map<string, number>();
  private readonly upgrades: KeyedRateLimiter;
  /**
   * Closes that happened while upgrades were being authorised. An upgrade that read the user
   * before a change (mark < change) must not open with the old rights: `reserve` turns it into a
   * refusal with the change's code. Sockets reserved but not open yet are in `opening`, by id:
   * uWS copies the user data into the socket at upgrade, so the object reserved is not the one
   * open() sees (kept by identity, every socket's state used to stay here for good).
   */
  private clock = 0;
  private changes = new Map<string, { at: number; mark: number; code: CloseCode }>();
  private opening = new Map<number, SocketState>();

  constructor(
    private readonly app: TemplatedApp,
    private readonly limits: HubLimits,
    private readonly closes: Counter,
  ) {
    this.upgrades = new KeyedRateLimiter(limits.upgradesPerMinute);
  }

  admitUpgrade(ip: string): number {
    return this.upgrades.take(ip);
  }

  mark(): number {
    return this.clock;
  }

  /** Remembers a close of `key` for upgrades still being authorised. */
  private changed(key: string, code: CloseCode): void {
    const now = Date.now();
    for (const [k, c] of this.changes) {
      if (now - c.at < CHANGE_MEMORY_MS && this.changes.size < 100_000) break;
      this.changes.delete(k);
    }
    this.changes.delete(key);
    this.changes.set(key, { at: now, mark: ++this.clock, code });
  }

  /** The close an upgrade authorised at `mark` missed, if any. */
  private missed(s: SocketState, mark: number): CloseCode | null {
    for (const key of [`${s.kind}:${s.userId}`, `hotel:${s.hotelId}`]) {
      const c = this.changes.get(key);
      if (c && c.mark > mark) return c.code;
    }
    return null;
  }

  /**
   * Takes a slot for a socket authorised at `mark`. A socket whose owner changed since (or
   * changes before it opens) is admitted only to be closed with that change's code at open.
   */
  reserve(s: SocketState, mark = this.clock): boolean {
    s.refusal ??= this.missed(s, mark);
    this.opening.set(s.id, s);
    if (s.slot) return true;
    const key = `${s.kind}:${s.userId}`;
    const held = this.slots.get(key) ?? 0;
    if (held >= this.limits.maxSocketsPerUser) return false;
    this.slots.set(key, held + 1);
    s.slot = true;
    return true;
  }

  release(s: SocketState): void {
    this.opening.delete(s.id);
    if (!s.slot) return;
    s.slot = false;
    const key = `${s.kind}:${s.userId}`;
    const held = (this.slots.get(key) ?? 1) - 1;
    if (held > 0) this.slots.set(key, held);
    else this.slots.delete(key);
  }

  newId(): number {
    return this.nextId++;
  }

  start(): void {
    this.timer = setInterval(() => this.sweep(Math.ceil(this.sockets.size / SWEEP_TICKS)), SWEEP_PASS_MS / SWEEP_TICKS);
    this.timer.unref();
  }

  get size(): number {
    return this.sockets.size;
  }

  /** Open sockets per hotel: staff (and per department) and guests, for the operator console. */
  census(): HotelCensus[] {
    return [...this.perHotel.values()].map((h) => ({ ...h, departments: { ...h.departments } }));
  }

  private count(s: SocketState & { departments?: readonly string[] }, by: 1 | -1): void {
    let h = this.perHotel.get(s.hotelId);
    if (!h) this.perHotel.set(s.hotelId, (h = { hotel_id: s.hotelId, staff: 0, guests: 0, departments: {} }));
    if (s.kind === 'guest') h.guests += by;
    else {
      h.staff += by;
      for (const d of s.departments ?? []) {
        const n = (h.departments[d] ?? 0) + by;
        if (n > 0) h.departments[d] = n;
        else delete h.departments[d];
      }
    }
    if (h.staff === 0 && h.guests === 0) this.perHotel.delete(s.hotelId);
  }

  /**
   * The socket's open has come: a refusal decided while it was opening (on the state reserved at
   * upgrade) moves to the socket's own state. Returns that state's refusal, if any.
   */
  opened(s: SocketState): CloseCode | null {
    const reserved = this.opening.get(s.id);
    this.opening.delete(s.id);
    if (reserved && reserved !== s && reserved.refusal) s.refusal ??= reserved.refusal;
    return s.refusal;
  }

  /** Sockets reserved and not open yet (their upgrade is being answered). */
  get openingCount(): number {
    return this.opening.size;
  }

  add(ws: WebSocket<SocketState>): void {
    const s = ws.getUserData();
    this.opening.delete(s.id);
    if (this.sockets.has(ws)) return;
    this.sockets.add(ws);
    this.count(s, 1);
    if (s.kind === 'staff') {
      const held = this.byUser.get(s.userId);
      if (!held) this.byUser.set(s.userId, ws);
      else if (Array.isArray(held)) held.push(ws);
      else this.byUser.set(s.userId, [held, ws]);
    }
  }

  /** False when the socket was never added (closed before its open() ran). */
  remove(ws: WebSocket<SocketState>): boolean {
    if (!this.sockets.delete(ws)) return false;
    const s = ws.getUserData();
    this.count(s, -1);
    if (s.kind === 'staff') {
      const held = this.byUser.get(s.userId);
      if (held === ws) this.byUser.delete(s.userId);
      else if (Array.isArray(held)) {
        const rest = held.filter((w) => w !== ws);
        this.byUser.set(s.userId, rest.length === 1 ? rest[0]! : rest);
      }
    }
    return true;
  }

  /** Local fanout: every socket subscribed to `topic` on this node gets the same bytes. */
  publish(topic: string, frame: Uint8Array): void {
    this.app.publish(topic, frame, false);
  }

  subscribeLow(ws: WebSocket<SocketState>, topic: string): void {
    const s = ws.getUserData();
    // concat, not push: push on an empty array reserves room for 17.
    if (!s.lowTopics.includes(topic)) s.lowTopics = s.lowTopics.concat(topic);
    if (!s.lowPaused) ws.subscribe(topic);
  }

  unsubscribeLow(ws: WebSocket<SocketState>, topic: string): void {
    const s = ws.getUserData();
    const i = s.lowTopics.indexOf(topic);
    if (i >= 0) s.lowTopics.splice(i, 1);
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

  /** Looks at the next `n` sockets' buffers (see SWEEP_TICKS). */
  private sweep(n: number): void {
    for (let i = 0; i < n; i++) {
      const next = (this.cursor ??= this.sockets.values()).next();
      if (next.done) {
        // A pass ended: the next tick starts the next pass.
        this.cursor = null;
        return;
      }
      this.look(next.value);
    }
  }

  private look(ws: WebSocket<SocketState>): void {
    const s = ws.getUserData();
    if (s.closed) return;
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

  closeUser(userId: number, code: CloseCode): number {
    this.changed(`staff:${userId}`, code);
    for (const s of this.opening.values()) if (s.kind === 'staff' && s.userId === userId) s.refusal ??= code;
    const held = this.byUser.get(userId);
    let n = 0;
    for (const ws of held === undefined ? [] : Array.isArray(held) ? [...held] : [held]) {
      if (!ws.getUserData().closed) {
        this.end(ws, code);
        n++;
      }
    }
    return n;
  }

  /** Every socket of a hotel (staff and guests): the hotel was deactivated. */
  closeHotel(hotelId: string, code: CloseCode): number {
    this.changed(`hotel:${hotelId}`, code);
    for (const s of this.opening.values()) if (s.hotelId === hotelId) s.refusal ??= code;
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
    this.upgrades.stop();
    for (const ws of [...this.sockets]) this.end(ws, code);
  }
}
