// The webhook signature rule: t=<unix>,v1=<hex HMAC of "<t>.<body>"> within a tolerance window; the
// legacy sha256= form only when configured.
import { createHmac } from 'node:crypto';
import t from 'tap';
import { signWebhook, verifySignature } from '../../src/transport/routes/webhook-signature.js';

const secret = 'unit-secret';
const cfg = { secret, toleranceS: 300, legacySignature: false };
const body = Buffer.from('{"message":"hi"}');
const now = 1_800_000_000;
const mac = (text: string, key = secret) => createHmac('sha256', key).update(text).digest('hex');

t.test('the current form is accepted inside the window, on either side of our clock', async (t) => {
  t.same(verifySignature(cfg, body, signWebhook(secret, body, now), now), { ok: true });
  t.same(verifySignature(cfg, body, `t=${now - 300},v1=${mac(`${now - 300}.${body}`)}`, now), { ok: true }, 'at the edge');
  t.same(verifySignature(cfg, body, `t=${now + 299},v1=${mac(`${now + 299}.${body}`)}`, now), { ok: true }, 'a provider clock slightly ahead');
  t.same(verifySignature(cfg, body, ` t=${now} , v1=${'0'.repeat(64)}, v1=${mac(`${now}.${body}`)}`, now), { ok: true }, 'any of several v1 (secret rotation)');
});

t.test('replays, tampering and malformed headers are refused with a reason', async (t) => {
  const refused = (header: string | undefined, raw = body) => verifySignature(cfg, raw, header, now);
  t.match(refused(`t=${now - 301},v1=${mac(`${now - 301}.${body}`)}`), { ok: false, reason: /tolerance/ }, 'too old');
  t.match(refused(`t=${now + 301},v1=${mac(`${now + 301}.${body}`)}`), { ok: false, reason: /tolerance/ }, 'too far ahead');
  t.match(refused(`t=${now + 1},v1=${mac(`${now}.${body}`)}`), { ok: false, reason: /invalid/ }, 'timestamp changed');
  t.match(refused(signWebhook(secret, body, now), Buffer.from('{"message":"hI"}')), { ok: false, reason: /invalid/ }, 'body changed');
  t.match(refused(signWebhook('other', body, now)), { ok: false, reason: /invalid/ }, 'wrong secret');
  t.match(refused(undefined), { ok: false, reason: /missing/ });
  t.match(refused(`v1=${mac(`${now}.${body}`)}`), { ok: false, reason: /malformed/ }, 'no t');
  t.match(refused(`t=${now}`), { ok: false, reason: /malformed/ }, 'no v1');
  t.match(refused(`t=1e9,v1=${mac(`1e9.${body}`)}`), { ok: false, reason: /malformed/ }, 't not digits');
  t.match(refused(`t=${now},v1=zz`), { ok: false, reason: /invalid/ }, 'v1 not hex');
  t.match(refused(`sha256=${mac(body.toString())}`), { ok: false, reason: /disabled/ }, 'legacy form off by default');
});

t.test('the legacy form works only where configured', async (t) => {
  const legacy = { ...cfg, legacySignature: true };
  t.same(verifySignature(legacy, body, `sha256=${mac(body.toString())}`, now), { ok: true });
  t.same(verifySignature(legacy, body, `SHA256=${mac(body.toString()).toUpperCase()}`, now), { ok: true });
  t.match(verifySignature(legacy, body, `sha256=${mac('other')}`, now), { ok: false });
  t.same(verifySignature(legacy, body, signWebhook(secret, body, now), now), { ok: true }, 'the current form still works');
});
