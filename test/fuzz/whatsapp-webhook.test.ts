// Fuzz: Meta's WhatsApp webhook with correctly signed bodies (X-Hub-Signature-256 under a
// registered app secret), so the body is what is tested — Meta envelopes whose messages and
// statuses carry any type and hostile values (NUL, lone surrogates, huge numbers, long text,
// wrong types), and any JSON at all. No 5xx, no error-level log, no stall, nothing uncaught; the
// node still answers /healthz afterwards.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { connect } from '../helpers/db.js';
import { assertAlive, crashGuard, errorLogs, fuzzFailure, fuzzOptions, seedWorld, violations, withoutBlocking } from '../helpers/fuzz.js';
import { deepNesting, hostileBody, hostileJson, hostileString, oddNumbers } from '../helpers/fuzz-values.js';
import { request } from '../helpers/http.js';

const guard = crashGuard(t);
const app = await startApp(t, { captureLog: 'warn' });
const sql = connect(t, app.databaseUrl);
const w = await seedWorld(app, sql);
const MAX_BODY = app.config.http.maxBodyBytes;
const SECRET = `fuzz-app-secret-${Date.now()}`;
const NUMBER = `${Date.now()}`.slice(-12);
await sql`
  insert into channels (hotel_id, provider, external_id, display_phone_number, waba_id, app_secret, verify_token, access_token)
  select hotel_id, 'whatsapp_cloud', ${NUMBER}, '', '1', ${SECRET}, 'fuzz-verify', 'fuzz-token' from guests where whatsapp_number = ${w.guest.number}`;

const maybe = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: good, weight: 4 }, { arbitrary: hostileString(2000), weight: 2 }, { arbitrary: oddNumbers, weight: 1 }, { arbitrary: hostileJson(200), weight: 1 });
const text = fc.oneof(hostileString(5000), fc.constantFrom('hello', '😀'.repeat(128), 'a\u0000b', 'x\ud800', '\udc00'));
const guest = w.guest.number.replace('+', '');
const TYPES = ['text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contacts', 'interactive', 'button', 'reaction', 'unsupported', 'unknown', 'system', 'order', 'request_welcome'];

const message = fc.record(
  {
    from: maybe(fc.constantFrom(guest, '15550009999', '0', '')),
    id: maybe(fc.oneof(fc.uuid().map((u) => `wamid.${u}`), text)),
    timestamp: maybe(fc.constantFrom('1730000000', '0', '99999999999999999999')),
    type: maybe(fc.constantFrom(...TYPES)),
    text: maybe(fc.record({ body: maybe(text) })),
    image: maybe(fc.record({ id: maybe(fc.string({ minLength: 1, maxLength: 20 })), caption: maybe(text), mime_type: maybe(text) })),
    document: maybe(fc.record({ id: maybe(fc.string({ minLength: 1, maxLength: 20 })), filename: maybe(text) })),
    location: maybe(fc.record({ latitude: maybe(fc.double()), longitude: maybe(fc.double()), name: maybe(text) })),
    contacts: maybe(fc.array(fc.record({ name: maybe(fc.record({ formatted_name: maybe(text) })), phones: maybe(fc.array(fc.record({ phone: maybe(text) }), { maxLength: 3 })) }), { maxLength: 3 })),
    interactive: maybe(fc.record({ type: maybe(fc.constantFrom('list_reply', 'button_reply', 'nfm_reply')), list_reply: maybe(fc.record({ id: maybe(fc.constantFrom('dept:Reception', 'dept:Spa', 'dept_room_service')), title: maybe(text) })) })),
    button: maybe(fc.record({ text: maybe(text), payload: maybe(text) })),
    reaction: maybe(fc.record({ message_id: maybe(text), emoji: maybe(text) })),
    errors: maybe(fc.array(fc.record({ code: maybe(fc.integer()), title: maybe(text) }), { maxLength: 2 })),
  },
  { requiredKeys: ['from', 'id', 'timestamp', 'type'] },
);
const status = fc.record(
  { id: maybe(text), status: maybe(fc.constantFrom('sent', 'delivered', 'read', 'failed', 'deleted')), timestamp: maybe(fc.constant('1730000000')), recipient_id: maybe(text), errors: maybe(fc.array(fc.record({ code: maybe(fc.integer()), title: maybe(text) }), { maxLength: 2 })) },
  { requiredKeys: ['id', 'status', 'timestamp'] },
);
const envelope = fc
  .record({
    number: maybe(fc.constantFrom(NUMBER, '999', '')),
    messages: fc.array(message, { maxLength: 5 }),
    statuses: fc.array(status, { maxLength: 3 }),
    field: fc.constantFrom('messages', 'messages', 'account_update'),
  })
  .map((e) =>
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: e.field, value: { messaging_product: 'whatsapp', metadata: { phone_number_id: e.number }, contacts: [{ wa_id: guest, profile: { name: 'x\ud800' } }], messages: e.messages, statuses: e.statuses } }] }],
    }),
  );
const anyBody = fc.oneof(hostileBody(MAX_BODY), deepNesting);
const sign = (raw: string) => ({ 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}` });

await t.test('POST /api/webhooks/whatsapp/', async (t) => {
  try {
    await fc.assert(
      fc.asyncProperty(fc.oneof({ arbitrary: envelope, weight: 3 }, { arbitrary: anyBody, weight: 1 }), async (raw) => {
        const logFrom = app.logLines.length;
        const crashFrom = guard.crashes.length;
        let failure: string | undefined;
        const { result, stallMs, blocked } = await withoutBlocking(() =>
          request(app.base, 'POST', '/api/webhooks/whatsapp/', { raw, headers: sign(raw) }).catch((e: Error) => {
            failure = `request failed: ${e.message}`;
            return { status: 0 };
          }),
        );
        if (result.status === 401) failure = 'the signature was refused';
        const v = violations({ status: result.status, stallMs, blocked, failure, errors: errorLogs(app.logLines, logFrom), crashes: guard.crashes.slice(crashFrom) });
        if (v) throw new Error(v);
      }),
      fuzzOptions(120),
    );
    t.pass('no 5xx, no error log, no stall, nothing uncaught');
  } catch (err) {
    t.fail(fuzzFailure(err));
  }
  await assertAlive(t, app, guard, '/api/webhooks/whatsapp/');
});
