// WhatsApp's sending rules that need nothing but values: the customer-service window, template
// placeholders, and the send pacing of one business number.

/** Free-form messages (text, media, interactive) may reach a guest this long after their last message. */
export const SERVICE_WINDOW_MS = 24 * 3600 * 1000;

/** The reason a free-form reply ends `failed` with when the window is closed. */
export const OUTSIDE_WINDOW = 'outside_24h_window';

/** Whether a free-form message may be sent now, given the guest's last inbound message on that number. */
export function windowOpen(lastInbound: Date | null, now: number = Date.now()): boolean {
  if (!lastInbound) return false;
  const t = lastInbound.getTime();
  return Number.isFinite(t) && now - t < SERVICE_WINDOW_MS;
}

export function outsideWindowReason(lastInbound: Date | null): string {
  const when = lastInbound ? `last wrote at ${lastInbound.toISOString()}` : 'has never written to this number';
  return `${OUTSIDE_WINDOW}: the guest ${when}; WhatsApp allows free-form replies only within 24 hours of the guest's last message. Send an approved template instead.`;
}

const PLACEHOLDER = /\{\{\s*(\d{1,3})\s*\}\}/g;

/** Meta numbers body placeholders {{1}}, {{2}}…: a send needs one parameter per distinct number. */
export function placeholderCount(text: string): number {
  const seen = new Set<number>();
  for (const m of text.matchAll(PLACEHOLDER)) seen.add(Number(m[1]));
  return seen.size === 0 ? 0 : Math.max(seen.size, ...seen);
}

/** The body as the guest will read it: {{n}} replaced by parameter n (1-based). */
export function renderPlaceholders(text: string, params: readonly string[]): string {
  return text.replace(PLACEHOLDER, (whole, n: string) => params[Number(n) - 1] ?? whole);
}

/** Named placeholders of the dashboard's templates, {{name}} or {name}, replaced by simple substitution. */
export function renderVariables(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}|\{([A-Za-z_][A-Za-z0-9_]{0,63})\}/g, (whole, a?: string, b?: string) => {
    const key = (a ?? b)!;
    return Object.hasOwn(values, key) ? values[key]! : whole;
  });
}

/**
 * Paces the sends of one business number: at most `ratePerS` per second with a burst of a tenth
 * of a second's worth, so any one-second window holds at most rate + burst sends. `reserve` books
 * the next slot and says how long to wait for it (bookings are made in call order, so waiting
 * callers never overtake each other); `pause` pushes every later slot past a throttling answer.
 */
export class SendPacer {
  private next = 0;
  private readonly interval: number;
  private readonly burstMs: number;

  constructor(ratePerS: number) {
    this.interval = 1000 / Math.max(0.001, ratePerS);
    this.burstMs = (Math.max(1, Math.floor(ratePerS / 10)) - 1) * this.interval;
  }

  /** Milliseconds until a send booked now could go (nothing is booked). */
  wait(now: number): number {
    return Math.max(0, Math.max(this.next, now - this.burstMs) - now);
  }

  /** Milliseconds until the caller may send (0: now). */
  reserve(now: number): number {
    const slot = Math.max(this.next, now - this.burstMs);
    this.next = slot + this.interval;
    return Math.max(0, slot - now);
  }

  /** No send before now + ms (Meta said to slow down). */
  pause(now: number, ms: number): void {
    this.next = Math.max(this.next, now + ms);
  }

  /** Whether a pacer left alone this long can be forgotten (it would start fresh anyway). */
  idle(now: number): boolean {
    return this.next + this.burstMs < now;
  }
}

/** An approved (or pending, rejected…) template of a channel's Business Account, as synced. */
export interface WhatsAppTemplate {
  id: number;
  hotel_id: string;
  channel_id: number;
  meta_id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  components: unknown[];
  body_text: string;
  param_count: number;
  synced_at: Date;
}

