// A WebSocket test client (the `ws` package) that records every frame and lets a test wait for
// the next frame matching a predicate — event-driven, never a fixed sleep.
import WebSocket from 'ws';

export interface Frame {
  type: string;
  [k: string]: any;
}

export class WsClient {
  readonly frames: Frame[] = [];
  /** Indices of frames already returned by next(): each frame is handed out once. */
  private taken = new Set<number>();
  private waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void; reject: (e: Error) => void; from: number }> = [];
  closed: { code: number; reason: string } | null = null;
  /** Errors the socket reported after it opened (a bad frame from the server, a reset). */
  readonly errors: Error[] = [];
  private closeWaiters: Array<(c: { code: number; reason: string }) => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.frames.push(frame);
      const idx = this.frames.length - 1;
      for (const w of [...this.waiters]) {
        if (idx >= w.from && !this.taken.has(idx) && w.pred(frame)) {
          this.taken.add(idx);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
    ws.on('error', (err) => this.errors.push(err));
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      for (const r of this.closeWaiters.splice(0)) r(this.closed);
      // No frame can come any more: fail waiters now, saying why, rather than at their timeout.
      for (const w of this.waiters.splice(0)) w.reject(this.closedError());
    });
  }

  static connect(url: string, opts: { headers?: Record<string, string> } = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: opts.headers });
      const client = new WsClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /**
   * Resolves with the earliest frame (at index `from` or later) that matches pred and was not
   * returned before — already received or still to come.
   */
  next(pred: (f: Frame) => boolean = () => true, timeoutMs = 10_000, from = 0): Promise<Frame> {
    for (let i = from; i < this.frames.length; i++) {
      if (!this.taken.has(i) && pred(this.frames[i]!)) {
        this.taken.add(i);
        return Promise.resolve(this.frames[i]!);
      }
    }
    if (this.closed) return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (f: Frame) => { clearTimeout(timer); resolve(f); },
        reject: (e: Error) => { clearTimeout(timer); reject(e); },
        from,
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got: ${JSON.stringify(this.frames.slice(from)).slice(0, 800)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  private closedError(): Error {
    const c = this.closed!;
    const errs = this.errors.map((e) => e.message).join('; ');
    return new Error(`socket closed (${c.code}${c.reason ? ` ${c.reason}` : ''})${errs ? ` after: ${errs}` : ''} while waiting for a frame; got: ${JSON.stringify(this.frames).slice(0, 800)}`);
  }

  ofType(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  waitClose(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.closeWaiters.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** The HTTP status an upgrade to `url` gets: 101 when a socket opened (it is closed again). */
export async function upgradeStatus(url: string): Promise<number> {
  try {
    const ws = await WsClient.connect(url);
    ws.close();
    return 101;
  } catch (err) {
    return (err as { status?: number }).status ?? -1;
  }
}
