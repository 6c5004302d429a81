// When partition drains give way to accepting: only while jobs are published fast AND the event
// loop is saturated. The loop is saturated here by spinning, and left idle by sleeping; what is
// judged is the loop's own busy share, which other programs on the machine do not change.
import t from 'tap';
import { IngressPriority } from '../../src/jobs/ingress-priority.js';

const opts = { windowMs: 40, publishesPerSecond: 2000, utilization: 0.85, calmMs: 5000, maxBurstMs: 60_000 };

function spin(ms: number, publish?: { gate: IngressPriority; every: number }): void {
  const end = performance.now() + ms;
  let last = performance.now();
  while (performance.now() < end) {
    if (publish && performance.now() - last >= publish.every) {
      publish.gate.published();
      last = performance.now();
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function publishMany(gate: IngressPriority, n: number): void {
  for (let i = 0; i < n; i++) gate.published();
}

t.test('a quiet node gives no way', async (t) => {
  const gate = new IngressPriority(opts);
  t.notOk(gate.pressed(), 'nothing published');
  spin(60);
  t.notOk(gate.pressed(), 'a busy loop alone is not a burst being accepted');
  t.notOk(gate.inBurst(), 'never pressed');
});

t.test('fast publishes on a saturated loop press; the verdict lasts a window and the calm period after it', async (t) => {
  const gate = new IngressPriority(opts);
  spin(60);
  t.notOk(gate.pressed(), 'the first window: a busy loop, no publishes');
  publishMany(gate, 200);
  spin(60);
  t.ok(gate.pressed(), '200 publishes in a saturated window of 60 ms');
  await sleep(60);
  t.notOk(gate.pressed(), 'an idle window with no publishes ends it');
  t.ok(gate.inBurst(), 'but the burst lasts its calm period');
  const brief = new IngressPriority({ ...opts, calmMs: 30 });
  publishMany(brief, 200);
  spin(60);
  t.ok(brief.pressed());
  await sleep(60);
  t.notOk(brief.inBurst(), 'a burst is over once its calm period has passed quietly');
});

t.test('a burst longer than maxBurstMs is load to share: the drains stop giving way until it calms', async (t) => {
  const gate = new IngressPriority({ ...opts, calmMs: 100, maxBurstMs: 150 });
  publishMany(gate, 200);
  spin(50);
  t.ok(gate.pressed(), 'pressed at its start');
  t.ok(gate.inBurst());
  for (let i = 0; i < 4; i++) {
    publishMany(gate, 200);
    spin(50);
    gate.pressed();
  }
  publishMany(gate, 200);
  spin(50);
  t.notOk(gate.pressed(), 'still fast and saturated after 250 ms, but no longer a burst');
  t.notOk(gate.inBurst(), 'nor small fetches');
  await sleep(150);
  t.notOk(gate.pressed(), 'quiet for longer than the calm period');
  publishMany(gate, 200);
  spin(50);
  t.ok(gate.pressed(), 'a new burst after the calm is given way to again');
});

t.test('fast publishes on an idle loop do not press once a window is measured', async (t) => {
  const gate = new IngressPriority(opts);
  await sleep(60);
  t.notOk(gate.pressed(), 'a quiet first window');
  publishMany(gate, 200);
  t.ok(gate.pressed(), 'the start of a burst counts at once, before its window is measured');
  await sleep(60);
  publishMany(gate, 200);
  t.notOk(gate.pressed(), 'measured: the loop had time to spare, so the drains need not wait');
});

t.test('a saturated loop with few publishes is not a burst', async (t) => {
  const gate = new IngressPriority(opts);
  spin(60);
  gate.pressed();
  // one publish every 5 ms: 200/s, a tenth of the burst rate
  spin(60, { gate, every: 5 });
  t.notOk(gate.pressed());
});
