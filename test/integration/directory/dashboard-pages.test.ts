// Issue 16 — the dashboard's rooms, onboarding and staff pages: the exact requests they send.
// Empty query values count as absent; rooms filter by status, floor and room-number search;
// /api/rooms/floors/ lists floors (not a room id); the onboarding wizard's profile fields are
// stored and returned; is_active_hotel_user is read and saved on the staff page. Fields the
// dashboard does not send are still refused with 400.
import t from 'tap';
import { createRoom, expectStatus, fields, staffedHotel, startDirectory } from '../../helpers/directory-fixtures.js';

t.test('the dashboard pages', async (t) => {
  const w = await startDirectory(t);
  const H = await staffedHotel(w, 'dash');
  const admin = w.as(H.staff.hotel_admin);
  const other = await staffedHotel(w, 'dash-other');
  await createRoom(w.as(other.staff.hotel_admin), { room_number: '901', floor: 9 });
  const rooms = [
    await createRoom(admin, { room_number: '101', floor: 1 }),
    await createRoom(admin, { room_number: '102', floor: 1, status: 'cleaning' }),
    await createRoom(admin, { room_number: '110', floor: 1 }),
    await createRoom(admin, { room_number: '201', floor: 2 }),
    await createRoom(admin, { room_number: '5_%', floor: 3 }),
  ];
  const numbers = (r: { body: { results: Array<{ room_number: string }> } }) => r.body.results.map((x) => x.room_number);

  t.test('GET /api/rooms/ with the rooms page query', async (t) => {
    const r = expectStatus(await admin.get('/api/rooms/?floor=1&page=1&page_size=10&search=&status='), 200, 'rooms page');
    t.same(numbers(r), ['101', '102', '110'], 'floor 1, empty search and status ignored');
    t.equal(r.body.count, 3);
    const avail = expectStatus(await admin.get('/api/rooms/?status=available&category=&floor='), 200, 'status filter');
    t.same(numbers(avail), ['101', '110', '201', '5_%'], 'available rooms of this hotel only; empty category and floor ignored');
    t.same(numbers(await admin.get('/api/rooms/?search=10&status=&floor=')), ['101', '102', '110'], 'search by part of the number');
    t.same(numbers(await admin.get('/api/rooms/?search=0&status=cleaning')), ['102'], 'search and status together');
    t.same(numbers(await admin.get(`/api/rooms/?search=${encodeURIComponent('_%')}`)), ['5_%'], 'LIKE wildcards in a search are literal');
    t.same(numbers(await admin.get('/api/rooms/?page_size=1')), ['101'], 'the layout\'s call');
    const unknown = await admin.get('/api/rooms/?colour=red');
    t.equal(unknown.status, 400, 'an unknown parameter is still refused');
    t.equal(fields(unknown)['colour'], 'is not a known field');
    t.equal((await admin.get('/api/rooms/?floor=abc')).status, 400, 'a malformed floor is still refused');
    t.equal((await admin.get('/api/rooms/?category=deluxe')).status, 400, 'room categories are not kept: a category filter is refused, not ignored');
  });

  t.test('GET /api/rooms/floors/ lists the floors', async (t) => {
    const r = expectStatus(await admin.get('/api/rooms/floors/'), 200, 'floors');
    t.same(r.body, [1, 2, 3], 'this hotel\'s floors, lowest first');
    t.same((await w.as(H.staff.department_staff).get('/api/rooms/floors')).body, [1, 2, 3], 'any staff member, with or without the slash');
    t.equal((await admin.get(`/api/rooms/${rooms[0]!.id}/`)).body.room_number, '101', 'a room id still reaches the room');
  });

  t.test('PATCH /api/hotels/<id>/ from the onboarding wizard', async (t) => {
    const body = {
      name: H.hotel.name,
      address: '1 Beach Road',
      city: 'Kochi',
      state: 'Kerala',
      country: 'India',
      pincode: '682001',
      phone: '+914842000000',
      email: 'desk@hotel.example',
      check_in_time: '14:00',
      check_out_time: '11:00',
      google_review_link: 'https://g.page/r/hotel-review',
      google_map_link: 'https://maps.google.com/?cid=123',
      breakfast_time: '07:30',
      lunch_time: '12:30',
      dinner_time: '19:00',
      breakfast_reminder: true,
      lunch_reminder: false,
      dinner_reminder: true,
    };
    const r = expectStatus(await admin.patch(`/api/hotels/${H.id}/`, body), 200, 'onboarding patch');
    for (const [k, v] of Object.entries(body)) t.same(r.body[k], v, k);
    const read = expectStatus(await admin.get(`/api/hotels/${H.id}/`), 200, 'read back');
    for (const [k, v] of Object.entries(body)) t.same(read.body[k], v, `${k} stored`);
    const cleared = expectStatus(await admin.patch(`/api/hotels/${H.id}/`, { google_map_link: '', lunch_time: null }), 200, 'clear');
    t.equal(cleared.body.google_map_link, '');
    t.equal(cleared.body.lunch_time, null);
    t.equal(cleared.body.breakfast_time, '07:30', 'others kept');
    const fresh = expectStatus(await w.as(other.staff.manager).get(`/api/hotels/${other.id}/`), 200, 'another hotel');
    t.match(fresh.body, { google_review_link: '', breakfast_time: null, breakfast_reminder: false }, 'defaults');

    const bad = await admin.patch(`/api/hotels/${H.id}/`, { breakfast_time: '25:00', google_review_link: 'javascript:alert(1)', lunch_reminder: 'yes' });
    t.equal(bad.status, 400);
    t.same(Object.keys(fields(bad)).sort(), ['breakfast_time', 'google_review_link', 'lunch_reminder'], 'each bad field named');
    const unknown = await admin.patch(`/api/hotels/${H.id}/`, { ...body, wifi_password: 'x' });
    t.equal(unknown.status, 400, 'a field the dashboard does not send is still refused');
    t.equal(fields(unknown)['wifi_password'], 'is not a known field');
  });

  t.test('is_active_hotel_user on the staff page', async (t) => {
    const list = expectStatus(await admin.get('/api/users/'), 200, 'staff list');
    t.ok(list.body.results.length >= 5);
    t.ok(list.body.results.every((u: Record<string, unknown>) => u['is_active_hotel_user'] === true), 'active staff show as active');
    const target = H.staff.department_staff;
    const off = expectStatus(await admin.patch(`/api/users/${target.id}/`, { is_active_hotel_user: false }), 200, 'deactivate');
    t.equal(off.body.is_active_hotel_user, false);
    t.equal(off.body.is_active, false, 'the same flag');
    t.equal((await w.as(target).get('/api/notifications/')).status, 401, 'an inactive user is signed out');
    const on = expectStatus(await admin.patch(`/api/users/${target.id}/`, { is_active_hotel_user: true, department: ['Housekeeping'] }), 200, 'reactivate');
    t.equal(on.body.is_active_hotel_user, true);
    t.equal((await admin.get(`/api/users/${target.id}/`)).body.is_active_hotel_user, true, 'stored');
    const clash = await admin.patch(`/api/users/${target.id}/`, { is_active_hotel_user: true, is_active: false });
    t.equal(clash.status, 400, 'two different answers for one flag');
    t.ok(fields(clash)['is_active_hotel_user']);
    t.equal((await admin.patch(`/api/users/${target.id}/`, { is_verified: true })).status, 400, 'other unknown fields are still refused');
  });
});
