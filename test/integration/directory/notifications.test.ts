// Issue 3 — GET /api/notifications/ (the dashboard polls it on every page): a page for every staff
// role, check-in notifications for the hotel's admins, managers and receptionists only, mark-read
// and mark-all-read, and another user's notification is a 404.
import t from 'tap';
import { ALL_ROLES, createGuest, createStay, createUser, expectStatus, fields, staffedHotel, startDirectory, type Role, type Session } from '../../helpers/directory-fixtures.js';

t.test('notifications', async (t) => {
  const w = await startDirectory(t);
  const [H, other] = await Promise.all([staffedHotel(w, 'notes'), staffedHotel(w, 'elsewhere')]);
  const sessions: Record<Role, Session> = { platform_admin: w.admin, ...H.staff };
  const desk = w.as(H.staff.receptionist);
  const inbox = (s: Session, q = '') => w.as(s).get(`/api/notifications/${q}`);

  t.test('every role gets a page (never a 401 with a valid token)', async (t) => {
    for (const role of ALL_ROLES) {
      const r = await inbox(sessions[role]);
      t.equal(r.status, 200, role);
      t.same(r.body, { count: 0, next: null, previous: null, results: [] }, `${role}: an empty page`);
    }
    t.equal((await w.anon.get('/api/notifications/')).status, 401, 'without a token: 401');
  });

  // A deactivated manager must not be notified.
  const gone = await createUser(w, H.staff.hotel_admin.access, { user_type: 'manager', hotel_id: H.id });
  expectStatus(await w.as(H.staff.hotel_admin).del(`/api/users/${gone.id}/`), 204, 'deactivate');

  const guest = await createGuest(desk, { full_name: 'Notified Guest' });
  const stay = await createStay(desk, { guest_id: guest.id });
  expectStatus(await desk.post(`/api/stays/${stay.id}/check-in/`, {}), 200, 'check in');

  t.test("check-in notifies the hotel's admins, managers and receptionists", async (t) => {
    const expected: Record<Role, number> = {
      platform_admin: 0,
      hotel_admin: 1,
      manager: 1,
      receptionist: 1,
      department_staff: 0,
      other_staff: 0,
    };
    for (const role of ALL_ROLES) {
      const r = await inbox(sessions[role]);
      t.equal(r.status, 200, role);
      t.equal(r.body.count, expected[role], `${role}: ${expected[role]} notification(s)`);
      if (expected[role]) {
        t.match(r.body.results[0], { id: Number, type: 'checkin', title: String, message: /Notified Guest/, is_read: false, created_at: String });
      }
    }
    for (const role of ['hotel_admin', 'manager', 'receptionist'] as const) {
      t.equal((await inbox(other.staff[role])).body.count, 0, `another hotel's ${role} gets nothing`);
    }
    const [row] = await w.sql<{ n: number }[]>`select count(*)::int as n from notifications where user_id = ${gone.id}`;
    t.equal(row?.n, 0, 'a deactivated manager gets nothing');
  });

  t.test('mark-read, unread filter, mark-all-read', async (t) => {
    // Two more check-ins: the receptionist now has three.
    for (let i = 0; i < 2; i++) {
      const s = await createStay(desk, { guest_id: (await createGuest(desk)).id });
      expectStatus(await desk.post(`/api/stays/${s.id}/check-in/`, {}), 200, 'check in');
    }
    const me = H.staff.receptionist;
    const all = await inbox(me);
    t.equal(all.body.count, 3);
    const [first] = all.body.results;
    const r = await w.as(me).post(`/api/notifications/${first.id}/mark-read/`);
    t.equal(r.status, 200);
    t.same(r.body, { id: first.id, is_read: true });
    t.equal((await w.as(me).post(`/api/notifications/${first.id}/mark-read/`)).status, 200, 'idempotent');
    const unread = await inbox(me, '?unread=true');
    t.equal(unread.body.count, 2);
    t.notOk(unread.body.results.some((n: any) => n.id === first.id));
    t.equal((await inbox(me, '?unread=false')).body.count, 3, 'unread=false lists all');
    const bad = await inbox(me, '?unread=maybe');
    t.equal(bad.status, 400);
    t.ok(fields(bad)['unread']);

    const allRead = await w.as(me).post('/api/notifications/mark-all-read/');
    t.equal(allRead.status, 200);
    t.same(allRead.body, { marked_read: 2 });
    t.equal((await inbox(me, '?unread=true')).body.count, 0);
    t.ok((await inbox(me)).body.results.every((n: any) => n.is_read), 'all read');
    t.equal((await inbox(H.staff.manager, '?unread=true')).body.count, 3, "the manager's own inbox is untouched");
  });

  t.test("another user's notification is a 404", async (t) => {
    const mine = (await inbox(H.staff.manager)).body.results[0];
    for (const who of [H.staff.receptionist, H.staff.hotel_admin, H.staff.other_staff, other.staff.manager, w.admin]) {
      const r = await w.as(who).post(`/api/notifications/${mine.id}/mark-read/`);
      t.equal(r.status, 404, `${who.username}`);
    }
    t.equal((await w.as(H.staff.manager).post('/api/notifications/987654321/mark-read/')).status, 404, 'a missing id');
    t.equal((await w.as(H.staff.manager).post('/api/notifications/abc/mark-read/')).status, 404, 'a non-numeric id');
    t.equal((await inbox(H.staff.manager)).body.results.find((n: any) => n.id === mine.id).is_read, false, 'still unread for its owner');
    const body = await w.as(H.staff.manager).post(`/api/notifications/${mine.id}/mark-read/`, { all: true });
    t.equal(body.status, 400, 'mark-read takes an empty body');
  });

  t.test('paging', async (t) => {
    const r = await inbox(H.staff.manager, '?page_size=2');
    t.equal(r.body.count, 3);
    t.equal(r.body.results.length, 2);
    t.type(r.body.next, 'string');
    const next = await fetch(new URL(r.body.next, w.app.base), { headers: { authorization: `Bearer ${H.staff.manager.access}` } });
    const page2 = (await next.json()) as any;
    t.equal(page2.results.length, 1);
    t.type(page2.previous, 'string');
    t.equal(page2.next, null);
    const ids = [...r.body.results, ...page2.results].map((n: any) => n.id);
    t.equal(new Set(ids).size, 3, 'no duplicates across pages');
  });
});
