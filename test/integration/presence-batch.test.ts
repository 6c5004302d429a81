// Presence changes of several departments go out as one statement: each department's actor gets
// the rows of its own change, "elsewhere" still sees the other nodes' rows, and a failed statement
// fails its callers.
import t from 'tap';
import { PresenceBatch } from '../../src/chat/presence-batch.js';
import { presenceChangesMany, type PresenceChange } from '../../src/store/presence.js';
import { seedHotel } from '../helpers/chat-fixtures.js';
import { freshDb } from '../helpers/db.js';

t.test('one statement for the changes of a turn; rows go back to their own change', async (t) => {
  const { sql } = await freshDb(t);
  const h = await seedHotel(sql, {
    staff: [
      { username: `pa-${Date.now()}`, type: 'department_staff', departments: ['Reception'] },
      { username: `pb-${Date.now()}`, type: 'department_staff', departments: ['Housekeeping'] },
      { username: `pc-${Date.now()}`, type: 'receptionist' },
    ],
    guests: [],
  });
  const [a, b, c] = Object.values(h.staff).map((s) => s.id) as [number, number, number];
  // Another node already has c in Reception.
  await sql`insert into presence (node_id, user_id, hotel_id, department) values ('other-node', ${c}, ${h.hotelId}, 'Reception')`;
  const statements: PresenceChange[][] = [];
  const batch = new PresenceBatch(async (changes) => {
    statements.push(changes);
    return presenceChangesMany(sql, 'this-node', changes);
  });
  const [rec, hk, empty] = await Promise.all([
    batch.write({ hotelId: h.hotelId, department: 'Reception', up: [a, c], down: [] }),
    batch.write({ hotelId: h.hotelId, department: 'Housekeeping', up: [b], down: [] }),
    batch.write({ hotelId: h.hotelId, department: 'Management', up: [], down: [] }),
  ]);
  t.equal(statements.length, 1, 'one statement for the whole turn');
  t.same(statements[0]!.map((s) => s.department), ['Reception', 'Housekeeping'], 'an empty change is not sent');
  t.same(
    [...rec].sort((x, y) => x.user_id - y.user_id),
    [{ user_id: a, dir: 'up', elsewhere: false }, { user_id: c, dir: 'up', elsewhere: true }].sort((x, y) => x.user_id - y.user_id),
    "Reception's rows: c is also on another node",
  );
  t.same(hk, [{ user_id: b, dir: 'up', elsewhere: false }], "Housekeeping's rows");
  t.same(empty, []);
  const rows = await sql<{ user_id: number; department: string }[]>`
    select user_id, department from presence where node_id = 'this-node' order by department, user_id`;
  t.same(rows.map((r) => `${r.department}:${r.user_id}`), [`Housekeeping:${b}`, ...[`Reception:${a}`, `Reception:${c}`].sort()]);

  // Down in one department, up again in another, in one turn.
  const [down, up] = await Promise.all([
    batch.write({ hotelId: h.hotelId, department: 'Reception', up: [], down: [a] }),
    batch.write({ hotelId: h.hotelId, department: 'Housekeeping', up: [b], down: [] }),
  ]);
  t.same(down, [{ user_id: a, dir: 'down', elsewhere: false }]);
  t.same(up, [{ user_id: b, dir: 'up', elsewhere: false }], 'a repeated up refreshes its row');
  const left = await sql<{ n: number }[]>`select count(*)::int as n from presence where node_id = 'this-node' and user_id = ${a}`;
  t.equal(left[0]!.n, 0, 'the down removed the row');
});

t.test('a failed statement rejects every change in it, and the next turn works again', async (t) => {
  let fail = true;
  const batch = new PresenceBatch(async (changes) => {
    if (fail) throw new Error('database went away');
    return changes.map((c, idx) => ({ idx, user_id: c.up[0]!, dir: 'up' as const, elsewhere: false }));
  });
  const hotelId = '00000000-0000-0000-0000-000000000000';
  const both = await Promise.allSettled([
    batch.write({ hotelId, department: 'Reception', up: [1], down: [] }),
    batch.write({ hotelId, department: 'Housekeeping', up: [2], down: [] }),
  ]);
  t.same(both.map((r) => r.status), ['rejected', 'rejected']);
  fail = false;
  t.same(await batch.write({ hotelId, department: 'Reception', up: [3], down: [] }), [{ user_id: 3, dir: 'up', elsewhere: false }]);
});
