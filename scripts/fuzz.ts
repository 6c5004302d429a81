// Long fuzz run outside CI: the same properties as test/fuzz/ with N runs each and a random seed.
//
//   npm run fuzz -- --runs 100000 [--seed 1234] [test/fuzz/rest.test.ts ...]
//
// Prints the seed first (re-run with --seed to replay); tap prints any counterexample with the
// seed and path fast-check needs to replay it. Services come from scripts/with-services.mjs.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  if (i === -1) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const runs = Number(option('runs') ?? 1000);
const seed = Number(option('seed') ?? randomInt(2 ** 31));
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- --runs N [--seed S] [test files]');
  process.exit(2);
}
const files = args.length ? args : ['test/fuzz/'];
console.log(`fuzz: seed ${seed}, ${runs} runs per property (replay: npm run fuzz -- --runs ${runs} --seed ${seed})`);
const child = spawn(
  process.execPath,
  [path.join(ROOT, 'scripts/with-services.mjs'), 'npx', 'tap', '--disable-coverage', '--timeout=0', '--reporter=tap', ...files],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, FUZZ_SEED: String(seed), FUZZ_RUNS: String(runs) } },
);
child.on('exit', (code, signal) => {
  console.log(`fuzz: seed ${seed} — ${code === 0 ? 'nothing found' : `FAILED (exit ${code ?? signal})`}`);
  process.exit(code ?? 1);
});
