// The per-request view handed to route handlers. Everything needed from uWS's stack-allocated
// HttpRequest is copied synchronously here; the body is read as it arrives (uWS does not buffer
// it), bounded by a size limit, and an aborted client is noticed at once.
import { Readable } from 'node:stream';
import type { TSchema, Static } from 'typebox';
import type { HttpRequest } from '../uws.js';
import type { Exchange } from './exchange.js';
import { TooLargeError, UnsupportedTypeError, ValidationError } from '../../core/errors.js';
import { validate } from '../../protocol/validate.js';

export type BodyMode = 'none' | 'buffer' | 'stream';

export interface HttpContext {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  readonly ip: string;
  readonly requestId: string;
  readonly startedAt: number;
  /** True once the client went away; nothing may be written after that. */
  readonly aborted: boolean;
  /** Raw body bytes (routes with body mode 'buffer'). */
  body(): Promise<Buffer>;
  /** Body parsed as JSON and checked against a schema; 400/413/415 on failure. */
  json<S extends TSchema>(schema: S): Promise<Static<S>>;
  /** Streaming body (routes with body mode 'stream'), paused while the consumer is slow. */
  stream(): Readable;
  /** The largest JSON body a route reads (HTTP_MAX_BODY_BYTES). */
  readonly maxBodyBytes: number;
  onAbort(cb: () => void): void;
}

export class UwsHttpContext implements HttpContext {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string> = {};
  private readonly rawQuery: string;
  private parsedQuery: URLSearchParams | null = null;
  private clientIp: string | null = null;
  readonly startedAt = performance.now();
  private bodyPromise: Promise<Buffer> | null = null;
  private readable: Readable | null = null;

  constructor(
    readonly exchange: Exchange,
    req: HttpRequest,
    readonly params: Record<string, string>,
    /** Reads the client's address; called at most once, only while the response is open. */
    private readonly readIp: () => string,
    readonly requestId: string,
    bodyMode: BodyMode,
    readonly maxBodyBytes: number,
  ) {
    this.method = req.getMethod().toUpperCase();
    this.path = req.getUrl();
    this.rawQuery = req.getQuery() ?? '';
    req.forEach((k, v) => {
      this.headers[k] = v;
    });
    if (bodyMode === 'buffer') {
      this.bodyPromise = this.collect(maxBodyBytes);
      // A handler may fail (e.g. 401) before it reads the body; that rejection is not an error.
      this.bodyPromise.catch(() => undefined);
    } else if (bodyMode === 'stream') this.readable = this.pipe();
    // Otherwise a body is read and dropped by the exchange.
  }

  get aborted(): boolean {
    return this.exchange.aborted;
  }

  // Both parsed on first use: a signed webhook needs neither unless it is refused.
  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.rawQuery));
  }

  /** The client's address ('' once the exchange is over: uWS has released the connection's state). */
  get ip(): string {
    if (this.clientIp === null) {
      if (!this.exchange.writable) return '';
      this.clientIp = this.readIp();
    }
    return this.clientIp;
  }

  onAbort(cb: () => void): void {
    this.exchange.onAbort(cb);
  }

  private collect(limit: number): Promise<Buffer> {
    const declared = Number(this.headers['content-length'] ?? '0');
    return new Promise<Buffer>((resolve, reject) => {
      this.onAbort(() => reject(new ClientGoneError()));
      // Refused before reading: the exchange drops the body while the answer waits for it.
      if (declared > limit) return reject(new TooLargeError(`request body is larger than ${limit} bytes`));
      if (!this.exchange.hasBody) return resolve(Buffer.alloc(0));
      const chunks: Buffer[] = [];
      let size = 0;
      this.exchange.receive((chunk, isLast) => {
        size += chunk.byteLength;
        if (size > limit) {
          this.exchange.receive(() => undefined);
          reject(new TooLargeError(`request body is larger than ${limit} bytes`));
          return;
        }
        // uWS neuters the chunk after this callback returns: copy it.
        chunks.push(Buffer.from(Buffer.from(chunk)));
        if (isLast) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      });
    });
  }

  private pipe(): Readable {
    const ex = this.exchange;
    const readable = new Readable({
      highWaterMark: 256 * 1024,
      read: () => ex.resume(),
    });
    this.onAbort(() => readable.destroy(new ClientGoneError()));
    if (!ex.hasBody) {
      readable.push(null);
      return readable;
    }
    ex.receive((chunk, isLast) => {
      const more = readable.push(Buffer.from(Buffer.from(chunk)));
      if (isLast) readable.push(null);
      else if (!more) ex.pause();
    });
    return readable;
  }

  body(): Promise<Buffer> {
    if (!this.bodyPromise) throw new Error(`route ${this.path} does not read a body`);
    return this.bodyPromise;
  }

  stream(): Readable {
    if (!this.readable) throw new Error(`route ${this.path} does not stream its body`);
    return this.readable;
  }

  async json<S extends TSchema>(schema: S): Promise<Static<S>> {
    const type = this.headers['content-type'] ?? '';
    const buf = await this.body();
    if (buf.length > 0 && type !== '' && !/^application\/(.+\+)?json\b/i.test(type)) {
      throw new UnsupportedTypeError(`content-type must be application/json, not ${type.split(';')[0]}`);
    }
    let value: unknown;
    try {
      value = buf.length === 0 ? {} : JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw new ValidationError(`body is not valid JSON: ${(e as Error).message}`);
    }
    return validate(schema, value, 'body');
  }
}

/** The client closed the connection before the response; nothing to answer. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  readonly code = 'client_gone';
  constructor() {
    super('client closed the connection');
  }
}
