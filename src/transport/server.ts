// The uWS application of a node: created first (sockets and the fanout hub need it), then the
// route table and socket endpoints are mounted, then it listens.
import type { Logger } from '../obs/log.js';
import { guardedEdge, type SocketBehavior } from './guard.js';
import { InFlight } from './http/in-flight.js';
import type { Route, Router } from './http/router.js';
import { loadUws, type TemplatedApp, type us_listen_socket } from './uws.js';
import { CorkAnchor } from './ws/cork-anchor.js';
import { loadTcpCork, TCP_CORK_ADDON } from './ws/tcp-cork.js';

export interface SocketEndpoint {
  pattern: string;
  behavior: SocketBehavior;
}

export class HttpServer {
  readonly app: TemplatedApp;
  /** Socket upgrades that follow an await are corked inside it (see ws/cork-anchor.ts). */
  readonly anchor: CorkAnchor;
  private listenSocket: us_listen_socket | null = null;
  private readonly inFlight = new InFlight();
  port = 0;

  constructor(private readonly log: Logger) {
    const uWS = loadUws();
    // No `uWebSockets: 20` header on every response: it names the server software to anyone,
    // and each header of a 101 written outside a cork is one more send (ws/cork-anchor.ts).
    uWS._cfg('silent');
    this.app = uWS.App();
    const tcp = loadTcpCork();
    if (!tcp) log.info(`${TCP_CORK_ADDON} is not built: each 101 after an await leaves in about 20 TCP segments`);
    this.anchor = new CorkAnchor(log, tcp);
  }

  /**
   * Socket endpoints only catch upgrade requests; every other request goes through the router.
   * Both register through the guarded edge, so no exception of a handler reaches uWS.
   */
  mount(router: Router, routes: Route[], sockets: SocketEndpoint[]): void {
    const edge = guardedEdge(this.app, this.log, this.inFlight);
    edge.ws(this.anchor.path, this.anchor.behavior());
    for (const s of sockets) edge.ws(s.pattern, s.behavior);
    router.mount(edge, routes);
  }

  /** Listens, then opens the cork anchor (within its own deadline) before resolving. */
  async listen(host: string, port: number): Promise<number> {
    const bound = await this.bind(host, port);
    await this.anchor.start(host, bound);
    return bound;
  }

  private bind(host: string, port: number): Promise<number> {
    const uWS = loadUws();
    return new Promise((resolve, reject) => {
      this.app.listen(host, port, (socket) => {
        if (!socket) {
          reject(new Error(`cannot listen on ${host}:${port} (address in use or not permitted)`));
          return;
        }
        this.listenSocket = socket;
        this.port = uWS.us_socket_local_port(socket as never);
        this.log.info({ host, port: this.port }, 'listening');
        resolve(this.port);
      });
    });
  }

  stopListening(): void {
    this.inFlight.draining = true;
    this.anchor.stop();
    if (!this.listenSocket) return;
    loadUws().us_listen_socket_close(this.listenSocket);
    this.listenSocket = null;
  }

  /**
   * After the listener and the sockets: waits (within `leftMs`) for the requests still being
   * answered — each answer now closes its connection — then closes every connection left, the
   * idle keep-alive ones included, so clients see the node go at once instead of at their
   * next request.
   */
  async closeConnections(leftMs: number): Promise<void> {
    this.inFlight.draining = true;
    const idle = await this.inFlight.idle(leftMs - 250);
    if (!idle) this.log.warn({ requests: this.inFlight.size }, 'requests still unanswered at shutdown; closing their connections');
    // uWS v20's App.close() (not in its typings) closes every socket of the app.
    (this.app as unknown as { close(): void }).close();
  }
}
