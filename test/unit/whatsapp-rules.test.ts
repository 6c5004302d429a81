// WhatsApp's sending rules as pure functions: the 24-hour window, template placeholders, the
// per-number pacer's bound, and what each Graph API error means for a send.
import t from 'tap';
import { OUTSIDE_WINDOW, outsideWindowReason, placeholderCount, renderPlaceholders, renderVariables, SendPacer, windowOpen } from '../../src/core/whatsapp.js';
import { classifyGraphError, failureReason, retryAfterMs } from '../../src/providers/graph-errors.js';
import { messageBody } from '../../src/providers/whatsapp.js';
import { SendPacers } from '../../src/jobs/whatsapp-senders.js';

const HOUR = 3600_000;

t.test('the customer-service window is 24 hours from the guest\'s last message', async (t) => {
  const now = Date.UTC(2026, 10, 30, 12);
  t.equal(windowOpen(null, now), false, 'a guest who never wrote');
  t.equal(windowOpen(new Date(now - 23 * HOUR), now), true);
  t.equal(windowOpen(new Date(now - 24 * HOUR + 1), now), true, 'just inside');
  t.equal(windowOpen(new Date(now - 24 * HOUR), now), false, 'exactly 24 h: closed');
  t.equal(windowOpen(new Date(now - 30 * HOUR), now), false);
  t.equal(windowOpen(new Date(Number.NaN), now), false, 'an unreadable time is closed');
  t.match(outsideWindowReason(null), new RegExp(`^${OUTSIDE_WINDOW}: .*never written.*template`));
  t.match(outsideWindowReason(new Date(now - 30 * HOUR)), /last wrote at 2026-11-29T06:00:00.000Z/);
});

t.test('template placeholders', async (t) => {
  t.equal(placeholderCount('Hello'), 0);
  t.equal(placeholderCount('Hi {{1}}, room {{2}} at {{ 3 }}'), 3);
  t.equal(placeholderCount('{{1}} and {{1}} again'), 1, 'a repeated placeholder takes one parameter');
  t.equal(placeholderCount('only {{2}}'), 2, 'a gap still needs the parameters before it');
  t.equal(renderPlaceholders('Hi {{1}}, room {{2}}', ['Ann', '101']), 'Hi Ann, room 101');
  t.equal(renderPlaceholders('Hi {{1}}, room {{2}}', ['Ann']), 'Hi Ann, room {{2}}');
  t.equal(renderVariables('Welcome {{guest_name}} to {hotel_name} {{unknown}}', { guest_name: 'Ann', hotel_name: 'Plaza' }), 'Welcome Ann to Plaza {{unknown}}');
});

t.test('the pacer keeps any one-second window within rate + burst', async (t) => {
  for (const rate of [1, 5, 80, 250]) {
    const p = new SendPacer(rate);
    const burst = Math.max(1, Math.floor(rate / 10));
    // Many callers at the same instants: each sends at its booked time.
    const sends: number[] = [];
    for (let i = 0; i < rate * 4; i++) {
      const now = Math.floor(i / 7) * 3; // bursts of 7 callers every 3 ms
      sends.push(now + p.reserve(now));
    }
    sends.sort((a, b) => a - b);
    let worst = 0;
    for (let i = 0, j = 0; i < sends.length; i++) {
      while (sends[i]! - sends[j]! >= 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    t.ok(worst <= rate + burst, `rate ${rate}: at most ${rate + burst} sends in any 1 s window (saw ${worst})`);
    t.ok(worst >= rate, `rate ${rate}: the pacer lets the full rate through (saw ${worst})`);
  }
  const p = new SendPacer(10);
  p.reserve(0);
  p.pause(0, 5000);
  t.ok(p.reserve(10) >= 4990, 'a pause holds the next send back');
});

t.test('pacers are per number and bounded', async (t) => {
  let now = 0;
  const pacers = new SendPacers(1, 2, () => now);
  t.equal(pacers.reserve('A'), 0);
  t.equal(pacers.reserve('B'), 0, 'another number has its own pace');
  t.equal(pacers.reserve('A'), 1000, 'the same number waits');
  now = 10_000;
  t.equal(pacers.reserve('C'), 0, 'a third number fits after idle ones are forgotten');
  pacers.pause('C', 60_000);
  t.equal(pacers.wait('C'), 60_000, 'a throttled number reports its hold-off');
  t.equal(pacers.wait('C'), 60_000, 'asking books nothing');
  t.equal(pacers.wait('unknown'), 0);
});

t.test('Graph API errors: throttled, transient or permanent', async (t) => {
  const body = (code: number, message = 'x', details = '') => JSON.stringify({ error: { message, type: 'OAuthException', code, error_data: { messaging_product: 'whatsapp', details }, fbtrace_id: 'A' } });
  for (const code of [130429, 131056, 131048, 80007, 4]) {
    const f = classifyGraphError(400, body(code));
    t.equal(f.kind, 'throttled', `${code} is throttling`);
    t.ok(f.retryAfterMs >= 1000, `${code} holds off at least a second`);
  }
  t.equal(classifyGraphError(429, '').kind, 'throttled', 'HTTP 429');
  t.equal(classifyGraphError(429, '', '30').retryAfterMs, 30_000, 'Retry-After is honoured');
  for (const code of [131026, 131047, 132000, 132001, 131009, 190]) t.equal(classifyGraphError(400, body(code)).kind, 'permanent', `${code} is permanent`);
  t.equal(classifyGraphError(500, body(190)).kind, 'permanent', 'a token error is permanent even on a 5xx');
  t.equal(classifyGraphError(500, body(131000)).kind, 'transient');
  t.equal(classifyGraphError(503, body(131016)).kind, 'transient');
  t.equal(classifyGraphError(502, '<html>bad gateway</html>').kind, 'transient', 'a proxy page');
  t.equal(classifyGraphError(500, '{"error":"try later"}').kind, 'transient', 'an error that is a string');
  t.equal(classifyGraphError(400, '{"error":{"message":"bad"}}').kind, 'permanent', 'a 400 without a code');
  const f = classifyGraphError(400, body(131026, 'Message Undeliverable', 'Not a WhatsApp user'));
  t.same([f.code, f.title, f.details], [131026, 'Message Undeliverable', 'Not a WhatsApp user']);
  t.equal(failureReason(f), 'WhatsApp error 131026: Message Undeliverable (Not a WhatsApp user)');
  t.equal(classifyGraphError(400, body(130429, '(#130429) Rate limit hit')).title, 'Rate limit hit', 'the (#code) prefix is dropped');
  t.equal(retryAfterMs(null), 0);
  t.equal(retryAfterMs('garbage'), 0);
  t.equal(retryAfterMs(new Date(Date.now() + 5000).toUTCString()) > 3000, true, 'an HTTP date');
});

t.test('list and template payloads follow Meta\'s limits', async (t) => {
  const rows = Array.from({ length: 12 }, (_, i) => ({ id: `dept:${i}`, title: `A department with a long name ${i}` }));
  const list = messageBody({ to: '+447700900123', kind: 'list', text: 'Pick one', button: 'Departments', sections: [{ title: 'Departments', rows }] }) as any;
  t.equal(list.to, '447700900123');
  t.equal(list.interactive.type, 'list');
  t.equal(list.interactive.action.sections[0].rows.length, 10, 'at most 10 rows');
  t.ok(list.interactive.action.sections[0].rows.every((r: { title: string }) => [...r.title].length <= 24), 'titles at most 24 characters');
  const tpl = messageBody({ to: '447700900123', kind: 'template', template: { name: 'room_ready', language: 'en_US', parameters: ['Ann', '101'] } }) as any;
  t.same(tpl.template, { name: 'room_ready', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ann' }, { type: 'text', text: '101' }] }] });
  const bare = messageBody({ to: '1', kind: 'template', template: { name: 'hello_world', language: 'en_US', parameters: [] } }) as any;
  t.same(bare.template.components, [], 'no parameters, no body component');
});
