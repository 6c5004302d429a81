// The group-commit writer (chat/writer.ts) on a real database, with the message insert wrapped so a
// test can make it deadlock or hold it: a deadlock is retried and stores each row once; a full
// queue refuses with OverloadedError and loses nothing it accepted; a provider id already stored,
// in the middle of a batch, answers null at its own position and consumes no seq.
import t from 'tap';
import { MessageWriter } from '../../src/chat/writer.js';
import { appendMessages } from '../../src/store/messages.js';
import { createLogger } from '../../src/obs/log.js';
import { Registry } from '../../src/obs/metrics.js';
import { OverloadedError } from '../../src/core/errors.js';
import type { Sql } from '../../src/store/db.js';
import { numberFactory, seedHotel } from '../helpers/chat-fixtures.js';
import { freshDb } from '../helpers/db.js';
import { guestTextRow } from '../helpers/message-rows.js';

const { sql } = await freshDb(t);
const num = numberFactory();
const hotel = await seedHotel(sql, { staff: [], guests: [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ number: num(n), name: `Writer Guest ${n}` })) });

async function conversation(n: number): Promise<number> {
  const [c] = await sql<{ id: number }[]>`
    insert into conversations (guest_id, hotel_id, department, conversation_type)
    values (${hotel.guests[num(n)]!.id}, ${hotel.hotelId}, 'Reception', 'service') returning id`;
  return c!.id;
}

const row = (conversationId: number, content: string, providerMessageId: string | null = null) =>
  guestTextRow(conversationId, content, { provider_message_id: providerMessageId });

/**
 * The pool, with a hook in front of every statement that inserts messages: the hook may throw
 * (a database error) or return a promise to wait on before the statement runs.
 */
function hooked(hook: () => Promise<void> | void): Sql {
  return new Proxy(sql, {
    apply(target, self, args: unknown[]) {
      const strings = args[0] as TemplateStringsArray | undefined;
      if (Array.isArray(strings) && strings.join('').includes('insert into messages')) {
        return (async () => {
          await hook();
          return Reflect.apply(target, self, args);
        })();
      }
      return Reflect.apply(target, self, args);
    },
  }) as Sql;
}

function writer(db: Sql, over: { maxQueued?: number; maxInFlight?: number } = {}) {
  const warnings: unknown[] = [];
  const log = createLogger({ level: 'silent', nodeId: 'test' });
  const metrics = new Registry();
  const w = new MessageWriter({
    insert: (rows) => appendMessages(db, rows),
    log: Object.assign(Object.create(log), { warn: (o: unknown) => warnings.push(o) }),
    batchMax: 50,
    maxInFlight: over.maxInFlight ?? 2,
    maxQueued: over.maxQueued ?? 1000,
    batches: metrics.histogram('batches', 'b', [1, 10, 100]),
    messages: metrics.counter('messages', 'm'),
  });
  return { w, warnings };
}

const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });

async function stored(conversationId: number): Promise<Array<{ seq: number; content: string }>> {
  return sql<{ seq: number; content: string }[]>`select seq, content from messages where conversation_id = ${conversationId} order by seq`;
}

t.test('a deadlock is retried: each row is stored once, numbered as if nothing happened', async (t) => {
  const [c1, c2] = [await conversation(1), await conversation(2)];
  let failures = 1;
  const { w, warnings } = writer(hooked(() => {
    if (failures-- > 0) throw deadlock();
  }));
  const results = await w.append([row(c1, 'a1'), row(c2, 'b1'), row(c1, 'a2')]);
  t.same(results.map((r) => r && [r.conversation_id, r.seq]), [[c1, 1], [c2, 1], [c1, 2]]);
  t.same(await stored(c1), [{ seq: 1, content: 'a1' }, { seq: 2, content: 'a2' }]);
  t.same(await stored(c2), [{ seq: 1, content: 'b1' }]);
  t.equal(failures, -1, 'the insert ran twice: the failed attempt and the retry');
  t.match(warnings, [{ code: '40P01', attempt: 1 }], 'the retry is logged');
});

t.test('a deadlock that keeps happening fails the batch without storing anything', async (t) => {
  const c = await conversation(3);
  const { w } = writer(hooked(() => {
    throw deadlock();
  }));
  await t.rejects(w.append([row(c, 'never')]), { code: '40P01' });
  t.same(await stored(c), []);
  t.same(await sql`select last_seq from conversations where id = ${c}`, [{ last_seq: 0 }]);
});

t.test('a full queue refuses with OverloadedError; what it accepted is all stored', async (t) => {
  const c = await conversation(4);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inFlight = new Promise<void>((r) => (entered = r));
  const { w } = writer(hooked(() => {
    entered();
    return held;
  }), { maxInFlight: 1, maxQueued: 3 });
  const first = w.append([row(c, 'in flight')]);
  await inFlight;
  const queued = w.append([row(c, 'q1'), row(c, 'q2'), row(c, 'q3')]);
  t.equal(w.queued, 3);
  const outcomes: unknown[] = ['pending', 'pending'];
  for (const [i, content] of ['one too many', 'and another'].entries()) {
    w.append([row(c, content)]).then(() => (outcomes[i] = 'accepted'), (err) => (outcomes[i] = err));
  }
  // The held statement cannot finish: an answer by the next turn of the loop is a refusal
  // decided without the database.
  await new Promise((r) => setImmediate(r));
  t.type(outcomes[0], OverloadedError, 'refused at once, while the statement is still held');
  t.match(outcomes[1], { code: 'overloaded', status: 503 });
  t.equal(w.queued, 3, 'the refused rows were not queued');
  release();
  t.same((await first).map((r) => r?.seq), [1]);
  t.same((await queued).map((r) => r?.seq), [2, 3, 4]);
  await w.drained();
  t.same((await stored(c)).map((m) => m.content), ['in flight', 'q1', 'q2', 'q3'], 'nothing refused was stored, nothing accepted was lost');
});

t.test('a duplicate provider id in the middle of a batch: null at its position, no seq used, the rest stored in order', async (t) => {
  const [c1, c2] = [await conversation(5), await conversation(6)];
  const { w } = writer(sql);
  const [original] = await w.append([row(c1, 'original', 'wamid.MID-1')]);
  t.equal(original!.seq, 1);
  const results = await w.append([
    row(c2, 'b1', 'wamid.MID-2'),
    row(c1, 'a2', null),
    row(c1, 'copy of the original', 'wamid.MID-1'),
    row(c2, 'b2', null),
    row(c1, 'a3', 'wamid.MID-3'),
  ]);
  t.same(results.map((r) => r && [r.conversation_id, r.seq]), [[c2, 1], [c1, 2], null, [c2, 2], [c1, 3]]);
  t.same(await stored(c1), [{ seq: 1, content: 'original' }, { seq: 2, content: 'a2' }, { seq: 3, content: 'a3' }]);
  t.same(await stored(c2), [{ seq: 1, content: 'b1' }, { seq: 2, content: 'b2' }]);
  const ids = await sql<{ id: number; content: string }[]>`select id, content from messages where conversation_id in (${c1}, ${c2})`;
  const byContent = new Map(ids.map((m) => [m.content, m.id]));
  t.same(results.map((r) => r?.id ?? null), [byContent.get('b1'), byContent.get('a2'), null, byContent.get('b2'), byContent.get('a3')], 'each answer is the row at its own position');
});

// Today a provider id twice in one statement violates messages_provider_message_id and fails the
// whole batch, innocent rows of other conversations included. Kept as todo until the writer
// isolates data errors (issue 12).
t.test('the same new provider id twice in one batch: the first is stored, the copy answers null, the others are stored', { todo: 'a repeated provider id inside one batch fails the whole batch' }, async (t) => {
  const [c1, c2] = [await conversation(7), await conversation(8)];
  const { w } = writer(sql);
  const results = await w.append([row(c1, 'first', 'wamid.TWICE'), row(c2, 'innocent'), row(c1, 'copy', 'wamid.TWICE')]);
  t.same(results.map((r) => r && r.conversation_id), [c1, c2, null]);
});
