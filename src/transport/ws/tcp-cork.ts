// The kernel's TCP_CORK around a socket upgrade that cannot use uWS's own cork.
//
// Upgrades after an await run inside the cork anchor (cork-anchor.ts), where uWS writes every
// piece of the 101 with its own send: 20 TCP segments per handshake, about half of what a node
// spent in a connection storm. With TCP_CORK set on the socket for the length of the upgrade, the
// kernel sends them as one. The descriptor comes from a small addon (native/tcp-cork, built by
// `npm install` where a compiler is present) that reads it out of uWS's socket; the anchor checks
// that reading on its own connection before any client's upgrade relies on it.
import { createRequire } from 'node:module';
import path from 'node:path';
import { projectRoot } from '../../util/paths.js';
import type { HttpResponse } from '../uws.js';

export interface TcpCork {
  /**
   * The descriptor of a live uWS HttpResponse (not aborted, not yet upgraded or answered), or -1
   * when it is not a connected TCP socket. Internal field 0 of whatever it is given is read as
   * uWS's socket pointer: never pass anything else.
   */
  fdOf(res: HttpResponse): number;
  /** Sets or clears TCP_CORK; 0 or the errno. */
  setCork(fd: number, on: boolean): number;
  /** The peer's port of a connected socket, or -1. */
  peerPort(fd: number): number;
  /** TCP segments the socket has sent so far, or -1. */
  segmentsOut(fd: number): number;
}

export const TCP_CORK_ADDON = path.join('native', 'tcp-cork', 'build', 'Release', 'tcp_cork.node');

/** The addon, or null where it is not built (no compiler at install, not Linux). */
export function loadTcpCork(): TcpCork | null {
  if (process.platform !== 'linux') return null;
  try {
    return createRequire(import.meta.url)(path.join(projectRoot(), TCP_CORK_ADDON)) as TcpCork;
  } catch {
    return null;
  }
}
