// Meta's webhook deliveries, after the transport read the raw body: which app secret signed it,
// which channels (so hotels) its changes belong to, and making every message and status durable.
//
// Tenant isolation: a delivery is verified against the app secrets of active channels; each
// change's metadata.phone_number_id must be a channel registered under the secret that verified
// it. A number no active channel has, or one registered under another app's secret, is refused:
// that change is skipped (nothing stored) and logged once per number per LOG_REFUSED_MS.
//
// Durable before the answer: queued mode publishes one job per message (id = wamid, key = the
// guest's number, so one guest's messages stay in order) and per status to JetStream and answers
// after the publish acks; in-process mode stores everything and answers after commit.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { isAppError, ValidationError } from '../../core/errors.js';
import type { Logger } from '../../obs/log.js';
import { WaChangeValue, type WaEnvelope } from '../../protocol/whatsapp.js';
import { problems } from '../../protocol/validate.js';
import { Lru } from '../../util/lru.js';
import type { WaInboundJob, WaStatusJob, WhatsAppInbound } from './inbound.js';
import { mapChange } from './map.js';

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

export const WA_EVENT_JOB = { message: 'whatsapp.inbound', status: 'whatsapp.status' } as const;

export interface WhatsAppWebhookDeps {
  channels: Pick<WhatsAppChannels, 'snapshot'>;
  verifyTokenKnown: (token: string) => Promise<boolean>;
  mode: 'sync' | 'queued';
  /** The job queue's enqueue (durable once it resolves; a repeated id is stored once). */
  queue: { enqueue(kind: string, payload: unknown, opts: { id: string; key?: string }): Promise<unknown> };
  inbound: Pick<WhatsAppInbound, 'message' | 'status'>;
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
const checkValue = TypeCompiler.Compile(WaChangeValue);

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
    const messages: WaInboundJob[] = [];
    const statuses: WaStatusJob[] = [];
    let refused = 0;
    envelope.entry.forEach((entry, i) => {
      entry.changes.forEach((change, j) => {
        if (change.field !== 'messages') return;
        if (!checkValue.Check(change.value)) {
          const bad = problems(WaChangeValue, change.value, `entry.${i}.changes.${j}.value`);
          throw ValidationError.of(bad);
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
        for (const item of mapped.messages) messages.push({ channel_id: channel.channel_id, hotel_id: channel.hotel_id, item });
        for (const update of mapped.statuses) statuses.push({ channel_id: channel.channel_id, hotel_id: channel.hotel_id, update });
      });
    });
    if (this.deps.mode === 'queued') await this.enqueue(messages, statuses);
    else await this.process(messages, statuses);
    return { messages: messages.length, statuses: statuses.length, refused };
  }

  private logRefused(number: string, why: string): void {
    const last = this.refusedLogged.get(number);
    if (last !== undefined && Date.now() - last < LOG_REFUSED_MS) return;
    this.refusedLogged.set(number, Date.now());
    this.deps.log.warn({ phone_number_id: number, why }, 'WhatsApp delivery for a number this app does not own refused');
  }

  private async enqueue(messages: WaInboundJob[], statuses: WaStatusJob[]): Promise<void> {
    const q = this.deps.queue;
    await Promise.all([
      ...messages.map((m) => q.enqueue(WA_EVENT_JOB.message, m, { id: `wa:${m.item.wamid}`, key: m.item.from })),
      ...statuses.map((s) => q.enqueue(WA_EVENT_JOB.status, s, { id: `was:${s.update.wamid}:${s.update.status}` })),
    ]);
  }

  /** In-process: each guest's messages in order, guests in parallel, then the statuses. */
  private async process(messages: WaInboundJob[], statuses: WaStatusJob[]): Promise<void> {
    const byGuest = new Map<string, WaInboundJob[]>();
    for (const m of messages) {
      const list = byGuest.get(m.item.from);
      if (list) list.push(m);
      else byGuest.set(m.item.from, [m]);
    }
    await Promise.all(
      [...byGuest.values()].map(async (list) => {
        for (const m of list) await this.settle(() => this.deps.inbound.message(m), m.item.wamid);
      }),
    );
    await Promise.all(statuses.map((s) => this.settle(() => this.deps.inbound.status(s), s.update.wamid)));
  }

  /** A message that can never be stored (4xx) is logged and passed over, or Meta would retry it for days. */
  private async settle(run: () => Promise<unknown>, wamid: string): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (!isAppError(err) || err.status >= 500) throw err;
      this.deps.log.warn({ wamid, err: err.message }, 'WhatsApp message could not be stored');
    }
  }
}
