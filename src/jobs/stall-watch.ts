// Detects job consumers that hold work but make no progress. A consumer is stalled when it has
// messages waiting or deliveries outstanding and neither its delivered sequence nor its ack floor
// has moved for `stallMs`. Seen in practice after a nats-server crash (2.9): a consumer came back
// counting a pending delivery of a message the stream had already deleted, so with
// max_ack_pending 1 its partition never delivered again. A live job moves at least one of the two
// sequences (it is acked, or its node dies and it is redelivered after the ack wait); a job that
// legitimately runs longer than `stallMs` is the one false positive — recreating the consumer
// then only replays it early, which idempotent handlers absorb.

export interface ConsumerSample {
  /** Messages not yet delivered. */
  pending: number;
  /** Deliveries not yet acknowledged. */
  ackPending: number;
  /** Consumer sequence of the last delivery (grows on redelivery too). */
  delivered: number;
  /** Consumer sequence below which everything is acknowledged. */
  ackFloor: number;
}

interface Seen {
  mark: string;
  since: number;
}

export class StallWatch {
  private seen = new Map<string, Seen>();

  constructor(private readonly stallMs: number) {}

  /** Records a sample; true when `name` has had work and no progress for stallMs. */
  observe(name: string, s: ConsumerSample, now: number): boolean {
    const mark = `${s.delivered}:${s.ackFloor}`;
    const prev = this.seen.get(name);
    if (s.pending + s.ackPending === 0 || !prev || prev.mark !== mark) {
      this.seen.set(name, { mark, since: now });
      return false;
    }
    return now - prev.since >= this.stallMs;
  }

  /** Forgets a consumer (after it was recreated: its sequences start again). */
  forget(name: string): void {
    this.seen.delete(name);
  }
}
