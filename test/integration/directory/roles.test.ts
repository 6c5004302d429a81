// Issue 3 — the role × endpoint matrix, inside one hotel. Each row is one endpoint (and, where the
// rules depend on it, one kind of target); each role either gets the row's success status or a 403.
// Objects of other hotels are covered by isolation.test.ts (404 there).
//
// The rules (src/directory/roles.ts and the services):
//   platform_admin  everything, in any hotel (names the hotel on writes); the only one who creates
//                   hotels, changes a hotel's status, or creates platform admins
//   hotel_admin     hotel profile, staff up to and including hotel admins, rooms, guests, stays
//   manager         hotel profile, staff strictly below managers, rooms, guests, stays
//   receptionist    guests and stays (the front desk); reads the rest
//   department_staff, other_staff   read only
//   everyone        reads their hotel's directory, edits their own name/contact details,
//                   reads and marks their own notifications
import t from 'tap';
import {
  ALL_ROLES,
  createGuest,
  createRoom,
  createStay,
  createUser,
  expectStatus,
  fields,
  staffedHotel,
  startDirectory,
  uniq,
  type Api,
  type Role,
  type Session,
} from '../../helpers/directory-fixtures.js';
import { request } from '../../helpers/http.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
interface Call {
  role: Role;
  me: Session;
}
interface Row {
  name: string;
  method: Method;
  /** Roles that succeed; every other role gets a 403. */
  allowed: readonly Role[];
  ok: number;
  /** Builds the request for one role (may create a fresh target first). */
  req: (c: Call) => Promise<{ path: string; body?: unknown }> | { path: string; body?: unknown };
}

const ALL = ALL_ROLES;
const ADMINS = ['platform_admin', 'hotel_admin', 'manager'] as const;
const FRONT_DESK = ['platform_admin', 'hotel_admin', 'manager', 'receptionist'] as const;
const PLATFORM = ['platform_admin'] as const;
const TOP = ['platform_admin', 'hotel_admin'] as const;

t.test('role × endpoint matrix', async (t) => {
  const w = await startDirectory(t);
  const A = await staffedHotel(w, 'matrix');
  const sessions: Record<Role, Session> = { platform_admin: w.admin, ...A.staff };
  const boss: Api = w.as(A.staff.hotel_admin);
  /** platform admins name the hotel on writes; everyone else acts in their own. */
  const inHotel = (role: Role, body: Record<string, unknown>) => (role === 'platform_admin' ? { ...body, hotel_id: A.id } : body);

  // Shared targets (read and idempotent edits).
  const colleague = await createUser(w, A.staff.hotel_admin.access, { user_type: 'department_staff', hotel_id: A.id, department: 'Restaurant' });
  const managerTarget = await createUser(w, A.staff.hotel_admin.access, { user_type: 'manager', hotel_id: A.id });
  const adminTarget = await createUser(w, w.admin.access, { user_type: 'hotel_admin', hotel_id: A.id });
  const room = await createRoom(boss, { room_number: '101', floor: 1 });
  const guest = await createGuest(boss);
  const stay = await createStay(boss, { guest_id: guest.id });

  const freshUser = (type: 'department_staff' | 'manager') => createUser(w, A.staff.hotel_admin.access, { user_type: type, hotel_id: A.id });
  const freshPending = async () => createStay(boss, { guest_id: (await createGuest(boss)).id });
  const freshActive = async () => {
    const s = await freshPending();
    expectStatus(await boss.post(`/api/stays/${s.id}/check-in/`, {}), 200, 'check in');
    return s;
  };

  const rows: Row[] = [
    // ───── hotels ─────
    { name: 'list hotels', method: 'GET', allowed: ALL, ok: 200, req: () => ({ path: '/api/hotels/' }) },
    { name: 'read own hotel', method: 'GET', allowed: ALL, ok: 200, req: () => ({ path: `/api/hotels/${A.id}/` }) },
    { name: 'create a hotel', method: 'POST', allowed: PLATFORM, ok: 201, req: () => ({ path: '/api/hotels/', body: { name: uniq('New Hotel ') } }) },
    { name: 'edit hotel profile', method: 'PATCH', allowed: ADMINS, ok: 200, req: (c) => ({ path: `/api/hotels/${A.id}/`, body: { description: `edited by ${c.role}` } }) },
    { name: 'change hotel status', method: 'PATCH', allowed: PLATFORM, ok: 200, req: () => ({ path: `/api/hotels/${A.id}/`, body: { status: 'verified' } }) },
    { name: 'change hotel is_active', method: 'PATCH', allowed: PLATFORM, ok: 200, req: () => ({ path: `/api/hotels/${A.id}/`, body: { is_active: true } }) },

    // ───── users ─────
    { name: 'list users', method: 'GET', allowed: ALL, ok: 200, req: () => ({ path: '/api/users/' }) },
    { name: 'read a colleague', method: 'GET', allowed: ALL, ok: 200, req: () => ({ path: `/api/users/${colleague.id}/` }) },
    ...(['department_staff', 'other_staff', 'receptionist', 'manager', 'hotel_admin', 'platform_admin'] as const).map(
      (type): Row => ({
        name: `create a ${type}`,
        method: 'POST',
        allowed: type === 'platform_admin' ? PLATFORM : type === 'hotel_admin' || type === 'manager' ? TOP : ADMINS,
        ok: 201,
        req: (c) => {
          const username = uniq(`new_${type.slice(0, 4)}_`);
          const body: Record<string, unknown> = { username, email: `${username}@staff.example`, password: 'a-long-password', user_type: type };
          if (c.role === 'platform_admin' && type !== 'platform_admin') body['hotel_id'] = A.id;
          return { path: '/api/users/', body };
        },
      }),
    ),
    { name: 'edit department staff', method: 'PATCH', allowed: ADMINS, ok: 200, req: (c) => ({ path: `/api/users/${colleague.id}/`, body: { last_name: c.role } }) },
    { name: "edit a manager (a manager's peer)", method: 'PATCH', allowed: TOP, ok: 200, req: (c) => ({ path: `/api/users/${managerTarget.id}/`, body: { last_name: c.role } }) },
    { name: 'edit a hotel admin', method: 'PATCH', allowed: TOP, ok: 200, req: (c) => ({ path: `/api/users/${adminTarget.id}/`, body: { last_name: c.role } }) },
    {
      name: "change a colleague's departments",
      method: 'PATCH',
      allowed: ADMINS,
      ok: 200,
      req: () => ({ path: `/api/users/${colleague.id}/`, body: { department: ['Restaurant', 'room service'] } }),
    },
    {
      name: 'promote department staff to receptionist',
      method: 'PATCH',
      allowed: ADMINS,
      ok: 200,
      req: async () => ({ path: `/api/users/${(await freshUser('department_staff')).id}/`, body: { user_type: 'receptionist' } }),
    },
    {
      name: 'promote department staff to manager',
      method: 'PATCH',
      allowed: TOP,
      ok: 200,
      req: async () => ({ path: `/api/users/${(await freshUser('department_staff')).id}/`, body: { user_type: 'manager' } }),
    },
    { name: 'edit own name and phone', method: 'PATCH', allowed: ALL, ok: 200, req: (c) => ({ path: `/api/users/${c.me.id}/`, body: { first_name: `Me ${c.role}`, phone_number: '+15550000001' } }) },
    { name: 'change own user_type', method: 'PATCH', allowed: [], ok: 200, req: (c) => ({ path: `/api/users/${c.me.id}/`, body: { user_type: c.role === 'other_staff' ? 'department_staff' : 'other_staff' } }) },
    {
      name: 'deactivate department staff',
      method: 'DELETE',
      allowed: ADMINS,
      ok: 204,
      req: async () => ({ path: `/api/users/${(await freshUser('department_staff')).id}/` }),
    },
    {
      name: 'deactivate a manager',
      method: 'DELETE',
      allowed: TOP,
      ok: 204,
      req: async () => ({ path: `/api/users/${(await freshUser('manager')).id}/` }),
    },

    // ───── rooms ─────
    { name: 'list rooms', method: 'GET', allowed: ALL, ok: 200, req: () => ({ path: '/api/rooms/' }) },
    { name: 'read a room', method: 'GET', allowed: ALL, ok: 200, req: () => ({ path: `/api/rooms/${room.id}/` }) },
    { name: 'create a room', method: 'POST', allowed: ADMINS, ok: 201, req: (c) => ({ path: '/api/rooms/', body: inHotel(c.role, { room_number: uniq('N'), floor: 2 }) }) },
    { name: 'edit a room', method: 'PATCH', allowed: ADMINS, ok: 200, req: () => ({ path: `/api/rooms/${room.id}/`, body: { status: 'available' } }) },
    { name: 'delete a room', method: 'DELETE', allowed: ADMINS, ok: 204, req: async () => ({ path: `/api/rooms/${(await createRoom(boss, {})).id}/` }) },

    // ───── guests ─────
    { name: 'list guests', method: 'GET', allowed: ALL, ok: 200, req: () => ({ path: '/api/guests/' }) },
    { name: 'read a guest', method: 'GET', allowed: ALL, ok: 200, req: () => ({ path: `/api/guests/${guest.id}/` }) },
    {
      name: 'register a guest',
      method: 'POST',
      allowed: FRONT_DESK,
      ok: 201,
      req: (c) => ({ path: '/api/guests/', body: inHotel(c.role, { whatsapp_number: `+1555300${String(ALL.indexOf(c.role)).padStart(4, '0')}`, full_name: `Guest of ${c.role}` }) }),
    },
    { name: 'edit a guest', method: 'PATCH', allowed: FRONT_DESK, ok: 200, req: (c) => ({ path: `/api/guests/${guest.id}/`, body: { nationality: c.role } }) },
    { name: 'issue a guest socket token', method: 'POST', allowed: FRONT_DESK, ok: 201, req: () => ({ path: `/api/guests/${guest.id}/socket-token/` }) },

    // ───── stays ─────
    { name: 'list stays', method: 'GET', allowed: ALL, ok: 200, req: () => ({ path: '/api/stays/' }) },
    { name: 'read a stay', method: 'GET', allowed: ALL, ok: 200, req: () => ({ path: `/api/stays/${stay.id}/` }) },
    {
      name: 'create a stay',
      method: 'POST',
      allowed: FRONT_DESK,
      ok: 201,
      req: async (c) => ({ path: '/api/stays/', body: inHotel(c.role, { guest_id: (await createGuest(boss)).id }) }),
    },
    { name: 'edit a stay', method: 'PATCH', allowed: FRONT_DESK, ok: 200, req: () => ({ path: `/api/stays/${stay.id}/`, body: { number_of_guests: 2 } }) },
    { name: 'check a stay in', method: 'POST', allowed: FRONT_DESK, ok: 200, req: async () => ({ path: `/api/stays/${(await freshPending()).id}/check-in/` }) },
    { name: 'check a stay out', method: 'POST', allowed: FRONT_DESK, ok: 200, req: async () => ({ path: `/api/stays/${(await freshActive()).id}/check-out/` }) },
    { name: 'cancel a stay', method: 'POST', allowed: FRONT_DESK, ok: 200, req: async () => ({ path: `/api/stays/${(await freshPending()).id}/cancel/` }) },

    // ───── notifications ─────
    { name: 'list own notifications', method: 'GET', allowed: ALL, ok: 200, req: () => ({ path: '/api/notifications/' }) },
    { name: 'mark all own notifications read', method: 'POST', allowed: ALL, ok: 200, req: () => ({ path: '/api/notifications/mark-all-read/' }) },
  ];

  for (const row of rows) {
    t.test(`${row.method} — ${row.name}`, async (t) => {
      for (const role of ALL) {
        const me = sessions[role];
        const { path, body } = await row.req({ role, me });
        const r = await request(w.app.base, row.method, path, { token: me.access, ...(body !== undefined ? { body } : row.method === 'POST' ? { body: {} } : {}) });
        const expected = row.allowed.includes(role) ? row.ok : 403;
        t.equal(r.status, expected, `${role}: ${row.method} ${path} → ${expected}${r.status !== expected ? ` (got ${JSON.stringify(r.body)})` : ''}`);
        if (expected === 403) t.type(r.body?.error, 'string', `${role}: the 403 says why`);
      }
    });
  }

  t.test('refused writes change nothing', async (t) => {
    const before = (await boss.get(`/api/hotels/${A.id}/`)).body;
    for (const role of ['receptionist', 'department_staff', 'other_staff'] as const) {
      const api = w.as(sessions[role]);
      t.equal((await api.patch(`/api/hotels/${A.id}/`, { name: 'Hacked' })).status, 403);
      t.equal((await api.del(`/api/rooms/${room.id}/`)).status, 403);
      t.equal((await api.patch(`/api/users/${colleague.id}/`, { is_active: false })).status, 403);
    }
    for (const role of ['hotel_admin', 'manager'] as const) {
      t.equal((await w.as(sessions[role]).patch(`/api/hotels/${A.id}/`, { name: 'Renamed', status: 'suspended' })).status, 403, `${role}: status with other fields`);
    }
    const after = (await boss.get(`/api/hotels/${A.id}/`)).body;
    t.equal(after.name, before.name, 'hotel name unchanged');
    t.equal(after.status, before.status, 'hotel status unchanged');
    t.equal((await boss.get(`/api/rooms/${room.id}/`)).status, 200, 'room still there');
    t.equal((await boss.get(`/api/users/${colleague.id}/`)).body.is_active, true, 'colleague still active');
  });

  t.test('a manager cannot escalate', async (t) => {
    const mgr = w.as(sessions.manager);
    const mine = await createUser(w, sessions.manager.access, { user_type: 'receptionist', hotel_id: A.id });
    t.equal((await mgr.patch(`/api/users/${mine.id}/`, { user_type: 'manager' })).status, 403, 'no promotion to their own rank');
    t.equal((await mgr.patch(`/api/users/${mine.id}/`, { user_type: 'hotel_admin' })).status, 403, 'nor above');
    t.equal((await mgr.patch(`/api/users/${sessions.hotel_admin.id}/`, { password: 'taken-over-now' })).status, 403, "nor reset a hotel admin's password");
    t.equal((await mgr.del(`/api/users/${sessions.hotel_admin.id}/`)).status, 403, 'nor deactivate a hotel admin');
    const ha = w.as(sessions.hotel_admin);
    t.equal((await ha.patch(`/api/users/${mine.id}/`, { user_type: 'platform_admin' })).status, 403, 'a hotel admin cannot make platform admins');
    t.equal((await ha.patch(`/api/users/${w.admin.id}/`, { last_name: 'x' })).status, 404, 'nor see the platform admin');
  });

  t.test('nobody deactivates themselves', async (t) => {
    for (const role of ALL) {
      const r = await w.as(sessions[role]).patch(`/api/users/${sessions[role].id}/`, { is_active: false });
      // Those who may deactivate users are told why (400 naming is_active); the others may not edit
      // their own account's status at all (403).
      const expected = role === 'platform_admin' || role === 'hotel_admin' ? 400 : 403;
      t.equal(r.status, expected, `${role}: refused (${JSON.stringify(r.body)})`);
      if (expected === 400) t.ok(fields(r)['is_active'], `${role}: names is_active`);
      const d = await w.as(sessions[role]).del(`/api/users/${sessions[role].id}/`);
      t.equal(d.status, expected, `${role}: DELETE self refused (${JSON.stringify(d.body)})`);
    }
    for (const role of ALL) t.equal((await w.as(sessions[role]).get('/api/notifications/')).status, 200, `${role} still signed in`);
  });

  t.test('a platform admin must name the hotel of hotel-scoped writes', async (t) => {
    const room = await w.adminApi.post('/api/rooms/', { room_number: uniq('P'), floor: 1 });
    t.equal(room.status, 400);
    t.ok(room.body.details?.fields?.hotel_id, 'names hotel_id');
    const user = await w.adminApi.post('/api/users/', { username: uniq('nohotel'), email: `${uniq('nh')}@x.example`, password: 'a-long-password', user_type: 'receptionist' });
    t.equal(user.status, 400);
    t.ok(user.body.details?.fields?.hotel_id, 'names hotel_id');
    const stay = await w.adminApi.post('/api/stays/', { guest_id: guest.id });
    t.equal(stay.status, 400);
    t.ok(stay.body.details?.fields?.hotel_id, 'names hotel_id');
  });
});
