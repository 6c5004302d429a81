// When partition drains give way to accepting: only while jobs are published fast AND the event
// loop is saturated, and then until holdMs after the last window that looked like it. Time and the
// loop's busy share come from a clock the test moves (`spin`: busy, `rest`: idle), so what is
// judged does not depend on how the machine schedules the test; only the wake-ups of drains
// waiting in line for shared credit go through the real event loop (`tick`).
import t from 'tap';
import { IngressPriority, type IngressPriorityOptions, type LoopClock } from '../../src/jobs/ingress-priority.js';

// A run of 80 publishes within 40 ms is fast (2,000/s).
const opts: IngressPriorityOptions = { windowMs: 40, publishesPerSecond: 2000, utilization: 0.85, holdMs: 0, calmMs: 5000, maxBurstMs: 60_000, sharePerAccepted: 1, shareBurst: 512 };

class TestClock implements LoopClock {
  private t = 1000;
  private active = 0;
  private idle = 0;
  now(): number {
    return this.t;
  }
  loop(): { active: number; idle: number } {
    return { active: this.active, idle: this.idle };
  }
  /** The loop is busy for `ms`. */
  spin(ms: number): void {
    this.t += ms;
    this.active += ms;
  }
  /** The loop waits for `ms`. */
  rest(ms: number): void {
    this.t += ms;
    this.idle += ms;
  }
}

/** Lets promise callbacks and immediates run (a drain woken in line). */
const tick = () => new Promise((r) => setImmediate(r));

function publishMany(gate: IngressPriority, n: number): void {
  for (let i = 0; i < n; i++) gate.published();
}

t.test('a quiet node gives no way', async (t) => {
  const clk = new TestClock();
  const gate = new IngressPriority(opts, clk);
  t.notOk(gate.pressed(), 'nothing published');
  clk.spin(60);
  t.notOk(gate.pressed(), 'a busy loop alone is not a burst being accepted');
  t.notOk(gate.inBurst(), 'never pressed');
});

t.test('fast publishes on a saturated loop press; the burst lasts its calm period', async (t) => {
  const clk = new TestClock();
  const gate = new IngressPriority(opts, clk);
  clk.spin(60);
  t.notOk(gate.pressed(), 'a saturated window, no publishes');
  publishMany(gate, 200);
  t.ok(gate.pressed(), 'a saturated window, then runs of publishes that each fit in a window');
  clk.rest(60);
  t.notOk(gate.pressed(), 'a window with no publishes ends it (no hold here)');
  t.ok(gate.inBurst(), 'but the burst lasts its calm period');
  const brief = new IngressPriority({ ...opts, calmMs: 30 }, clk);
  clk.spin(60);
  publishMany(brief, 200);
  t.ok(brief.pressed());
  clk.rest(60);
  t.notOk(brief.inBurst(), 'a burst is over once its calm period has passed quietly');
});

t.test('one window that does not look like a burst does not end it: the drains hold for holdMs', async (t) => {
  const clk = new TestClock();
  const held = new IngressPriority({ ...opts, holdMs: 60_000 }, clk);
  clk.spin(60);
  publishMany(held, 200);
  t.ok(held.pressed(), 'a burst');
  clk.rest(60);
  t.ok(held.pressed(), 'an idle window within the hold keeps the drains waiting');
  clk.spin(60);
  t.ok(held.pressed(), 'a saturated window with no publishes too');

  const short = new IngressPriority({ ...opts, holdMs: 100 }, clk);
  clk.spin(60);
  publishMany(short, 200);
  t.ok(short.pressed(), 'a burst');
  clk.rest(150);
  t.notOk(short.pressed(), 'quiet for longer than the hold: the drains go on');
  t.ok(short.inBurst(), 'with small fetches until the calm period has passed');
});

t.test('the rate is read from the publishes, not from when the drains ask', async (t) => {
  const clk = new TestClock();
  const gate = new IngressPriority(opts, clk);
  t.notOk(gate.pressed(), 'asked once, while quiet');
  // The drains were idle (waiting in their fetches) and asked nothing for a long time; then a
  // burst starts. Averaged over the whole span since the last question it would look slow.
  clk.rest(300);
  clk.spin(30);
  publishMany(gate, 200);
  t.ok(gate.pressed(), 'a burst that started just now is one, however long nobody asked');
  clk.rest(60);
  t.notOk(gate.pressed(), 'and its end is seen as soon');
});

t.test('a burst that starts right after a quiet window was measured counts at once', async (t) => {
  const clk = new TestClock();
  const gate = new IngressPriority(opts, clk);
  clk.rest(60);
  t.notOk(gate.pressed(), 'a quiet window, just measured');
  publishMany(gate, 200);
  t.ok(gate.pressed(), "the burst's first runs: saturated until a window of the burst itself says otherwise");
});

t.test('a burst longer than maxBurstMs is load to share: the drains stop giving way until it calms', async (t) => {
  const clk = new TestClock();
  const gate = new IngressPriority({ ...opts, calmMs: 100, maxBurstMs: 150 }, clk);
  clk.spin(50);
  publishMany(gate, 200);
  t.ok(gate.pressed(), 'pressed at its start');
  t.ok(gate.inBurst());
  for (let i = 0; i < 4; i++) {
    clk.spin(50);
    publishMany(gate, 200);
    gate.pressed();
  }
  clk.spin(50);
  publishMany(gate, 200);
  t.notOk(gate.pressed(), 'still fast and saturated after 250 ms, but no longer a burst');
  t.notOk(gate.inBurst(), 'nor small fetches');
  clk.rest(150);
  t.notOk(gate.pressed(), 'quiet for longer than the calm period');
  clk.spin(50);
  publishMany(gate, 200);
  t.ok(gate.pressed(), 'a new burst after the calm is given way to again');
});

t.test('past maxBurstMs the drains share the loop: one job taken per job accepted', async (t) => {
  const clk = new TestClock();
  // The hold (1 s) keeps the burst on across the idle spells below.
  const gate = new IngressPriority({ ...opts, holdMs: 1000, maxBurstMs: 150, shareBurst: 40 }, clk);
  clk.spin(50);
  publishMany(gate, 200);
  t.ok(gate.pressed(), 'a burst, deferred to');
  t.equal(gate.claim(64, 16), 64, 'while the drains defer (pressed), a claim is not limited');
  clk.rest(200);
  t.notOk(gate.pressed(), 'past maxBurstMs the drains no longer wait for the burst to end');
  t.equal(gate.claim(64, 16), 0, 'but share: nothing accepted since the sharing began');
  publishMany(gate, 10);
  t.equal(gate.claim(64, 16), 10, 'one job for each job accepted');
  t.equal(gate.claim(64, 16), 0, 'a claim is spent once, whichever drain asks next');
  publishMany(gate, 30);
  t.equal(gate.claim(64, 16), 16, 'at most sharedMax per fetch');
  t.equal(gate.claim(64, 4), 4);
  t.equal(gate.claim(64, 16), 10, 'the rest');
  publishMany(gate, 10);
  t.equal(gate.claim(4, 16), 4, 'at most what the drain asks for (an idle partition asks for 4)');
  t.ok(gate.sharing, 'claimed from the shared credit');
  gate.refund(4);
  t.equal(gate.claim(64, 16), 10, 'what a fetch did not take goes back to the credit');
  publishMany(gate, 1000);
  let total = 0;
  for (let i = 0; i < 10; i++) total += gate.claim(64, 16);
  t.equal(total, 40, 'credit left unused is capped at shareBurst');
  clk.rest(1100);
  t.equal(gate.claim(64, 16), 64, 'quiet for longer than the hold: nothing to share, a drain takes what it asks');
  t.notOk(gate.sharing);

  const double = new IngressPriority({ ...opts, holdMs: 1000, maxBurstMs: 10, sharePerAccepted: 2 }, clk);
  clk.spin(50);
  publishMany(double, 200);
  t.ok(double.pressed(), 'a burst (seen when a drain asks)');
  clk.rest(20);
  t.equal(double.claim(64, 64), 0, 'sharing begins');
  publishMany(double, 10);
  t.equal(double.claim(64, 64), 20, 'sharePerAccepted jobs for each job accepted');
});

/** A gate whose burst went on past maxBurstMs (50 ms here): its drains share the loop. */
function sharedBurst() {
  const clk = new TestClock();
  const gate = new IngressPriority({ ...opts, holdMs: 1000, maxBurstMs: 50, shareBurst: 512 }, clk);
  /** Another saturated window of fast publishes; true if the drains were asked to give way. */
  const burst = () => {
    clk.spin(50);
    publishMany(gate, 200);
    return gate.pressed();
  };
  const started = burst();
  clk.rest(80);
  return { clk, gate, burst, started };
}

t.test('drains that wait for shared credit are served in the order they began to wait, as it is earned', async (t) => {
  const { clk, gate, started } = sharedBurst();
  t.ok(started, 'a burst');
  const [a, b, c] = [gate.newTurn(), gate.newTurn(), gate.newTurn()];
  t.equal(gate.claim(64, 16, a), 0, 'sharing: no credit yet, a waits first');
  t.equal(gate.claim(64, 16, b), 0, 'b second');
  t.equal(gate.claim(4, 16, c), 0, 'c third (an idle partition, asking for 4)');
  t.equal(gate.waiting, 3, 'three in line');
  let woken = '';
  for (const [name, turn] of [['a', a], ['b', b], ['c', c]] as const) void gate.granted(turn, 1500).then(() => turn.granted > 0 && (woken += name));

  publishMany(gate, 10);
  await tick();
  t.equal(woken, '', 'a asked for 16: 10 jobs of credit are not handed out on their own');
  t.equal(gate.claim(64, 16, c), 0, 'c, asking now, gets nothing: it is not its turn');
  t.equal(gate.claim(64, 16), 0, 'nor does a drain outside the line');
  t.equal(gate.claim(64, 16, a), 10, 'a, first in line, takes what there is when it asks');

  publishMany(gate, 16);
  await tick();
  t.equal(woken, 'b', 'once there is what b asked for, b is woken with it, at once');
  publishMany(gate, 4);
  await tick();
  t.equal(woken, 'bc', 'then c');
  t.equal(gate.claim(64, 16, b), 16, 'b: up to sharedMax');
  t.equal(gate.claim(64, 16, c), 4, 'c: what it asked for when it began to wait');
  t.equal(gate.waiting, 0, 'the line is empty');
  t.equal(gate.claim(64, 16), 0, 'nothing was left over for anyone else');

  const d = gate.newTurn();
  t.equal(gate.claim(64, 16, d), 0, 'd waits');
  publishMany(gate, 16);
  t.equal(d.granted, 16, 'handed to d');
  gate.leave(d);
  t.equal(gate.claim(64, 16), 16, 'credit handed to a drain that stopped waiting goes back');
  t.equal(gate.waiting, 0);

  const e = gate.newTurn();
  t.equal(gate.claim(64, 16, e), 0, 'e waits');
  let eWoken = false;
  void gate.granted(e, 10_000).then(() => (eWoken = true));
  clk.rest(1100);
  t.equal(gate.claim(64, 16), 64, 'the burst calmed: a drain takes what it asks');
  await tick();
  t.ok(eWoken, 'and the drains in line are woken to ask again');
  t.equal(gate.claim(64, 16, e), 64, 'e too');
  t.equal(gate.waiting, 0);
});

t.test('leaving the line serves whoever waited behind; credit of a sharing period that ended is void', async (t) => {
  const { clk, gate, burst } = sharedBurst();
  const [a, b] = [gate.newTurn(), gate.newTurn()];
  t.equal(gate.claim(64, 16, a), 0, 'a waits for 16');
  t.equal(gate.claim(4, 16, b), 0, 'b waits for 4, behind a');
  publishMany(gate, 10);
  t.equal(b.granted, 0, 'b is not served past a');
  gate.leave(a);
  t.equal(b.granted, 4, 'a left (its 2 s were up): b is served at once from what was there');
  t.equal(gate.claim(4, 16, b), 4);

  const c = gate.newTurn();
  t.equal(gate.claim(64, 16, c), 6, 'with nobody in line, c takes the rest of the 10');
  t.equal(gate.claim(64, 16, c), 0, 'then waits');
  publishMany(gate, 16);
  t.equal(c.granted, 16, 'c is handed 16 and has not claimed them yet');
  clk.rest(1100);
  t.equal(gate.claim(64, 16), 64, 'the burst calmed before c claimed');
  burst();
  clk.rest(80);
  burst();
  t.equal(gate.claim(64, 16, c), 0, 'a new sharing period: what c was handed in the last one is void');
  t.equal(gate.claim(64, 16), 0, 'and nobody else gets it either');
});

t.test('fast publishes on an idle loop do not press once a window of them is measured', async (t) => {
  const clk = new TestClock();
  // One-second windows (a run is 2,000 publishes).
  const gate = new IngressPriority({ ...opts, windowMs: 1000 }, clk);
  clk.rest(50);
  publishMany(gate, 4000);
  t.ok(gate.pressed(), 'publishes just turned fast: the start of a burst counts at once, before a window of it is measured');
  for (let i = 0; i < 12; i++) {
    clk.rest(100);
    publishMany(gate, 2000);
  }
  t.notOk(gate.pressed(), 'measured: the loop had time to spare, so the drains need not wait');
});

t.test('a saturated loop with publishes slower than the rate is not a burst', async (t) => {
  const clk = new TestClock();
  const gate = new IngressPriority(opts, clk);
  clk.spin(60);
  gate.pressed();
  // runs of 80 publishes spread over 60 ms: 1,333/s, under the 2,000/s of a burst
  for (let run = 0; run < 3; run++) {
    for (let i = 0; i < 80; i++) {
      clk.spin(0.75);
      gate.published();
    }
  }
  t.notOk(gate.pressed());
});
