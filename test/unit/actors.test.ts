// The actor runtime: bounded mailbox, one batch at a time in arrival order, explicit overflow,
// ask timeouts, stop draining the backlog, passivation of idle actors.
import t from 'tap';
import { Actor, MailboxFullError, ActorStoppedError, type ActorStats } from '../../src/actors/actor.js';
import { ask, type ReplyTo } from '../../src/actors/ask.js';
import { Mailbox } from '../../src/actors/mailbox.js';
import { Registry } from '../../src/actors/registry.js';

const stats: ActorStats = { onProcessed: () => undefined, onRejected: () => undefined, onError: () => undefined };

type Msg = { n: number; reply?: ReplyTo<number> };

class Recorder extends Actor<Msg> {
  batches: number[][] = [];
  gate: Promise<void> = Promise.resolve();
  stopCount = 0;
  constructor(key = 'r', capacity = 100) {
    super('recorder', key, capacity, stats);
  }
  protected async receive(batch: Msg[]): Promise<void> {
    this.batches.push(batch.map((m) => m.n));
    await this.gate;
    for (const m of batch) m.reply?.resolve(m.n * 2);
  }
  protected override async onStop(): Promise<void> {
    this.stopCount++;
  }
}

t.test('mailbox is a bounded FIFO', async (t) => {
  const box = new Mailbox<number>(3);
  t.ok(box.push(1) && box.push(2) && box.push(3));
  t.notOk(box.push(4), 'refuses when full');
  t.same(box.take(2), [1, 2]);
  t.ok(box.push(5));
  t.same(box.take(10), [3, 5]);
  t.equal(box.size, 0);
  const big = new Mailbox<number>(1000);
  for (let i = 0; i < 1000; i++) big.push(i);
  t.same(big.take(1000), Array.from({ length: 1000 }, (_, i) => i), 'order kept while growing');
});

t.test('messages are handled in order, the backlog as one batch', async (t) => {
  const a = new Recorder();
  let open!: () => void;
  a.gate = new Promise((r) => (open = r));
  a.tell({ n: 1 });
  for (let i = 2; i <= 5; i++) a.tell({ n: i });
  open();
  const last = await ask<Msg, number>(a, (reply) => ({ n: 6, reply }), 1000);
  t.equal(last, 12);
  t.same(a.batches, [[1], [2, 3, 4, 5, 6]], 'one at a time, then the whole waiting backlog together');
});

t.test('a full mailbox is an explicit error, never silent', async (t) => {
  const a = new Recorder('full', 2);
  a.gate = new Promise(() => undefined); // never finishes
  a.tell({ n: 1 }); // taken into processing
  a.tell({ n: 2 });
  a.tell({ n: 3 });
  t.equal(a.send({ n: 4 }), 'full');
  t.throws(() => a.tell({ n: 5 }), MailboxFullError);
  await t.rejects(ask<Msg, number>(a, (reply) => ({ n: 6, reply }), 1000), { name: 'MailboxFullError', status: 503 });
});

t.test('ask times out; stop drains the backlog and then refuses', async (t) => {
  const slow = new Recorder('slow');
  let open!: () => void;
  slow.gate = new Promise((r) => (open = r));
  await t.rejects(ask<Msg, number>(slow, (reply) => ({ n: 1, reply }), 30), { code: 'unavailable' });
  slow.tell({ n: 2 });
  const stopping = slow.stop();
  t.equal(slow.send({ n: 3 }), 'stopped', 'no new messages once stopping');
  t.throws(() => slow.tell({ n: 4 }), ActorStoppedError);
  open();
  await stopping;
  t.same(slow.batches.flat(), [1, 2], 'the backlog was finished');
  t.equal(slow.stopCount, 1);
});

t.test('registry spawns on demand and passivates idle actors', async (t) => {
  const spawned: string[] = [];
  const reg = new Registry<Recorder>('recorder', (key) => {
    spawned.push(key);
    return new Recorder(key);
  }, 50);
  const a = reg.get('a');
  t.equal(reg.get('a'), a, 'the same actor for the same key');
  reg.get('b');
  t.equal(reg.size, 2);
  a.tell({ n: 1 });
  t.equal(await reg.sweep(Date.now() + 10), 0, 'not idle long enough');
  t.equal(await reg.sweep(Date.now() + 1000), 2, 'both passivated');
  t.equal(a.stopCount, 1);
  t.equal(reg.size, 0);
  const again = reg.get('a');
  t.not(again, a, 'a message after passivation spawns a fresh actor');
  t.same(spawned, ['a', 'b', 'a']);
  const pinned = reg.get('p') as Recorder & { pinned?: boolean };
  Object.defineProperty(pinned, 'pinned', { value: true });
  await reg.sweep(Date.now() + 1000);
  t.equal(reg.peek('p'), pinned, 'a pinned actor (with live sockets) is kept');
  await reg.stop();
  t.throws(() => reg.get('z'), { status: 503, message: /shutting down/ });
});
