// Hostile values for the fuzz suite: every JSON shape, wrong types, huge and odd numbers, NUL and
// lone surrogates, malformed percent-encoding, deep nesting and long strings. Field names come from
// the real wire schemas (protocol/), so a field added there is fuzzed without touching this file.
import fc from 'fast-check';
import * as authSchemas from '../../src/protocol/rest/auth.js';
import * as chatSchemas from '../../src/protocol/rest/chat.js';
import * as directorySchemas from '../../src/protocol/rest/directory.js';
import { InboundFrames } from '../../src/protocol/frames.js';

/** Property names of every exported object schema (bodies and queries) of a module. */
function fieldsOf(mod: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const v of Object.values(mod)) {
    const props = (v as { type?: string; properties?: Record<string, unknown> } | null)?.properties;
    if ((v as { type?: string } | null)?.type === 'object' && props) out.push(...Object.keys(props));
  }
  return out;
}

export const KNOWN_FIELDS = [...new Set([...fieldsOf(authSchemas), ...fieldsOf(chatSchemas), ...fieldsOf(directorySchemas)])].sort();
export const FRAME_TYPES = Object.keys(InboundFrames);
/** Fields of each inbound frame type (type excluded). */
export const FRAME_FIELDS: Record<string, string[]> = Object.fromEntries(
  Object.entries(InboundFrames).map(([type, s]) => [type, Object.keys((s as { properties: object }).properties).filter((k) => k !== 'type')]),
);

/** Numbers a careless or hostile client sends: out of range, non-integers, 2^63, -0. */
export const oddNumbers = fc.constantFrom(0, -0, -1, 1.5, 1e20, -1e20, 2 ** 53 + 2, 2 ** 63, 9.999e307, Number.MAX_SAFE_INTEGER, 2 ** 31, -(2 ** 31) - 1, 1e-7);
/** Strings that look like numbers or ids but are not what a field means. */
const numberishStrings = fc.constantFrom('1e20', '-0', 'NaN', 'Infinity', '-Infinity', '9223372036854775808', '0x10', '1_000', ' 1', '1 ', '00001', '');

const SPECIAL = [
  '\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\udbff\udfff', '\ud83d', '😀', '\u202e', '\ufeff', '\r\n', '\t', ' ', '',
  '%E0%A4%A', '%', '%zz', '%00', '%ud800', '%C0%80', '../../etc/passwd', '<script>', "'; drop table users; --", '{{7*7}}',
  'null', 'true', '[]', '{}', '__proto__', 'constructor', 'a@b.c', '+15550000000', '+1', 'Reception', 'RECEPTION',
];
export const specialStrings = fc.constantFrom(...SPECIAL);

/**
 * A string of `length` UTF-16 units built from one repeated unit between a prefix and a suffix.
 * The units and affixes are chosen to make superlinear matchers (nested quantifiers, `x+\.x+`)
 * show: 'a@' + '.'*n + ' ' is the worst case of a `[^@]+@[^@]+\.[^@]+` email pattern.
 */
export function longString(maxLength: number): fc.Arbitrary<string> {
  const unit = fc.constantFrom('a', '.', 'a.', '0', ' ', '\u0000', '😀', '\ud800', '%', '@', 'é');
  const prefix = fc.constantFrom('', 'a@', '@', 'http://', '0000-00-00T', '+1');
  const suffix = fc.constantFrom('', ' ', '@', '!', '\u0000');
  const sizes = [256, 300, 1025, 4097, 20_000, 65_537, 200_000, maxLength].filter((n) => n <= maxLength);
  return fc.tuple(prefix, unit, fc.constantFrom(...sizes), suffix).map(([p, u, n, s]) => (p + u.repeat(Math.ceil(n / u.length))).slice(0, Math.max(0, n - s.length)) + s);
}

/** Any string a client can send: random unicode (lone surrogates included), special, long. */
export function hostileString(maxLength: number): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 4 },
    { arbitrary: specialStrings, weight: 4 },
    { arbitrary: numberishStrings, weight: 1 },
    { arbitrary: longString(maxLength), weight: 2 },
  );
}

/** Arrays or objects nested `depth` deep (as text, so the depth is exact and cheap to build). */
export const deepNesting = fc.tuple(fc.constantFrom('[', '{"a":'), fc.constantFrom(10, 100, 1000, 10_000, 50_000)).map(([open, depth]) => {
  const close = open === '[' ? ']' : '}';
  return open.repeat(depth) + '1' + close.repeat(depth);
});

/** Any JSON value, with hostile leaves. `maxLength` bounds long strings (a body stays under the limit). */
export function hostileJson(maxLength: number): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    hostileString(maxLength),
    oddNumbers,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
  );
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(fc.oneof(fc.constantFrom(...KNOWN_FIELDS), fc.string({ unit: 'binary', maxLength: 8 })), tie('value'), { maxKeys: 4 }),
  }));
  return value;
}

/** A value for a field: usually wrong, sometimes right-looking, never bigger than maxLength chars. */
export function fieldValue(maxLength: number, good: fc.Arbitrary<unknown> = fc.constant(1)): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: good, weight: 3 },
    { arbitrary: hostileString(maxLength), weight: 3 },
    { arbitrary: oddNumbers, weight: 2 },
    { arbitrary: fc.constantFrom(null, true, false, [], {}, [1e20], ['\u0000'], { a: 1 }), weight: 1 },
    { arbitrary: hostileJson(1000), weight: 1 },
  );
}

/** A request body as text: any JSON, known fields with hostile values, a carpet of every field, or not JSON at all. */
export function hostileBody(maxBytes: number, good: fc.Arbitrary<unknown> = fc.constant(1)): fc.Arbitrary<string> {
  const fields = fc.dictionary(fc.constantFrom(...KNOWN_FIELDS), fieldValue(maxBytes - 1000, good), { minKeys: 1, maxKeys: 6 });
  // One value in every known field: whatever validates a field, some value reaches it.
  const carpet = fc.oneof(hostileString(Math.floor((maxBytes - 20_000) / KNOWN_FIELDS.length)), oddNumbers, fc.constantFrom(null, [], {}, true))
    .map((v) => Object.fromEntries(KNOWN_FIELDS.map((k) => [k, v])));
  const notJson = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom('', '{', '{"a":', 'nul', '\u0000', '1e999', '{"a":1}{"a":2}', '[1,]'), deepNesting);
  return fc.oneof(
    { arbitrary: fields.map((o) => JSON.stringify(o)), weight: 5 },
    { arbitrary: hostileJson(maxBytes - 1000).map((v) => JSON.stringify(v) ?? 'null'), weight: 2 },
    { arbitrary: carpet.map((o) => JSON.stringify(o)), weight: 1 },
    { arbitrary: notJson, weight: 2 },
  ).filter((s) => Buffer.byteLength(s) <= maxBytes);
}

/** A path segment: a real id, a number of any size, a hostile string — raw (malformed %) or encoded. */
export function pathSegment(realIds: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...realIds), weight: 4 },
    { arbitrary: fc.constantFrom('%E0%A4%A', '%', '%zz', '%00', '%ud800', '%C0%80', '%FF', '%2F', '..', '%2e%2e', '1%00'), weight: 3 },
    { arbitrary: oddNumbers.map((n) => String(n)), weight: 2 },
    { arbitrary: fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String), fc.integer().map(String)), weight: 1 },
    { arbitrary: hostileString(300).map((s) => encodeURIComponentLoose(s)), weight: 2 },
  );
}

/** encodeURIComponent that never throws (lone surrogates become the malformed %ED%A0%80). */
export function encodeURIComponentLoose(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) out += `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`.toUpperCase();
    else out += encodeURIComponent(ch);
  }
  return out;
}

const QUERY_KEYS = ['page', 'page_size', 'status', 'department', 'conversation_type', 'search', 'before_seq', 'since_seq', 'limit', 'unread', 'guest', 'hotel', 'user_type', 'exp', 'sig', 'token', 'is_active'];

/** A query string: known keys (and others) with hostile values, repeated keys, malformed %. */
export function hostileQuery(): fc.Arbitrary<string> {
  const key = fc.oneof(fc.constantFrom(...QUERY_KEYS, ...KNOWN_FIELDS), fc.constantFrom('%E0%A4%A', '', 'a[b]', '__proto__'));
  const value = fc.oneof(
    fc.constantFrom('1', '0', '-1', '1e20', '-0', 'NaN', '9223372036854775808', 'true', 'active', 'Reception', '', '%E0%A4%A', '%', '%00', '%ud800', '+'),
    hostileString(2000).map(encodeURIComponentLoose),
  );
  return fc.array(fc.tuple(key, value), { maxLength: 4 }).map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));
}
