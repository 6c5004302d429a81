// The group-commit writer and the DepartmentActor with fakes (no database): batches mix
// conversations and still answer each call at its own position; a row the database refuses fails
// only its own call; other failures fail the batch; the department actor subscribes with its
// first socket, releases with its last, and sends presence only when nobody else has the user.
import t from 'tap';
import { DepartmentActor } from '../../src/chat/department-actor.js';
import { MessageWriter } from '../../src/chat/writer.js';
import { Registry } from '../../src/obs/metrics.js';
import { OverloadedError } from '../../src/core/errors.js';
import type { InsertedMessage, NewMessage } from '../../src/store/messages.js';
import { HOTEL, noStats, silentLog } from '../helpers/chat-core-fakes.js';

function row(conversationId: number, content: string): NewMessage {
  return {
    conversation_id: conversationId, sender_type: 'guest', sender_id: null, message_type: 'text', content, preview: content,
    media_key: null, media_url: null, media_filename: null, media_content_type: null, provider_message_id: null,
    delivery_status: null, media_source: null, outbox_kinds: [],
  };
}

/** A fake statement numbering seqs per conversation; rows whose content is "bad" are refused (23514). */
function fakeInsert(log: NewMessage[][]) {
  const seqs = new Map<number, number>();
  return async (rows: NewMessage[]): Promise<InsertedMessage[]> => {
    log.push(rows);
    if (rows.some((r) => r.content === 'bad')) throw Object.assign(new Error('check violation'), { code: '23514' });
    if (rows.some((r) => r.content === 'down')) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    return rows.map((r, i) => {
      const seq = (seqs.get(r.conversation_id) ?? 0) + 1;
      seqs.set(r.conversation_id, seq);
      return { ord: i + 1, id: 100 + i, conversation_id: r.conversation_id, seq, created_at: new Date(0), updated_at: new Date(0) };
    });
  };
}

function writer(statements: NewMessage[][], maxQueued = 1000) {
  const m = new Registry();
  return new MessageWriter({
    insert: fakeInsert(statements),
    log: silentLog,
    batchMax: 50,
    maxInFlight: 1,
    maxQueued,
    batches: m.histogram('b', 'b', [1]),
    messages: m.counter('m', 'm'),
  });
}

t.test('one statement for calls of several conversations; each call gets its own seqs', async (t) => {
  const statements: NewMessage[][] = [];
  const w = writer(statements);
  const [a, b, c] = await Promise.all([w.append([row(1, 'a1'), row(1, 'a2')]), w.append([row(2, 'b1')]), w.append([row(1, 'a3')])]);
  t.equal(statements.length, 1, 'gathered into one statement');
  t.same([a!.map((r) => r!.seq), b!.map((r) => r!.seq), c!.map((r) => r!.seq)], [[1, 2], [1], [3]]);
});

t.test('a refused row fails only its own call; a connection failure fails the whole batch', async (t) => {
  const statements: NewMessage[][] = [];
  const w = writer(statements);
  const calls = [w.append([row(1, 'ok1')]), w.append([row(2, 'bad')]), w.append([row(3, 'ok3')])];
  const [ok1, bad, ok3] = await Promise.allSettled(calls);
  t.equal(ok1!.status, 'fulfilled');
  t.equal(ok3!.status, 'fulfilled');
  t.match(bad, { status: 'rejected', reason: { code: '23514' } });
  const down = await Promise.allSettled([w.append([row(1, 'x')]), w.append([row(2, 'down')])]);
  t.same(down.map((d) => d.status), ['rejected', 'rejected']);
});

t.test('a full queue refuses with OverloadedError', async (t) => {
  const w = writer([], 2);
  const first = w.append([row(1, 'a'), row(1, 'b')]);
  await t.rejects(w.append([row(1, 'c')]), OverloadedError);
  await first;
});

t.test('DepartmentActor: relay interest follows the first and last socket; presence only when not elsewhere', async (t) => {
  const relay: string[] = [];
  const status: string[] = [];
  const writes: unknown[] = [];
  let elsewhere = false;
  const d = new DepartmentActor(
    HOTEL,
    'Reception',
    {
      presence: async (c) => {
        writes.push({ up: c.up, down: c.down });
        return [...c.up.map((u) => ({ user_id: u, dir: 'up' as const, elsewhere })), ...c.down.map((u) => ({ user_id: u, dir: 'down' as const, elsewhere }))];
      },
      relay: { acquire: (s) => void relay.push(`+${s}`), release: (s) => void relay.push(`-${s}`) },
      events: { userStatus: (_h, _d, type, u) => void status.push(`${type}:${u.id}`) },
      nodeId: 'n1',
      log: silentLog,
    },
    64,
    noStats,
  );
  d.attach(1, 'One');
  d.attach(1, 'One');
  await waitFor(() => status.length === 1);
  t.same(status, ['user_connected:1']);
  d.detach(1, 'One');
  t.same(relay.length, 1, 'still one socket: interest kept');
  elsewhere = true;
  d.detach(1, 'One');
  await waitFor(() => writes.length === 2);
  t.same(relay.map((r) => r[0]), ['+', '-'], 'released with the last socket');
  t.same(status, ['user_connected:1'], 'no disconnect event while the user is on another node');
});

async function waitFor(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setImmediate(r));
  if (!ok()) throw new Error('condition not reached');
}
