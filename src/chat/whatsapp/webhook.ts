// Meta's webhook deliveries, after the transport read the raw body: which app secret signed it,
// which channels (so hotels) its changes belong to, and making every message and status durable.
//
// Tenant isolation: a delivery is verified against the app secrets of active channels; each
// change's metadata.phone_number_id must be a channel registered under the secret that verified
// it. A number no active channel has, or one registered under another app's secret, is refused:
// that change is skipped (nothing stored) and logged once per number per LOG_REFUSED_MS.
//
// Durable before the answer: queued mode publishes one whatsapp.inbound job per change (up to
// BATCH_MAX messages each, keyed by the business number so that its changes run in order) to
// JetStream and answers after the publish acks; in-process mode stores everything and answers
// after commit. Either way a change is processed the same way (WhatsAppInbound.batch).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Compile } from 'typebox/compile';
import { ValidationError } from '../../core/errors.js';
import type { Logger } from '../../obs/log.js';
import { WaChangeValue, type WaEnvelope } from '../../protocol/whatsapp.js';
import { problems } from '../../protocol/validate.js';
import { Lru } from '../../util/lru.js';
import type { WaBatchJob, WhatsAppInbound } from './inbound.js';
import { mapChange, type WaInbound, type WaStatusUpdate } from './map.js';

export interface WaChannelRoute {
  channel_id: number;
  hotel_id: string;
  app_secret: string;
}

export interface WaChannelSnapshot {
  secrets: string[];
  byNumber: Map<string, WaChannelRoute>;
}

/**
 * Active WhatsApp channels with their app secrets, read whole (a chain has hundreds, not
 * millions) and kept for ttlMs; a change through the channel API drops it on that node at once.
 */
export class WhatsAppChannels {
  private current: { at: number; snapshot: Promise<WaChannelSnapshot> } | null = null;

  constructor(
    private readonly load: () => Promise<WaChannelSnapshot>,
    private readonly ttlMs = 30_000,
  ) {}

  snapshot(): Promise<WaChannelSnapshot> {
    const now = Date.now();
    if (!this.current || now - this.current.at > this.ttlMs) {
      const p = this.load();
      this.current = { at: now, snapshot: p };
      // A failed load is not kept: the next delivery tries again.
      p.catch(() => {
        if (this.current?.snapshot === p) this.current = null;
      });
    }
    return this.current.snapshot;
  }

  invalidate(): void {
    this.current = null;
  }
}

export const WA_EVENT_JOB = { batch: 'whatsapp.inbound', status: 'whatsapp.status' } as const;
/** Messages and text per job: a change of up to 1,000 is split so that no job nears NATS's 1 MB payload limit. */
const BATCH_MAX = 100;
const BATCH_CHARS = 128 * 1024;

export interface WhatsAppWebhookDeps {
  channels: Pick<WhatsAppChannels, 'snapshot'>;
  verifyTokenKnown: (token: string) => Promise<boolean>;
  mode: 'sync' | 'queued';
  /** The job queue's enqueue (durable once it resolves; a repeated id is stored once). */
  queue: { enqueue(kind: string, payload: unknown, opts: { id: string; key?: string }): Promise<unknown> };
  inbound: Pick<WhatsAppInbound, 'batch'>;
  log: Logger;
}

export interface AcceptResult {
  messages: number;
  statuses: number;
  /** Changes skipped because their number is not one of the verifying app's channels. */
  refused: number;
}

const HEX64 = /^[0-9a-f]{64}$/i;
const LOG_REFUSED_MS = 10 * 60_000;
const checkValue = Compile(WaChangeValue);

/** X-Hub-Signature-256 of a raw body under an app secret (tests and the bench sign with it). */
export function metaSignature(appSecret: string, raw: string | Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

export class WhatsAppWebhook {
  private refusedLogged = new Lru<string, number>(10_000);

  constructor(private readonly deps: WhatsAppWebhookDeps) {}

  /** Meta's subscription handshake: the challenge to echo, or null (403). */
  async handshake(mode: string, token: string, challenge: string): Promise<string | null> {
    if (mode !== 'subscribe') return null;
    return (await this.deps.verifyTokenKnown(token)) ? challenge : null;
  }

  /** The app secret whose HMAC-SHA256 of the raw body is the header, or null. Constant time per secret. */
  async signedBy(raw: Buffer, header: string | undefined): Promise<string | null> {
    const value = header?.trim() ?? '';
    if (!value.toLowerCase().startsWith('sha256=')) return null;
    const hex = value.slice(7);
    if (!HEX64.test(hex)) return null;
    const given = Buffer.from(hex, 'hex');
    const { secrets } = await this.deps.channels.snapshot();
    let found: string | null = null;
    // Every secret is tried (no early exit): the time does not tell which app matched.
    for (const s of secrets) {
      if (timingSafeEqual(given, createHmac('sha256', s).update(raw).digest()) && found === null) found = s;
    }
    return found;
  }

  /** Places every change on its channel and makes each message and status durable. */
  async accept(envelope: WaEnvelope, secret: string): Promise<AcceptResult> {
    const { byNumber } = await this.deps.channels.snapshot();
    const jobs: WaBatchJob[] = [];
    const numbers: string[] = [];
    let messages = 0;
    let statuses = 0;
    let refused = 0;
    envelope.entry.forEach((entry, i) => {
      entry.changes.forEach((change, j) => {
        if (change.field !== 'messages') return;
        if (!checkValue.Check(change.value)) {
          const at = `entry.${i}.changes.${j}.value`;
          const bad = problems(WaChangeValue, change.value, at);
          throw ValidationError.of(Object.fromEntries(Object.entries(bad).map(([k, v]) => [k === at ? k : `${at}.${k}`, v])));
        }
        const value = change.value as WaChangeValue;
        const number = value.metadata.phone_number_id;
        const channel = byNumber.get(number);
        if (!channel || channel.app_secret !== secret) {
          refused++;
          this.logRefused(number, channel ? 'registered under another app secret' : 'no active channel has this number');
          return;
        }
        const mapped = mapChange(value);
        messages += mapped.messages.length;
        statuses += mapped.statuses.length;
        const place = { channel_id: channel.channel_id, hotel_id: channel.hotel_id };
        const chunks = chunkMessages(mapped.messages);
        chunks.forEach((chunk, k) => {
          const job = { ...place, messages: chunk, statuses: k === chunks.length - 1 ? mapped.statuses : [] };
          if (job.messages.length || job.statuses.length) {
            jobs.push(job);
            numbers.push(number);
          }
        });
      });
    });
    if (this.deps.mode === 'queued') await this.enqueue(jobs, numbers);
    else await this.process(jobs, numbers);
    return { messages, statuses, refused };
  }

  private logRefused(number: string, why: string): void {
    const last = this.refusedLogged.get(number);
    if (last !== undefined && Date.now() - last < LOG_REFUSED_MS) return;
    this.refusedLogged.set(number, Date.now());
    this.deps.log.warn({ phone_number_id: number, why }, 'WhatsApp delivery for a number this app does not own refused');
  }

  private async enqueue(jobs: WaBatchJob[], numbers: string[]): Promise<void> {
    // Keyed by the business number: its changes run one at a time, in the order Meta sent them,
    // so one guest's messages stay in order across deliveries; each change runs its guests in
    // parallel. A number's jobs are published one after another (the partition keeps that order);
    // numbers in parallel.
    await Promise.all(
      [...groupByNumber(jobs, numbers)].map(async ([number, list]) => {
        for (const j of list) await this.deps.queue.enqueue(WA_EVENT_JOB.batch, j, { id: batchId(number, j), key: number });
      }),
    );
  }

  /**
   * In-process: stored before the answer, in the queued mode's order (a number's changes one
   * after another, numbers in parallel). Statuses not known yet are retried by a job.
   */
  private async process(jobs: WaBatchJob[], numbers: string[]): Promise<void> {
    await Promise.all(
      [...groupByNumber(jobs, numbers).values()].map(async (list) => {
        for (const j of list) {
          const { unknown } = await this.deps.inbound.batch(j);
          await retryStatuses(this.deps.queue, j, unknown);
        }
      }),
    );
  }
}

function groupByNumber(jobs: WaBatchJob[], numbers: string[]): Map<string, WaBatchJob[]> {
  const byNumber = new Map<string, WaBatchJob[]>();
  jobs.forEach((j, i) => {
    const list = byNumber.get(numbers[i]!);
    if (list) list.push(j);
    else byNumber.set(numbers[i]!, [j]);
  });
  return byNumber;
}

/** A change's messages in jobs of at most BATCH_MAX messages and about BATCH_CHARS of text (in order; at least one, maybe empty). */
function chunkMessages(messages: WaInbound[]): WaInbound[][] {
  const chunks: WaInbound[][] = [[]];
  let chars = 0;
  for (const m of messages) {
    const size = m.content.length + 512;
    const current = chunks[chunks.length - 1]!;
    if (current.length > 0 && (current.length >= BATCH_MAX || chars + size > BATCH_CHARS)) {
      chunks.push([m]);
      chars = size;
    } else {
      current.push(m);
      chars += size;
    }
  }
  return chunks;
}

/** A change's job id: a replay of the same change within the de-duplication window is stored once. */
function batchId(number: string, j: WaBatchJob): string {
  const h = createHash('sha256');
  for (const m of j.messages) h.update(m.wamid).update('\n');
  for (const s of j.statuses) h.update(`${s.wamid}:${s.status}`).update('\n');
  return `wa:${number}:${h.digest('hex').slice(0, 32)}`;
}

/** Statuses whose message was not known: one whatsapp.status job each (it waits a few deliveries). */
export async function retryStatuses(queue: WhatsAppWebhookDeps['queue'], place: { channel_id: number; hotel_id: string }, unknown: WaStatusUpdate[]): Promise<void> {
  await Promise.all(
    unknown.map((update) =>
      queue.enqueue(WA_EVENT_JOB.status, { channel_id: place.channel_id, hotel_id: place.hotel_id, update }, { id: `was:${update.wamid}:${update.status}` }),
    ),
  );
}
