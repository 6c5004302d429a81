// Issue 11 #12: webhook signatures carry a signed timestamp (a capture cannot be replayed once it
// leaves the tolerance window), the timestamp-less legacy form works only where configured, and a
// client that keeps sending bad signatures gets 429 while correctly signed webhooks still pass.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { connect } from '../helpers/db.js';
import { numberFactory, seedHotel, sign, signLegacy } from '../helpers/chat-fixtures.js';
import { request } from '../helpers/http.js';

// TRUST_PROXY lets each test speak from its own client address (X-Forwarded-For).
const env = { TRUST_PROXY: 'true', WEBHOOK_BAD_SIGNATURES_PER_MINUTE: '6' };
const app = await startApp(t, { env });
const legacyApp = await startApp(t, { databaseUrl: app.databaseUrl, env: { ...env, WEBHOOK_LEGACY_SIGNATURE: 'true' } });
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const hotel = await seedHotel(sql, { staff: [], guests: [{ number: num(1), name: 'Sig Guest', room: '101' }] });
const nowS = () => Math.floor(Date.now() / 1000);

function post(base: string, ip: string, payload: Record<string, unknown>, signature: (raw: string) => string, path = '/api/chat/guest-webhook/') {
  const raw = JSON.stringify(payload);
  return request(base, 'POST', path, { raw, headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, 'x-lobbybee-signature': signature(raw) } });
}
const message = (text: string) => ({ channel: hotel.channel, whatsapp_number: num(1), message: text, department: 'Reception' });
const stored = async (text: string) => (await sql<{ n: number }[]>`select count(*)::int as n from messages where content = ${text}`)[0]!.n;

t.test('a correctly signed webhook is accepted', async (t) => {
  const r = await post(app.base, '10.0.0.1', message('signed now'), (raw) => sign(raw));
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.equal(await stored('signed now'), 1);
});

t.test('a capture replayed outside the tolerance window is refused and stores nothing', async (t) => {
  const old = nowS() - 301;
  const r = await post(app.base, '10.0.0.2', message('old capture'), (raw) => sign(raw, undefined, old));
  t.equal(r.status, 401);
  t.match(r.body.error, /tolerance/);
  const status = await post(app.base, '10.0.0.3', { provider_message_id: 'wamid.X', status: 'read' }, (raw) => sign(raw, undefined, old), '/api/chat/provider-status/');
  t.equal(status.status, 401, 'provider-status checks the window too');
  t.equal(await stored('old capture'), 0);
});

t.test('a timestamp moved into the window without re-signing is refused', async (t) => {
  const old = nowS() - 1000;
  const r = await post(app.base, '10.0.0.4', message('tampered t'), (raw) => sign(raw, undefined, old).replace(`t=${old}`, `t=${nowS()}`));
  t.equal(r.status, 401);
  t.match(r.body.error, /invalid webhook signature/);
  t.equal(await stored('tampered t'), 0);
});

t.test('the legacy sha256= form has no timestamp: refused unless configured', async (t) => {
  const off = await post(app.base, '10.0.0.5', message('legacy off'), (raw) => signLegacy(raw));
  t.equal(off.status, 401);
  t.match(off.body.error, /disabled/);
  const on = await post(legacyApp.base, '10.0.0.6', message('legacy on'), (raw) => signLegacy(raw));
  t.equal(on.status, 201, JSON.stringify(on.body));
  t.equal(await stored('legacy off'), 0);
  t.equal(await stored('legacy on'), 1);
});

t.test('a flood of bad signatures gets 429 with Retry-After; good signatures are never limited', async (t) => {
  const flooder = '10.0.0.66';
  const answers = [];
  for (let i = 0; i < 8; i++) answers.push(await post(app.base, flooder, message(`forged ${i}`), (raw) => sign(raw, 'not-the-secret')));
  t.equal(answers[0]!.status, 401, 'the first bad signature is a plain 401');
  const limited = answers.filter((r) => r.status === 429);
  t.ok(limited.length > 0, `statuses: ${answers.map((r) => r.status).join(',')}`);
  t.ok(answers.every((r) => r.status === 401 || r.status === 429));
  t.ok(Number(limited[0]!.headers.get('retry-after')) >= 1, 'Retry-After');
  t.match(limited[0]!.body, { error: /bad webhook signatures/, details: { retry_after: Number } });

  const other = await post(app.base, '10.0.0.77', message('other client'), (raw) => sign(raw));
  t.equal(other.status, 201, 'another client passes');
  const sameClient = await post(app.base, flooder, message('flooder signs correctly'), (raw) => sign(raw));
  t.equal(sameClient.status, 201, 'a good signature from the limited address passes too');
  const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => post(app.base, '10.0.0.78', message(`burst ${i}`), (raw) => sign(raw))));
  t.same([...new Set(burst.map((r) => r.status))], [201], 'a burst of good signatures is not limited');
  t.equal(await stored('forged 0'), 0);
});
