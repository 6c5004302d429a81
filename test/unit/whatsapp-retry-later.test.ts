// A handler that must wait (a provider throttled it) says how long with RetryLaterError: the next
// delivery comes no sooner than that, however short the usual back-off is; the last delivery still
// ends in the dead-letter record.
import t from 'tap';
import { MemoryQueue } from '../../src/jobs/queue-memory.js';
import { RetryLaterError, type DeadLetter } from '../../src/jobs/queue.js';
import { createLogger } from '../../src/obs/log.js';
import { Registry } from '../../src/obs/metrics.js';

function queue(t: { teardown(fn: () => unknown): void }) {
  const dead: DeadLetter[] = [];
  const q = new MemoryQueue({
    log: createLogger({ level: 'silent', nodeId: 'test' }),
    defaults: { concurrency: 2, maxDeliveries: 3, backoffMs: 10 },
    outcomes: new Registry().counter('jobs_processed_total', 'outcomes'),
    deadLetter: async (rec) => void dead.push(rec),
  });
  t.teardown(() => q.stop());
  return { q, dead };
}

t.test('the retry waits at least the time the handler asked for', async (t) => {
  const { q } = queue(t);
  const at: number[] = [];
  const done = new Promise<void>((resolve) => {
    q.work('throttled', async (job) => {
      at.push(performance.now());
      if (job.deliveries === 1) throw new RetryLaterError('Meta: rate limit hit', 400);
      resolve();
    });
  });
  await q.enqueue('throttled', {});
  await done;
  t.equal(at.length, 2);
  t.ok(at[1]! - at[0]! >= 390, `second delivery ${Math.round(at[1]! - at[0]!)} ms later (asked 400, back-off alone 10)`);
});

t.test('a job still throttled on its last delivery is dead-lettered with the reason', async (t) => {
  const { q, dead } = queue(t);
  q.work('always-throttled', async () => {
    throw new RetryLaterError('Meta: rate limit hit', 20);
  });
  await q.enqueue('always-throttled', { n: 1 });
  const deadline = Date.now() + 10_000;
  while (dead.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(dead.length, 1);
  t.match(dead[0], { kind: 'always-throttled', deliveries: 3, reason: /failed 3 times; last: Meta: rate limit hit/ });
});
