// What a handler returns, and the one function that writes it to uWS (corked, never after abort).
import type { HttpResponse } from '../uws.js';

export interface Reply {
  status: number;
  /** Serialized as JSON unless `raw` or `stream` is set. */
  body?: unknown;
  raw?: { contentType: string; data: string | Uint8Array };
  /** A body streamed with backpressure (files). */
  stream?: { body: import('node:stream').Readable; size: number; contentType: string };
  headers?: Record<string, string>;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 205: 'Reset Content',
  301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? 'Status'}`;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, headers });

export function errorReply(status: number, message: string, details?: unknown, headers?: Record<string, string>): Reply {
  return { status, body: details === undefined ? { error: message } : { error: message, details }, headers };
}

/** Writes a reply in one corked batch. Returns false if the client was already gone. */
export function writeReply(res: HttpResponse, reply: Reply, extraHeaders: Record<string, string>, aborted: () => boolean): boolean {
  if (aborted()) return false;
  let payload: string | Uint8Array = '';
  let contentType = 'application/json';
  if (reply.raw) {
    payload = reply.raw.data;
    contentType = reply.raw.contentType;
  } else if (reply.body !== undefined && reply.status !== 204) {
    payload = JSON.stringify(reply.body);
  }
  res.cork(() => {
    res.writeStatus(statusLine(reply.status));
    if (reply.status !== 204) res.writeHeader('content-type', contentType);
    for (const k in extraHeaders) res.writeHeader(k, extraHeaders[k]!);
    if (reply.headers) for (const k in reply.headers) res.writeHeader(k, reply.headers[k]!);
    if (reply.status === 204) res.endWithoutBody();
    else res.end(payload);
  });
  return true;
}

/**
 * Streams `size` bytes from `src` with uWS backpressure: a chunk that does not fit is finished
 * from onWritable before the source is resumed. Resolves when done or when the client left.
 */
export function streamReply(
  res: HttpResponse,
  head: { status: number; headers: Record<string, string> },
  src: import('node:stream').Readable,
  size: number,
  aborted: () => boolean,
): Promise<void> {
  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      src.destroy();
      resolve();
    };
    if (aborted()) return finish();
    res.cork(() => {
      res.writeStatus(statusLine(head.status));
      for (const k in head.headers) res.writeHeader(k, head.headers[k]!);
    });
    if (size === 0) {
      res.cork(() => res.end());
      return finish();
    }
    src.on('data', (chunk: Buffer) => {
      if (aborted()) return finish();
      const start = res.getWriteOffset();
      let ok = false;
      let done = false;
      res.cork(() => {
        [ok, done] = res.tryEnd(chunk, size);
      });
      if (done) return finish();
      if (ok) return;
      // Backpressure: keep the rest of this chunk and wait until the socket can take more.
      src.pause();
      res.onWritable((offset) => {
        if (aborted()) {
          finish();
          return true;
        }
        let ok2 = false;
        let done2 = false;
        res.cork(() => {
          [ok2, done2] = res.tryEnd(chunk.subarray(offset - start), size);
        });
        if (done2) finish();
        else if (ok2) src.resume();
        return ok2;
      });
    });
    src.on('error', () => {
      if (!aborted()) res.cork(() => res.close());
      finish();
    });
    src.on('end', () => {
      if (!finished && !aborted()) res.cork(() => res.close()); // source shorter than announced
      finish();
    });
  });
}
