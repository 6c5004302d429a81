// A client process of the bench: opens its share of the sockets (ws for this server and the raw
// uWS ceiling, socket.io-client for the baseline), records every delivery, and/or sends signed
// webhooks at a fixed rate (open loop), as a burst, or one by one. Talks to bench/main.ts over the
// fork IPC channel; exits when the parent goes away or after its maximum lifetime.
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { Histogram } from '../lib/hist.js';
import { HttpPool } from '../lib/http1.js';
import {
  content,
  now,
  parseMarker,
  type ConnectMsg,
  type FromWorker,
  type InitMsg,
  type RecvReport,
  type ReportReq,
  type SendPlan,
  type SentReport,
  type SocketSpec,
  type ToWorker,
} from '../lib/protocol.js';

const MAX_LIFETIME_MS = Number(process.env['BENCH_WORKER_MAX_MS'] ?? 30 * 60_000);
setTimeout(() => process.exit(3), MAX_LIFETIME_MS).unref();
process.on('disconnect', () => process.exit(0));

function post(m: FromWorker): void {
  if (process.send && process.connected) process.send(m);
}

interface Sock {
  spec: SocketSpec;
  open: boolean;
  got: Set<number>;
  lastSeq: Map<number, number>;
  close(): void;
}

let init: InitMsg | null = null;
const socks: Sock[] = [];
let hist = new Histogram();
let same = new Histogram();
let cross = new Histogram();
const perSecond = new Map<number, Histogram>();
const perMessage = new Map<number, [number, number, number, number]>();
let recvTotal = 0;
let duplicates = 0;
let foreign = 0;
let outOfOrder = 0;
let otherFrames = 0;
const closes: Record<string, number> = {};
let sentTotal = 0;
let openCount = 0;
let pools: HttpPool[] = [];

const CONTENT = Buffer.from('"content":"');
const CONV = Buffer.from('"conversation_id":');
const SEQ = Buffer.from('"seq":');
const TYPE_MSG = Buffer.from('"type":"message"');

function intAt(buf: Buffer, at: number): number {
  let v = 0;
  for (let i = at; i < buf.length; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** A frame as bytes (ws): find the marker without parsing the whole JSON. */
function onWsFrame(s: Sock, buf: Buffer): void {
  const tm = buf.indexOf(TYPE_MSG);
  if (tm < 0 || tm > 40) {
    otherFrames++;
    return;
  }
  const ci = buf.indexOf(CONTENT);
  if (ci < 0) {
    otherFrames++;
    return;
  }
  const start = ci + CONTENT.length;
  const end = buf.indexOf(0x22, start);
  const marker = buf.toString('latin1', start, end);
  const cv = buf.indexOf(CONV);
  const sq = buf.indexOf(SEQ);
  deliver(s, marker, cv >= 0 ? intAt(buf, cv + CONV.length) : -1, sq >= 0 ? intAt(buf, sq + SEQ.length) : -1);
}

/** A Socket.IO event payload (already parsed by the client library). */
function onSioMessage(s: Sock, payload: unknown): void {
  const d = (payload as { type?: string; data?: { content?: string; conversation_id?: number; seq?: number } } | null);
  if (!d || d.type !== 'message' || !d.data || typeof d.data.content !== 'string') {
    otherFrames++;
    return;
  }
  deliver(s, d.data.content, d.data.conversation_id ?? -1, d.data.seq ?? -1);
}

function deliver(s: Sock, marker: string, convId: number, seq: number): void {
  const t = now();
  const m = parseMarker(marker);
  if (!m || m.run !== init!.run) {
    otherFrames++;
    return;
  }
  if (convId >= 0 && seq >= 0) {
    const last = s.lastSeq.get(convId);
    if (last !== undefined && seq <= last) outOfOrder++;
    else s.lastSeq.set(convId, seq);
  }
  if (m.tag !== 'b') return;
  const keys = init!.convKeys;
  if (keys[m.n % keys.length] !== s.spec.key) {
    foreign++;
    return;
  }
  if (s.got.has(m.n)) {
    duplicates++;
    return;
  }
  s.got.add(m.n);
  recvTotal++;
  const ms = t - m.ts;
  hist.recordMs(ms);
  (m.node === s.spec.node ? same : cross).recordMs(ms);
  const sec = Math.floor(t / 1000);
  let h = perSecond.get(sec);
  if (!h) perSecond.set(sec, (h = new Histogram()));
  h.recordMs(ms);
  if (init!.perMessage) {
    const us = ms * 1000;
    const e = perMessage.get(m.n);
    if (!e) perMessage.set(m.n, [m.n, 1, us, us]);
    else {
      e[1]++;
      if (us > e[2]) e[2] = us;
      if (us < e[3]) e[3] = us;
    }
  }
}

const requireFrom = createRequire(import.meta.url);
type SioSocket = {
  on(ev: string, fn: (...a: any[]) => void): void;
  close(): void;
};
let sioFactory: ((url: string, opts: Record<string, unknown>) => SioSocket) | null = null;

function openOne(spec: SocketSpec, idx: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const s: Sock = { spec, open: false, got: new Set(), lastSeq: new Map(), close: () => undefined };
    let settled = false;
    const ok = () => {
      if (settled) return;
      settled = true;
      s.open = true;
      openCount++;
      socks.push(s);
      resolve(now() - t0);
    };
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      s.close();
      reject(new Error(why));
    };
    const closed = (code: string) => {
      if (s.open && process.env['BENCH_DEBUG']) process.stderr.write(`client: socket ${idx} (key ${spec.key}) closed ${code} at ${new Date().toISOString()} after ${s.got.size} messages\n`);
      if (s.open) {
        s.open = false;
        openCount--;
        closes[code] = (closes[code] ?? 0) + 1;
      }
      fail(`closed ${code}`);
    };
    if (init!.kind === 'ws') {
      const addrs = init!.localAddrs;
      const ws = new WebSocket(spec.url, {
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
        ...(addrs.length ? { localAddress: addrs[idx % addrs.length] } : {}),
      });
      s.close = () => ws.terminate();
      ws.on('open', ok);
      ws.on('message', (data, isBinary) => {
        if (!isBinary) onWsFrame(s, data as Buffer);
      });
      ws.on('unexpected-response', (_req, res) => fail(`http ${res.statusCode}`));
      ws.on('error', (err) => {
        const why = (err as NodeJS.ErrnoException).code ?? err.message.slice(0, 80);
        if (s.open) closes[`error ${why}`] = (closes[`error ${why}`] ?? 0) + 1;
        fail(why);
      });
      ws.on('close', (code) => closed(String(code)));
    } else {
      if (!sioFactory) {
        const mod = requireFrom('socket.io-client') as { io: typeof sioFactory };
        sioFactory = mod.io;
      }
      const so = sioFactory!(spec.url, {
        transports: ['websocket'],
        auth: { token: spec.token },
        reconnection: false,
        forceNew: true,
        timeout: timeoutMs,
      });
      s.close = () => so.close();
      so.on('connect', ok);
      so.on('connect_error', (err: Error) => fail(err.message.slice(0, 60)));
      so.on('disconnect', (reason: string) => closed(reason));
      so.on('message', (payload: unknown) => onSioMessage(s, payload));
    }
  });
}

async function connectAll(msg: ConnectMsg): Promise<void> {
  const specs = init!.sockets;
  const h = new Histogram();
  const errors: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let next = 0;
  const startedAt = now();
  const lane = async () => {
    while (next < specs.length) {
      const i = next++;
      try {
        h.recordMs(await openOne(specs[i]!, i, msg.timeoutMs));
        ok++;
      } catch (err) {
        failed++;
        const k = (err as Error).message;
        errors[k] = (errors[k] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(msg.concurrency, specs.length)) }, lane));
  post({ t: 'connected', ok, failed, errors, hist: h.toJSON(), startedAt, doneAt: now() });
}

function runSender(plan: SendPlan): void {
  pools = plan.targets.map((t) => new HttpPool(t.host, t.port, plan.conns));
  const resp = new Histogram();
  const lag = new Histogram();
  const qwait = new Histogram();
  const statuses: Record<string, number> = {};
  const failed: number[] = [];
  const errors: string[] = [];
  const series = new Map<number, number>();
  const mine: number[] = [];
  for (let i = plan.offset; i < plan.count; i += plan.stride) mine.push(plan.n0 + i);
  // Copies with the same provider id, each right after its original (both in flight at once).
  const queue: Array<[number, boolean]> = [];
  const every = plan.resend > 0 ? Math.max(1, Math.round(1 / plan.resend)) : 0;
  mine.forEach((n, i) => {
    queue.push([n, false]);
    if (every && i % every === 0) queue.push([n, true]);
  });
  let ok = 0;
  let sent = 0;
  let resent = 0;
  let done = 0;
  let firstAt = 0;
  let lastAt = 0;
  const run = init!.run;
  const key = plan.secret;

  const finish = () => {
    const rep: SentReport = {
      t: 'sent',
      sent,
      resent,
      ok,
      statuses,
      failed,
      errors: errors.slice(0, 20),
      resp: resp.toJSON(),
      schedLag: lag.toJSON(),
      queueWait: qwait.toJSON(),
      firstAt,
      lastAt,
      series: [...series.entries()].sort((a, b) => a[0] - b[0]),
    };
    for (const p of pools) p.close();
    post(rep);
  };
  if (queue.length === 0) {
    finish();
    return;
  }

  const sendOne = (n: number, copy: boolean, after?: () => void) => {
    const conv = plan.convs[n % plan.convs.length]!;
    const node = n % plan.targets.length;
    const target = plan.targets[node]!;
    const body = JSON.stringify({
      channel: conv.channel,
      whatsapp_number: conv.number,
      message: content(plan.tag, run, n, node),
      department: conv.department,
      ...(plan.providerIds ? { provider_message_id: `${run}-${plan.tag}-${n}` } : {}),
    });
    // X-Lobbybee-Signature: t=<unix seconds>,v1=<hex HMAC of "<t>.<body>"> (the server refuses stale t).
    const ts = Math.floor(Date.now() / 1000);
    const sig = `t=${ts},v1=${createHmac('sha256', key).update(`${ts}.`).update(body).digest('hex')}`;
    const bytes = HttpPool.build('POST', target.path, { 'content-type': 'application/json', 'x-lobbybee-signature': sig }, body, `${target.host}:${target.port}`);
    const t0 = now();
    if (!firstAt) firstAt = t0;
    if (copy) resent++;
    else sent++;
    sentTotal++;
    const sec = Math.floor(t0 / 1000);
    series.set(sec, (series.get(sec) ?? 0) + 1);
    pools[node]!.request(bytes, (err, status, text, waitMs) => {
      const t1 = now();
      lastAt = t1;
      if (!copy) {
        resp.recordMs(t1 - t0);
        qwait.recordMs(waitMs);
      }
      const k = err ? `error` : String(status);
      statuses[k] = (statuses[k] ?? 0) + 1;
      if (!err && status >= 200 && status < 300) {
        if (!copy) ok++;
      } else {
        if (!copy) failed.push(n);
        if (errors.length < 20) errors.push(err ? err.message : `${status} ${text.slice(0, 200)}`);
      }
      done++;
      if (after) after();
      if (done === queue.length) finish();
    });
  };

  if (plan.mode === 'rate') {
    const perMs = plan.rate / plan.stride / 1000;
    const start = now();
    let i = 0;
    const tick = () => {
      const elapsed = now() - start;
      const due = Math.min(queue.length, Math.floor(elapsed * perMs) + 1);
      while (i < due) {
        const sched = start + i / perMs;
        lag.recordMs(now() - sched);
        const [n, copy] = queue[i++]!;
        sendOne(n, copy);
      }
      if (i < queue.length) setTimeout(tick, 1);
    };
    tick();
  } else if (plan.mode === 'burst') {
    let i = 0;
    const next = () => {
      if (i >= queue.length) return;
      const [n, copy] = queue[i++]!;
      sendOne(n, copy, next);
    };
    for (let k = 0; k < Math.min(plan.concurrency, queue.length); k++) next();
  } else {
    let i = 0;
    const next = () => {
      if (i >= queue.length) return;
      const [n, copy] = queue[i++]!;
      sendOne(n, copy, () => setTimeout(next, plan.intervalMs));
    };
    next();
  }
}

function report(req: ReportReq): void {
  const keys = init!.convKeys;
  const failed = new Set(req.failed);
  const byKey = new Map<number, number[]>();
  for (let n = req.n0; n < req.n0 + req.count; n++) {
    if (failed.has(n)) continue;
    const k = keys[n % keys.length]!;
    let l = byKey.get(k);
    if (!l) byKey.set(k, (l = []));
    l.push(n);
  }
  let expected = 0;
  let missing = 0;
  let missingOnClosed = 0;
  const samples: string[] = [];
  for (const s of socks) {
    const l = byKey.get(s.spec.key) ?? [];
    expected += l.length;
    for (const n of l) {
      if (!s.got.has(n)) {
        missing++;
        if (!s.open) missingOnClosed++;
        if (samples.length < 10) samples.push(`socket key ${s.spec.key} node ${s.spec.node}${s.open ? '' : ' (closed)'}: message ${n}`);
      }
    }
  }
  const rep: RecvReport = {
    t: 'report',
    hist: hist.toJSON(),
    same: same.toJSON(),
    cross: cross.toJSON(),
    series: [...perSecond.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([sec, h]) => ({ sec, count: h.count, p50: h.quantileMs(0.5), p99: h.quantileMs(0.99), max: h.max / 1000 })),
    delivered: recvTotal,
    expected,
    missing,
    missingOnClosed,
    closedSockets: socks.filter((x) => !x.open).length,
    duplicates,
    foreign,
    outOfOrder,
    otherFrames,
    closes,
    missingSamples: samples,
    perMessage: [...perMessage.values()],
  };
  post(rep);
}

setInterval(() => {
  let waiting = 0;
  for (const p of pools) waiting += p.waiting + p.inflight;
  post({ t: 'tick', recv: recvTotal, other: otherFrames, sent: sentTotal, open: openCount, waiting });
}, 1000).unref();

process.on('message', (raw: unknown) => {
  const msg = raw as ToWorker;
  try {
    switch (msg.t) {
      case 'init':
        init = msg;
        post({ t: 'ready' });
        break;
      case 'connect':
        void connectAll(msg);
        break;
      case 'send':
        runSender(msg);
        break;
      case 'report':
        report(msg);
        break;
      case 'ping':
        post({ t: 'pong' });
        break;
      case 'reset':
        // between the steps of a rate sweep: forget deliveries, keep sockets and seq order state
        hist = new Histogram();
        same = new Histogram();
        cross = new Histogram();
        perSecond.clear();
        perMessage.clear();
        recvTotal = 0;
        duplicates = 0;
        foreign = 0;
        for (const s of socks) s.got.clear();
        post({ t: 'resetDone' });
        break;
      case 'close':
        for (const s of socks) s.close();
        for (const p of pools) p.close();
        post({ t: 'closed' });
        setTimeout(() => process.exit(0), 200);
        break;
    }
  } catch (err) {
    post({ t: 'fatal', error: (err as Error).stack ?? String(err) });
  }
});
