// The operator console in a real browser (Debian's chromium, driven by playwright-core): sign in,
// see this node in the cluster view, write as a demo guest in the simulator and see the message
// arrive on the staff side (and the reply come back), then retry a dead letter made by the real
// job path (a queued webhook of a number not yet checked in) and see it processed. Screenshots go
// to test-artifacts/console/. A missing or broken chromium fails the test: it is never skipped.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createSuperuser } from '../../src/cli/createsuperuser.js';
import { createLogger } from '../../src/obs/log.js';
import { createDb } from '../../src/store/db.js';
import { createCpuPool } from '../../src/workers/pool.js';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { client } from '../helpers/http.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHOTS = path.join(ROOT, 'test-artifacts/console');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const STEP_MS = 30_000;

const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = STEP_MS) => waitFor(what, fn, timeoutMs);

t.test('operator console in headless chromium', { timeout: 170_000 }, async (t) => {
  // The page and script the server serves from dist/console.
  execFileSync(process.execPath, [path.join(ROOT, 'src/console-ui/build.mjs')], { stdio: 'inherit' });
  mkdirSync(SHOTS, { recursive: true });

  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      timeout: STEP_MS,
    });
  } catch (err) {
    t.fail(`chromium could not start (${CHROMIUM}; .ci/run installs Debian's chromium): ${(err as Error).message}`);
    return;
  }
  t.teardown(() => browser.close());

  const app = await startApp(t, { nats: true, env: { WEBHOOK_MODE: 'queued', OPS_STATS_INTERVAL_MS: '500', WORKER_THREADS: '2' } });
  const sql = createDb({ url: app.databaseUrl, poolMax: 2, statementTimeoutMs: 15000, applicationName: 'browser-test', log: createLogger({ level: 'silent', nodeId: 't' }) });
  t.teardown(() => sql.end({ timeout: 2 }));
  const num = numberFactory();
  const password = 'console-browser-pass-1';
  const cpu = createCpuPool({ threads: 1 });
  try {
    await createSuperuser(sql, cpu, { username: `ops_${num(0).slice(-7)}`, email: `ops${num(0).slice(-7)}@platform.example`, password });
  } finally {
    await cpu.stop();
  }
  const hotel = await seedHotel(sql, {
    name: `Console Hotel ${num(0).slice(-4)}`,
    staff: [{ username: `cons_admin_${num(0).slice(-7)}`, type: 'hotel_admin', first: 'Asha', last: 'Admin' }],
    guests: [{ number: num(1), name: 'Grace Hopper', room: '101' }],
  });
  const hotelAdmin = client(app.base, Object.values(hotel.staff)[0]!.token);
  const guest = hotel.guests[num(1)]!;

  // A dead letter through the real job path: a queued webhook from a number no guest has yet.
  const stranger = num(7);
  t.equal((await webhook(app.base, { channel: hotel.channel, whatsapp_number: stranger, message: 'is anyone there?', department: 'Reception' })).status, 202, 'webhook queued');
  await until('the dead letter', async () => (await sql`select 1 from job_dead_letters where payload->>'whatsapp_number' = ${stranger} and resolved_at is null`).length > 0);
  // The front desk then checks the number in; the operator will retry the dead letter.
  const stay = await hotelAdmin.post('/api/stays/', { guest: { whatsapp_number: stranger, full_name: 'Late Arrival' } });
  t.equal(stay.status, 201, 'stay created');
  t.equal((await hotelAdmin.post(`/api/stays/${stay.body.id}/check-in/`, {})).status, 200, 'checked in');

  const page: Page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
  page.setDefaultTimeout(STEP_MS);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  t.test('sign in and see this node', async (t) => {
    const r = await page.goto(`${app.base}/`);
    t.equal(new URL(page.url()).pathname, '/console/', 'GET / leads to the console');
    t.equal(r?.status(), 200);
    await page.fill('#login-username', (await sql<{ username: string }[]>`select username from users where user_type = 'platform_admin' order by id desc limit 1`)[0]!.username);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
    const row = page.locator(`#nodes tr[data-node="${app.config.nodeId}"]`);
    await row.locator('.pill.ready').waitFor();
    t.match(await row.innerText(), /ready/, 'the node row shows its readiness');
    t.match(await row.innerText(), /0\.1\.0|\d+\.\d+\.\d+/, 'and its version');
    await shot('01-cluster');
  });

  t.test('simulated guest message arrives; the reply comes back', async (t) => {
    await page.locator(`#sim-guest option[value="${guest.id}"]`).waitFor({ state: 'attached' });
    await page.selectOption('#sim-guest', String(guest.id));
    await page.fill('#sim-message', 'Could I get two more towels?');
    await page.click('#sim-send');
    const arrived = page.locator('#sim-events tr[data-sender="guest"]', { hasText: 'two more towels' });
    await arrived.waitFor();
    t.pass('the guest message is on the staff side');
    await page.locator('#sim-guest-thread .bubble.guest', { hasText: 'two more towels' }).waitFor();
    await page.fill('#sim-reply', 'On their way, Grace!');
    await page.click('#sim-reply-send');
    await page.locator('#sim-events tr[data-sender="staff"]', { hasText: 'On their way' }).waitFor();
    await page.locator('#sim-guest-thread .bubble.staff', { hasText: 'On their way' }).waitFor();
    t.pass('the staff reply is stored and shown in the guest thread');
    await shot('02-simulator');
  });

  t.test('retry a dead letter and see it processed', async (t) => {
    const open = async () => (await sql<{ id: number }[]>`select id::int as id from job_dead_letters where payload->>'whatsapp_number' = ${stranger} and resolved_at is null order by id desc limit 1`)[0];
    const first = await open();
    t.ok(first, 'the dead letter is open');
    await page.locator(`#dead tr[data-dead-letter="${first!.id}"]`).waitFor();
    await shot('03-dead-letter');
    // A number looked up moments ago can still be remembered as unknown for ~2 s (a miss cache):
    // a retry meeting it dead-letters again, and is retried the same way.
    const stored = await until('the retried message to be stored', async () => {
      const [m] = await sql<{ conversation_id: number }[]>`
        select m.conversation_id::int as conversation_id from messages m join guests g on g.id = (select guest_id from conversations where id = m.conversation_id)
        where g.whatsapp_number = ${stranger} and m.content = 'is anyone there?'`;
      if (m) return m;
      const d = await open();
      if (d) {
        const button = page.locator(`#dead tr[data-dead-letter="${d.id}"] button`, { hasText: 'Retry' });
        if (await button.count()) await button.click();
      }
      return undefined;
    }, 60_000);
    await page.locator(`#dead tr[data-dead-letter="${first!.id}"]`).waitFor({ state: 'detached' });
    t.pass('the retried dead letter leaves the list');
    await page.fill('#lookup-id', String(stored.conversation_id));
    await page.click('#lookup-form button');
    await page.locator('#lookup tr[data-seq]', { hasText: 'is anyone there?' }).waitFor();
    t.pass('the conversation lookup shows the message');
    await page.locator('#jobs tr[data-kind="inbound.webhook"]').waitFor();
    await shot('04-processed');
  });

  t.test('no script errors in the page', async (t) => {
    t.same(problems, [], 'the console raised no uncaught error');
  });
});
