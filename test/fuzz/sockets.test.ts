// Fuzz: every inbound frame type on the staff socket (/ws/chat/) and the guest socket, and the
// upgrade paths of both. A socket survives bad frames: a frame that is invalid by construction
// gets an error frame back, any frame leaves the socket open and a following `ping` answered;
// no internal error, no error-level log, no event-loop stall past the bound, nothing uncaught.
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { MEDIA_TYPES } from '../../src/core/chat.js';
import { startApp } from '../helpers/app.js';
import { connect } from '../helpers/db.js';
import { assertAlive, captureMountedTable, crashGuard, errorLogs, fuzzFailure, fuzzOptions, seedWorld, violations, withoutBlocking, type FuzzWorld } from '../helpers/fuzz.js';
import { encodeURIComponentLoose, FRAME_FIELDS, FRAME_TYPES, hostileJson, hostileString, oddNumbers, pathSegment, specialStrings } from '../helpers/fuzz-values.js';
import { WsClient, type Frame } from '../helpers/ws.js';

const guard = crashGuard(t);
const table = captureMountedTable();
// The flood limit is its own property (test/integration/ws-limits.test.ts): lift it here.
const app = await startApp(t, { captureLog: 'warn', env: { WS_FRAMES_PER_SECOND: '1000000', WS_FRAME_BURST: '1000000' } });
const sql = connect(t, app.databaseUrl);
const w = await seedWorld(app, sql);
/** Strings of a size that leaves most frames under the payload limit (see anyFrame). */
const MAX_STRING = Math.floor(app.config.ws.maxPayloadBytes / 4);

/** Ids, strings and flags: a mix of this world's real values and hostile ones. */
function anyValue(field: string): fc.Arbitrary<unknown> {
  const good: Record<string, fc.Arbitrary<unknown>> = {
    conversation_id: fc.oneof(fc.constantFrom(...w.conversationIds), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
    since_seq: fc.oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
    message_ids: fc.array(fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })), { maxLength: 5 }),
    is_typing: fc.boolean(),
    file_type: fc.constantFrom(...MEDIA_TYPES),
  };
  return fc.oneof({ arbitrary: good[field] ?? hostileString(MAX_STRING), weight: 3 }, { arbitrary: hostileString(MAX_STRING), weight: 1 }, { arbitrary: oddNumbers, weight: 1 });
}

/** Any frame of a type: every field present or not, values right or hostile. */
function anyFrame(type: string): fc.Arbitrary<string> {
  const props = Object.fromEntries(FRAME_FIELDS[type]!.map((f) => [f, anyValue(f)]));
  // A frame over the payload limit closes the socket with 1009 by design (ws-limits tests that);
  // JSON escapes make a string up to six bytes a character, so the bound is on the bytes.
  return fc
    .record(props, { requiredKeys: [] })
    .map((o) => JSON.stringify({ type, ...o }))
    .filter((frame) => Buffer.byteLength(frame) <= app.config.ws.maxPayloadBytes);
}

const INTEGER_FIELDS = ['conversation_id', 'since_seq', 'message_ids'];
/** Values no integer id or seq field may accept: fractions, negatives, beyond 2^53, wrong types. */
const badInteger = fc.oneof(
  fc.constantFrom(-1, 1.5, 1e20, 2 ** 63, 2 ** 53 + 2, -1e20, 9.999e307, '1', '1e20', 'NaN', null, true, {}, [1e20], [-1], [1.5], ['1'], [null]),
  specialStrings,
);

/** A frame of `type` that is invalid by construction (the spec says: an error frame comes back). */
function invalidFrame(type: string): fc.Arbitrary<string> {
  const fields = FRAME_FIELDS[type]!;
  const valid = { type, ...Object.fromEntries(fields.map((f) => [f, f === 'content' || f === 'file_url' || f === 'filename' ? 'x' : f === 'file_type' ? 'image' : f === 'message_ids' ? [] : f === 'is_typing' ? true : 1])) };
  const variants: fc.Arbitrary<string>[] = [
    // An unknown field next to valid ones (frames are strict).
    fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }).filter((k) => k !== 'type' && !fields.includes(k)), hostileJson(1000)).map(([k, v]) => JSON.stringify({ ...valid, [k]: v })),
  ];
  const ints = fields.filter((f) => INTEGER_FIELDS.includes(f));
  if (ints.length) {
    variants.push(fc.tuple(fc.constantFrom(...ints), badInteger).map(([f, v]) => JSON.stringify({ ...valid, [f]: f === 'message_ids' && !Array.isArray(v) ? [v] : v })));
  }
  const required = fields.filter((f) => !['is_typing', 'message_ids', 'caption'].includes(f));
  if (required.length) variants.push(fc.constantFrom(...required).map((f) => JSON.stringify({ ...valid, [f]: undefined })));
  return fc.oneof(...variants);
}

/** Not a frame at all: not JSON, not an object, an unknown type. */
const notAFrame: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', 'ping', '{', '{"type":', '[]', '1e999', 'null', '"text"', '\u0000', '{"type":"ping"}{"type":"ping"}'),
  fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => {
    try {
      const v = JSON.parse(s) as unknown;
      return typeof v !== 'object' || v === null || Array.isArray(v);
    } catch {
      return true;
    }
  }),
  hostileJson(2000).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => JSON.stringify(v) ?? 'null'),
  hostileString(2000).filter((s) => !FRAME_TYPES.includes(s)).map((type) => JSON.stringify({ type, conversation_id: 1 })),
);

/** A reply to one frame on a local node; generous for a busy machine, short enough to bound a failing run. */
const REPLY_WAIT_MS = 5000;
const isPong = (f: Frame) => f.type === 'pong';
const isReply = (f: Frame) => f.type === 'acknowledgment' || f.type === 'error' || f.type === 'resume_failed';
const REPLIES_ALWAYS = new Set(FRAME_TYPES.filter((x) => x !== 'typing' && x !== 'ping'));

/** Sends one frame and a ping; returns what the exchange violated ('' when nothing). */
async function exchange(ws: WsClient, text: string, expect: { error: boolean; reply: boolean }): Promise<string> {
  const from = ws.frames.length;
  const logFrom = app.logLines.length;
  const crashFrom = guard.crashes.length;
  const { result: failure, stallMs, blocked } = await withoutBlocking(async () => {
    try {
      ws.send(text);
      ws.send({ type: 'ping' });
      if (expect.error) await ws.next((f) => f.type === 'error', REPLY_WAIT_MS, from);
      else if (expect.reply) await ws.next(isReply, REPLY_WAIT_MS, from);
      await ws.next(isPong, REPLY_WAIT_MS, from);
      const internal = ws.frames.slice(from).find((f) => f.type === 'error' && /error processing/i.test(String(f.message)));
      return internal ? `internal error frame: ${JSON.stringify(internal)}` : undefined;
    } catch (err) {
      return (err as Error).message.slice(0, 600);
    }
  });
  return violations({ stallMs, blocked, failure, errors: errorLogs(app.logLines, logFrom), crashes: guard.crashes.slice(crashFrom) });
}

type Kind = 'staff' | 'guest';
async function fuzzSocket(t: Test, kind: Kind, open: () => Promise<WsClient>) {
  const property = (arb: fc.Arbitrary<string>, expect: { error: boolean; reply: boolean }, runs: number, label: string) =>
    t.test(label, async (t) => {
      // A socket per property: a run abandoned at the time budget cannot take a later run's frames.
      let ws = await open();
      t.teardown(() => ws.close());
      try {
        await fc.assert(
          fc.asyncProperty(arb, async (text) => {
            // A failure closed the socket: the next input gets a fresh one, so shrinking works.
            if (ws.closed) ws = await open();
            const v = await exchange(ws, text, expect);
            if (v) throw new Error(v);
          }),
          fuzzOptions(runs),
        );
        t.pass('the socket survived; no internal error, error log, stall or crash');
      } catch (err) {
        t.fail(fuzzFailure(err));
      }
      ws.close();
      await assertAlive(t, app, guard, `${kind} ${label}`);
    });
  await property(notAFrame, { error: true, reply: true }, 40, 'not a frame: an error frame, then pong');
  for (const type of FRAME_TYPES) {
    if (type === 'ping') continue;
    await property(invalidFrame(type), { error: true, reply: true }, 15, `invalid ${type}: an error frame, then pong`);
    const replies = kind === 'guest' ? type !== 'typing' : REPLIES_ALWAYS.has(type);
    await property(anyFrame(type), { error: false, reply: replies }, 15, `any ${type}: still open, pong answered`);
  }
}

await t.test('staff socket /ws/chat/ (receptionist)', (t) =>
  fuzzSocket(t, 'staff', () => WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(w.tokens.receptionist)}`)),
);

await t.test('guest socket', (t) =>
  fuzzSocket(t, 'guest', () => WsClient.connect(`${app.wsBase}/ws/guest/${encodeURIComponent(w.guest.number)}/?token=${encodeURIComponent(w.guest.token)}`)),
);

await t.test('upgrade paths of every socket endpoint: refused or opened, never 5xx', async (t) => {
  t.ok(table.socketPatterns.length >= 2, `socket endpoints captured: ${table.socketPatterns.join(', ')}`);
  const prefixes = table.socketPatterns.map((p) => p.replace(/\*$/, '').replace(/\/?$/, '/'));
  const tokens = [w.tokens.receptionist, w.tokens.department_staff, w.guest.token, 'garbage', ''];
  const arb = fc.record({
    prefix: fc.constantFrom(...prefixes),
    segment: fc.oneof(pathSegment([encodeURIComponent(w.guest.number), 'reception', 'Room%20Service', 'housekeeping']), hostileString(300).map(encodeURIComponentLoose)),
    token: fc.constantFrom(...tokens),
  });
  try {
    await fc.assert(
      fc.asyncProperty(arb, async ({ prefix, segment, token }) => {
        const logFrom = app.logLines.length;
        const crashFrom = guard.crashes.length;
        const url = `${app.wsBase}${prefix}${segment}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
        const { result: status, stallMs, blocked } = await withoutBlocking(() =>
          WsClient.connect(url).then(
            (ws) => (ws.close(), 101),
            (err: Error & { status?: number }) => err.status ?? 0,
          ),
        );
        const v = violations({ status, stallMs, blocked, failure: status === 0 ? 'no HTTP answer to the upgrade' : undefined, errors: errorLogs(app.logLines, logFrom), crashes: guard.crashes.slice(crashFrom) });
        if (v) throw new Error(`${prefix}${segment}/: ${v}`);
      }),
      fuzzOptions(60, [[{ prefix: prefixes[0]!, segment: '%E0%A4%A', token: w.tokens.receptionist }], [{ prefix: prefixes.at(-1)!, segment: '%E0%A4%A', token: w.guest.token }]]),
    );
    t.pass('every upgrade answered below 500');
  } catch (err) {
    t.fail(fuzzFailure(err));
  }
  await assertAlive(t, app, guard, 'upgrade paths');
});
