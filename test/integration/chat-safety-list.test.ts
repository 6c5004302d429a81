// Two hotels on one node: each hotel's staff list exactly their own hotel's conversations,
// whatever the filters (status, department, type, paging), and another hotel's conversation is
// not found in detail.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { numberFactory, seedHotel, webhook, type SeededHotel } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { client } from '../helpers/http.js';

const app = await startApp(t);
const sql = connect(t, app.databaseUrl);
const num = numberFactory();

interface Side {
  hotel: SeededHotel;
  desk: ReturnType<typeof client>;
  admin: ReturnType<typeof client>;
  /** Conversation ids by what they are. */
  service: number[];
  checkin: number;
  closed: number;
}

async function side(label: string, first: number): Promise<Side> {
  const hotel = await seedHotel(sql, {
    name: `List ${label}`,
    staff: [
      { username: `list_desk_${label}`, type: 'receptionist', departments: ['Reception'] },
      { username: `list_admin_${label}`, type: 'hotel_admin' },
    ],
    guests: [
      { number: num(first), name: `${label} One`, room: '101' },
      { number: num(first + 1), name: `${label} Two`, room: '102' },
      { number: num(first + 2), name: `${label} Pending`, status: 'pending_checkin' },
    ],
  });
  const post = async (n: number, department: string) => {
    const r = await webhook(app.base, { channel: hotel.channel, whatsapp_number: num(n), message: `${label} ${n} ${department}`, department });
    if (r.status !== 201) throw new Error(`webhook ${label}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.conversation_id as number;
  };
  const service = [await post(first, 'Reception'), await post(first + 1, 'Reception'), await post(first, 'Housekeeping')];
  const checkin = await post(first + 2, 'Reception');
  const closed = await post(first + 1, 'Housekeeping');
  const admin = client(app.base, hotel.staff[`list_admin_${label}`]!.token);
  const r = await admin.post('/api/chat/conversations/close/', { conversation_id: closed });
  if (r.status !== 200) throw new Error(`close: ${r.status}`);
  return { hotel, desk: client(app.base, hotel.staff[`list_desk_${label}`]!.token), admin, service, checkin, closed };
}

const a = await side('a', 1);
const b = await side('b', 100);
const sides = { a, b };

const ids = (r: { body: { results: Array<{ id: number }> } }) => r.body.results.map((c) => c.id).sort((x, y) => x - y);
const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);

for (const [name, s] of Object.entries(sides)) {
  const other = s === a ? b : a;
  t.test(`hotel ${name} lists only its own conversations`, async (t) => {
    const all = await s.admin.get('/api/chat/conversations/?page_size=100');
    t.equal(all.status, 200);
    t.same(ids(all), sorted(s.service), 'hotel admin: its service conversations, no other hotel\'s');
    t.equal(all.body.count, s.service.length, 'the count is of its own hotel only');
    t.ok(all.body.results.every((c: { hotel: string }) => c.hotel === s.hotel.hotelId), 'every row names its hotel');

    const desk = await s.desk.get('/api/chat/conversations/?page_size=100');
    t.same(ids(desk), sorted(s.service.slice(0, 2)), 'receptionist: its Reception conversations');
    t.equal(desk.body.count, 2);

    const dept = await s.admin.get('/api/chat/conversations/?department=Housekeeping');
    t.same(ids(dept), [s.service[2]], 'department filter stays in the hotel');
    const closed = await s.admin.get('/api/chat/conversations/?status=closed');
    t.same(ids(closed), [s.closed], 'closed ones of its hotel only');
    const checkin = await s.admin.get('/api/chat/conversations/?conversation_type=checkin');
    t.same(ids(checkin), [s.checkin], 'check-in ones of its hotel only');
    const page = await s.admin.get('/api/chat/conversations/?page_size=2&page=2');
    t.equal(page.body.count, s.service.length, 'paging counts its own hotel only');
    t.equal(page.body.results.length, 1);

    for (const id of [...other.service, other.closed, other.checkin]) {
      const r = await s.admin.get(`/api/chat/conversations/${id}/`);
      t.equal(r.status, 404, `another hotel's conversation ${id} is not found`);
    }
  });
}
