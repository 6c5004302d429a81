// What the orchestrator and the client processes say to each other (over the fork IPC channel),
// and the marker the load puts inside every message: "<tag>|<run>|<n>|<sendTimeMs>|<node>".
// The send time is the sender's clock (performance.timeOrigin + performance.now()); receivers on
// the same machine compare it with theirs, so no server clock is involved.
import type { HistJSON } from './hist.js';

export const now = (): number => performance.timeOrigin + performance.now();

export type Tag = 'b' | 'w';

export function content(tag: Tag, run: string, n: number, node: number): string {
  return `${tag}|${run}|${n}|${now().toFixed(3)}|${node}`;
}

export interface Marker {
  tag: string;
  run: string;
  n: number;
  ts: number;
  node: number;
}

export function parseMarker(s: string): Marker | null {
  const p = s.split('|');
  if (p.length !== 5) return null;
  return { tag: p[0]!, run: p[1]!, n: Number(p[2]), ts: Number(p[3]), node: Number(p[4]) };
}

/** Socket the client process opens. key: the department (hotel × department index) it listens to. */
export interface SocketSpec {
  url: string;
  key: number;
  node: number;
  /** Socket.IO: auth token sent in the handshake. */
  token?: string;
}

export type ClientKind = 'ws' | 'sio';

export interface InitMsg {
  t: 'init';
  id: number;
  run: string;
  kind: ClientKind;
  sockets: SocketSpec[];
  /** Conversation index → department key; message n goes to conversation n % convKeys.length. */
  convKeys: number[];
  localAddrs: string[];
  /** Keep every delivery's receive time per message (fanout). */
  perMessage: boolean;
}

export interface ConnectMsg {
  t: 'connect';
  concurrency: number;
  timeoutMs: number;
}

export interface SendTarget {
  host: string;
  port: number;
  path: string;
}

export interface SendPlan {
  t: 'send';
  mode: 'rate' | 'burst' | 'sequence';
  tag: Tag;
  targets: SendTarget[];
  convs: Array<{ number: string; channel: string; department: string }>;
  secret: string;
  /** Messages n0 … n0+count-1; this sender takes those with (n - n0) % stride === offset. */
  n0: number;
  count: number;
  stride: number;
  offset: number;
  /** rate: total messages/s over all senders. */
  rate: number;
  /** burst: requests in flight (this sender). */
  concurrency: number;
  /** sequence: pause between messages. */
  intervalMs: number;
  conns: number;
  providerIds: boolean;
  /** burst: this fraction of messages is sent a second time with the same provider id. */
  resend: number;
}

export interface SentReport {
  t: 'sent';
  sent: number;
  resent: number;
  ok: number;
  statuses: Record<string, number>;
  failed: number[];
  errors: string[];
  resp: HistJSON;
  schedLag: HistJSON;
  /** time requests waited in the client's connection pool (all connections busy) */
  queueWait: HistJSON;
  firstAt: number;
  lastAt: number;
  series: Array<[number, number]>;
}

export interface ConnectedReport {
  t: 'connected';
  ok: number;
  failed: number;
  errors: Record<string, number>;
  hist: HistJSON;
  startedAt: number;
  doneAt: number;
}

export interface ReportReq {
  t: 'report';
  tag: Tag;
  n0: number;
  count: number;
  failed: number[];
}

/** What a receiver counts about deliveries (shared by the client reports and the run results). */
export interface DeliveryCounts {
  delivered: number;
  expected: number;
  missing: number;
  /** of which on sockets that the server closed during the run */
  missingOnClosed: number;
  closedSockets: number;
  duplicates: number;
  foreign: number;
  outOfOrder: number;
  otherFrames: number;
  closes: Record<string, number>;
  missingSamples: string[];
}

export interface RecvReport extends DeliveryCounts {
  t: 'report';
  hist: HistJSON;
  same: HistJSON;
  cross: HistJSON;
  series: Array<{ sec: number; count: number; p50: number; p99: number; max: number }>;
  /** fanout: n → [deliveries, max latency µs, min latency µs] */
  perMessage: Array<[number, number, number, number]>;
}

export interface TickMsg {
  t: 'tick';
  recv: number;
  other: number;
  sent: number;
  open: number;
  waiting: number;
}

export type ToWorker = InitMsg | ConnectMsg | SendPlan | ReportReq | { t: 'close' } | { t: 'ping' } | { t: 'reset' };
export type FromWorker = ConnectedReport | SentReport | RecvReport | TickMsg | { t: 'ready' } | { t: 'closed' } | { t: 'pong' } | { t: 'resetDone' } | { t: 'fatal'; error: string };
