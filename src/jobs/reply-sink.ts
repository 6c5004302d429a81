// Where messages of non-service conversations go: "reply systems" (a bot, an integration) read
// them from a durable stream. With NATS that is the JetStream stream <PREFIX>_REPLIES (subjects
// <prefix>.replies.<hotel>.<type>, kept 7 days, de-duplicated by message id) that any number of
// consumers can read with their own durable consumers. Without NATS (one dev node) the last
// hand-offs are kept in memory.
import { DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { replySubjects } from '../fanout/subjects.js';
import type { NatsLink } from '../nats/link.js';
import { UnavailableError } from '../core/errors.js';

export interface ReplyHandoff {
  message_id: number;
  conversation_id: number;
  hotel_id: string;
  conversation_type: string;
  department: string;
  guest_number: string;
  message_type: string;
  content: string;
  media_url: string | null;
  created_at: string;
}

export interface ReplySink {
  publish(h: ReplyHandoff): Promise<void>;
}

export class MemoryReplySink implements ReplySink {
  readonly recent: ReplyHandoff[] = [];
  async publish(h: ReplyHandoff): Promise<void> {
    this.recent.push(h);
    if (this.recent.length > 1000) this.recent.shift();
  }
}

export class JetStreamReplySink implements ReplySink {
  private ready: Promise<void> | null = null;
  constructor(private readonly link: NatsLink, private readonly prefix: string, private readonly replicas: number) {}

  get streamName(): string {
    return replySubjects.stream(this.prefix);
  }

  private async ensure(): Promise<void> {
    const nc = this.link.connection;
    if (!nc) throw new UnavailableError('NATS not connected');
    const jsm = await jetstreamManager(nc);
    const config = {
      name: this.streamName,
      subjects: [replySubjects.all(this.prefix)],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: 7 * 24 * 3600 * 1e9,
      max_msgs: 1_000_000,
      duplicate_window: 120e9,
      num_replicas: this.replicas,
    };
    try {
      await jsm.streams.info(this.streamName);
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
      await jsm.streams.add(config);
    }
  }

  async publish(h: ReplyHandoff): Promise<void> {
    this.ready ??= this.ensure().catch((err) => {
      this.ready = null;
      throw err;
    });
    await this.ready;
    const nc = this.link.connection;
    if (!nc) throw new UnavailableError('NATS not connected');
    await jetstream(nc).publish(replySubjects.one(this.prefix, h.hotel_id, h.conversation_type), JSON.stringify(h), {
      msgID: `reply-${h.message_id}`,
      timeout: 5000,
    });
  }
}
