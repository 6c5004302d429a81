// Issue 3 — bad bodies and queries on the directory endpoints, and the DRF page shape:
// invalid JSON → 400, wrong content type → 415 (oversize bodies: body-limits.test.ts), unknown
// or out-of-range query parameters → 400 naming them, every bad body field named, and
// {count, next, previous, results} pages whose links work.
import t from 'tap';
import { createRoom, expectStatus, fields, staffedHotel, startDirectory } from '../../helpers/directory-fixtures.js';
import { request } from '../../helpers/http.js';

t.test('requests, validation and paging', async (t) => {
  const w = await startDirectory(t);
  const H = await staffedHotel(w, 'req');
  const token = H.staff.hotel_admin.access;
  const boss = w.as(H.staff.hotel_admin);
  const raw = (method: string, path: string, data: string | Uint8Array, contentType?: string, withToken = true) =>
    request(w.app.base, method, path, {
      raw: data,
      headers: contentType === undefined ? {} : { 'content-type': contentType },
      ...(withToken ? { token } : {}),
    });

  t.test('invalid JSON is a 400', async (t) => {
    for (const [path, body] of [
      ['/api/rooms/', '{"room_number": '],
      ['/api/guests/', "{'whatsapp_number': '+15550001111'}"],
      ['/api/login/', 'username=a&password=b'],
      ['/api/users/', '{"username": "x",}'],
    ] as const) {
      const r = await raw('POST', path, body, 'application/json');
      t.equal(r.status, 400, `${path} ${body}`);
      t.match(r.body, { error: /JSON/ }, 'says the body is not JSON');
    }
  });

  t.test('JSON that is not an object is a 400', async (t) => {
    for (const body of ['[]', '"room"', '42', 'null', 'true']) {
      const r = await raw('POST', '/api/rooms/', body, 'application/json');
      t.equal(r.status, 400, body);
    }
  });

  t.test('a wrong content type is a 415', async (t) => {
    const body = JSON.stringify({ room_number: 'CT1', floor: 1 });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json']) {
      const r = await raw('POST', '/api/rooms/', body, type);
      t.equal(r.status, 415, type);
      t.type(r.body.error, 'string');
    }
    t.equal((await raw('POST', '/api/login/', JSON.stringify({ username: 'a', password: 'b' }), 'text/plain')).status, 415, 'login too');
    t.equal((await raw('PATCH', `/api/hotels/${H.id}/`, JSON.stringify({ city: 'X' }), 'text/plain')).status, 415, 'PATCH too');
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/merge-patch+json']) {
      const r = await raw('POST', '/api/rooms/', JSON.stringify({ room_number: `ok-${type.length}-${type.charCodeAt(0)}`, floor: 1 }), type);
      t.equal(r.status, 201, `${type} is accepted`);
    }
  });

  t.test('every bad body field is named', async (t) => {
    const r = await boss.post('/api/rooms/', { room_number: 5, floor: 'two', status: 'dirty', wifi: true });
    t.equal(r.status, 400);
    t.same(Object.keys(fields(r)).sort(), ['floor', 'room_number', 'status', 'wifi']);
    t.match(fields(r)['status'], /available/, 'says which values are allowed');
    const hotel = await w.adminApi.post('/api/hotels/', { name: '', time_zone: 'Mars/Olympus', check_in_time: '25:00', email: 'nope' });
    t.equal(hotel.status, 400);
    for (const f of ['name', 'check_in_time', 'email']) t.ok(fields(hotel)[f], `hotel: names ${f}`);
    const tz = await w.adminApi.post('/api/hotels/', { name: 'TZ Hotel', time_zone: 'Mars/Olympus' });
    t.equal(tz.status, 400);
    t.ok(fields(tz)['time_zone'], 'an unknown IANA zone is named');
    const patchTz = await boss.patch(`/api/hotels/${H.id}/`, { time_zone: 'Not/AZone' });
    t.equal(patchTz.status, 400);
    t.ok(fields(patchTz)['time_zone']);
    const ok = await boss.patch(`/api/hotels/${H.id}/`, { time_zone: 'Asia/Kolkata', check_in_time: '15:30' });
    t.equal(ok.status, 200);
    t.match(ok.body, { time_zone: 'Asia/Kolkata', check_in_time: '15:30' });
  });

  t.test('duplicates are 409', async (t) => {
    expectStatus(await boss.post('/api/rooms/', { room_number: 'D1', floor: 1 }), 201, 'first');
    const r = await boss.post('/api/rooms/', { room_number: 'D1', floor: 2 });
    t.equal(r.status, 409);
    t.type(r.body.error, 'string');
    const other = expectStatus(await boss.post('/api/rooms/', { room_number: 'D2', floor: 1 }), 201, 'second').body;
    t.equal((await boss.patch(`/api/rooms/${other.id}/`, { room_number: 'D1' })).status, 409, 'renaming onto a taken number');
  });

  t.test('ids that cannot exist are 404', async (t) => {
    for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999', '1e3']) {
      t.equal((await boss.get(`/api/rooms/${id}/`)).status, 404, `room ${id}`);
      t.equal((await boss.get(`/api/users/${id}/`)).status, 404, `user ${id}`);
    }
    t.equal((await boss.get('/api/hotels/not-a-uuid/')).status, 404, 'hotel not-a-uuid');
  });

  t.test('unknown and bad query parameters are a 400 naming them', async (t) => {
    const cases: Array<[string, string[]]> = [
      ['/api/rooms/?colour=red', ['colour']],
      ['/api/rooms/?colour=red&size=big', ['colour', 'size']],
      ['/api/users/?ordering=id', ['ordering']],
      ['/api/guests/?q=ada', ['q']],
      ['/api/stays/?limit=5', ['limit']],
      ['/api/hotels/?offset=5', ['offset']],
      ['/api/notifications/?read=true', ['read']],
      ['/api/rooms/?page_size=101', ['page_size']],
      ['/api/rooms/?page_size=0', ['page_size']],
      ['/api/rooms/?page_size=ten', ['page_size']],
      ['/api/rooms/?page=0', ['page']],
      ['/api/rooms/?page=-1', ['page']],
      ['/api/rooms/?page=two', ['page']],
      ['/api/rooms/?floor=two', ['floor']],
      ['/api/rooms/?status=dirty', ['status']],
      ['/api/stays/?guest=abc', ['guest']],
      ['/api/users/?page_size=1000', ['page_size']],
    ];
    for (const [path, names] of cases) {
      const r = await boss.get(path);
      t.equal(r.status, 400, path);
      for (const n of names) t.ok(fields(r)[n], `${path}: names ${n} (${JSON.stringify(r.body)})`);
    }
    t.equal((await boss.get('/api/rooms/?page_size=100')).status, 200, 'page_size 100 is fine');
  });

  t.test('pages: {count, next, previous, results} with working links', async (t) => {
    const made: number[] = [];
    for (let i = 1; i <= 5; i++) made.push((await createRoom(boss, { room_number: `P${i}`, floor: 7 })).id);
    const first = await boss.get('/api/rooms/?floor=7&page_size=2');
    t.equal(first.status, 200);
    t.same(Object.keys(first.body).sort(), ['count', 'next', 'previous', 'results']);
    t.equal(first.body.count, 5);
    t.equal(first.body.results.length, 2);
    t.equal(first.body.previous, null);
    t.type(first.body.next, 'string');
    // Links are relative unless PUBLIC_URL is set (never built from the Host header).
    t.match(first.body.next, /^\/api\/rooms\/?\?/);
    const nextUrl = new URL(first.body.next, w.app.base);
    t.equal(nextUrl.searchParams.get('page'), '2');
    t.equal(nextUrl.searchParams.get('page_size'), '2', 'keeps page_size');
    t.equal(nextUrl.searchParams.get('floor'), '7', 'keeps the filter');
    t.equal(nextUrl.pathname.replace(/\/$/, ''), '/api/rooms');

    const seen: number[] = first.body.results.map((r: any) => r.id);
    let page = first.body;
    let hops = 0;
    while (page.next) {
      const res = await fetch(new URL(page.next, w.app.base), { headers: { authorization: `Bearer ${token}` } });
      t.equal(res.status, 200, `follow ${page.next}`);
      page = await res.json();
      t.type(page.previous, 'string', 'a later page links back');
      seen.push(...page.results.map((r: any) => r.id));
      if (++hops > 5) break;
    }
    t.equal(hops, 2, 'three pages of 2, 2 and 1');
    t.same(seen.sort(), [...made].sort(), 'every room once, none twice');
    const prev = await fetch(new URL(page.previous, w.app.base), { headers: { authorization: `Bearer ${token}` } });
    t.same(((await prev.json()) as any).results.length, 2, 'previous works');

    const beyond = await boss.get('/api/rooms/?floor=7&page=9&page_size=2');
    t.equal(beyond.status, 200, `a page past the end: ${JSON.stringify(beyond.body)}`);
    t.same(beyond.body.results, []);
    t.equal(beyond.body.next, null);
  });

  t.test('every list endpoint has the page shape (default page size 20)', async (t) => {
    for (let i = 0; i < 21; i++) await createRoom(boss, { room_number: `Bulk${i}`, floor: 8 });
    const bulk = await boss.get('/api/rooms/?floor=8');
    t.equal(bulk.body.count, 21);
    t.equal(bulk.body.results.length, 20, 'default page size 20');
    t.type(bulk.body.next, 'string');
    for (const path of ['/api/hotels/', '/api/users/', '/api/rooms/', '/api/guests/', '/api/stays/', '/api/notifications/']) {
      const r = await boss.get(path);
      t.equal(r.status, 200, path);
      t.match(r.body, { count: Number, results: Array }, path);
      t.ok(Object.hasOwn(r.body, 'next') && Object.hasOwn(r.body, 'previous'), `${path}: next and previous present`);
    }
  });
});
