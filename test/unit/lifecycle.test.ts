// Stop hooks run in reverse under one deadline; a hung hook is left behind, and the hooks after it
// are still run (told they have no time left), so nothing they own keeps the process alive.
import t from 'tap';
import { FORCED_STOP_MS, Lifecycle } from '../../src/app/lifecycle.js';
import { createLogger } from '../../src/obs/log.js';

const log = createLogger({ level: 'silent', nodeId: 'test' });

t.test('hooks run in reverse and report clean', async (t) => {
  const life = new Lifecycle();
  const order: string[] = [];
  for (const name of ['a', 'b', 'c']) life.add(name, () => void order.push(name));
  t.equal(await life.stopAll(1000, log), true);
  t.same(order, ['c', 'b', 'a']);
  t.equal(await life.stopAll(1000, log), true, 'a second stopAll returns the first outcome');
  t.same(order, ['c', 'b', 'a'], 'and runs nothing again');
});

t.test('a hung hook: the ones after it still run, told no time is left', async (t) => {
  const life = new Lifecycle();
  const seen: Array<[string, number]> = [];
  life.add('database', (left) => void seen.push(['database', left]));
  life.add('slow', (left) => {
    seen.push(['slow', left]);
    return new Promise<void>((r) => setTimeout(r, 60));
  });
  life.add('hung', (left) => {
    seen.push(['hung', left]);
    return new Promise<void>(() => undefined);
  });
  const started = Date.now();
  t.equal(await life.stopAll(200, log), false, 'not clean');
  const took = Date.now() - started;
  t.same(seen.map(([n]) => n), ['hung', 'slow', 'database'], 'every hook was called');
  t.ok(seen[0]![1] > 150, 'the first hook had the whole deadline');
  t.equal(seen[1]![1], 0, 'the next ones are told nothing is left');
  t.equal(seen[2]![1], 0);
  t.ok(took < 200 + 2 * FORCED_STOP_MS + 2000, `bounded by the deadline and a grace per late hook, not by the hung one (${took} ms)`);
});

t.test('a late hook that hangs too is abandoned after the grace', async (t) => {
  const life = new Lifecycle();
  let lastRan = false;
  life.add('last', () => void (lastRan = true));
  life.add('hung after the deadline', () => new Promise<void>(() => undefined));
  life.add('hung', () => new Promise<void>(() => undefined));
  t.equal(await life.stopAll(100, log), false);
  t.ok(lastRan, 'the last hook still ran');
});

t.test('a failing hook is reported and the rest run', async (t) => {
  const life = new Lifecycle();
  let ran = false;
  life.add('after', () => void (ran = true));
  life.add('throws', () => {
    throw new Error('boom');
  });
  t.equal(await life.stopAll(1000, log), false);
  t.ok(ran);
});
