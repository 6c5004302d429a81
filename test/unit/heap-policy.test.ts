// HEAP_GROWTH_PERCENT: with it applied, garbage that outlives a few scavenges (what a connection
// storm leaves behind) is collected before the old generation grows far past its live size. Each
// case runs in its own process, since the setting is process-wide.
import { execFile } from 'node:child_process';
import t from 'tap';
import { applyHeapGrowth } from '../../src/app/heap-policy.js';
import { projectRoot } from '../../src/util/paths.js';

const root = projectRoot();

/**
 * Keeps ~20 MB live, then churns 3,000 batches of objects through a ring of 64 slots (each batch
 * survives several scavenges and is promoted before it is dropped). Prints the largest old space.
 */
const probe = (percent: number) => `
  const v8 = (await import('node:v8')).default;
  const { applyHeapGrowth } = await import('./src/app/heap-policy.ts');
  applyHeapGrowth(${percent});
  const live = [];
  for (let i = 0; i < 200000; i++) live.push({ a: i, b: 'x' + i, c: [i] });
  const ring = new Array(64).fill(null);
  let max = 0;
  for (let r = 0; r < 3000; r++) {
    const batch = [];
    for (let i = 0; i < 1000; i++) batch.push({ r, i, s: 'y' + i });
    ring[r % 64] = batch;
    if (r % 50 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_size);
  }
  console.log(JSON.stringify({ maxOldMB: max / 1048576, live: live.length, ring: ring.length }));`;

function oldSpaceMB(percent: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // A 1 MB semi-space: the ring's batches (about 6 MB) always outlive two scavenges and are
    // promoted, whatever size V8 would have grown the young generation to.
    const args = ['--max-semi-space-size=1', '--import', 'tsx', '--input-type=module', '-e', probe(percent)];
    execFile(process.execPath, args, { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`probe failed: ${err.message}\n${stderr}`));
      resolve((JSON.parse(stdout.trim().split('\n').at(-1)!) as { maxOldMB: number }).maxOldMB);
    });
  });
}

t.test('a low growth percent keeps the old generation near its live size', async (t) => {
  // The control is an explicit 300 % (V8's factor, 1.1–4×, moves with how fast GC runs against
  // the program: on a busy machine it stays small and proves nothing).
  const [wide, bounded] = await Promise.all([oldSpaceMB(300), oldSpaceMB(25)]);
  t.comment(`largest old space: 300 % growth ${wide.toFixed(0)} MB, 25 % growth ${bounded.toFixed(0)} MB`);
  // About 25 MB live (20 MB kept, a ring of garbage in flight): 25 % stays well under 100 MB.
  t.ok(bounded < 100, `with 25 %: ${bounded.toFixed(0)} MB < 100 MB`);
  t.ok(bounded < wide * 0.75, `with 25 % the old space is at least a quarter smaller than with 300 % (${wide.toFixed(0)} MB)`);
});

t.test('a negative or fractional percent is refused', async (t) => {
  t.throws(() => applyHeapGrowth(-1), RangeError);
  t.throws(() => applyHeapGrowth(2.5), RangeError);
  t.doesNotThrow(() => applyHeapGrowth(0), '0 leaves V8 as it is');
});
