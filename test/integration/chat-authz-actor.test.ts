// A ConversationActor asked about a conversation that does not exist answers 404 and leaves its
// registry at once: nothing remembers the absence, so once a row with that id is created the
// next command finds it.
import t from 'tap';
import type { ActorStats } from '../../src/actors/actor.js';
import { ask } from '../../src/actors/ask.js';
import { Registry } from '../../src/actors/registry.js';
import { ConversationActor, type ConversationCmd } from '../../src/chat/conversation-actor.js';
import { pgConversationStore } from '../../src/chat/conversation-store.js';
import type { ChatEvents } from '../../src/chat/events.js';
import type { ConversationState } from '../../src/core/chat.js';
import { createLogger } from '../../src/obs/log.js';
import { NotFoundError } from '../../src/core/errors.js';
import { seedHotel } from '../helpers/chat-fixtures.js';
import { freshDb } from '../helpers/db.js';

t.test('an actor that finds no row answers 404 and retires; the row created later is found at once', async (t) => {
  const { sql } = await freshDb(t);
  const stats: ActorStats = { onProcessed: () => undefined, onRejected: () => undefined, onError: () => undefined };
  const log = createLogger({ level: 'silent', nodeId: 'test' });
  const registry = new Registry<ConversationActor>(
    'conversation',
    (key, retire) =>
      new ConversationActor(
        Number(key),
        { store: pgConversationStore(sql), writer: { append: async () => [] }, events: {} as ChatEvents, kickOutbox: () => undefined, sendsToWhatsapp: false, log, retire },
        16,
        stats,
      ),
    60_000,
  );
  t.teardown(() => registry.stop());
  const view = (id: number) => ask<ConversationCmd, ConversationState>(registry.get(String(id)), (reply) => ({ t: 'view', user: null, reply }), 5000);

  const id = 4242;
  await t.rejects(view(id), NotFoundError);
  t.equal(registry.size, 0, 'the actor retired');
  await t.rejects(view(id), NotFoundError, 'asked again, it looks again');
  t.equal(registry.size, 0);

  const a = await seedHotel(sql, { staff: [], guests: [{ number: '+15550104242', name: 'Late Guest' }] });
  await sql`
    insert into conversations (id, hotel_id, guest_id, department, conversation_type)
    overriding system value values (${id}, ${a.hotelId}, ${a.guests['+15550104242']!.id}, 'Reception', 'service')`;
  t.match(await view(id), { id, hotel_id: a.hotelId, department: 'Reception' }, 'created under that id: found at once');
  t.equal(registry.size, 1, 'and now it has an actor');
});
