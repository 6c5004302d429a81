// Screenshots of the operator console of a running node, e.g. while `npm run bench` drives it:
//   DATABASE_URL=… CONSOLE_URL=http://127.0.0.1:PORT tsx scripts/console-shots.ts [--shots N] [--every S] [--out DIR]
// Creates a one-off platform administrator in that database, signs in through the page with
// headless chromium (CHROMIUM_PATH, default /usr/bin/chromium) and saves full-page screenshots.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createSuperuser } from '../src/cli/createsuperuser.js';
import { createLogger } from '../src/obs/log.js';
import { createDb } from '../src/store/db.js';
import { createCpuPool } from '../src/workers/pool.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
};
const url = process.env['CONSOLE_URL'];
const dbUrl = process.env['DATABASE_URL'];
if (!url || !dbUrl) {
  console.error('set CONSOLE_URL (the node) and DATABASE_URL (its database)');
  process.exit(2);
}
const shots = Number(arg('shots', '3'));
const everyMs = Number(arg('every', '10')) * 1000;
const out = path.resolve(arg('out', 'test-artifacts/console-live'));
mkdirSync(out, { recursive: true });

const sql = createDb({ url: dbUrl, poolMax: 1, statementTimeoutMs: 15000, applicationName: 'console-shots', log: createLogger({ level: 'silent', nodeId: 'shots' }) });
const cpu = createCpuPool({ threads: 1 });
const username = `console_shots_${randomBytes(3).toString('hex')}`;
const password = randomBytes(12).toString('base64url');
try {
  await createSuperuser(sql, cpu, { username, email: `${username}@ops.example`, password });
} finally {
  await cpu.stop();
  await sql.end({ timeout: 2 });
}

const browser = await chromium.launch({
  executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
  await page.goto(`${url}/console/`);
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.locator('#nodes tr[data-node]').first().waitFor({ timeout: 30_000 });
  for (let i = 1; i <= shots; i++) {
    await page.waitForTimeout(i === 1 ? 3000 : everyMs);
    const file = path.join(out, `console-${String(i).padStart(2, '0')}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const nodes = await page.locator('#nodes tbody').innerText();
    const jobs = await page.locator('#jobs tbody').innerText();
    console.log(`${file}\n  nodes: ${nodes.replace(/\s+/g, ' ')}\n  traffic: ${(await page.locator('#legend-rate').innerText()).trim()} | webhook ${(await page.locator('#legend-webhook').innerText()).trim()} | socket ${(await page.locator('#legend-socket').innerText()).trim()}\n  jobs: ${jobs.replace(/\s+/g, ' ').slice(0, 300)}`);
  }
} finally {
  await browser.close();
}
