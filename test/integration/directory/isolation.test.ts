// Issue 3 — cross-hotel isolation for every directory endpoint. Two hotels, A and B, each with
// staff of every role, rooms, guests and stays. Staff of A must get 404 for B's hotel, users,
// rooms, guests and stays — on reads, edits, deletes and actions — exactly as for an id that does
// not exist (a refusal must never confirm that another hotel's object exists), their lists must
// only hold their own hotel's objects, and B's objects must be unchanged afterwards.
import t from 'tap';
import {
  createGuest,
  createRoom,
  createStay,
  createUser,
  expectStatus,
  fields,
  HOTEL_ROLES,
  staffedHotel,
  startDirectory,
  type HotelRole,
} from '../../helpers/directory-fixtures.js';
import { request } from '../../helpers/http.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const MISSING_ID = 987654321;
const MISSING_HOTEL = '00000000-0000-4000-8000-000000000000';
const ADMINS: readonly HotelRole[] = ['hotel_admin', 'manager'];
const FRONT_DESK: readonly HotelRole[] = ['hotel_admin', 'manager', 'receptionist'];

t.test('cross-hotel isolation', async (t) => {
  const w = await startDirectory(t);
  const [A, B] = await Promise.all([staffedHotel(w, 'alpha'), staffedHotel(w, 'bravo')]);
  const aBoss = w.as(A.staff.hotel_admin);
  const bBoss = w.as(B.staff.hotel_admin);

  // B's world.
  const bUser = await createUser(w, B.staff.hotel_admin.access, { user_type: 'department_staff', hotel_id: B.id, department: 'Housekeeping' });
  const bRoom = await createRoom(bBoss, { room_number: '201', floor: 2 });
  const bRoom2 = await createRoom(bBoss, { room_number: '202', floor: 2 });
  const bGuest = await createGuest(bBoss, { full_name: 'Bravo Guest', email: 'guest@bravo.example' });
  const bPending = await createStay(bBoss, { guest_id: bGuest.id, room_id: bRoom.id });
  const bGuest2 = await createGuest(bBoss);
  const bActive = await createStay(bBoss, { guest_id: bGuest2.id, room_id: bRoom2.id });
  expectStatus(await bBoss.post(`/api/stays/${bActive.id}/check-in/`, {}), 200, 'check in at B');
  // A's world (for lists and for bodies that point at B's objects).
  const aRoom = await createRoom(aBoss, { room_number: '101', floor: 1 });
  const aGuest = await createGuest(aBoss);
  const aStay = await createStay(aBoss, { guest_id: aGuest.id });

  const snapshot = async () => ({
    hotel: (await bBoss.get(`/api/hotels/${B.id}/`)).body,
    user: (await bBoss.get(`/api/users/${bUser.id}/`)).body,
    room: (await bBoss.get(`/api/rooms/${bRoom.id}/`)).body,
    guest: (await bBoss.get(`/api/guests/${bGuest.id}/`)).body,
    pending: (await bBoss.get(`/api/stays/${bPending.id}/`)).body,
    active: (await bBoss.get(`/api/stays/${bActive.id}/`)).body,
  });
  const before = await snapshot();

  // Each case: a request on B's object, the same request on an id that does not exist, and the
  // roles that have the right to make it (for them it must be a plain 404).
  interface Case {
    name: string;
    method: Method;
    path: (id: string | number) => string;
    id: string | number;
    missing: string | number;
    body?: unknown;
    entitled: readonly HotelRole[];
  }
  const cases: Case[] = [
    { name: "read B's hotel", method: 'GET', path: (id) => `/api/hotels/${id}/`, id: B.id, missing: MISSING_HOTEL, entitled: HOTEL_ROLES },
    { name: "edit B's hotel", method: 'PATCH', path: (id) => `/api/hotels/${id}/`, id: B.id, missing: MISSING_HOTEL, body: { description: 'pwned' }, entitled: ADMINS },
    { name: "read B's user", method: 'GET', path: (id) => `/api/users/${id}/`, id: bUser.id, missing: MISSING_ID, entitled: HOTEL_ROLES },
    { name: "read B's admin", method: 'GET', path: (id) => `/api/users/${id}/`, id: B.staff.hotel_admin.id, missing: MISSING_ID, entitled: HOTEL_ROLES },
    { name: "edit B's user", method: 'PATCH', path: (id) => `/api/users/${id}/`, id: bUser.id, missing: MISSING_ID, body: { last_name: 'pwned' }, entitled: ADMINS },
    { name: "reset B's user's password", method: 'PATCH', path: (id) => `/api/users/${id}/`, id: bUser.id, missing: MISSING_ID, body: { password: 'taken-over-pw' }, entitled: ADMINS },
    { name: "deactivate B's user", method: 'DELETE', path: (id) => `/api/users/${id}/`, id: bUser.id, missing: MISSING_ID, entitled: ADMINS },
    { name: "read B's room", method: 'GET', path: (id) => `/api/rooms/${id}/`, id: bRoom.id, missing: MISSING_ID, entitled: HOTEL_ROLES },
    { name: "edit B's room", method: 'PATCH', path: (id) => `/api/rooms/${id}/`, id: bRoom.id, missing: MISSING_ID, body: { status: 'out_of_order' }, entitled: ADMINS },
    { name: "delete B's room", method: 'DELETE', path: (id) => `/api/rooms/${id}/`, id: bRoom.id, missing: MISSING_ID, entitled: ADMINS },
    { name: "read B's guest", method: 'GET', path: (id) => `/api/guests/${id}/`, id: bGuest.id, missing: MISSING_ID, entitled: HOTEL_ROLES },
    { name: "edit B's guest", method: 'PATCH', path: (id) => `/api/guests/${id}/`, id: bGuest.id, missing: MISSING_ID, body: { full_name: 'pwned' }, entitled: FRONT_DESK },
    { name: "token for B's guest", method: 'POST', path: (id) => `/api/guests/${id}/socket-token/`, id: bGuest.id, missing: MISSING_ID, body: {}, entitled: FRONT_DESK },
    { name: "read B's stay", method: 'GET', path: (id) => `/api/stays/${id}/`, id: bPending.id, missing: MISSING_ID, entitled: HOTEL_ROLES },
    { name: "edit B's stay", method: 'PATCH', path: (id) => `/api/stays/${id}/`, id: bPending.id, missing: MISSING_ID, body: { number_of_guests: 9 }, entitled: FRONT_DESK },
    { name: "check in B's stay", method: 'POST', path: (id) => `/api/stays/${id}/check-in/`, id: bPending.id, missing: MISSING_ID, body: {}, entitled: FRONT_DESK },
    { name: "cancel B's stay", method: 'POST', path: (id) => `/api/stays/${id}/cancel/`, id: bPending.id, missing: MISSING_ID, body: {}, entitled: FRONT_DESK },
    { name: "check out B's stay", method: 'POST', path: (id) => `/api/stays/${id}/check-out/`, id: bActive.id, missing: MISSING_ID, body: {}, entitled: FRONT_DESK },
  ];

  /** Every row of the directory tables, so a refusal can be shown to have written nothing. */
  const directoryRows = async () => ({
    hotels: await w.sql`select * from hotels order by id`,
    users: await w.sql`select id, username, email, password_hash, user_type, hotel_id, departments, is_active, updated_at from users order by id`,
    rooms: await w.sql`select * from rooms order by id`,
    guests: await w.sql`select * from guests order by id`,
    stays: await w.sql`select * from stays order by id`,
  });

  for (const c of cases) {
    t.test(`${c.method} — ${c.name}`, async (t) => {
      const before = await directoryRows();
      for (const role of HOTEL_ROLES) {
        const token = A.staff[role].access;
        const send = (id: string | number) =>
          request(w.app.base, c.method, c.path(id), { token, ...(c.body !== undefined ? { body: c.body } : {}) });
        const theirs = await send(c.id);
        const missing = await send(c.missing);
        // Entitled to the command or not, another hotel's object does not exist for A's staff.
        t.equal(theirs.status, 404, `${role}${c.entitled.includes(role) ? '' : ' (not entitled)'}: 404 for B's object${theirs.status !== 404 ? ` (got ${JSON.stringify(theirs.body)})` : ''}`);
        t.equal(theirs.status, missing.status, `${role}: same status as an id that does not exist`);
        t.same(theirs.body, missing.body, `${role}: same body as an id that does not exist`);
      }
      t.same(await directoryRows(), before, 'nothing was written by any of the refusals');
    });
  }

  t.test("bodies that point at B's objects are refused like missing ones", async (t) => {
    const api = aBoss;
    const cmp = async (what: string, send: (v: unknown) => ReturnType<typeof api.post>, theirs: unknown, missing: unknown, field: string) => {
      const a = await send(theirs);
      const b = await send(missing);
      t.equal(a.status, 400, `${what}: 400`);
      t.ok(fields(a)[field], `${what}: names ${field}`);
      t.same(a.body, b.body, `${what}: same reply as for a missing object`);
    };
    await cmp('stay for B\'s guest', (id) => api.post('/api/stays/', { guest_id: id }), bGuest.id, MISSING_ID, 'guest_id');
    await cmp('stay in B\'s room', (id) => api.post('/api/stays/', { guest_id: aGuest.id, room_id: id }), bRoom.id, MISSING_ID, 'room_id');
    await cmp('move a stay to B\'s room', (id) => api.patch(`/api/stays/${aStay.id}/`, { room_id: id }), bRoom.id, MISSING_ID, 'room_id');
    await cmp('check in to B\'s room', (id) => api.post(`/api/stays/${aStay.id}/check-in/`, { room_id: id }), bRoom.id, MISSING_ID, 'room_id');
    await cmp('room in B', (id) => api.post('/api/rooms/', { room_number: '999', floor: 9, hotel_id: id }), B.id, MISSING_HOTEL, 'hotel_id');
    await cmp('user in B', (id) => api.post('/api/users/', { username: 'intruder', email: 'intruder@x.example', password: 'a-long-password', user_type: 'receptionist', hotel_id: id }), B.id, MISSING_HOTEL, 'hotel_id');
    await cmp('stay in B', (id) => api.post('/api/stays/', { guest_id: aGuest.id, hotel_id: id }), B.id, MISSING_HOTEL, 'hotel_id');
  });

  t.test('lists only hold their own hotel', async (t) => {
    for (const role of HOTEL_ROLES) {
      const api = w.as(A.staff[role]);
      const hotels = await api.get('/api/hotels/');
      t.same(hotels.body.results.map((h: any) => h.id), [A.id], `${role}: hotels`);
      t.equal(hotels.body.count, 1);
      const users = await api.get('/api/users/?page_size=100');
      t.ok(users.body.count >= HOTEL_ROLES.length, `${role}: sees their colleagues`);
      t.ok(users.body.results.every((u: any) => u.hotel_id === A.id), `${role}: users`);
      const rooms = await api.get('/api/rooms/?page_size=100');
      t.same(rooms.body.results.map((r: any) => r.id), [aRoom.id], `${role}: rooms`);
      const guests = await api.get('/api/guests/?page_size=100');
      t.same(guests.body.results.map((g: any) => g.id), [aGuest.id], `${role}: guests`);
      const stays = await api.get('/api/stays/?page_size=100');
      t.same(stays.body.results.map((s: any) => s.id), [aStay.id], `${role}: stays`);
      // Asking for B explicitly does not widen the scope.
      for (const path of [`/api/users/?hotel=${B.id}`, `/api/rooms/?hotel=${B.id}`]) {
        const r = await api.get(path);
        // The caller's hotel scope wins over the filter: their own hotel's rows, never B's.
        t.equal(r.status, 200, `${role}: ${path} answered ${r.status} ${JSON.stringify(r.body)}`);
        t.ok(r.body.results.length > 0 && r.body.results.every((x: any) => x.hotel_id === A.id), `${role}: ${path} stays in A`);
      }
      // Searching for B's data finds nothing.
      t.equal((await api.get(`/api/guests/?search=${encodeURIComponent(bGuest.whatsapp_number)}`)).body.count, 0, `${role}: B's guest number`);
      t.equal((await api.get(`/api/guests/?search=Bravo`)).body.count, 0, `${role}: B's guest name`);
      t.equal((await api.get(`/api/users/?search=${bUser.username}`)).body.count, 0, `${role}: B's username`);
      t.equal((await api.get(`/api/stays/?guest=${bGuest.id}`)).body.count, 0, `${role}: B's guest's stays`);
    }
  });

  t.test('the platform administrator sees both hotels', async (t) => {
    const hotels = await w.adminApi.get('/api/hotels/');
    t.same(new Set(hotels.body.results.map((h: any) => h.id)), new Set([A.id, B.id]));
    t.equal((await w.adminApi.get(`/api/rooms/${bRoom.id}/`)).status, 200);
    t.equal((await w.adminApi.get(`/api/stays/${bPending.id}/`)).status, 200);
    t.equal((await w.adminApi.get(`/api/guests/${bGuest.id}/`)).status, 200);
    const onlyB = await w.adminApi.get(`/api/rooms/?hotel=${B.id}`);
    t.same(new Set(onlyB.body.results.map((r: any) => r.id)), new Set([bRoom.id, bRoom2.id]), '?hotel= narrows to one hotel');
  });

  // Each hotel keeps its own guest record per number: knowing a number that hotel B uses reveals
  // nothing of B's record, and A's record is A's own.
  t.test("knowing a number does not expose another hotel's guest record", async (t) => {
    const number = bGuest.whatsapp_number;
    const dup = await aBoss.post('/api/guests/', { whatsapp_number: number, full_name: 'Someone' });
    t.equal(dup.status, 201, "registering B's number at A does not confirm that another hotel knows it");
    t.not(dup.body.id, bGuest.id, 'a record of its own');
    const stay = await aBoss.post('/api/stays/', { guest: { whatsapp_number: number, full_name: 'Walk-in at A' } });
    t.equal(stay.status, 201);
    t.not(stay.body.guest_name, 'Bravo Guest', "A's stay does not show the name B recorded");
    const g = await aBoss.get(`/api/guests/${stay.body.guest_id}/`);
    t.not(g.body.email, 'guest@bravo.example', "nor B's guest's email");
    await aBoss.post(`/api/stays/${stay.body.id}/cancel/`, {});
    await aBoss.patch(`/api/guests/${dup.body.id}/`, { full_name: 'Renamed at A' });
    t.equal((await w.adminApi.get(`/api/guests/${bGuest.id}/`)).body.full_name, 'Bravo Guest', "editing A's record leaves B's alone");
  });

  t.test("B's objects are unchanged", async (t) => {
    const after = await snapshot();
    t.same(after, before);
    t.equal(after.user.is_active, true);
    t.equal(after.pending.status, 'pending');
    t.equal(after.active.status, 'active');
    t.equal((await request(w.app.base, 'GET', '/api/rooms/', { token: B.staff.department_staff.access })).status, 200, "B's staff still signed in");
    const login = await request(w.app.base, 'POST', '/api/login/', { body: { username: bUser.username, password: 'taken-over-pw' } });
    t.equal(login.status, 401, "B's user's password was not reset");
  });
});
