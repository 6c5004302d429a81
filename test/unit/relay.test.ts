// The delivery relay: interest-based subscription, and the per-conversation seq gate that drops
// duplicates and repairs gaps from the store before delivering in order.
import t from 'tap';
import { SubjectRelay } from '../../src/chat/delivery/relay.js';
import { encodeEvent, decodeEvent } from '../../src/chat/envelope.js';
import { MemoryBroker } from '../../src/fanout/broker-memory.js';
import { createLogger } from '../../src/obs/log.js';
import { Registry } from '../../src/obs/metrics.js';

const log = createLogger({ level: 'silent', nodeId: 'test' });
const dec = new TextDecoder();

type FetchRange = (c: number, from: number, to: number) => Promise<Array<{ seq: number; frame: Uint8Array }>>;

function setup(stored: Map<number, number[]> = new Map(), fetchRange?: FetchRange) {
  const broker = new MemoryBroker(log);
  const delivered: Array<{ topic: string; text: string }> = [];
  const fetches: Array<[number, number, number]> = [];
  const metrics = new Registry();
  const relay = new SubjectRelay({
    broker,
    publishLocal: (topic, frame) => delivered.push({ topic, text: dec.decode(frame) }),
    fetchRange: async (c, from, to) => {
      fetches.push([c, from, to]);
      if (fetchRange) return fetchRange(c, from, to);
      return (stored.get(c) ?? []).filter((s) => s >= from && s <= to).map((seq) => ({ seq, frame: new TextEncoder().encode(`repaired ${seq}`) }));
    },
    lastSeqs: async (ids) => new Map(ids.map((id) => [id, Math.max(0, ...(stored.get(id) ?? [0]))])),
    log,
    counters: { delivered: metrics.counter('d', 'd'), duplicates: metrics.counter('u', 'u'), repaired: metrics.counter('r', 'r') },
    latency: metrics.histogram('l', 'l', [1]),
  });
  const msg = (c: number, s: number) => encodeEvent({ k: 'm', c, s }, { type: 'message', seq: s });
  const flush = () => new Promise((r) => setImmediate(r));
  return { broker, relay, delivered, fetches, msg, flush, metrics };
}

t.test('envelope round trip', async (t) => {
  const bytes = encodeEvent({ k: 'm', c: 7, s: 3, lo: 1 }, { type: 'message', data: { x: 'é' } });
  const { header, frame } = decodeEvent(bytes);
  t.same(header, { k: 'm', c: 7, s: 3, lo: 1 });
  t.same(JSON.parse(dec.decode(frame)), { type: 'message', data: { x: 'é' } });
});

t.test('interest: subscribed while acquired, low priority events go to the sibling topic', async (t) => {
  const { broker, relay, delivered, flush } = setup();
  relay.acquire('dept.h.reception');
  relay.acquire('dept.h.reception');
  t.equal(broker.interestCount(), 1, 'one subscription for two sockets');
  broker.publish('dept.h.reception', encodeEvent({ k: 'e', lo: 1 }, { type: 'typing' }));
  broker.publish('dept.h.reception', encodeEvent({ k: 'e' }, { type: 'new_conversation' }));
  await flush();
  t.same(delivered.map((d) => d.topic), ['dept.h.reception|lo', 'dept.h.reception']);
  relay.release('dept.h.reception');
  t.equal(broker.interestCount(), 1);
  relay.release('dept.h.reception');
  t.equal(broker.interestCount(), 0, 'the last release drops the subscription');
  broker.publish('dept.h.reception', encodeEvent({ k: 'e' }, { type: 'x' }));
  await flush();
  t.equal(delivered.length, 2, 'nothing delivered without interest');
});

t.test('duplicates are dropped and order is repaired from the store', async (t) => {
  const { broker, relay, delivered, fetches, msg, flush } = setup(new Map([[1, [1, 2, 3, 4, 5, 6]]]));
  relay.acquire('dept.h.x');
  broker.publish('dept.h.x', msg(1, 1));
  broker.publish('dept.h.x', msg(1, 2));
  broker.publish('dept.h.x', msg(1, 2));
  await flush();
  broker.publish('dept.h.x', msg(1, 5)); // 3 and 4 were lost on the way
  broker.publish('dept.h.x', msg(1, 6));
  await flush();
  await flush();
  t.same(fetches, [[1, 3, 4]], 'the gap is fetched once');
  t.same(delivered.map((d) => d.text), [
    '{"type":"message","seq":1}',
    '{"type":"message","seq":2}',
    'repaired 3',
    'repaired 4',
    '{"type":"message","seq":5}',
    '{"type":"message","seq":6}',
  ]);
  broker.publish('dept.h.x', msg(1, 4));
  await flush();
  t.equal(delivered.length, 6, 'a late copy of a repaired message is a duplicate');
});

t.test('an older seq shortly after the first one seen is delivered, not dropped', async (t) => {
  const { broker, relay, delivered, msg, flush } = setup();
  relay.acquire('s');
  broker.publish('s', msg(9, 10)); // first event seen for conversation 9 on this node
  broker.publish('s', msg(9, 9)); // another node's concurrent write, overtaken on the wire
  broker.publish('s', msg(9, 9));
  await flush();
  t.same(delivered.map((d) => JSON.parse(d.text).seq), [10, 9], 'late but not lost, and once');
});

t.test('resync after a reconnect catches up from the store', async (t) => {
  const stored = new Map([[2, [1, 2, 3]]]);
  const { broker, relay, delivered, msg, flush } = setup(stored);
  relay.acquire('s');
  broker.publish('s', msg(2, 1));
  await flush();
  await relay.resync();
  await flush();
  t.same(delivered.map((d) => d.text), ['{"type":"message","seq":1}', 'repaired 2', 'repaired 3']);
});

t.test('release forgets the gates: after a re-acquire the next event is delivered as it comes', async (t) => {
  const { broker, relay, delivered, fetches, msg, flush } = setup(new Map([[3, [1, 2, 3, 4, 5, 6]]]));
  relay.acquire('s');
  broker.publish('s', msg(3, 1));
  broker.publish('s', msg(3, 2));
  await flush();
  relay.release('s');
  broker.publish('s', msg(3, 3)); // nobody here wants it: not delivered, not remembered
  broker.publish('s', msg(3, 4));
  await flush();
  relay.acquire('s');
  broker.publish('s', msg(3, 5));
  await flush();
  await flush();
  t.same(fetches, [], 'no repair of what was missed while nobody listened (sockets resume themselves)');
  t.same(delivered.map((d) => JSON.parse(d.text).seq), [1, 2, 5]);
  broker.publish('s', msg(3, 5));
  await flush();
  t.equal(delivered.length, 3, 'the new gate still drops duplicates');
});

t.test('release of one subject keeps the gates of the others', async (t) => {
  const { broker, relay, delivered, fetches, msg, flush } = setup(new Map([[4, [1, 2, 3]]]));
  relay.acquire('dept');
  relay.acquire('conv');
  broker.publish('dept', msg(4, 1));
  broker.publish('conv', msg(4, 1));
  await flush();
  relay.release('conv');
  broker.publish('dept', msg(4, 1)); // a duplicate on the subject still held
  broker.publish('dept', msg(4, 2));
  await flush();
  t.same(delivered.map((d) => `${d.topic}:${JSON.parse(d.text).seq}`), ['dept:1', 'conv:1', 'dept:2']);
  t.same(fetches, []);
});

t.test('a failed range fetch is retried; the held events follow in order, once', async (t) => {
  const stored = [1, 2, 3, 4];
  let failures = 1;
  let fetchedOnce!: () => void;
  const fetched = new Promise<void>((r) => (fetchedOnce = r));
  const { broker, relay, delivered, fetches, msg, flush } = setup(new Map(), async (_c, from, to) => {
    if (failures-- > 0) throw new Error('database unavailable');
    fetchedOnce();
    return stored.filter((s) => s >= from && s <= to).map((seq) => ({ seq, frame: new TextEncoder().encode(`repaired ${seq}`) }));
  });
  relay.acquire('s');
  broker.publish('s', msg(5, 1));
  await flush();
  broker.publish('s', msg(5, 4)); // 2 and 3 lost
  broker.publish('s', msg(5, 4));
  await flush();
  await fetched;
  await flush();
  t.same(fetches, [[5, 2, 3], [5, 2, 3]], 'the same range is asked again after the failure');
  t.same(delivered.map((d) => d.text), ['{"type":"message","seq":1}', 'repaired 2', 'repaired 3', '{"type":"message","seq":4}']);
});
