// The cluster view behind the console: heartbeats of several nodes become per-period rates and
// merged percentiles, job summaries and per-hotel socket counts; stale and bad heartbeats.
import t from 'tap';
import { ClusterView, parseStats, type NodeStats } from '../../src/ops/cluster.js';

const bounds = [0.001, 0.01, 0.1];
function beat(node: string, at: number, over: Partial<NodeStats> = {}): NodeStats {
  return {
    node, version: '1', started_at: 0, at, sockets: 0, actors: { conversation: 0, department: 0 }, lag_p99_ms: 1, lag_max_ms: 2,
    rss_bytes: 1, heap_bytes: 1, ready: 'ready', lacking: [], degraded: [], stored: 0, delivered: 0,
    webhook: { bounds, counts: [0, 0, 0], count: 0, sum: 0 }, socket: { bounds, counts: [0, 0, 0], count: 0, sum: 0 },
    jobs: [], hotels: [], ...over,
  };
}

t.test('rates and percentiles across nodes', async (t) => {
  const v = new ClusterView({ intervalMs: 1000, keep: 10 });
  v.record(beat('a', 1000));
  v.record(beat('b', 1000));
  v.record(beat('a', 2000, { stored: 10, delivered: 20, webhook: { bounds, counts: [10, 0, 0], count: 10, sum: 0.005 } }));
  v.record(beat('b', 2000, { stored: 5, delivered: 5, webhook: { bounds, counts: [0, 0, 10], count: 10, sum: 0.5 } }));
  v.record(beat('a', 1500));
  const [p] = v.traffic();
  t.equal(p!.t, 2000);
  t.equal(p!.stored_per_s, 15, 'stored per second summed over nodes');
  t.equal(p!.delivered_per_s, 25);
  t.ok(p!.webhook_p50_ms! <= 1, 'the median of the merged buckets');
  t.ok(p!.webhook_p99_ms! > 10, 'p99 from the slower node');
  t.equal(p!.socket_p50_ms, null, 'no observations: no percentile');
  t.equal(v.traffic().length, 1, 'an out-of-order heartbeat is ignored');
});

t.test('a restarted node starts a new series', async (t) => {
  const v = new ClusterView({ intervalMs: 1000, keep: 10 });
  v.record(beat('a', 1000, { stored: 100 }));
  v.record(beat('a', 2000, { started_at: 1500, stored: 3 }));
  t.same(v.traffic(), [], 'no negative or bogus rate across a restart');
});

t.test('jobs, hotels, staleness and bounds', async (t) => {
  const v = new ClusterView({ intervalMs: 1000, keep: 10 });
  const h = (id: string, staff: number) => ({ hotel_id: id, staff, guests: 1, departments: { Reception: staff } });
  v.record(beat('a', 1000, { jobs: [{ kind: 'k', depth: 4, done: 1, retry: 0, dead: 0, stalled: 0 }], hotels: [h('x', 1)] }));
  v.record(beat('a', 2000, { jobs: [{ kind: 'k', depth: 4, done: 3, retry: 1, dead: 1, stalled: 1 }], hotels: [h('x', 2), h('y', 1)] }));
  v.record(beat('b', 2000, { jobs: [{ kind: 'k', depth: 4, done: 1, retry: 0, dead: 0, stalled: 0 }], hotels: [h('x', 3)] }));
  const [k] = v.jobs();
  t.same({ depth: k!.depth, done: k!.done, dead: k!.dead, stalled: k!.stalled, per_s: k!.per_s, failures_per_min: k!.failures_per_min },
    { depth: 4, done: 4, dead: 1, stalled: 1, per_s: 4, failures_per_min: 120 }, 'depth is the stream’s; counts and rates summed');
  t.same(v.hotels('x'), [{ hotel_id: 'x', staff: 5, guests: 2, departments: { Reception: 5 } }], 'one hotel, summed over nodes');
  t.equal(v.hotels(null).length, 2);
  const nodes = v.nodes(2000 + 3500);
  t.same(nodes.map((n) => [n.node, n.stale]), [['a', true], ['b', true]], 'silent nodes are stale');
  t.same(v.nodes(2000 + 10_001), [], 'and forgotten after the retained window');
  for (let i = 0; i < 10; i++) v.record(beat('c', 10_000 + i * 1000));
  t.equal(v.nodes(20_000).length, 1);
});

t.test('parseStats refuses what is not a heartbeat', async (t) => {
  t.equal(parseStats('not json'), null);
  t.equal(parseStats('{"node":1}'), null);
  t.equal(parseStats(JSON.stringify({ ...beat('a', 1), jobs: 'x' })), null);
  t.equal(parseStats(JSON.stringify(beat('a', 1)))?.node, 'a');
});
