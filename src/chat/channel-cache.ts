// Which hotel an inbound channel belongs to, for the webhook hot path. Misses are batched into one
// query per event-loop turn; hits are trusted for ttlMs and unknown channels for negativeTtlMs, so
// a flood naming strangers does not become a flood of queries. A change made through the channel
// API drops the entry on the node that made it; other nodes see it within the TTL.
import type { ChannelProvider } from '../core/channel.js';
import type { ChannelRoute } from '../store/channels.js';
import { BatchLoader } from '../util/batch-loader.js';
import { Lru } from '../util/lru.js';

export class ChannelCache {
  private entries = new Lru<string, { route: ChannelRoute | null; at: number }>(10_000);
  private loaders = new Map<ChannelProvider, BatchLoader<string, ChannelRoute>>();

  constructor(
    private readonly fetch: (provider: ChannelProvider, externalIds: string[]) => Promise<ChannelRoute[]>,
    private readonly ttlMs = 5000,
    private readonly negativeTtlMs = 2000,
  ) {}

  /** The active channel named externalId by provider, or undefined (unknown or inactive). */
  async get(provider: ChannelProvider, externalId: string): Promise<ChannelRoute | undefined> {
    const key = `${provider}:${externalId}`;
    const hit = this.entries.get(key);
    const now = Date.now();
    if (hit && now - hit.at < (hit.route ? this.ttlMs : this.negativeTtlMs)) return hit.route ?? undefined;
    const route = await this.loader(provider).load(externalId);
    this.entries.set(key, { route: route ?? null, at: now });
    return route;
  }

  invalidate(provider: ChannelProvider, externalId: string): void {
    this.entries.delete(`${provider}:${externalId}`);
  }

  private loader(provider: ChannelProvider): BatchLoader<string, ChannelRoute> {
    let l = this.loaders.get(provider);
    if (!l) {
      l = new BatchLoader(async (ids) => new Map((await this.fetch(provider, ids)).map((r) => [r.external_id, r])));
      this.loaders.set(provider, l);
    }
    return l;
  }
}
