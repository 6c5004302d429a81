import t from 'tap';
import { StallWatch } from '../../src/jobs/stall-watch.js';

const sample = (pending: number, ackPending: number, delivered: number, ackFloor: number) => ({ pending, ackPending, delivered, ackFloor });

t.test('work without progress for the window is a stall', async (t) => {
  const w = new StallWatch(1000);
  t.equal(w.observe('c', sample(4, 1, 7, 6), 0), false, 'first sight is never a stall');
  t.equal(w.observe('c', sample(4, 1, 7, 6), 999), false, 'inside the window');
  t.equal(w.observe('c', sample(4, 1, 7, 6), 1000), true, 'the window passed without progress');
});

t.test('progress or no work resets the window', async (t) => {
  const w = new StallWatch(1000);
  w.observe('c', sample(4, 1, 7, 6), 0);
  t.equal(w.observe('c', sample(4, 1, 8, 6), 900), false, 'a (re)delivery is progress');
  t.equal(w.observe('c', sample(4, 1, 8, 6), 1800), false, 'the window restarted at the delivery');
  t.equal(w.observe('c', sample(4, 1, 8, 7), 2000), false, 'an ack is progress');
  t.equal(w.observe('c', sample(0, 0, 8, 8), 5000), false, 'an idle consumer is not stalled');
  t.equal(w.observe('c', sample(0, 0, 8, 8), 9000), false);
  w.forget('c');
  t.equal(w.observe('c', sample(1, 1, 8, 8), 9000), false, 'forgotten: first sight again');
});
