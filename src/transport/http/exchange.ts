// One HTTP request/response on uWS, and the only object that touches its HttpResponse.
// uWS invalidates a response once it was aborted or ended, and any later call throws inside
// whatever callback made it; so every write, pause and resume here first checks that the
// response is still open, and every callback registered on it is guarded.
// The request body is owned here too: uWS keeps delivering it after a response was written, and
// a client that is still sending when we answer must be able to read the answer. A refusal is
// therefore written once the body has been read (and dropped) — up to DRAIN_LIMIT_BYTES; past
// that the answer carries `Connection: close` and uWS ends the connection after it.
import type { HttpRequest, HttpResponse, us_socket_context_t } from '../uws.js';
import type { InFlight } from './in-flight.js';

/** Bodies up to this size are read and dropped before a refusal is written (nginx passes 12 MiB). */
export const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/** How the pending request body ended before an answer: read to its end, too long, or abandoned. */
export type BodyOutcome = 'read' | 'too_long' | 'aborted';

type Sink = (chunk: ArrayBuffer, isLast: boolean) => void;

export interface Head {
  status: string;
  headers: Record<string, string>;
}

export class Exchange {
  private state: 'open' | 'started' | 'done' | 'aborted' = 'open';
  /** True while body bytes may still arrive. */
  private bodyPending: boolean;
  /** The request announced a body (a Content-Length above 0, or chunked). */
  readonly hasBody: boolean;
  private readonly declared: number;
  private received = 0;
  private paused = false;
  private sink: Sink | null = null;
  private waiters: Array<(o: BodyOutcome) => void> = [];
  private abortHandlers: Array<() => void> = [];
  private counted: boolean;

  /**
   * `failed` reports an exception thrown by a callback of this exchange (logged once upstream);
   * `inFlight` counts the exchange until it is answered or aborted.
   */
  constructor(
    readonly res: HttpResponse,
    req: HttpRequest,
    private readonly failed: (err: unknown) => void,
    private readonly inFlight?: InFlight,
  ) {
    this.counted = inFlight !== undefined;
    inFlight?.begin();
    const chunked = req.getHeader('transfer-encoding') !== '';
    const length = Number(req.getHeader('content-length') || '0');
    this.declared = chunked || !Number.isFinite(length) ? Number.POSITIVE_INFINITY : length;
    this.hasBody = chunked || length !== 0;
    this.bodyPending = this.hasBody;
    res.onAborted(() => this.guarded(() => this.abort()));
    // Registered now: uWS hands the first body bytes over as soon as the route handler returns.
    if (this.bodyPending) res.onData((chunk, isLast) => this.guarded(() => this.data(chunk, isLast)));
  }

  get aborted(): boolean {
    return this.state === 'aborted';
  }

  /** False once the response was written in full, or the client went away. */
  get writable(): boolean {
    return this.state === 'open' || this.state === 'started';
  }

  onAbort(cb: () => void): void {
    if (this.aborted) cb();
    else this.abortHandlers.push(cb);
  }

  /** Sends body chunks to `sink` (the route reading the body) until an answer is prepared. */
  receive(sink: Sink): void {
    this.sink = sink;
  }

  pause(): void {
    if (this.writable && !this.paused) {
      this.paused = true;
      this.res.pause();
    }
  }

  resume(): void {
    if (this.writable && this.paused) {
      this.paused = false;
      this.res.resume();
    }
  }

  /**
   * Stops handing the body to the route and reads the rest of it, dropping it, so the client can
   * finish sending and read the answer. Immediate when nothing is pending.
   */
  bodyRead(): BodyOutcome | Promise<BodyOutcome> {
    if (this.aborted) return 'aborted';
    if (!this.bodyPending) return 'read';
    this.sink = null;
    this.resume();
    if (this.declared > DRAIN_LIMIT_BYTES || this.received > DRAIN_LIMIT_BYTES) return 'too_long';
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Writes a whole response; false when it can no longer be written. */
  end(head: Head, body: string | Uint8Array | null, closeConnection = false): boolean {
    if (this.state !== 'open') return false;
    this.finish('done');
    // While the node shuts down, no connection is kept alive for a next request.
    if (this.inFlight?.draining) closeConnection = true;
    this.res.cork(() => {
      this.unpause();
      this.res.writeStatus(head.status);
      for (const k in head.headers) this.res.writeHeader(k, head.headers[k]!);
      // endWithoutBody() with arguments writes Content-Length, which a 204 must not carry unless
      // the connection closes anyway; with `undefined` uWS v20 writes nothing at all.
      if (body === null && closeConnection) this.res.endWithoutBody(0, true);
      else if (body === null) this.res.endWithoutBody();
      else this.res.end(body, closeConnection);
    });
    return true;
  }

  /** Writes the status and headers of a streamed response (then `tryEnd` its chunks). */
  begin(head: Head): boolean {
    if (this.state !== 'open') return false;
    this.state = 'started';
    this.res.cork(() => {
      this.unpause();
      this.res.writeStatus(head.status);
      for (const k in head.headers) this.res.writeHeader(k, head.headers[k]!);
    });
    return true;
  }

  /** One chunk of a streamed body of `total` bytes: [written without backpressure, finished]. */
  tryEnd(chunk: Uint8Array, total: number): [boolean, boolean] {
    if (this.state !== 'started') return [false, true];
    let result: [boolean, boolean] = [false, false];
    this.res.cork(() => {
      result = this.res.tryEnd(chunk, total);
    });
    if (result[1]) this.finish('done');
    return result;
  }

  writeOffset(): number {
    return this.state === 'started' ? this.res.getWriteOffset() : 0;
  }

  /** `cb` runs when a backpressured stream can go on; it must return whether its write succeeded. */
  onWritable(cb: (offset: number) => boolean): void {
    if (this.state !== 'started') return;
    this.res.onWritable((offset) => {
      let ok = true;
      this.guarded(() => {
        ok = this.state === 'started' ? cb(offset) : true;
      });
      return ok;
    });
  }

  /** Cuts the connection (a stream that cannot be finished). */
  close(): void {
    if (!this.writable) return;
    this.finish('done');
    this.res.close();
  }

  /**
   * Upgrades to a WebSocket, corked, unless the client went away first. After an await, `around`
   * runs the cork inside another socket's (see ws/cork-anchor.ts).
   */
  upgrade<T>(userData: T, key: string, protocol: string, extensions: string, context: us_socket_context_t, around?: (fn: () => void) => void): boolean {
    if (this.state !== 'open') return false;
    this.finish('done');
    const up = () => this.res.cork(() => this.res.upgrade(userData, key, protocol, extensions, context));
    if (around) around(up);
    else up();
    return true;
  }

  /** Runs a callback of this exchange so that nothing it throws reaches uWS. */
  guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.failed(err);
    }
  }

  private unpause(): void {
    if (this.paused) {
      this.paused = false;
      this.res.resume();
    }
  }

  private data(chunk: ArrayBuffer, isLast: boolean): void {
    this.received += chunk.byteLength;
    if (isLast) this.bodyPending = false;
    if (this.sink) this.sink(chunk, isLast);
    else if (isLast) this.settle('read');
    else if (this.received > DRAIN_LIMIT_BYTES) this.settle('too_long');
  }

  private finish(state: 'done' | 'aborted'): void {
    this.state = state;
    if (this.counted) {
      this.counted = false;
      this.inFlight!.end();
    }
  }

  private abort(): void {
    this.finish('aborted');
    this.settle('aborted');
    for (const cb of this.abortHandlers.splice(0)) this.guarded(cb);
  }

  private settle(outcome: BodyOutcome): void {
    for (const resolve of this.waiters.splice(0)) resolve(outcome);
  }
}
