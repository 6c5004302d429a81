// Issue 3 — guests and their WhatsApp numbers: stored in E.164, unique whatever the spelling,
// found by any common spelling, and bad numbers named in a 400. Plus guest editing and the guest
// socket token.
import { decodeJwt } from 'jose';
import t from 'tap';
import { expectStatus, fields, staffedHotel, startDirectory } from '../../helpers/directory-fixtures.js';

const LONDON = '+442079460958';

t.test('guests and phone numbers', async (t) => {
  const w = await startDirectory(t);
  const H = await staffedHotel(w, 'phones');
  const desk = w.as(H.staff.receptionist);

  const created = await desk.post('/api/guests/', { whatsapp_number: '+44 20 7946 0958', full_name: 'Ada Lovelace', email: 'ada@example.com', nationality: 'GB' });
  expectStatus(created, 201, 'create guest');
  const ada = created.body;

  t.test('a spaced international number is stored in E.164', async (t) => {
    t.match(ada, { id: Number, whatsapp_number: LONDON, full_name: 'Ada Lovelace', email: 'ada@example.com', nationality: 'GB', status: 'pending_checkin' });
    const [row] = await w.sql<{ whatsapp_number: string }[]>`select whatsapp_number from guests where id = ${ada.id}`;
    t.equal(row?.whatsapp_number, LONDON, 'stored normalized');
    t.equal((await desk.get(`/api/guests/${ada.id}/`)).body.whatsapp_number, LONDON);
  });

  t.test('searching by any common spelling finds the guest', async (t) => {
    for (const spelling of ['442079460958', '0044 20 7946 0958', '+44 20 7946 0958', '+442079460958', '00442079460958', '+44 (20) 7946-0958', '2079460958', 'Lovelace', 'ada@example']) {
      const r = await desk.get(`/api/guests/?search=${encodeURIComponent(spelling)}`);
      t.equal(r.status, 200, spelling);
      t.same(r.body.results.map((g: any) => g.id), [ada.id], `"${spelling}" finds Ada`);
    }
    const none = await desk.get(`/api/guests/?search=${encodeURIComponent('+44 20 7946 0959')}`);
    t.equal(none.body.count, 0, 'a different number finds nobody');
  });

  t.test('the same number in another spelling is a 409', async (t) => {
    for (const spelling of ['00442079460958', '442079460958', '+44 20 7946 0958', '+44-20-7946-0958']) {
      const r = await desk.post('/api/guests/', { whatsapp_number: spelling, full_name: 'Ada Again' });
      t.equal(r.status, 409, spelling);
      t.type(r.body.error, 'string');
    }
    const n = await w.sql<{ n: number }[]>`select count(*)::int as n from guests where whatsapp_number = ${LONDON}`;
    t.equal(n[0]?.n, 1, 'still one guest');
  });

  t.test('invalid numbers are a 400 naming whatsapp_number', async (t) => {
    for (const bad of ['hello world', '12', '+44 123', 'abc+4420', '+1 (555) abc-defg', '++442079460958', '+0 123 456 789', '', '1234567890123456789']) {
      const r = await desk.post('/api/guests/', { whatsapp_number: bad, full_name: 'Nobody' });
      t.equal(r.status, 400, `"${bad}"`);
      t.ok(fields(r)['whatsapp_number'], `"${bad}" names whatsapp_number (${JSON.stringify(r.body)})`);
    }
    const missing = await desk.post('/api/guests/', { full_name: 'No Number' });
    t.equal(missing.status, 400);
    t.ok(fields(missing)['whatsapp_number'], 'a missing number is named');
    const both = await desk.post('/api/guests/', { whatsapp_number: 'x', full_name: '', hobby: 'chess' });
    t.equal(both.status, 400);
    for (const f of ['whatsapp_number', 'full_name', 'hobby']) t.ok(fields(both)[f], `every bad field is named: ${f}`);
  });

  t.test('editing a guest normalizes a new number, and refuses a taken one', async (t) => {
    const other = expectStatus(await desk.post('/api/guests/', { whatsapp_number: '+1 212 555 0100', full_name: 'Bob NY' }), 201, 'create').body;
    t.equal(other.whatsapp_number, '+12125550100');
    const moved = await desk.patch(`/api/guests/${other.id}/`, { whatsapp_number: '001 212 555 0101' });
    t.equal(moved.status, 200);
    t.equal(moved.body.whatsapp_number, '+12125550101');
    const taken = await desk.patch(`/api/guests/${other.id}/`, { whatsapp_number: '0044 20 7946 0958' });
    t.equal(taken.status, 409, 'taken by Ada');
    const bad = await desk.patch(`/api/guests/${other.id}/`, { whatsapp_number: 'not a number' });
    t.equal(bad.status, 400);
    t.ok(fields(bad)['whatsapp_number']);
    const unknown = await desk.patch(`/api/guests/${other.id}/`, { status: 'checked_in' });
    t.equal(unknown.status, 400, 'status is not editable (check-in moves it)');
    t.ok(fields(unknown)['status']);
    t.equal((await desk.get(`/api/guests/${other.id}/`)).body.whatsapp_number, '+12125550101', 'unchanged by the refused edits');
  });

  t.test('a stay with guest.whatsapp_number in another spelling reuses the guest', async (t) => {
    const r = await desk.post('/api/stays/', { guest: { whatsapp_number: '0044 20 7946 0958', full_name: 'Ada L.' } });
    t.equal(r.status, 201);
    t.equal(r.body.guest_id, ada.id);
    t.equal(r.body.guest_whatsapp_number, LONDON);
    const bad = await desk.post('/api/stays/', { guest: { whatsapp_number: 'nope-nope', full_name: 'X' } });
    t.equal(bad.status, 400);
    t.ok(Object.keys(fields(bad)).some((k) => k.includes('whatsapp_number')), `names the guest's number (${JSON.stringify(bad.body)})`);
  });

  t.test('guest socket token', async (t) => {
    const r = await desk.post(`/api/guests/${ada.id}/socket-token/`);
    t.equal(r.status, 201);
    t.match(r.body, { token: String, guest_id: ada.id, whatsapp_number: LONDON, expires_in: 86400 });
    const claims = decodeJwt(r.body.token);
    t.equal(claims['token_type'], 'guest');
    t.equal(claims['num'], LONDON);
    const extra = await desk.post(`/api/guests/${ada.id}/socket-token/`, { ttl: 5 });
    t.equal(extra.status, 400, 'the body must be empty');
    t.ok(fields(extra)['ttl']);
  });

  t.test('status filter', async (t) => {
    const pending = await desk.get('/api/guests/?status=pending_checkin');
    t.ok(pending.body.results.length >= 1);
    t.ok(pending.body.results.every((g: any) => g.status === 'pending_checkin'));
    const bad = await desk.get('/api/guests/?status=sleeping');
    t.equal(bad.status, 400);
    t.ok(fields(bad)['status']);
  });
});
