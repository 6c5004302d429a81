// The text rule. Every string that enters through the wire contract must be text Postgres can
// store: no NUL (U+0000: `text` and `jsonb` refuse it, 22021/22P05) and no unpaired UTF-16
// surrogate (`jsonb` refuses it, 22P02; UTF-8 cannot encode it). validate() refuses such input at
// the edge with a 400 naming the field; cuts made inside the service go by code point, so they
// never create an unpaired surrogate themselves.

const NUL = '\u0000';
// A high surrogate not followed by a low one, or a low one not preceded by a high one. Each
// alternative looks at one or two units: linear in the string's length.
const UNPAIRED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with `s` under the text rule, or null when it is fine. */
export function textProblem(s: string): string | null {
  if (s.includes(NUL)) return 'must not contain NUL characters (\\u0000)';
  if (UNPAIRED.test(s)) return 'must be valid Unicode text (it contains an unpaired surrogate)';
  return null;
}

/** The first `max` code points of `s` (a surrogate pair is one code point and is never split). */
export function truncateCodePoints(s: string, max: number): string {
  if (s.length <= max) return s;
  let units = 0;
  let points = 0;
  for (const ch of s) {
    if (points === max) break;
    units += ch.length;
    points++;
  }
  return s.slice(0, units);
}

/** `s` with NUL and unpaired surrogates replaced by U+FFFD: for records that must store anything. */
export function repairText(s: string): string {
  if (textProblem(s) === null) return s;
  return s.replaceAll(NUL, '\uFFFD').replace(new RegExp(UNPAIRED.source, 'g'), '\uFFFD');
}
