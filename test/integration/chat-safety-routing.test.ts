// Event routing by conversation type (DESIGN §6, chat/rules.ts broadcastsToStaff): only service
// conversations reach department staff live; checkin, general and demo messages are stored and
// handed to reply systems, and no department socket sees them (neither the message nor a
// new_conversation). Each row of the matrix is checked against a sentinel: a service message
// sent afterwards must be the first thing that reaches the observer.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { WsClient, type Frame } from '../helpers/ws.js';

const app = await startApp(t);
const sql = connect(t, app.databaseUrl);
const num = numberFactory();
const GUESTS = { service: num(1), checkin: num(2), general: num(3), demo: num(4), sentinel: num(5) };
const hotel = await seedHotel(sql, {
  staff: [
    { username: 'route_desk', type: 'receptionist', departments: ['Reception'] },
    { username: 'route_hk', type: 'department_staff', departments: ['Housekeeping'] },
  ],
  guests: [
    { number: GUESTS.service, name: 'Service Guest', room: '101' },
    { number: GUESTS.checkin, name: 'Arriving Guest', status: 'pending_checkin' },
    { number: GUESTS.general, name: 'Departed Guest', status: 'checked_out' },
    { number: GUESTS.demo, name: 'Demo Guest', room: '103' },
    { number: GUESTS.sentinel, name: 'Sentinel Guest', room: '105' },
  ],
});
const other = await seedHotel(sql, { staff: [{ username: 'route_other', type: 'receptionist', departments: ['Reception'] }], guests: [] });

const socket = async (token: string) => {
  const ws = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(token)}`);
  t.teardown(() => ws.close());
  return ws;
};
const desk = await socket(hotel.staff['route_desk']!.token);
const housekeeping = await socket(hotel.staff['route_hk']!.token);
const otherHotel = await socket(other.staff['route_other']!.token);

// A demo conversation is made by the Management demo flow, not by guest status: write its row.
const [demoRow] = await sql<{ id: number }[]>`
  insert into conversations (guest_id, hotel_id, department, conversation_type)
  values (${hotel.guests[GUESTS.demo]!.id}, ${hotel.hotelId}, 'Reception', 'demo') returning id`;

/** What reached a socket from `from` on, apart from presence and pongs. */
const traffic = (ws: WsClient, from: number): Frame[] => ws.frames.slice(from).filter((f) => f.type !== 'user_status' && f.type !== 'pong');
const aboutConversation = (f: Frame) => f.data?.conversation_id ?? (f.type === 'new_conversation' ? f.data?.id : undefined);

let sentinelCount = 0;
/** A service message of another guest; resolves once the desk socket has it. */
async function sentinel(): Promise<number> {
  sentinelCount += 1;
  const r = await webhook(app.base, { whatsapp_number: GUESTS.sentinel, message: `sentinel ${sentinelCount}`, department: 'Reception' });
  if (r.status !== 201) throw new Error(`sentinel: ${r.status}`);
  await desk.next((f) => f.type === 'message' && f.data.content === `sentinel ${sentinelCount}`);
  return r.body.conversation_id;
}

const cases = [
  { type: 'service', number: GUESTS.service, broadcast: true },
  { type: 'checkin', number: GUESTS.checkin, broadcast: false },
  { type: 'general', number: GUESTS.general, broadcast: false },
  { type: 'demo', number: GUESTS.demo, broadcast: false, conversation_id: demoRow!.id },
] as const;

for (const c of cases) {
  t.test(`${c.type} conversation: ${c.broadcast ? 'broadcast to the department' : 'not pushed to any staff socket'}`, async (t) => {
    const marks = [desk, housekeeping, otherHotel].map((ws) => ws.frames.length);
    const ids: number[] = [];
    for (const n of [1, 2]) {
      const body = { whatsapp_number: c.number, message: `${c.type} ${n}`, ...('conversation_id' in c ? { conversation_id: c.conversation_id } : { department: 'Reception' }) };
      const r = await webhook(app.base, body);
      t.equal(r.status, 201, JSON.stringify(r.body));
      t.equal(r.body.conversation_type, c.type);
      ids.push(r.body.conversation_id);
    }
    const id = ids[0]!;
    t.equal(ids[1], id, 'both messages in one conversation');
    const sentinelId = await sentinel();
    const [deskFrames, hkFrames, otherFrames] = [traffic(desk, marks[0]!), traffic(housekeeping, marks[1]!), traffic(otherHotel, marks[2]!)];
    const deskAbout = deskFrames.filter((f) => aboutConversation(f) === id).map((f) => `${f.type}${f.type === 'message' ? ` ${f.data.seq}` : ''}`);
    if (c.broadcast) {
      t.same(deskAbout.sort(), ['message 1', 'message 2', 'new_conversation'], 'the department socket got both messages and the announcement');
    } else {
      t.same(deskAbout, [], 'nothing of it reached the department socket');
      const first = deskFrames.find((f) => f.type === 'message' || f.type === 'new_conversation');
      t.equal(aboutConversation(first!), sentinelId, 'the sentinel is the first event the desk received');
    }
    t.same(hkFrames.filter((f) => aboutConversation(f) === id), [], 'another department saw nothing of it');
    t.same(otherFrames.filter((f) => aboutConversation(f) === id), [], 'another hotel saw nothing of it');
    const stored = await sql<{ seq: number }[]>`select seq from messages where conversation_id = ${id} order by seq`;
    t.same(stored.map((m) => m.seq), [1, 2], 'stored either way');
  });
}

t.test('the other hotel and the other department received no message at all', async (t) => {
  otherHotel.send({ type: 'ping' });
  await otherHotel.next((f) => f.type === 'pong');
  housekeeping.send({ type: 'ping' });
  await housekeeping.next((f) => f.type === 'pong');
  t.same(traffic(otherHotel, 0).filter((f) => f.type !== 'ping'), []);
  t.same(traffic(housekeeping, 0), []);
});
