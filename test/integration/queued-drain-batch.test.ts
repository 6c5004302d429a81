// Queued webhooks drained in batches (JobHandler.many → GuestMessages.receiveMany → one
// appendMany per conversation, one insert statement): a guest's backlog keeps its order and is
// stored by few statements. And a conversation closed behind its actor's back (a direct SQL
// update, as another node would make) does not swallow the guest's next message, neither on the
// queued path (single job or batch) nor on the synchronous route.
//
// A backlog is made to build up behind the guest's key deterministically: a transaction of this
// test holds the row lock of the guest's conversation(s), so the first job's insert (which locks
// the conversation row FOR UPDATE) waits; every later job of the guest is then delivered to the
// node and waits behind the key (checked on the partition's consumer: nothing pending, all of
// them unacknowledged). Releasing the lock lets the first job finish and the rest go as a batch.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import t from 'tap';
import type { Test } from 'tap';
import { jobSubjects } from '../../src/fanout/subjects.js';
import { inboundKey } from '../../src/jobs/inbound.js';
import { partitionOf } from '../../src/jobs/queue.js';
import type { Sql } from '../../src/store/db.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { until } from '../helpers/cluster.js';
import { connect } from '../helpers/db.js';
import { TEST_NATS_URL } from '../helpers/env.js';

// A long ask timeout: the first job of a backlog waits on a row lock this test holds (see above),
// and must not time out and retry meanwhile (that would add a statement to the counts asserted).
const app = await startApp(t, { nats: true, env: { WEBHOOK_MODE: 'queued', ACTOR_ASK_TIMEOUT_MS: '30000' } });
// The synchronous route, on the same database (its own actors and caches).
const syncApp = await startApp(t, { databaseUrl: app.databaseUrl });
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const h = await seedHotel(sql, {
  staff: [],
  guests: [1, 2, 3, 4].map((n) => ({ number: num(n), name: `Drain Guest${n}`, room: `40${n}` })),
});
const run = `qd${Date.now().toString(36)}`;

const nc = await natsConnect({ servers: TEST_NATS_URL });
t.teardown(() => nc.close());
const jsm = await jetstreamManager(nc);

interface StoredRow {
  provider_message_id: string;
  conversation_id: number;
  seq: number;
  department: string;
  status: string;
  guest_id: number;
}

const storedLike = (prefix: string) =>
  sql<StoredRow[]>`
    select m.provider_message_id, m.conversation_id, m.seq, c.department, c.status, c.guest_id
    from messages m join conversations c on c.id = m.conversation_id
    where m.provider_message_id like ${`${prefix}%`}
    order by m.conversation_id, m.seq`;

const storedOne = async (pid: string): Promise<StoredRow | undefined> => (await storedLike(pid)).find((r) => r.provider_message_id === pid);

/** Sends webhooks one after the other (each accepted before the next is sent: a known queue order). */
async function sendInOrder(t: Test, base: string, payloads: Record<string, unknown>[]): Promise<void> {
  for (const p of payloads) {
    const a = await webhook(base, p);
    if (a.status !== 202 || a.body?.duplicate !== false) {
      t.fail(`webhook ${String(p['provider_message_id'])} not accepted as new: ${a.status} ${JSON.stringify(a.body)}`);
      throw new Error('webhook not accepted');
    }
  }
  t.pass(`${payloads.length} webhooks accepted (202, not duplicates), in order`);
}

/**
 * Holds the row locks of these conversations in a transaction of this test until the returned
 * function is called (also called at teardown, so a failing test never leaves them locked).
 */
async function lockConversations(t: Test, db: Sql, ids: number[]): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const holding = new Promise<void>((r) => (locked = r));
  const tx = db.begin(async (tx) => {
    await tx`select id from conversations where id in ${tx(ids)} order by id for update`;
    locked();
    await released;
  });
  await Promise.race([holding, tx]);
  const unlock = async () => {
    release();
    await tx;
  };
  t.teardown(unlock);
  return unlock;
}

/** Waits until `count` jobs of this guest's partition were delivered to the node and none is left undelivered. */
async function backlogDelivered(guestNumber: string, count: number): Promise<void> {
  const partition = partitionOf(inboundKey({ whatsapp_number: guestNumber }), app.config.jobs.inboundPartitions);
  const stream = jobSubjects.stream(app.config.nats.prefix);
  const durable = `inbound_webhook_p${partition}`;
  let last = '';
  await until(
    async () => {
      const info = await jsm.consumers.info(stream, durable);
      last = `pending ${info.num_pending}, ack pending ${info.num_ack_pending}`;
      return info.num_pending === 0 && info.num_ack_pending === count;
    },
    `all ${count} jobs of the guest delivered and waiting (last: ${last})`,
    10_000,
  );
  // The last deliveries may still be on their way from the client's buffer into the dispatcher.
  await new Promise((r) => setTimeout(r, 200));
}

/** `_count` and `_sum` of the message_write_batch_size histogram, and statements of at most 10 messages. */
async function writeBatches(a: TestApp): Promise<{ statements: number; messages: number; upTo10: number }> {
  const text = await (await fetch(`${a.base}/metrics`)).text();
  const value = (re: RegExp) => {
    const m = re.exec(text);
    if (!m) throw new Error(`metric not found: ${re}`);
    return Number(m[1]);
  };
  return {
    statements: value(/^message_write_batch_size_count(?:\{[^}]*\})? (\S+)$/m),
    messages: value(/^message_write_batch_size_sum(?:\{[^}]*\})? (\S+)$/m),
    upTo10: value(/^message_write_batch_size_bucket\{(?:[^}]*,)?le="10"(?:,[^}]*)?\} (\S+)$/m),
  };
}

const payload = (n: number, department: string, id: string) => ({
  channel: h.channel,
  whatsapp_number: num(n),
  message: `message ${id}`,
  department,
  provider_message_id: id,
});

t.test('a guest burst (two departments) waiting behind its key is stored in batches, in send order, seqs without gaps', async (t) => {
  const guest = num(1);
  const prefix = `${run}-burst-`;
  const TOTAL = 60;
  const departments = ['Reception', 'Housekeeping'];
  const sent = Array.from({ length: TOTAL }, (_, i) => ({ id: `${prefix}${String(i).padStart(3, '0')}`, department: departments[i % 2]! }));

  // The first message of each department: its conversation exists (and its actor is loaded).
  await sendInOrder(t, app.base, sent.slice(0, 2).map((s) => payload(1, s.department, s.id)));
  await until(async () => (await storedLike(prefix)).length === 2, 'the first two messages stored', 15_000);
  const conversations = [...new Set((await storedLike(prefix)).map((r) => r.conversation_id))];
  t.equal(conversations.length, 2, 'one conversation per department');

  const before = await writeBatches(app);
  // The first job of the burst waits on the row lock; the others queue up behind the guest's key.
  const unlock = await lockConversations(t, sql, conversations);
  await sendInOrder(t, app.base, sent.slice(2).map((s) => payload(1, s.department, s.id)));
  await backlogDelivered(guest, TOTAL - 2);
  await unlock();

  await until(async () => (await storedLike(prefix)).length >= TOTAL, `all ${TOTAL} messages stored`, 30_000);
  // Anything stored twice would show up here (nothing more to come: every job was acknowledged).
  await until(async () => {
    const info = await jsm.consumers.info(jobSubjects.stream(app.config.nats.prefix), `inbound_webhook_p${partitionOf(inboundKey({ whatsapp_number: guest }), app.config.jobs.inboundPartitions)}`);
    return info.num_ack_pending === 0 && info.num_pending === 0;
  }, 'every job of the burst acknowledged', 15_000);
  const rows = await storedLike(prefix);
  t.equal(rows.length, TOTAL, `${TOTAL} rows`);
  t.equal(new Set(rows.map((r) => r.provider_message_id)).size, TOTAL, 'each message stored exactly once');

  for (const department of departments) {
    const mine = rows.filter((r) => r.department === department).sort((a, b) => a.seq - b.seq);
    t.equal(new Set(mine.map((r) => r.conversation_id)).size, 1, `${department}: one conversation`);
    t.ok(mine.every((r) => r.status === 'active' && r.guest_id === h.guests[guest]!.id), `${department}: the guest's active conversation`);
    t.same(mine.map((r) => r.provider_message_id), sent.filter((s) => s.department === department).map((s) => s.id), `${department}: seq order is the send order`);
    t.same(mine.map((r) => r.seq), Array.from({ length: mine.length }, (_, i) => i + 1), `${department}: seqs 1..${mine.length} without gaps`);
    const [conv] = await sql<{ last_seq: number }[]>`select last_seq from conversations where id = ${mine[0]!.conversation_id}`;
    t.equal(Number(conv!.last_seq), mine.length, `${department}: last_seq matches`);
  }

  const after = await writeBatches(app);
  const statements = after.statements - before.statements;
  const messages = after.messages - before.messages;
  const small = after.upTo10 - before.upTo10;
  t.equal(messages, TOTAL - 2, `the burst's ${TOTAL - 2} messages went through the writer (nothing else wrote meanwhile)`);
  t.ok(statements < messages, `fewer insert statements than messages: ${statements} statements for ${messages} messages`);
  t.ok(small < statements, `at least one statement stored more than 10 messages (${statements - small} did)`);
});

t.test('queued: a conversation closed behind its actor\'s back — the next message goes to a new active conversation', async (t) => {
  const guest = num(2);
  const first = `${run}-qclosed-1`;
  const next = `${run}-qclosed-2`;
  await sendInOrder(t, app.base, [payload(2, 'Reception', first)]);
  await until(async () => (await storedOne(first)) !== undefined, 'the first message stored', 15_000);
  const old = (await storedOne(first))!;

  // Another node closes it: this node's actor (loaded, believing it active) does not see it.
  await sql`update conversations set status = 'closed', closed_at = now() where id = ${old.conversation_id}`;
  await sendInOrder(t, app.base, [payload(2, 'Reception', next)]);
  // Before the fix the append was taken for a duplicate: the job retried until dead-lettered.
  await until(async () => (await storedOne(next)) !== undefined, 'the message after the close stored', 15_000);
  const row = (await storedOne(next))!;
  t.not(row.conversation_id, old.conversation_id, 'not in the closed conversation');
  t.equal(row.status, 'active', 'in an active conversation');
  t.equal(row.department, 'Reception');
  t.equal(row.guest_id, h.guests[guest]!.id, 'of the same guest');
  t.equal(row.seq, 1, 'the first message of the new conversation');
  const [closed] = await sql<{ status: string; last_seq: number }[]>`select status, last_seq from conversations where id = ${old.conversation_id}`;
  t.same({ status: closed!.status, last_seq: Number(closed!.last_seq) }, { status: 'closed', last_seq: 1 }, 'the closed one left as it was');
  const dead = await sql`select 1 from job_dead_letters where job_id in (${first}, ${next})`;
  t.equal(dead.length, 0, 'nothing dead-lettered');
});

t.test('queued: a backlog meeting a conversation closed behind its actor\'s back is stored in a new conversation, in order', async (t) => {
  const guest = num(3);
  const id = (i: number) => `${run}-qbatch-${i}`;
  // Warm-up: one message per department; both conversations exist, their actors are loaded.
  await sendInOrder(t, app.base, [payload(3, 'Reception', id(0)), payload(3, 'Housekeeping', id(1))]);
  await until(async () => (await storedLike(`${run}-qbatch-`)).length === 2, 'the first two stored', 15_000);
  const reception = (await storedOne(id(0)))!.conversation_id;
  const housekeeping = (await storedOne(id(1)))!.conversation_id;

  // The Housekeeping message waits on its row lock; the Reception ones queue up behind it, and
  // go together (one appendMany) to the Reception actor, which still believes its conversation active.
  const unlock = await lockConversations(t, sql, [housekeeping]);
  await sql`update conversations set status = 'closed', closed_at = now() where id = ${reception}`;
  const later = [2, 3, 4, 5, 6, 7];
  await sendInOrder(t, app.base, later.map((i) => payload(3, i === 2 ? 'Housekeeping' : 'Reception', id(i))));
  await backlogDelivered(guest, later.length);
  await unlock();

  // Before the fix the batch's appends came back as duplicates, were counted as stored and acknowledged: lost.
  await until(async () => (await storedLike(`${run}-qbatch-`)).length >= 8, 'all eight stored', 15_000);
  const rows = await storedLike(`${run}-qbatch-`);
  t.equal(rows.length, 8, 'each stored once');
  const hk = rows.filter((r) => r.conversation_id === housekeeping);
  t.same(hk.map((r) => [r.provider_message_id, r.seq]), [[id(1), 1], [id(2), 2]], 'Housekeeping: both in its conversation, in order');
  const old = rows.filter((r) => r.conversation_id === reception);
  t.same(old.map((r) => r.provider_message_id), [id(0)], 'nothing more in the closed Reception conversation');
  const moved = rows.filter((r) => r.department === 'Reception' && r.conversation_id !== reception);
  t.equal(new Set(moved.map((r) => r.conversation_id)).size, 1, 'the rest in one new Reception conversation');
  t.ok(moved.every((r) => r.status === 'active' && r.guest_id === h.guests[guest]!.id), 'the guest\'s active one');
  t.same(moved.map((r) => r.provider_message_id), [3, 4, 5, 6, 7].map(id), 'in send order');
  t.same(moved.map((r) => r.seq), [1, 2, 3, 4, 5], 'seqs 1..5');
  const dead = await sql`select 1 from job_dead_letters where job_id like ${`${run}-qbatch-%`}`;
  t.equal(dead.length, 0, 'nothing dead-lettered');
});

t.test('sync: a conversation closed behind its actor\'s back — the next webhook is stored in a new conversation, not answered as a duplicate', async (t) => {
  const guest = num(4);
  const first = `${run}-sclosed-1`;
  const next = `${run}-sclosed-2`;
  const a = await webhook(syncApp.base, payload(4, 'Reception', first));
  t.equal(a.status, 201, `first webhook stored: ${JSON.stringify(a.body)}`);
  const oldId = a.body.conversation_id as number;
  t.ok(oldId > 0);

  await sql`update conversations set status = 'closed', closed_at = now() where id = ${oldId}`;
  const b = await webhook(syncApp.base, payload(4, 'Reception', next));
  t.equal(b.status, 201, `answered as stored: ${JSON.stringify(b.body)}`);
  t.equal(b.body.duplicate, undefined, 'not a duplicate');
  t.not(b.body.conversation_id, oldId, 'in another conversation than the closed one');
  t.equal(b.body.seq, 1);
  t.equal(b.body.conversation_created, true, 'a new conversation');
  const row = await storedOne(next);
  t.ok(row, 'the message row exists');
  t.equal(row?.conversation_id, b.body.conversation_id, 'where the answer says');
  t.equal(row?.status, 'active', 'an active conversation');
  t.equal(row?.department, 'Reception');
  t.equal(row?.guest_id, h.guests[guest]!.id, 'of the same guest');

  // A real duplicate is still one (the re-read finds the conversation active).
  const again = await webhook(syncApp.base, payload(4, 'Reception', next));
  t.equal(again.status, 201);
  t.equal(again.body.duplicate, true, 'the same webhook again is a duplicate');
  t.equal(again.body.message_id, b.body.message_id, 'of the stored message');
  t.equal((await storedLike(next)).length, 1, 'stored once');
});
