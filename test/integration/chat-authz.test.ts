// Authorise before allocating (issue 11, defects 2 and 9): commands naming a conversation id that
// does not exist yet — or that another hotel owns — are refused without spawning an actor, and a
// conversation created afterwards under a probed id works at once. Random ids in bulk leave no
// actor behind and, past a small budget, are refused without a query.
import t from 'tap';
import { startApp, type TestApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { client } from '../helpers/http.js';
import { WsClient, type Frame } from '../helpers/ws.js';
import type { Sql } from '../../src/store/db.js';

async function liveConversationActors(app: TestApp): Promise<number> {
  const text = await (await fetch(`${app.base}/metrics`)).text();
  const m = /^actors_live\{type="conversation"\} (\d+)$/m.exec(text);
  if (!m) throw new Error('actors_live{type="conversation"} missing from /metrics');
  return Number(m[1]);
}

/** The id the next conversation insert will get (ids are one global sequence). */
async function nextConversationId(sql: Sql): Promise<number> {
  const [r] = await sql<{ seq: string }[]>`select pg_get_serial_sequence('conversations', 'id') as seq`;
  const [v] = await sql.unsafe<{ last_value: string; is_called: boolean }[]>(`select last_value, is_called from ${r!.seq}`);
  return Number(v!.last_value) + (v!.is_called ? 1 : 0);
}

async function count(sql: Sql, table: 'messages' | 'conversations' | 'conversation_participants'): Promise<number> {
  const [r] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table}`);
  return r!.n;
}

/** Everything but errors a socket got from frame `from` until its own ping was answered. */
async function framesUntilPong(ws: WsClient, from = ws.frames.length): Promise<Frame[]> {
  ws.send({ type: 'ping' });
  await ws.next((f) => f.type === 'pong', 10_000, from);
  return ws.frames.slice(from).filter((f) => f.type !== 'pong' && f.type !== 'error');
}

t.test('probes of ids not created yet, by another hotel, leave no actor; the conversations later created under them work', async (t) => {
  const app = await startApp(t);
  const sql = connect(t, app.databaseUrl);
  const num = numberFactory();
  const a = await seedHotel(sql, {
    staff: [{ username: 'authz_desk', type: 'receptionist', departments: ['Reception'] }],
    guests: [1, 2, 3].map((n) => ({ number: num(n), name: `Guest ${n}`, room: `10${n}` })),
  });
  const b = await seedHotel(sql, { staff: [{ username: 'authz_intruder', type: 'receptionist', departments: ['Reception'] }], guests: [] });
  const desk = client(app.base, a.staff['authz_desk']!.token);
  const intruder = client(app.base, b.staff['authz_intruder']!.token);
  const deskWs = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(a.staff['authz_desk']!.token)}`);
  const intruderWs = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(b.staff['authz_intruder']!.token)}`);
  t.teardown(() => [deskWs, intruderWs].forEach((w) => w.close()));

  const first = await nextConversationId(sql);
  const probed = [first, first + 1, first + 2, first + 3];
  const actorsBefore = await liveConversationActors(app);
  const rowsBefore = { messages: await count(sql, 'messages'), participants: await count(sql, 'conversation_participants') };
  const deskMark = deskWs.frames.length;

  for (const id of probed) {
    t.equal((await intruder.post('/api/chat/messages/typing/', { conversation_id: id, is_typing: true })).status, 404, `REST typing ${id}`);
    t.equal((await intruder.post('/api/chat/messages/mark-read/', { conversation_id: id })).status, 404, `REST mark-read ${id}`);
    t.equal((await intruder.post('/api/chat/conversations/close/', { conversation_id: id })).status, 404, `REST close ${id}`);
  }
  const frames = (id: number) => [
    { type: 'typing', conversation_id: id, is_typing: true },
    { type: 'mark_read', conversation_id: id },
    { type: 'close_conversation', conversation_id: id },
    { type: 'subscribe_conversation', conversation_id: id },
    { type: 'resume', conversation_id: id, since_seq: 0 },
    { type: 'text', conversation_id: id, content: 'hello?' },
  ];
  const from = intruderWs.frames.length;
  for (const id of probed) for (const f of frames(id)) intruderWs.send(f);
  for (let i = 0; i < probed.length * frames(0).length; i++) {
    const e = await intruderWs.next((f) => f.type === 'error', 10_000, from);
    // 36 unknown ids in a row: past the budget of 30, the refusal is a 429 without a query.
    t.ok(e['code'] === 'not_found' || e['code'] === 'rate_limited', `frame refused (${e['code']}: ${e['message']})`);
  }
  t.same(await framesUntilPong(intruderWs, from), [], 'nothing but the refusals reached the prober');
  t.same(await framesUntilPong(deskWs, deskMark), [], "hotel A's socket received nothing");
  t.equal(await liveConversationActors(app), actorsBefore, 'the probes left no actor');
  t.equal(await count(sql, 'messages'), rowsBefore.messages, 'no message written');
  t.equal(await count(sql, 'conversation_participants'), rowsBefore.participants, 'no read state written');

  // Now the probed ids come into existence, through both ways of creating a conversation.
  const made: number[] = [];
  for (const n of [1, 2]) {
    const r = await webhook(app.base, { whatsapp_number: num(n), message: `hi from ${n}`, department: 'Reception' });
    t.equal(r.status, 201, `webhook creating a conversation: ${JSON.stringify(r.body)}`);
    t.equal(r.body.conversation_created, true);
    made.push(r.body.conversation_id);
  }
  const created = await desk.post('/api/chat/conversations/create/', { guest_whatsapp_number: num(3), department_type: 'Reception' });
  t.equal(created.status, 201, JSON.stringify(created.body));
  made.push(created.body.conversation_id);
  t.equal(made[0], first, 'the first new conversation got the first probed id');
  t.ok(made.every((id) => probed.includes(id)), `every new conversation has a probed id (${made} in ${probed})`);

  const again = await webhook(app.base, { whatsapp_number: num(1), message: 'still there?', conversation_id: made[0] });
  t.equal(again.status, 201, `a webhook naming the probed id: ${JSON.stringify(again.body)}`);
  t.equal(again.body.seq, 2);
  for (const id of made) {
    t.equal((await desk.post('/api/chat/messages/typing/', { conversation_id: id, is_typing: true })).status, 200, `typing in ${id}`);
    t.equal((await desk.post('/api/chat/messages/mark-read/', { conversation_id: id })).status, 200, `mark-read in ${id}`);
    deskWs.send({ type: 'text', conversation_id: id, content: `answer in ${id}` });
    t.match(await deskWs.next((f) => f.type === 'acknowledgment' && f.conversation_id === id && f.status === 'received'), { conversation_id: id });
  }
  // Another hotel still cannot touch them, and its attempts reach nobody.
  const messagesNow = await count(sql, 'messages');
  const deskMark2 = deskWs.frames.length;
  t.equal((await intruder.post('/api/chat/messages/typing/', { conversation_id: made[0], is_typing: true })).status, 404);
  intruderWs.send({ type: 'text', conversation_id: made[0], content: 'not yours' });
  t.match(await intruderWs.next((f) => f.type === 'error'), { code: 'not_found' });
  t.equal(await count(sql, 'messages'), messagesNow, 'nothing written by the other hotel');
  t.notOk((await framesUntilPong(deskWs, deskMark2)).some((f) => f.type === 'typing' && f.data?.user_id === b.staff['authz_intruder']!.id), 'its typing reached nobody');
});

t.test('a flood of frames with random ids spawns nothing and is cut off by the not-found budget', async (t) => {
  const app = await startApp(t, { env: { WS_FRAMES_PER_SECOND: '100000', WS_FRAME_BURST: '100000' } });
  const sql = connect(t, app.databaseUrl);
  const num = numberFactory();
  const a = await seedHotel(sql, { staff: [{ username: 'flooder', type: 'receptionist', departments: ['Reception'] }], guests: [{ number: num(1), name: 'Known Guest' }] });
  const token = a.staff['flooder']!.token;
  const known = (await webhook(app.base, { whatsapp_number: num(1), message: 'hello', department: 'Reception' })).body.conversation_id as number;
  const sockets = await Promise.all(Array.from({ length: 10 }, () => WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`)));
  t.teardown(() => sockets.forEach((w) => w.close()));
  sockets[0]!.send({ type: 'mark_read', conversation_id: known });
  await sockets[0]!.next((f) => f.type === 'acknowledgment' && f.status === 'marked_read');
  const actorsBefore = await liveConversationActors(app);
  const messagesBefore = await count(sql, 'messages');

  const perSocket = 250;
  const kinds = ['typing', 'mark_read', 'close_conversation', 'subscribe_conversation', 'resume'] as const;
  const started = performance.now();
  sockets.forEach((ws, s) => {
    for (let i = 0; i < perSocket; i++) {
      const id = 1_000_000 + Math.floor(Math.random() * 1_000_000_000);
      const type = kinds[(s + i) % kinds.length]!;
      ws.send({ type, conversation_id: id, ...(type === 'typing' ? { is_typing: true } : type === 'resume' ? { since_seq: 0 } : {}) });
    }
  });
  const codes = new Map<string, number>();
  for (const ws of sockets) {
    for (let i = 0; i < perSocket; i++) {
      const e = await ws.next((f) => f.type === 'error', 30_000);
      codes.set(e['code'], (codes.get(e['code']) ?? 0) + 1);
    }
  }
  const elapsedS = (performance.now() - started) / 1000;
  t.same([...codes.keys()].sort(), ['not_found', 'rate_limited'], `every frame refused (${JSON.stringify([...codes])})`);
  // Budget: 30 at once, then one every 2 s. Frames past it never reached the database.
  t.ok((codes.get('not_found') ?? 0) <= 30 + Math.ceil(elapsedS / 2), `not-found lookups bounded by the budget (${codes.get('not_found')} in ${elapsedS.toFixed(1)} s)`);
  t.equal(await liveConversationActors(app), actorsBefore, 'no actor spawned');
  t.equal(await count(sql, 'messages'), messagesBefore, 'nothing written');

  // The user's own conversation (opened before the flood) stays reachable meanwhile.
  sockets[0]!.send({ type: 'mark_read', conversation_id: known });
  t.match(await sockets[0]!.next((f) => f.type === 'acknowledgment' && f.status === 'marked_read'), { conversation_id: known });
});
