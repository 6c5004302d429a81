// Events travel between nodes as one buffer: a one-line JSON header, a newline, then the frame
// exactly as sockets receive it. Receivers read only the header (conversation and seq for
// ordering, priority) and hand the frame bytes to uWS untouched: one serialization per event.

export interface EventHeader {
  /** 'm': a chat message (ordered by seq), 'e': any other event. */
  k: 'm' | 'e';
  /** Conversation id (messages). */
  c?: number;
  /** Conversation seq (messages). */
  s?: number;
  /** Low priority (typing, presence): dropped first for slow sockets. */
  lo?: 1;
  /** Publish time (ms since epoch), for the fanout latency histogram. */
  t?: number;
}

const enc = new TextEncoder();
const NEWLINE = 0x0a;

export function encodeEvent(header: EventHeader, frame: unknown): Uint8Array {
  return encodeFrameBytes(header, enc.encode(JSON.stringify(frame)));
}

export function encodeFrameBytes(header: EventHeader, frame: Uint8Array): Uint8Array {
  const head = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(head.length + 1 + frame.length);
  out.set(head, 0);
  out[head.length] = NEWLINE;
  out.set(frame, head.length + 1);
  return out;
}

export function decodeEvent(bytes: Uint8Array): { header: EventHeader; frame: Uint8Array } {
  const nl = bytes.indexOf(NEWLINE);
  if (nl < 0) throw new Error('event without header');
  const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, nl).toString('utf8')) as EventHeader;
  return { header, frame: bytes.subarray(nl + 1) };
}
