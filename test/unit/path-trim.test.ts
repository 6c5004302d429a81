import t from 'tap';
import { trimSlashes } from '../../src/transport/http/path.js';

t.test('trimSlashes drops leading and trailing slashes only', async (t) => {
  t.equal(trimSlashes('/reception/'), 'reception');
  t.equal(trimSlashes('//a/b//'), 'a/b');
  t.equal(trimSlashes('///'), '');
  t.equal(trimSlashes(''), '');
  t.equal(trimSlashes('+4420'), '+4420');
  // A long run of slashes that does not end the string: linear, and kept inside.
  const inner = `x${'/'.repeat(200_000)}y`;
  t.equal(trimSlashes(`/${inner}/`), inner);
});
