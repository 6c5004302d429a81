// Shared copies of repeating values (what staff sockets keep of their user).
import t from 'tap';
import { Interner } from '../../src/util/intern.js';

t.test('values are shared by key, and the table stops growing at its cap', async (t) => {
  const lists = new Interner<string[]>(2);
  const a = ['Reception'];
  t.equal(lists.of('Reception', a), a);
  t.equal(lists.of('Reception', ['Reception']), a, 'same key: the first list');
  const b = ['Management'];
  t.equal(lists.of('Management', b), b);
  t.equal(lists.size, 2);
  const c = ['Restaurant'];
  t.equal(lists.of('Restaurant', c), c, 'past the cap the value is returned as it is');
  t.not(lists.of('Restaurant', ['Restaurant']), c, 'and not remembered');
  t.equal(lists.size, 2);
});
