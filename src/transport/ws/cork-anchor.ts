// A socket this node keeps open to itself, so asynchronous upgrades never run uWS's defective
// cork path.
//
// uWS v20.30 (the npm build for Node 20) has a use-after-free in HttpResponse.cork(): when the
// callback upgrades the request to a WebSocket, the socket's memory shrinks in place, and after
// the callback cork() still reads the old request's state from the part just given back. Whatever
// the allocator or V8 puts there next can read as "Connection: close", and uWS then cuts the
// fresh socket (1006, no close frame). Fixed upstream in v20.5x, which has no build for Node 20
// on glibc < 2.38.
//
// A cork taken while another socket is corked does not cork: uWS runs the callback as it is and
// reads nothing afterwards; the upgrade then writes its 101 at once. So an upgrade that follows an
// await runs inside the cork of this anchor: a WebSocket from the node to itself over loopback,
// on a path only this process knows. Without the anchor (not yet connected, or reconnecting),
// upgrades fall back to the plain cork and the rare cut comes back; that is logged.
//
// Outside its own cork uWS sends each piece of the 101 separately (20 TCP segments); the kernel's
// TCP_CORK around the upgrade makes them one (tcp-cork.ts). Where the socket's descriptor is read
// from uWS's memory, the reading is checked on the anchor's own connection first.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { Logger } from '../../obs/log.js';
import type { SocketBehavior } from '../guard.js';
import { errorReply, sendReply } from '../http/reply.js';
import type { HttpResponse, WebSocket } from '../uws.js';
import type { TcpCork } from './tcp-cork.js';

const RETRY_MS = 1000;
const CONNECT_TIMEOUT_MS = 3000;

export class CorkAnchor {
  /** Where the anchor connects: unguessable, so no client can take the anchor's place. */
  readonly path = `/_anchor/${randomBytes(16).toString('hex')}`;
  private ws: WebSocket<unknown> | null = null;
  private conn: net.Socket | null = null;
  private target: { host: string; port: number } | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopping = false;
  private opened: Array<() => void> = [];
  /** Whether the addon's descriptor of a response was checked against a connection we know. */
  private tcpChecked: boolean | null = null;

  /** `tcp`: the TCP_CORK addon, or null where it is not built. */
  constructor(
    private readonly log: Logger,
    private readonly tcp: TcpCork | null = null,
  ) {}

  /**
   * Runs `upgrade` (an upgrade of `res` in its own cork) inside the anchor's cork, with the kernel's
   * TCP_CORK on the socket meanwhile; as it is when there is no anchor.
   */
  corkUpgrade(res: HttpResponse, upgrade: () => void): void {
    const ws = this.ws;
    if (!ws) return upgrade();
    const tcp = this.tcpChecked ? this.tcp! : null;
    const fd = tcp ? tcp.fdOf(res) : -1;
    if (fd < 0) {
      ws.cork(upgrade);
      return;
    }
    tcp!.setCork(fd, true);
    try {
      ws.cork(upgrade);
    } finally {
      // The same descriptor whatever became of the socket: clearing the option is harmless on
      // anything it may have become.
      tcp!.setCork(fd, false);
    }
  }

  get connected(): boolean {
    return this.ws !== null;
  }

  /** True once upgrades after an await leave as one TCP segment (the addon checked on the anchor). */
  get coalescing(): boolean {
    return this.tcpChecked === true;
  }

  /** The endpoint of the anchor's own path: upgraded at once, inside uWS's own callback. */
  behavior(): SocketBehavior {
    const secret = Buffer.from(this.path);
    return {
      // Nothing is ever sent on it, and it must never time out.
      idleTimeout: 0,
      maxPayloadLength: 16,
      sendPingsAutomatically: false,
      upgrade: (ex, req, context) => {
        const url = Buffer.from(req.getUrl());
        if (this.ws || url.length !== secret.length || !timingSafeEqual(url, secret)) {
          // As the router answers any path it does not know.
          void sendReply(ex, errorReply(404, `no route for GET ${req.getUrl()}`), {});
          return;
        }
        this.checkTcp(ex.res);
        // Inside uWS's own callback: the upgrade that uWS itself finishes correctly.
        ex.upgrade({}, req.getHeader('sec-websocket-key'), '', '', context);
      },
      open: (ws) => {
        this.ws = ws;
        for (const resolve of this.opened.splice(0)) resolve();
      },
      close: (ws) => {
        if (this.ws !== ws) return;
        this.ws = null;
        if (!this.stopping) {
          this.log.warn('cork anchor closed; upgrades use the plain cork until it reconnects');
          this.schedule();
        }
      },
    };
  }

  /** Reads the descriptor of the anchor's own request: its peer must be our end of the connection. */
  private checkTcp(res: HttpResponse): void {
    if (!this.tcp || this.tcpChecked !== null) return;
    const fd = this.tcp.fdOf(res);
    const ours = this.conn?.localPort;
    this.tcpChecked = fd >= 0 && ours !== undefined && this.tcp.peerPort(fd) === ours;
    if (this.tcpChecked) this.log.info('socket upgrades after an await leave as one TCP segment (TCP_CORK)');
    else this.log.warn({ fd }, 'the TCP_CORK addon does not read this uWS build; each 101 after an await leaves in about 20 TCP segments');
  }

  /** Connects to the node's own listener; resolves when the anchor is open, or false after a deadline. */
  start(host: string, port: number): Promise<boolean> {
    // A wildcard listener is reached on loopback; a specific address only on itself.
    this.target = { host: host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host, port };
    return this.connect();
  }

  private connect(): Promise<boolean> {
    if (this.stopping || !this.target) return Promise.resolve(false);
    const { host, port } = this.target;
    const conn = net.connect({ host, port });
    this.conn = conn;
    conn.setNoDelay(true);
    conn.on('error', (err) => this.log.debug({ err: err.message }, 'cork anchor connection failed'));
    conn.on('close', () => {
      if (this.conn === conn) this.conn = null;
      if (!this.stopping && !this.ws) this.schedule();
    });
    // Whatever comes back (the 101, a close frame) needs no answer.
    conn.on('data', () => undefined);
    conn.write(
      `GET ${this.path} HTTP/1.1\r\nHost: ${host.includes(':') ? `[${host}]` : host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.opened = this.opened.filter((r) => r !== done);
        this.log.warn({ host, port }, 'cork anchor did not open in time; upgrades use the plain cork');
        resolve(false);
      }, CONNECT_TIMEOUT_MS);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.opened.push(done);
    });
  }

  private schedule(): void {
    if (this.retry || this.stopping) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.ws || this.conn) return;
      void this.connect().then((ok) => ok && this.log.info('cork anchor reconnected'));
    }, RETRY_MS);
    this.retry.unref();
  }

  /** Closes the anchor for good (the listener is closing); later upgrades take the plain cork. */
  stop(): void {
    this.stopping = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.conn?.destroy();
    this.conn = null;
  }
}
