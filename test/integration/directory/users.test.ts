// Issue 3 — staff accounts: departments accepted in any spelling and stored canonically, defaults
// per user type, unknown departments named in a 400, duplicates as 409 (case-insensitively), and
// the user object the dashboard reads.
import t from 'tap';
import { createUser, expectStatus, fields, login, PASSWORD, staffedHotel, startDirectory, uniq } from '../../helpers/directory-fixtures.js';

t.test('staff accounts and departments', async (t) => {
  const w = await startDirectory(t);
  const H = await staffedHotel(w, 'staff');
  const admin = w.as(H.staff.hotel_admin);
  const newUser = (over: Record<string, unknown>) => {
    const username = uniq('u');
    return admin.post('/api/users/', { username, email: `${username}@staff.example`, password: PASSWORD, user_type: 'department_staff', ...over });
  };
  const stored = async (id: number) => (await w.sql<{ departments: string[] }[]>`select departments from users where id = ${id}`)[0]?.departments;

  t.test('departments in any spelling are stored canonically', async (t) => {
    const cases: Array<[unknown, string[]]> = [
      ['room service', ['Room Service']],
      ['ROOM_SERVICE', ['Room Service']],
      ['Room-Service', ['Room Service']],
      [['ROOM_SERVICE', 'housekeeping'], ['Room Service', 'Housekeeping']],
      [['reception', 'Reception', 'RECEPTION'], ['Reception']],
      [['restaurant', 'management'], ['Restaurant', 'Management']],
      [[], []],
    ];
    for (const [input, want] of cases) {
      const r = await newUser({ department: input });
      t.equal(r.status, 201, JSON.stringify(input));
      t.same(r.body.department, want, `${JSON.stringify(input)} → ${JSON.stringify(want)}`);
      t.same(await stored(r.body.id), want, 'as stored');
    }
  });

  t.test('an unknown department is a 400 naming department', async (t) => {
    for (const bad of ['spa', ['Reception', 'Spa'], 'Room  Servicee', ['']]) {
      const r = await newUser({ department: bad });
      t.equal(r.status, 400, JSON.stringify(bad));
      t.ok(fields(r)['department'] || Object.keys(fields(r)).some((k) => k.startsWith('department')), `names department (${JSON.stringify(r.body)})`);
    }
    const many = await newUser({ department: ['Reception', 'Housekeeping', 'Room Service', 'Restaurant', 'Management', 'Reception'] });
    t.equal(many.status, 400, 'more than five entries');
  });

  t.test('defaults per user type', async (t) => {
    const cases: Array<[string, string[]]> = [
      ['receptionist', ['Reception']],
      ['manager', ['Management']],
      ['hotel_admin', ['Management']],
      ['department_staff', []],
      ['other_staff', []],
    ];
    for (const [type, want] of cases) {
      const r = await newUser({ user_type: type });
      t.equal(r.status, 201, type);
      t.same(r.body.department, want, `${type} → ${JSON.stringify(want)}`);
    }
    const given = await newUser({ user_type: 'receptionist', department: ['reception', 'restaurant'] });
    t.same(given.body.department, ['Reception', 'Restaurant'], 'a given list wins over the default');
  });

  t.test('changing departments with PATCH', async (t) => {
    const u = expectStatus(await newUser({ department: 'housekeeping' }), 201, 'create').body;
    const r = await admin.patch(`/api/users/${u.id}/`, { department: ['room_service', 'RESTAURANT'] });
    t.equal(r.status, 200);
    t.same(r.body.department, ['Room Service', 'Restaurant']);
    const bad = await admin.patch(`/api/users/${u.id}/`, { department: 'laundry' });
    t.equal(bad.status, 400);
    t.ok(fields(bad)['department']);
    t.same(await stored(u.id), ['Room Service', 'Restaurant'], 'unchanged by the refused edit');
  });

  t.test('the user object', async (t) => {
    const r = expectStatus(await newUser({ first_name: 'Hana', last_name: 'Sato', phone_number: '+81 3 1234 5678', department: 'Room Service' }), 201, 'create');
    t.match(r.body, {
      id: Number,
      username: String,
      email: String,
      first_name: 'Hana',
      last_name: 'Sato',
      phone_number: '+81 3 1234 5678',
      user_type: 'department_staff',
      hotel_id: H.id,
      hotel_name: H.hotel.name,
      department: ['Room Service'],
      is_active: true,
      created_at: String,
    });
    t.notOk(Object.hasOwn(r.body, 'password'), 'no password');
    t.notOk(Object.hasOwn(r.body, 'password_hash'), 'no hash');
    const s = await login(w.app.base, r.body.username, PASSWORD);
    t.same(s.user.department, ['Room Service'], 'login shows the same departments');
  });

  t.test('duplicates are 409, case-insensitively', async (t) => {
    const name = uniq('Dup');
    expectStatus(await newUser({ username: name, email: `${name}@x.example` }), 201, 'first');
    const sameName = await newUser({ username: name.toUpperCase(), email: `${uniq('o')}@x.example` });
    t.equal(sameName.status, 409, 'username in other case');
    t.match(sameName.body, { error: /username/ });
    const sameEmail = await newUser({ username: uniq('o'), email: `${name.toUpperCase()}@X.EXAMPLE` });
    t.equal(sameEmail.status, 409, 'email in other case');
    t.match(sameEmail.body, { error: /email/ });
    const u = expectStatus(await newUser({}), 201, 'another').body;
    const rename = await admin.patch(`/api/users/${u.id}/`, { username: name.toLowerCase() });
    t.equal(rename.status, 409, 'renaming onto a taken username');
  });

  t.test("a username spelling someone else's email does not capture their email login", async (t) => {
    const victim = expectStatus(await newUser({ username: uniq('victim'), email: 'victim.person@corp.example' }), 201, 'victim').body;
    // An admin of another hotel picks the victim's email as a username (usernames may hold @ and dots).
    const elsewhere = await w.adminApi.post('/api/hotels/', { name: uniq('Other ') });
    const otherAdmin = await w.adminApi.post('/api/users/', {
      username: uniq('oa'),
      email: `${uniq('oa')}@other.example`,
      password: PASSWORD,
      user_type: 'hotel_admin',
      hotel_id: elsewhere.body.id,
    });
    const lookalike = await w.as((await login(w.app.base, otherAdmin.body.username, PASSWORD)).access).post('/api/users/', {
      username: 'Victim.Person@corp.example',
      email: `${uniq('la')}@other.example`,
      password: 'lookalike-password',
      user_type: 'receptionist',
    });
    t.equal(lookalike.status, 409, `a username that is another account's email is a conflict: ${JSON.stringify(lookalike.body)}`);
    t.equal(lookalike.body.details?.field, 'username', 'naming username');
    t.same(await w.sql`select id from users where lower(username) = 'victim.person@corp.example'`, [], 'no such account was made');
    const r = await w.anon.post('/api/login/', { username: 'victim.person@corp.example', password: PASSWORD });
    t.equal(r.status, 200, 'the victim still signs in with their email');
    if (r.status === 200) t.equal(r.body.user.id, victim.id, 'as themselves');
  });

  t.test('bad bodies name every bad field', async (t) => {
    const r = await admin.post('/api/users/', { username: 'has space', email: 'not-an-email', password: 'short', user_type: 'janitor', favourite_colour: 'blue' });
    t.equal(r.status, 400);
    for (const f of ['username', 'email', 'password', 'user_type', 'favourite_colour']) t.ok(fields(r)[f], `names ${f}`);
    const missing = await admin.post('/api/users/', {});
    for (const f of ['username', 'email', 'password', 'user_type']) t.ok(fields(missing)[f], `missing ${f} is named`);
    const patch = await admin.patch(`/api/users/${H.staff.other_staff.id}/`, { hotel_id: H.id });
    t.equal(patch.status, 400, 'hotel_id cannot be patched');
    t.ok(fields(patch)['hotel_id']);
  });

  t.test('a password set by an admin replaces the old one', async (t) => {
    const u = expectStatus(await newUser({}), 201, 'create').body;
    const s = await login(w.app.base, u.username, PASSWORD);
    expectStatus(await admin.patch(`/api/users/${u.id}/`, { password: 'brand-new-password' }), 200, 'set password');
    const old = await w.anon.post('/api/login/', { username: u.username, password: PASSWORD });
    t.equal(old.status, 401);
    t.equal((await w.anon.post('/api/login/', { username: u.username, password: 'brand-new-password' })).status, 200);
    t.equal((await w.anon.post('/api/login/refresh/', { refresh: s.refresh })).status, 401, 'refresh tokens issued before the reset are revoked');
  });

  t.test('filters', async (t) => {
    const r = await admin.get('/api/users/?user_type=receptionist');
    t.ok(r.body.results.length >= 1);
    t.ok(r.body.results.every((u: any) => u.user_type === 'receptionist'));
    const s = await admin.get(`/api/users/?search=${H.staff.manager.username.toUpperCase()}`);
    t.same(s.body.results.map((u: any) => u.id), [H.staff.manager.id], 'search is case-insensitive');
    const bad = await admin.get('/api/users/?user_type=janitor');
    t.equal(bad.status, 400);
    t.ok(fields(bad)['user_type']);
  });
});
