// One contract suite for the fanout Broker, run against the in-process broker and the NATS broker.
// NATS runs as two "nodes": two brokers on two NatsLink connections (noEcho, as in production)
// sharing a random prefix. sync() is a barrier built from round trips, never a sleep: once it
// resolves, everything published before it (by any node) has been delivered everywhere it will be
// delivered.
import t, { type Test } from 'tap';
import type { Broker } from '../../src/fanout/broker.js';
import { MemoryBroker } from '../../src/fanout/broker-memory.js';
import { NatsBroker } from '../../src/fanout/broker-nats.js';
import { NatsLink } from '../../src/nats/link.js';
import { createLogger } from '../../src/obs/log.js';
import { Registry } from '../../src/obs/metrics.js';
import { natsPrefix } from '../helpers/app.js';
import { TEST_NATS_URL } from '../helpers/env.js';

interface Fixture {
  /** nodes[0] publishes; every node may subscribe. One node for the in-process broker. */
  nodes: Broker[];
  sync(): Promise<void>;
  /** NATS only: whether the server still routes the subject to some subscriber. */
  serverHasInterest?(subject: string): Promise<boolean>;
  /** NATS only: how many messages node 0 has handed to its NATS connection. */
  handedToNats?(): number;
}

const log = createLogger({ level: 'silent', nodeId: 'broker-test' });
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

function memoryFixture(t: Test): Fixture {
  const broker = new MemoryBroker(log);
  t.teardown(() => broker.stop());
  return { nodes: [broker], sync: nextTurn };
}

async function natsFixture(t: Test): Promise<Fixture> {
  const prefix = natsPrefix();
  const dropped = new Registry().counter('fanout_dropped_total', 'dropped');
  const links = ['a', 'b'].map((n) => new NatsLink({ servers: [TEST_NATS_URL], name: `broker-test-${n}`, log, noEcho: true }));
  for (const link of links) link.start();
  t.teardown(() => Promise.all(links.map((l) => l.stop())));
  for (const link of links) t.ok(await link.ready(10_000), 'link connected');
  const nodes = links.map((link) => new NatsBroker({ link, prefix, log, dropped }));
  t.teardown(() => Promise.all(nodes.map((b) => b.stop())));
  const conn = (i: number) => links[i]!.connection!;
  return {
    nodes,
    // First the brokers hand this loop turn's events to their connections (they do so from an
    // immediate, after the local sockets). Round one: every node's PUBs have been processed by
    // the server (either node may publish). Round two: each subscriber's PONG follows every MSG
    // the server queued to it in round one.
    sync: async () => {
      await nextTurn();
      for (let round = 0; round < 2; round++) await Promise.all([conn(0).flush(), conn(1).flush()]);
      await nextTurn();
    },
    handedToNats: () => conn(0).stats().outMsgs,
    serverHasInterest: async (subject) => {
      try {
        await conn(0).request(`${prefix}.ev.${subject}`, new Uint8Array(), { timeout: 2000 });
        return true;
      } catch (err) {
        return !/no responders/i.test((err as Error).message);
      }
    },
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Subscribes a handler that records every payload it gets. */
function recorder(broker: Broker, subject: string) {
  const got: string[] = [];
  const off = broker.subscribe(subject, (data, subj) => {
    if (subj === subject) got.push(dec.decode(data));
  });
  return { got, off };
}

function suite(t: Test, make: (t: Test) => Fixture | Promise<Fixture>): void {
  t.test('publish reaches each subscribed handler on every node exactly once', async (t) => {
    const f = await make(t);
    const subs = f.nodes.map((n) => recorder(n, 'hotel.h1.dept.reception'));
    const other = recorder(f.nodes[0]!, 'hotel.h2.dept.reception');
    await f.sync();
    f.nodes[0]!.publish('hotel.h1.dept.reception', enc.encode('hello'));
    await f.sync();
    subs.forEach((s, i) => t.same(s.got, ['hello'], `node ${i} got it once`));
    t.same(other.got, [], 'other subjects get nothing');
    if (f.nodes.length > 1) {
      f.nodes[1]!.publish('hotel.h1.dept.reception', enc.encode('back'));
      await f.sync();
      t.same(subs[0]!.got, ['hello', 'back'], 'and the other way round');
    }
  });

  t.test('order is kept per publisher and subject (1,000 events)', async (t) => {
    const f = await make(t);
    const n = 1000;
    const subs = f.nodes.flatMap((node) => [recorder(node, 'conv.1'), recorder(node, 'conv.2')]);
    await f.sync();
    for (let i = 0; i < n; i++) f.nodes[0]!.publish(i % 3 ? 'conv.1' : 'conv.2', enc.encode(String(i)));
    await f.sync();
    const expected = (subject: string) => Array.from({ length: n }, (_, i) => i).filter((i) => (i % 3 ? 'conv.1' : 'conv.2') === subject).map(String);
    subs.forEach((s, i) => t.same(s.got, expected(i % 2 ? 'conv.2' : 'conv.1'), `handler ${i}: all events, in order`));
  });

  t.test('unsubscribe stops delivery and removes interest', async (t) => {
    const f = await make(t);
    const last = f.nodes.length - 1;
    const gone = recorder(f.nodes[last]!, 'room.9');
    const stays = recorder(f.nodes[last]!, 'room.10');
    await f.sync();
    t.equal(f.nodes[last]!.interestCount(), 2);
    gone.off();
    gone.off(); // twice is harmless
    t.equal(f.nodes[last]!.interestCount(), 1);
    await f.sync();
    if (f.serverHasInterest) t.equal(await f.serverHasInterest('room.9'), false, 'the NATS server no longer routes it here');
    f.nodes[0]!.publish('room.9', enc.encode('lost'));
    f.nodes[0]!.publish('room.10', enc.encode('kept'));
    await f.sync();
    t.same(gone.got, [], 'no delivery after unsubscribe');
    t.same(stays.got, ['kept']);
  });

  t.test('several local handlers on one subject each get the event once', async (t) => {
    const f = await make(t);
    for (const node of f.nodes) {
      const handlers = [recorder(node, 'dept.x'), recorder(node, 'dept.x'), recorder(node, 'dept.x')];
      t.equal(node.interestCount(), 1, 'one subject of interest');
      await f.sync();
      f.nodes[0]!.publish('dept.x', enc.encode('e'));
      await f.sync();
      handlers.forEach((h, i) => t.same(h.got, ['e'], `handler ${i}`));
      handlers[0]!.off();
      f.nodes[0]!.publish('dept.x', enc.encode('f'));
      await f.sync();
      t.same([handlers[0]!.got, handlers[1]!.got, handlers[2]!.got], [['e'], ['e', 'f'], ['e', 'f']], 'the others still get it');
      for (const h of handlers) h.off();
    }
  });

  t.test('interestCount counts distinct subjects', async (t) => {
    const f = await make(t);
    const b = f.nodes[0]!;
    t.equal(b.interestCount(), 0);
    const subs = [recorder(b, 's1'), recorder(b, 's1'), recorder(b, 's2')];
    t.equal(b.interestCount(), 2);
    subs[0]!.off();
    t.equal(b.interestCount(), 2, 's1 still has a handler');
    subs[1]!.off();
    subs[2]!.off();
    t.equal(b.interestCount(), 0);
    t.ok(b.healthy());
  });
}

t.test('MemoryBroker', async (t) => suite(t, memoryFixture));
t.test('NatsBroker (two nodes)', async (t) => suite(t, natsFixture));

t.test("NatsBroker: a node's own handlers get a loop turn's events before NATS does", async (t) => {
  const f = await natsFixture(t);
  const [a, b] = f.nodes as [Broker, Broker];
  const remote = recorder(b, 'hotel.h1.dept.reception');
  await f.sync();
  const before = f.handedToNats!();
  const seenLocally: number[] = [];
  a.subscribe('hotel.h1.dept.reception', () => seenLocally.push(f.handedToNats!()));
  for (const word of ['one', 'two', 'three']) a.publish('hotel.h1.dept.reception', enc.encode(word));
  t.equal(f.handedToNats!(), before, 'publish() hands nothing to NATS itself');
  await new Promise<void>((r) => queueMicrotask(r));
  t.same(seenLocally, [before, before, before], 'every local handler ran before any of the events went to NATS');
  await f.sync();
  t.equal(f.handedToNats!(), before + 3, 'then all three went to NATS in the same turn');
  t.same(remote.got, ['one', 'two', 'three'], 'and reached the other node in order');
});
