// What a handler returns, and the functions that write it through an Exchange (corked, never
// after the client went away or the response was written, and only once a body still being
// sent has been read — see exchange.ts).
import type { Readable } from 'node:stream';
import type { BodyOutcome, Exchange } from './exchange.js';

export interface Reply {
  status: number;
  /** Serialized as JSON unless `raw` or `stream` is set. */
  body?: unknown;
  raw?: { contentType: string; data: string | Uint8Array };
  /** A body streamed with backpressure (files). */
  stream?: { body: Readable; size: number; contentType: string };
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

/**
 * Writes a whole reply once the request body is out of the way. Resolves with whether it was
 * written (false: the client left first).
 */
export function sendReply(ex: Exchange, reply: Reply, extraHeaders: Record<string, string>): boolean | Promise<boolean> {
  const body = ex.bodyRead();
  if (typeof body === 'string') return writeReply(ex, reply, extraHeaders, body);
  return body.then((outcome) => writeReply(ex, reply, extraHeaders, outcome));
}

function writeReply(ex: Exchange, reply: Reply, extraHeaders: Record<string, string>, body: BodyOutcome): boolean {
  if (body === 'aborted') return false;
  let payload: string | Uint8Array = '';
  const headers: Record<string, string> = {};
  if (reply.raw) {
    payload = reply.raw.data;
    headers['content-type'] = reply.raw.contentType;
  } else if (reply.status !== 204) {
    if (reply.body !== undefined) payload = JSON.stringify(reply.body);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, extraHeaders, reply.headers);
  // Past the drain limit the client is still sending: uWS adds `Connection: close` and ends the
  // connection once the answer is out.
  return ex.end({ status: statusLine(reply.status), headers }, reply.status === 204 ? null : payload, body === 'too_long');
}

/**
 * Streams `size` bytes from `src` with uWS backpressure: a chunk that does not fit is finished
 * from onWritable before the source is resumed. Resolves when done or when the client left.
 */
export async function streamReply(ex: Exchange, head: { status: number; headers: Record<string, string> }, src: Readable, size: number): Promise<void> {
  const body = await ex.bodyRead();
  // A request still sending more than the drain limit with a download: not worth answering.
  if (body === 'too_long') ex.close();
  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      src.destroy();
      resolve();
    };
    ex.onAbort(finish);
    if (!ex.begin({ status: statusLine(head.status), headers: head.headers })) return finish();
    if (size === 0) {
      ex.tryEnd(new Uint8Array(0), 0);
      return finish();
    }
    src.on('data', (chunk: Buffer) => {
      if (!ex.writable) return finish();
      const start = ex.writeOffset();
      const [ok, done] = ex.tryEnd(chunk, size);
      if (done) return finish();
      if (ok) return;
      // Backpressure: keep the rest of this chunk and wait until the socket can take more.
      src.pause();
      ex.onWritable((offset) => {
        if (!ex.writable) {
          finish();
          return true;
        }
        const [ok2, done2] = ex.tryEnd(chunk.subarray(offset - start), size);
        if (done2) finish();
        else if (ok2) src.resume();
        return ok2;
      });
    });
    src.on('error', () => {
      ex.close();
      finish();
    });
    src.on('end', () => {
      if (!finished) ex.close(); // source shorter than announced
      finish();
    });
  });
}
