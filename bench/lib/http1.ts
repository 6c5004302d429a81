// A minimal keep-alive HTTP/1.1 client over net sockets: one request in flight per connection,
// up to maxConns connections, a FIFO of waiting requests. Much cheaper per request than node:http,
// which matters on a 2-core machine where the load generator shares the CPU with the server.
// Handles Content-Length and chunked responses; a connection the server closes is replaced.
import net from 'node:net';

/** waitMs: time the request spent queued in this pool before it was written (all connections busy). */
export type Done = (err: Error | null, status: number, body: string, waitMs: number) => void;

const clock = () => performance.now();

interface Pending {
  bytes: Buffer;
  done: Done;
  queuedAt: number;
  wait: number;
}

class Conn {
  sock: net.Socket;
  busy: Pending | null = null;
  private buf: Buffer = Buffer.alloc(0);
  alive = true;

  constructor(
    host: string,
    port: number,
    private readonly onIdle: (c: Conn) => void,
    private readonly onDead: (c: Conn) => void,
  ) {
    this.sock = net.connect({ host, port });
    this.sock.setNoDelay(true);
    this.sock.on('data', (d) => this.data(d));
    const dead = (err?: Error) => {
      if (!this.alive) return;
      this.alive = false;
      const p = this.busy;
      this.busy = null;
      this.onDead(this);
      if (p) p.done(err ?? new Error('connection closed'), 0, '', p.wait);
    };
    this.sock.on('error', dead);
    this.sock.on('close', () => dead());
  }

  send(p: Pending): void {
    p.wait = clock() - p.queuedAt;
    this.busy = p;
    this.sock.write(p.bytes);
  }

  private data(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.toString('latin1', 0, end);
      const status = Number(head.slice(9, 12));
      const lower = head.toLowerCase();
      const clIdx = lower.indexOf('\r\ncontent-length:');
      let bodyStart = end + 4;
      let body: string;
      let consumed: number;
      if (clIdx >= 0) {
        const lineEnd = lower.indexOf('\r\n', clIdx + 2);
        const len = Number(lower.slice(clIdx + 17, lineEnd < 0 ? undefined : lineEnd).trim());
        if (this.buf.length < bodyStart + len) return;
        body = this.buf.toString('utf8', bodyStart, bodyStart + len);
        consumed = bodyStart + len;
      } else if (lower.includes('\r\ntransfer-encoding: chunked')) {
        const parts: string[] = [];
        let pos = bodyStart;
        let complete = false;
        for (;;) {
          const le = this.buf.indexOf('\r\n', pos);
          if (le < 0) break;
          const size = parseInt(this.buf.toString('latin1', pos, le), 16);
          if (size === 0) {
            if (this.buf.length < le + 4) break;
            consumed = le + 4;
            complete = true;
            break;
          }
          if (this.buf.length < le + 2 + size + 2) break;
          parts.push(this.buf.toString('utf8', le + 2, le + 2 + size));
          pos = le + 2 + size + 2;
        }
        if (!complete) return;
        body = parts.join('');
        consumed = consumed!;
      } else {
        body = '';
        consumed = bodyStart;
      }
      this.buf = this.buf.subarray(consumed);
      const p = this.busy;
      this.busy = null;
      const closing = /\r\nconnection:\s*close/.test(lower);
      if (closing) {
        this.alive = false;
        this.onDead(this);
        this.sock.destroy();
      }
      if (p) p.done(null, status, body, p.wait);
      if (!closing) this.onIdle(this);
      if (this.buf.length === 0) return;
    }
  }
}

export class HttpPool {
  private idle: Conn[] = [];
  private all = new Set<Conn>();
  private queue: Pending[] = [];
  private qHead = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxConns = 64,
  ) {}

  get waiting(): number {
    return this.queue.length - this.qHead;
  }

  get inflight(): number {
    let n = 0;
    for (const c of this.all) if (c.busy) n++;
    return n;
  }

  /** Builds the request bytes once (headers as given, plus Host and Content-Length). */
  static build(method: string, path: string, headers: Record<string, string>, body: Buffer | string, host: string): Buffer {
    const b = typeof body === 'string' ? Buffer.from(body) : body;
    let h = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: ${b.length}\r\n`;
    for (const [k, v] of Object.entries(headers)) h += `${k}: ${v}\r\n`;
    return Buffer.concat([Buffer.from(h + '\r\n', 'latin1'), b]);
  }

  request(bytes: Buffer, done: Done): void {
    const p: Pending = { bytes, done, queuedAt: clock(), wait: 0 };
    const c = this.idle.pop();
    if (c) {
      c.send(p);
      return;
    }
    if (this.all.size < this.maxConns) {
      const conn = new Conn(this.host, this.port, (x) => this.release(x), (x) => this.dead(x));
      this.all.add(conn);
      conn.send(p);
      return;
    }
    this.queue.push(p);
  }

  private release(c: Conn): void {
    if (this.qHead < this.queue.length) {
      const p = this.queue[this.qHead]!;
      this.queue[this.qHead++] = undefined as unknown as Pending;
      if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.qHead);
        this.qHead = 0;
      }
      c.send(p);
    } else {
      this.idle.push(c);
    }
  }

  private dead(c: Conn): void {
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    // Keep the queue moving with a fresh connection.
    if (this.qHead < this.queue.length && this.all.size < this.maxConns) {
      const p = this.queue[this.qHead]!;
      this.queue[this.qHead++] = undefined as unknown as Pending;
      const conn = new Conn(this.host, this.port, (x) => this.release(x), (x) => this.dead(x));
      this.all.add(conn);
      conn.send(p);
    }
  }

  close(): void {
    for (const c of this.all) c.sock.destroy();
    this.all.clear();
    this.idle = [];
  }
}
