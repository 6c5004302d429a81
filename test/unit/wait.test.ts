// Waits with deadlines, and a Halt that ends a loop's waits at once without keeping a listener per
// wait (a drain loop waits every second for days).
import t from 'tap';
import { Halt, HALTED, settledWithin, sleep } from '../../src/util/wait.js';

t.test('settledWithin: true when the promise settles in time (either way), false after', async (t) => {
  t.equal(await settledWithin(sleep(5), 500), true);
  t.equal(await settledWithin(Promise.reject(new Error('no')), 500), true, 'a rejection is settled too');
  t.equal(await settledWithin(new Promise(() => undefined), 20), false);
});

t.test('Halt: a wait gets the outcome, or HALTED once halted', async (t) => {
  const halt = new Halt();
  t.equal(await halt.race(Promise.resolve(7)), 7);
  await t.rejects(halt.race(Promise.reject(new Error('boom'))), /boom/);
  const never = halt.race(new Promise<number>(() => undefined));
  halt.halt();
  t.equal(await never, HALTED, 'a pending wait ends at halt()');
  t.equal(await halt.race(Promise.resolve(1)), HALTED, 'and every later one at once');
  t.ok(halt.halted);
});

t.test('Halt: ended waits leave no listener behind', async (t) => {
  const halt = new Halt();
  for (let i = 0; i < 1000; i++) await halt.race(sleep(0));
  t.equal(halt.waiting, 0, 'a thousand finished waits, none kept');
  const pending = halt.race(new Promise(() => undefined));
  t.equal(halt.waiting, 1);
  halt.halt();
  await pending;
  t.equal(halt.waiting, 0);
});
