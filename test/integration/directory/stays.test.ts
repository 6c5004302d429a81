// Issue 3 — stays and the guest status that chat routing follows: create (by guest_id or with a
// guest object), check-in (pending_checkin → checked_in, room occupied), check-out (checked_out
// when no other active stay, room cleaning), cancel (pending only), and the conflicts.
import t from 'tap';
import { createGuest, createRoom, createStay, expectStatus, fields, phone, staffedHotel, startDirectory } from '../../helpers/directory-fixtures.js';

t.test('stays', async (t) => {
  const w = await startDirectory(t);
  const H = await staffedHotel(w, 'stays');
  const desk = w.as(H.staff.receptionist);
  const boss = w.as(H.staff.hotel_admin);
  const guestOf = async (id: number) => (await desk.get(`/api/guests/${id}/`)).body;
  const roomOf = async (id: number) => (await desk.get(`/api/rooms/${id}/`)).body;

  t.test('create with guest_id', async (t) => {
    const g = await createGuest(desk);
    const room = await createRoom(boss, { room_number: '301', floor: 3 });
    const r = await desk.post('/api/stays/', {
      guest_id: g.id,
      room_id: room.id,
      check_in_date: '2030-01-10',
      check_out_date: '2030-01-12T11:00:00Z',
      number_of_guests: 2,
    });
    t.equal(r.status, 201);
    t.match(r.body, {
      id: Number,
      hotel_id: H.id,
      guest_id: g.id,
      guest_name: g.full_name,
      guest_whatsapp_number: g.whatsapp_number,
      room_id: room.id,
      room_number: '301',
      floor: 3,
      status: 'pending',
      number_of_guests: 2,
      actual_check_in: null,
      actual_check_out: null,
    });
    t.equal(new Date(r.body.check_in_date).toISOString().slice(0, 10), '2030-01-10');
    t.equal(r.body.check_out_date, '2030-01-12T11:00:00.000Z');
    t.equal((await guestOf(g.id)).status, 'pending_checkin');
    t.equal((await roomOf(room.id)).status, 'available', 'a pending stay does not occupy the room');
  });

  t.test('create with a guest object registers the guest', async (t) => {
    const number = phone();
    const r = await desk.post('/api/stays/', { guest: { whatsapp_number: number, full_name: 'Walk In', email: 'walk@in.example' } });
    t.equal(r.status, 201);
    t.equal(r.body.guest_whatsapp_number, number);
    t.equal(r.body.guest_name, 'Walk In');
    const g = await guestOf(r.body.guest_id);
    t.match(g, { whatsapp_number: number, full_name: 'Walk In', email: 'walk@in.example', status: 'pending_checkin' });
    const again = await desk.post('/api/stays/', { guest: { whatsapp_number: number, full_name: 'Walk In' } });
    t.equal(again.status, 201, 'a second stay for the same number');
    t.equal(again.body.guest_id, r.body.guest_id, 'reuses the guest');
  });

  t.test('create: bad bodies', async (t) => {
    const g = await createGuest(desk);
    const cases: Array<[string, unknown, string]> = [
      ['neither guest_id nor guest', {}, 'guest_id'],
      ['both guest_id and guest', { guest_id: g.id, guest: { whatsapp_number: phone(), full_name: 'X' } }, 'guest_id'],
      ['no such guest', { guest_id: 987654321 }, 'guest_id'],
      ['no such room', { guest_id: g.id, room_id: 987654321 }, 'room_id'],
      ['check-out before check-in', { guest_id: g.id, check_in_date: '2030-02-10', check_out_date: '2030-02-01' }, 'check_out_date'],
      ['not a date', { guest_id: g.id, check_in_date: 'tomorrow' }, 'check_in_date'],
      ['impossible date', { guest_id: g.id, check_in_date: '2030-13-45' }, 'check_in_date'],
      ['February 30th', { guest_id: g.id, check_in_date: '2030-02-30' }, 'check_in_date'],
      ['a date with trailing junk', { guest_id: g.id, check_in_date: '2030-01-10 junk' }, 'check_in_date'],
      ['too many guests', { guest_id: g.id, number_of_guests: 51 }, 'number_of_guests'],
      ['unknown field', { guest_id: g.id, vip: true }, 'vip'],
      ['guest object with an unknown field', { guest: { whatsapp_number: phone(), full_name: 'X', age: 3 } }, 'guest.age'],
      ['guest object without a name', { guest: { whatsapp_number: phone() } }, 'guest.full_name'],
    ];
    for (const [what, body, field] of cases) {
      const r = await desk.post('/api/stays/', body);
      t.equal(r.status, 400, what);
      t.ok(fields(r)[field], `${what}: names ${field} (${JSON.stringify(r.body)})`);
    }
  });

  t.test('check-in moves the guest to checked_in and the room to occupied', async (t) => {
    const g = await createGuest(desk);
    const room = await createRoom(boss, { room_number: '302', floor: 3 });
    const s = await createStay(desk, { guest_id: g.id, room_id: room.id });
    const r = await desk.post(`/api/stays/${s.id}/check-in/`, {});
    t.equal(r.status, 200);
    t.equal(r.body.status, 'active');
    t.type(r.body.actual_check_in, 'string');
    t.equal((await guestOf(g.id)).status, 'checked_in');
    t.equal((await roomOf(room.id)).status, 'occupied');

    const twice = await desk.post(`/api/stays/${s.id}/check-in/`, {});
    t.equal(twice.status, 409, 'an active stay cannot be checked in again');
    t.equal((await desk.post(`/api/stays/${s.id}/cancel/`, {})).status, 409, 'nor cancelled');
    t.equal((await desk.patch(`/api/stays/${s.id}/`, { room_id: null })).status, 409, 'nor moved to another room');
    t.equal((await boss.del(`/api/rooms/${room.id}/`)).status, 409, 'an occupied room cannot be deleted');
  });

  t.test('check-in may assign the room', async (t) => {
    const g = await createGuest(desk);
    const room = await createRoom(boss, { room_number: '303', floor: 3 });
    const s = await createStay(desk, { guest_id: g.id });
    const r = await desk.post(`/api/stays/${s.id}/check-in/`, { room_id: room.id });
    t.equal(r.status, 200);
    t.match(r.body, { status: 'active', room_id: room.id, room_number: '303' });
    t.equal((await roomOf(room.id)).status, 'occupied');
    const bad = await desk.post(`/api/stays/${(await createStay(desk, { guest_id: (await createGuest(desk)).id })).id}/check-in/`, { room_id: 987654321 });
    t.equal(bad.status, 400);
    t.ok(fields(bad)['room_id']);
  });

  t.test('two active stays in one room: the second check-in is a 409', async (t) => {
    const room = await createRoom(boss, { room_number: '304', floor: 3 });
    const g1 = await createGuest(desk);
    const g2 = await createGuest(desk);
    const s1 = await createStay(desk, { guest_id: g1.id, room_id: room.id });
    const s2 = await createStay(desk, { guest_id: g2.id, room_id: room.id });
    expectStatus(await desk.post(`/api/stays/${s1.id}/check-in/`, {}), 200, 'first check-in');
    const r = await desk.post(`/api/stays/${s2.id}/check-in/`, {});
    t.equal(r.status, 409);
    t.type(r.body.error, 'string');
    t.equal((await desk.get(`/api/stays/${s2.id}/`)).body.status, 'pending', 'the second stay is still pending');
    t.equal((await guestOf(g2.id)).status, 'pending_checkin', 'its guest did not move');
    const viaBody = await desk.post(`/api/stays/${(await createStay(desk, { guest_id: (await createGuest(desk)).id })).id}/check-in/`, { room_id: room.id });
    t.equal(viaBody.status, 409, 'also when the room is given at check-in');
  });

  t.test('concurrent check-ins of one stay: exactly one succeeds', async (t) => {
    const s = await createStay(desk, { guest_id: (await createGuest(desk)).id });
    const results = await Promise.all([0, 1, 2, 3].map(() => desk.post(`/api/stays/${s.id}/check-in/`, {})));
    t.same(results.map((r) => r.status).sort(), [200, 409, 409, 409]);
  });

  t.test('check-out: guest checked_out, room cleaning', async (t) => {
    const g = await createGuest(desk);
    const room = await createRoom(boss, { room_number: '305', floor: 3 });
    const s = await createStay(desk, { guest_id: g.id, room_id: room.id });
    expectStatus(await desk.post(`/api/stays/${s.id}/check-in/`, {}), 200, 'check in');
    const r = await desk.post(`/api/stays/${s.id}/check-out/`, {});
    t.equal(r.status, 200);
    t.equal(r.body.status, 'completed');
    t.type(r.body.actual_check_out, 'string');
    t.equal((await guestOf(g.id)).status, 'checked_out');
    t.equal((await roomOf(room.id)).status, 'cleaning');
    t.equal((await desk.post(`/api/stays/${s.id}/check-out/`, {})).status, 409, 'a completed stay cannot be checked out again');
    t.equal((await desk.post(`/api/stays/${s.id}/check-in/`, {})).status, 409, 'nor checked in');
    t.equal((await desk.patch(`/api/stays/${s.id}/`, { number_of_guests: 3 })).status, 409, 'nor edited');
    const pending = await createStay(desk, { guest_id: (await createGuest(desk)).id });
    t.equal((await desk.post(`/api/stays/${pending.id}/check-out/`, {})).status, 409, 'a pending stay cannot be checked out');
    t.equal((await desk.post(`/api/stays/${s.id}/check-out/`, { force: true })).status, 400, 'check-out takes an empty body');
  });

  t.test('check-out keeps the guest checked_in while another stay is active', async (t) => {
    const g = await createGuest(desk);
    const r1 = await createRoom(boss, { room_number: '306', floor: 3 });
    const r2 = await createRoom(boss, { room_number: '307', floor: 3 });
    const s1 = await createStay(desk, { guest_id: g.id, room_id: r1.id });
    const s2 = await createStay(desk, { guest_id: g.id, room_id: r2.id });
    expectStatus(await desk.post(`/api/stays/${s1.id}/check-in/`, {}), 200, 'in 1');
    expectStatus(await desk.post(`/api/stays/${s2.id}/check-in/`, {}), 200, 'in 2');
    expectStatus(await desk.post(`/api/stays/${s1.id}/check-out/`, {}), 200, 'out 1');
    t.equal((await guestOf(g.id)).status, 'checked_in', 'still in (room 307)');
    t.equal((await roomOf(r1.id)).status, 'cleaning');
    t.equal((await roomOf(r2.id)).status, 'occupied');
    expectStatus(await desk.post(`/api/stays/${s2.id}/check-out/`, {}), 200, 'out 2');
    t.equal((await guestOf(g.id)).status, 'checked_out', 'out after the last stay');
  });

  t.test('a returning guest checks in again', async (t) => {
    const g = await createGuest(desk);
    const s1 = await createStay(desk, { guest_id: g.id });
    expectStatus(await desk.post(`/api/stays/${s1.id}/check-in/`, {}), 200, 'in');
    expectStatus(await desk.post(`/api/stays/${s1.id}/check-out/`, {}), 200, 'out');
    const s2 = await createStay(desk, { guest_id: g.id });
    expectStatus(await desk.post(`/api/stays/${s2.id}/check-in/`, {}), 200, 'in again');
    t.equal((await guestOf(g.id)).status, 'checked_in');
  });

  t.test('cancel: pending only', async (t) => {
    const g = await createGuest(desk);
    const s = await createStay(desk, { guest_id: g.id });
    const r = await desk.post(`/api/stays/${s.id}/cancel/`, {});
    t.equal(r.status, 200);
    t.equal(r.body.status, 'cancelled');
    t.equal((await guestOf(g.id)).status, 'pending_checkin', 'the guest status does not change');
    t.equal((await desk.post(`/api/stays/${s.id}/cancel/`, {})).status, 409, 'twice');
    t.equal((await desk.post(`/api/stays/${s.id}/check-in/`, {})).status, 409, 'a cancelled stay cannot be checked in');
    t.equal((await desk.patch(`/api/stays/${s.id}/`, { number_of_guests: 2 })).status, 409, 'nor edited');
  });

  t.test('edit a pending stay', async (t) => {
    const room = await createRoom(boss, { room_number: '308', floor: 3 });
    const s = await createStay(desk, { guest_id: (await createGuest(desk)).id });
    const r = await desk.patch(`/api/stays/${s.id}/`, { room_id: room.id, number_of_guests: 3, check_in_date: '2031-05-01', check_out_date: '2031-05-03' });
    t.equal(r.status, 200);
    t.match(r.body, { room_id: room.id, room_number: '308', number_of_guests: 3 });
    const back = await desk.patch(`/api/stays/${s.id}/`, { room_id: null });
    t.equal(back.status, 200);
    t.equal(back.body.room_id, null, 'room_id null removes the room');
    const bad = await desk.patch(`/api/stays/${s.id}/`, { check_out_date: '2031-04-01' });
    t.equal(bad.status, 400, 'check-out before the stored check-in');
    t.ok(fields(bad)['check_out_date']);
  });

  t.test('lists and filters', async (t) => {
    const active = await desk.get('/api/stays/?status=active&page_size=100');
    t.equal(active.status, 200);
    t.ok(active.body.results.length >= 1);
    t.ok(active.body.results.every((s: any) => s.status === 'active'));
    const g = await createGuest(desk);
    const s = await createStay(desk, { guest_id: g.id });
    const byGuest = await desk.get(`/api/stays/?guest=${g.id}`);
    t.same(byGuest.body.results.map((x: any) => x.id), [s.id]);
    const bad = await desk.get('/api/stays/?status=done');
    t.equal(bad.status, 400);
    t.ok(fields(bad)['status']);
  });
});
