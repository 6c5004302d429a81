// Issue 11 (#4) — the text rule (core/text.ts): what it refuses, cuts by code point, repair
// for records that must store anything, and its use by previews and socket frames.
import t from 'tap';
import { previewOf } from '../../src/chat/rules.js';
import { ValidationError } from '../../src/core/errors.js';
import { parseInbound } from '../../src/protocol/frames.js';
import { repairText, textProblem, truncateCodePoints } from '../../src/core/text.js';
import { storablePayload } from '../../src/store/jobs.js';

const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

t.test('textProblem refuses NUL and unpaired surrogates only', async (t) => {
  for (const ok of ['', 'plain', 'caf\u00e9', 'smile \ud83d\ude00', '\ud83d\ude00\ud83d\ude00', 'tab\tnew\nline', '\ufffd']) t.equal(textProblem(ok), null, JSON.stringify(ok));
  t.match(textProblem('a\u0000b'), /NUL/);
  for (const bad of ['\ud83d', 'a\ud83db', '\ude00', 'x\ude00\ud83d', '\ud83d\ud83d\ude00']) t.match(textProblem(bad), /unpaired surrogate/, JSON.stringify(bad));
});

t.test('truncateCodePoints never splits a pair', async (t) => {
  t.equal(truncateCodePoints('abc', 5), 'abc');
  t.equal(truncateCodePoints('abcdef', 3), 'abc');
  t.equal(truncateCodePoints('ab\ud83d\ude00cd', 3), 'ab\ud83d\ude00', 'the emoji is one code point');
  t.equal(truncateCodePoints('ab\ud83d\ude00cd', 2), 'ab');
  t.equal(truncateCodePoints('\ud83d\ude00'.repeat(300), 255), '\ud83d\ude00'.repeat(255));
});

t.test('previews are cut by code point', async (t) => {
  const text = 'x'.repeat(254) + '\ud83d\ude00' + 'tail';
  const p = previewOf({ message_type: 'text', content: text });
  t.equal(p, 'x'.repeat(254) + '\ud83d\ude00', 'the emoji at the boundary is kept whole');
  t.ok(wellFormed(p));
  t.equal([...previewOf({ message_type: 'text', content: '\ud83d\ude00'.repeat(300) })].length, 255, '255 code points');
  const media = previewOf({ message_type: 'image', content: 'caption ' + '\ud83d\ude00'.repeat(300), media_filename: 'a.jpg' });
  t.ok(wellFormed(media), 'media previews too');
  t.equal([...media].length, 255);
  t.equal(previewOf({ message_type: 'text', content: 'x'.repeat(300) }).length, 255, 'plain text still cut at 255');
});

t.test('repairText and storablePayload make anything storable', async (t) => {
  t.equal(repairText('fine \ud83d\ude00'), 'fine \ud83d\ude00');
  t.equal(repairText('a\u0000b\ud83dc\ude00'), 'a\ufffdb\ufffdc\ufffd');
  t.same(storablePayload({ a: 'ok' }), { json: '{"a":"ok"}', repaired: false });
  const bad = storablePayload({ 'k\u0000': ['x\ud800', { deep: 'y\u0000' }], n: 1 });
  t.equal(bad.repaired, true);
  t.same(JSON.parse(bad.json), { 'k\ufffd': ['x\ufffd', { deep: 'y\ufffd' }], n: 1 });
  t.same(storablePayload(undefined), { json: 'null', repaired: false });
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  t.match(JSON.parse(storablePayload(cyclic).json), { unserializable: /circular/i });
});

t.test('socket frames follow the rule and bound their integers', async (t) => {
  const refused = (frame: unknown) => {
    try {
      parseInbound(JSON.stringify(frame));
      return null;
    } catch (e) {
      t.type(e, ValidationError);
      return (e as ValidationError).fields;
    }
  };
  t.same(refused({ type: 'text', conversation_id: 1, content: 'hi \u0000' }), { content: 'must not contain NUL characters (\\u0000)' });
  t.same(Object.keys(refused({ type: 'text', conversation_id: 1, content: 'half \ud83d' }) ?? {}), ['content']);
  t.same(Object.keys(refused({ type: 'media', conversation_id: 1, file_url: 'https://x/y', filename: 'a\u0000.jpg', file_type: 'image' }) ?? {}), ['filename']);
  t.same(Object.keys(refused({ type: 'resume', conversation_id: 1, since_seq: 1e20 }) ?? {}), ['since_seq']);
  t.same(Object.keys(refused({ type: 'mark_read', conversation_id: 1, message_ids: [5, 1e20] }) ?? {}), ['message_ids.1']);
  t.same(refused({ type: 'text', conversation_id: 1, content: 'fine \ud83d\ude00' }), null);
  try {
    parseInbound(JSON.stringify({ type: 'x'.repeat(100_000) }));
    t.fail('an unknown type is refused');
  } catch (e) {
    t.ok((e as Error).message.length < 300, 'an unknown type is echoed only in part');
  }
});
