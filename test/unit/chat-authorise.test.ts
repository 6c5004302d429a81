// Authorise before allocating: conversation facts are found without an actor, absence is never
// remembered, unknown ids cost a bounded budget per caller, and an actor that finds nothing to
// own leaves its registry at once.
import t from 'tap';
import { Actor, type ActorStats } from '../../src/actors/actor.js';
import { Registry } from '../../src/actors/registry.js';
import { ConversationFactsCache, type ConversationFacts } from '../../src/chat/conversation-facts.js';
import { RateLimitedError } from '../../src/core/errors.js';

const facts = (id: number): ConversationFacts => ({ id, hotel_id: 'h', guest_id: 7, department: 'Reception', conversation_type: 'service' });

function store(existing: Set<number>) {
  const calls: number[][] = [];
  const fetch = async (ids: number[]) => {
    calls.push(ids);
    return ids.filter((id) => existing.has(id)).map(facts);
  };
  return { calls, fetch };
}

const LIMITS = { maxEntries: 3, missBurst: 2, missesPerSecond: 1, maxCallers: 10 };

t.test('absence is not remembered: an id created after a lookup is found at once', async (t) => {
  const existing = new Set<number>();
  const s = store(existing);
  const cache = new ConversationFactsCache(s.fetch, LIMITS);
  t.equal(await cache.get(5), undefined);
  existing.add(5);
  t.same(await cache.get(5), facts(5));
  t.equal(s.calls.length, 2, 'the second lookup asked the store again');
  t.same(await cache.get(5), facts(5));
  t.equal(s.calls.length, 2, 'a hit is kept');
});

t.test('concurrent lookups share one query, and the cache is bounded', async (t) => {
  const s = store(new Set([1, 2, 3, 4, 5]));
  const cache = new ConversationFactsCache(s.fetch, LIMITS);
  const got = await Promise.all([1, 2, 3, 4, 5, 1].map((id) => cache.get(id)));
  t.same(got.map((f) => f?.id), [1, 2, 3, 4, 5, 1]);
  t.equal(s.calls.length, 1, 'one query for one event-loop turn');
  t.equal(cache.size, 3, 'at most maxEntries facts are kept');
});

t.test('a caller naming unknown ids spends a budget; then it is refused without a query', async (t) => {
  let now = 0;
  const s = store(new Set([8, 9]));
  const cache = new ConversationFactsCache(s.fetch, LIMITS, () => now);
  t.equal(await cache.get(100, 'staff:1'), undefined);
  t.equal(await cache.get(101, 'staff:1'), undefined);
  const queries = s.calls.length;
  await t.rejects(cache.get(102, 'staff:1'), RateLimitedError);
  t.equal(s.calls.length, queries, 'no query once the budget is spent');
  t.same(await cache.get(9, 'staff:2'), facts(9), 'another caller is unaffected');
  await t.rejects(cache.get(8, 'staff:1'), RateLimitedError, 'an uncached id is refused too while the budget is spent');
  t.same(await cache.get(9, 'staff:1'), facts(9), 'a cached conversation is still reachable');
  now += 1000;
  t.same(await cache.get(8, 'staff:1'), facts(8), 'the budget refills');
  t.same(await cache.get(8, 'staff:1'), facts(8), 'known conversations never spend it');
  t.equal(await cache.get(103), undefined, 'internal lookups (no caller) are not budgeted');
});

t.test('lookups in flight spend the budget too: a burst of unknown ids costs at most the burst in queries', async (t) => {
  const s = store(new Set());
  const cache = new ConversationFactsCache(s.fetch, LIMITS, () => 0);
  const settled = await Promise.allSettled([200, 201, 202, 203, 204].map((id) => cache.get(id, 'staff:1')));
  t.equal(settled.filter((r) => r.status === 'rejected' && r.reason instanceof RateLimitedError).length, 3);
  t.same(s.calls.flat(), [200, 201], 'only the burst reached the store');
});

class Probe extends Actor<{ retire: boolean; done: () => void }> {
  constructor(key: string, private readonly retire: () => void, stats: ActorStats) {
    super('probe', key, 8, stats);
  }
  protected async receive(batch: { retire: boolean; done: () => void }[]): Promise<void> {
    for (const m of batch) {
      if (m.retire) this.retire();
      m.done();
    }
  }
}

t.test('an actor that retires leaves the registry; the next message gets a fresh actor', async (t) => {
  const stats: ActorStats = { onProcessed: () => undefined, onRejected: () => undefined, onError: () => undefined };
  const registry = new Registry<Probe>('probe', (key, retire) => new Probe(key, retire, stats), 60_000);
  const first = registry.get('1');
  await new Promise<void>((done) => first.tell({ retire: true, done }));
  t.equal(registry.size, 0, 'gone from the table');
  t.equal(registry.peek('1'), undefined);
  const second = registry.get('1');
  t.not(second, first, 'a new actor for the same key');
  await new Promise<void>((done) => second.tell({ retire: false, done }));
  t.equal(registry.size, 1);
  await registry.stop();
});
