// Issue 16 — /docs in a real browser: swagger-ui renders every REST operation and the AsyncAPI
// component renders the socket frames, with nothing loaded from another origin and no error or
// Content-Security-Policy violation. Needs a Chromium (Debian's /usr/bin/chromium); skipped without one.
import { existsSync } from 'node:fs';
import t from 'tap';
import { startApp } from '../helpers/app.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

t.test('/docs renders in a browser', { skip: CHROMIUM ? false : 'no Chromium installed' }, async (t) => {
  const { chromium } = await import('playwright-core');
  const app = await startApp(t);
  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage();
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith(app.base) && !r.url().startsWith('data:')) foreign.push(r.url());
  });

  await page.goto(`${app.base}/docs/http`);
  await page.waitForSelector('.opblock', { timeout: 60_000 });
  const operations = await page.locator('.opblock').count();
  t.ok(operations >= 45, `swagger-ui shows ${operations} operations`);
  t.ok(await page.getByText('/api/rooms/floors', { exact: true }).count(), 'the floors route is listed');

  await page.goto(`${app.base}/docs/ws`);
  // The document's description is shown once (the hidden sidebar repeats only titles).
  await page.getByText('Generated from the typebox schemas the server parses frames with').first().waitFor({ timeout: 60_000 });
  t.ok(await page.getByText('4029').count(), 'close codes are shown');
  await page.getByText('out_acknowledgment').first().waitFor({ state: 'attached', timeout: 60_000 });
  t.ok(await page.getByText('in_reopen_temporary').count(), 'inbound frames are listed');
  t.ok(await page.getByText('/ws/guest/{whatsapp_number}/').count(), 'both socket endpoints');
  t.same(foreign, [], 'nothing loaded from another origin');
  t.same(problems, [], 'no console error or CSP violation');
});
