// ConversationActor with a fake store, writer and event sink (no I/O): every command that changes
// the conversation is refused before any write when the caller may not make it, and is followed
// by exactly its event when it commits — and by none when it does not.
import t from 'tap';
import { ask } from '../../src/actors/ask.js';
import type { AppendOutcome, ConversationCmd } from '../../src/chat/conversation-actor.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../src/core/errors.js';
import { conversation, fakeActor, OTHER_HOTEL, staff } from '../helpers/chat-core-fakes.js';

function cmd<T>(a: ReturnType<typeof fakeActor>['actor'], build: (reply: import('../../src/actors/ask.js').ReplyTo<T>) => ConversationCmd): Promise<T> {
  return ask(a, build, 2000);
}
const names = (sent: { event: string }[]) => sent.map((s) => s.event);

t.test('append: the actor itself refuses staff of another department or hotel, writing and sending nothing', async (t) => {
  for (const [who, expected] of [
    [staff(20, { departments: ['Housekeeping'] }), ForbiddenError],
    [staff(21, { hotel_id: OTHER_HOTEL }), NotFoundError],
  ] as const) {
    const f = fakeActor();
    for (const media of [undefined, { key: 'chat/x.pdf', url: null, filename: 'x.pdf', contentType: 'application/pdf' }]) {
      await t.rejects(
        cmd<AppendOutcome>(f.actor, (reply) => ({ t: 'append', input: { sender: { kind: 'staff', user: who }, messageType: media ? 'document' : 'text', content: 'hi', media }, reply })),
        expected,
      );
    }
    t.equal(f.writer.rows.length, 0, `${expected.name}: nothing written`);
    t.same(f.sent, [], `${expected.name}: nothing sent`);
  }
});

t.test('append: an allowed staff reply is written, then sent as a message event', async (t) => {
  const f = fakeActor();
  const out = await cmd<AppendOutcome>(f.actor, (reply) => ({ t: 'append', input: { sender: { kind: 'staff', user: staff(1) }, messageType: 'text', content: 'hello' }, reply }));
  t.equal(out.status, 'ok');
  t.equal(f.writer.rows[0]!.delivery_status, 'queued', 'a service reply is queued for WhatsApp');
  t.same(f.writer.rows[0]!.outbox_kinds, ['whatsapp.send']);
  t.same(names(f.sent), ['message', 'newConversation'], 'seq 1 also announces the conversation');
});

t.test('append: a failed write sends nothing and answers the failure as it is', async (t) => {
  const f = fakeActor();
  const boom = Object.assign(new Error('connection lost'), { code: 'ECONNRESET' });
  f.writer.fail = boom;
  await t.rejects(cmd(f.actor, (reply) => ({ t: 'append', input: { sender: { kind: 'guest' }, messageType: 'text', content: 'hi' }, reply })), boom);
  t.same(f.sent, []);
});

t.test('close, reopen, archive: each commits, then sends its conversation_update', async (t) => {
  const f = fakeActor();
  const desk = staff(1);
  t.equal(await cmd<boolean>(f.actor, (reply) => ({ t: 'archive', reply })), false, 'an active conversation is not archived');
  t.equal(await cmd<boolean>(f.actor, (reply) => ({ t: 'close', by: desk, reply })), true);
  t.equal(await cmd<boolean>(f.actor, (reply) => ({ t: 'reopen', by: desk, reply })), true);
  t.equal(await cmd<boolean>(f.actor, (reply) => ({ t: 'reopen', by: desk, reply })), false, 'an active one is not reopened');
  t.equal(await cmd<boolean>(f.actor, (reply) => ({ t: 'close', by: null, reply })), true);
  t.equal(await cmd<boolean>(f.actor, (reply) => ({ t: 'archive', reply })), true);
  t.same(f.store.writes, ['status 7 active->closed', 'status 7 closed->active', 'status 7 active->closed', 'status 7 closed->archived']);
  t.same(
    f.sent.map((s) => s.args[1]),
    ['conversation_closed', 'conversation_reopened', 'conversation_closed', 'conversation_archived'],
    'one event per committed change, none for the refused ones',
  );
});

t.test('reopen: refused for other departments, and a conflict when the guest has another active conversation', async (t) => {
  const f = fakeActor(conversation({ status: 'closed' }));
  await t.rejects(cmd(f.actor, (reply) => ({ t: 'reopen', by: staff(2, { departments: ['Restaurant'] }), reply })), ForbiddenError);
  f.store.failStatus = Object.assign(new Error('duplicate key'), { code: '23505' });
  await t.rejects(cmd(f.actor, (reply) => ({ t: 'reopen', by: staff(1), reply })), ConflictError);
  t.same(f.sent, []);
  t.equal(f.store.row.status, 'closed');
});

t.test('delivery status: a forward move sends message_status; anything else sends nothing', async (t) => {
  const f = fakeActor();
  f.store.delivery.set(55, 'queued');
  t.equal(await cmd<boolean>(f.actor, (reply) => ({ t: 'delivery', messageId: 55, status: 'failed', error: 'refused', providerMessageId: null, reply })), true);
  t.equal(await cmd<boolean>(f.actor, (reply) => ({ t: 'delivery', messageId: 55, status: 'sent', error: null, providerMessageId: 'wamid.1', reply })), false);
  t.same(f.sent.map((s) => [s.event, s.args[1], s.args[2]]), [['messageStatus', 55, 'failed']]);
});

t.test('media ingested: the message is pointed at its media, then sent as message_updated', async (t) => {
  const f = fakeActor();
  const ok = await cmd<boolean>(f.actor, (reply) => ({ t: 'media_ingested', messageId: 9, media: { key: 'chat/h/7/a.jpg', contentType: 'image/jpeg', filename: 'a.jpg', type: 'image' }, reply }));
  t.equal(ok, true);
  t.same(f.store.writes, ['media 9 chat/h/7/a.jpg']);
  t.equal(f.sent[0]!.event, 'messageUpdated');
  t.match(f.sent[0]!.args[1], { id: 9, media_key: 'chat/h/7/a.jpg', sender_name: 'Gina', guest: { room_number: '101' } });
});

t.test('read and typing: refused across departments without a write or an event', async (t) => {
  const f = fakeActor();
  const outsider = staff(3, { departments: ['Housekeeping'] });
  await t.rejects(cmd(f.actor, (reply) => ({ t: 'read', staff: outsider, messageIds: null, reply })), ForbiddenError);
  await t.rejects(cmd(f.actor, (reply) => ({ t: 'typing', who: { kind: 'staff', user: outsider }, isTyping: true, reply })), ForbiddenError);
  await t.rejects(cmd(f.actor, (reply) => ({ t: 'close', by: outsider, reply })), ForbiddenError);
  t.same(f.store.writes, []);
  t.same(f.sent, []);
});
