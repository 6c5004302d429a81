// Fuzz: both provider webhooks with correctly signed bodies, so the body is what is tested — any
// JSON, the webhook's own fields with hostile values (NUL, lone surrogates, huge numbers, long
// text), real and unknown guests, not JSON at all. No 5xx, no error-level log, no stall, nothing
// uncaught; the node still answers /healthz after each batch.
import fc from 'fast-check';
import t from 'tap';
import { MEDIA_TYPES } from '../../src/core/chat.js';
import { startApp } from '../helpers/app.js';
import { connect } from '../helpers/db.js';
import { assertAlive, crashGuard, errorLogs, fuzzFailure, fuzzOptions, seedWorld, violations, webhookHeaders, withoutBlocking } from '../helpers/fuzz.js';
import { deepNesting, hostileBody, hostileJson, hostileString, oddNumbers } from '../helpers/fuzz-values.js';
import { request } from '../helpers/http.js';

const guard = crashGuard(t);
const app = await startApp(t, { captureLog: 'warn' });
const sql = connect(t, app.databaseUrl);
const w = await seedWorld(app, sql);
const MAX_BODY = app.config.http.maxBodyBytes;

/** A field's value: mostly plausible (so the message gets far), sometimes hostile. */
const maybe = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: good, weight: 4 }, { arbitrary: hostileString(MAX_BODY / 8), weight: 2 }, { arbitrary: oddNumbers, weight: 1 }, { arbitrary: hostileJson(200), weight: 1 });
const text = fc.oneof(hostileString(MAX_BODY / 8), fc.constantFrom('hello', '😀'.repeat(128), `${'a'.repeat(254)}😀`, 'a\u0000b', 'x\ud800', '\udc00'));

const guestWebhook = fc.record(
  {
    channel: maybe(fc.constantFrom(w.channel, 'no-such-channel', `${w.channel}\u0000`)),
    whatsapp_number: maybe(fc.constantFrom(w.guest.number, '+15550009999', w.guest.number.replace('+', ''), `${w.guest.number}\u0000`)),
    message: maybe(text),
    message_type: maybe(fc.constantFrom('text', ...MEDIA_TYPES)),
    department: maybe(fc.constantFrom('Reception', 'housekeeping', 'room_service', 'Spa')),
    conversation_id: maybe(fc.oneof(fc.constantFrom(...w.conversationIds), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }))),
    provider_message_id: maybe(fc.oneof(fc.uuid(), text)),
    media_url: maybe(fc.constantFrom('https://provider.example/m/1.jpg', 'http://127.0.0.1:1/x', 'https://')),
    media_id: maybe(fc.string({ minLength: 1, maxLength: 20 })),
    media_filename: maybe(text),
  },
  { requiredKeys: ['channel', 'whatsapp_number', 'message'] },
).map((o) => JSON.stringify(o));

const providerStatus = fc.record(
  {
    provider_message_id: maybe(fc.oneof(fc.uuid(), text)),
    status: maybe(fc.constantFrom('sent', 'delivered', 'read', 'failed')),
    error: maybe(text),
  },
  { requiredKeys: ['provider_message_id', 'status'] },
).map((o) => JSON.stringify(o));

const anyBody = fc.oneof(hostileBody(MAX_BODY), deepNesting);

const valid = { channel: w.channel, whatsapp_number: w.guest.number, message: 'ok', department: 'Reception' };
const withField = (base: object) => (k: string, v: string) => JSON.stringify({ ...base, [k]: v });
const webhookExamples = ['channel', 'message', 'media_filename', 'provider_message_id', 'department', 'whatsapp_number']
  .flatMap((k) => ['a\u0000b', 'x\ud800'].map((v) => withField(valid)(k, v)))
  .concat(withField(valid)('message', `${'a'.repeat(254)}😀 tail`), JSON.stringify({ ...valid, conversation_id: 1e20 }), JSON.stringify({ ...valid, conversation_id: 2 ** 63 }));
const statusExamples = ['provider_message_id', 'error'].flatMap((k) => ['a\u0000b', 'x\ud800'].map((v) => withField({ provider_message_id: 'p1', status: 'read' })(k, v)));

for (const [path, own, examples] of [
  ['/api/chat/guest-webhook/', guestWebhook, webhookExamples],
  ['/api/chat/provider-status', providerStatus, statusExamples],
] as const) {
  await t.test(`POST ${path}`, async (t) => {
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof({ arbitrary: own, weight: 3 }, { arbitrary: anyBody, weight: 1 }), async (raw) => {
          const logFrom = app.logLines.length;
          const crashFrom = guard.crashes.length;
          let failure: string | undefined;
          const { result, stallMs, blocked } = await withoutBlocking(() =>
            request(app.base, 'POST', path, { raw, headers: webhookHeaders(raw) }).catch((e: Error) => {
              failure = `request failed: ${e.message}`;
              return { status: 0 };
            }),
          );
          if (result.status === 401) failure = 'the signature was refused: webhookHeaders() no longer signs the way the server checks';
          const v = violations({ status: result.status, stallMs, blocked, failure, errors: errorLogs(app.logLines, logFrom), crashes: guard.crashes.slice(crashFrom) });
          if (v) throw new Error(v);
        }),
        fuzzOptions(120, examples.map((e) => [e] as [string])),
      );
      t.pass('no 5xx, no error log, no stall, nothing uncaught');
    } catch (err) {
      t.fail(fuzzFailure(err));
    }
    await assertAlive(t, app, guard, path);
  });
}
