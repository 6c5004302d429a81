// The operator console's API: who may see and act (platform admin: everything; hotel admin: own
// hotel only; staff: nothing), dead letters made by the real job path (a queued webhook of an
// unknown guest) retried and discarded, the simulator's inbound path, input validation, the
// static route's refusal of paths outside its folder, and the metrics the console relies on.
import t from 'tap';
import { waitFor } from '../helpers/wait.js';
import { startApp } from '../helpers/app.js';
import { seedHotel, webhook, numberFactory } from '../helpers/chat-fixtures.js';
import { createDb } from '../../src/store/db.js';
import { createLogger } from '../../src/obs/log.js';
import { client } from '../helpers/http.js';
import { WsClient } from '../helpers/ws.js';


t.test('console API', async (t) => {
  const app = await startApp(t, { env: { WEBHOOK_MODE: 'queued', JOBS_MAX_DELIVERIES: '2', OPS_STATS_INTERVAL_MS: '250' }, captureLog: 'info' });
  const sql = createDb({ url: app.databaseUrl, poolMax: 2, statementTimeoutMs: 15000, applicationName: 'console-test', log: createLogger({ level: 'silent', nodeId: 't' }) });
  t.teardown(() => sql.end({ timeout: 2 }));
  const num = numberFactory();
  const a = await seedHotel(sql, {
    staff: [
      { username: `ca_admin_${num(1).slice(-7)}`, type: 'hotel_admin' },
      { username: `ca_rec_${num(1).slice(-7)}`, type: 'receptionist', departments: ['Reception'] },
      { username: `ca_root_${num(1).slice(-7)}`, type: 'platform_admin' },
    ],
    guests: [{ number: num(1), name: 'Grace Guest', room: '101' }],
  });
  const b = await seedHotel(sql, { staff: [{ username: `cb_admin_${num(2).slice(-7)}`, type: 'hotel_admin' }], guests: [] });
  const [adminA, staffA, root] = Object.values(a.staff).map((s) => client(app.base, s.token));
  const adminB = client(app.base, Object.values(b.staff)[0]!.token);
  const anon = client(app.base);

  // A dead letter through the real path: the queued webhook of a number no guest of hotel A has.
  const stranger = num(9);
  const accepted = await webhook(app.base, { channel: a.channel, whatsapp_number: stranger, message: 'hello from nobody', department: 'Reception' });
  t.equal(accepted.status, 202, 'the webhook is queued');
  const dead = await waitFor('the dead letter', async () => {
    const r = await root!.get('/api/ops/dead-letters');
    return r.body.dead_letters?.find((d: any) => d.payload?.whatsapp_number === stranger);
  });
  t.equal(dead.kind, 'inbound.webhook');
  t.match(dead.reason, /permanent/, 'the reason is kept');

  t.test('who may open the console', async (t) => {
    for (const [name, api] of [['anonymous', anon], ['receptionist', staffA!]] as const) {
      t.equal((await api.get('/api/ops/overview')).status, name === 'anonymous' ? 401 : 403, `${name}: overview refused`);
      t.equal((await api.get('/api/ops/dead-letters')).status, name === 'anonymous' ? 401 : 403, `${name}: dead letters refused`);
      t.equal((await api.post(`/api/ops/dead-letters/${dead.id}/retry`)).status, name === 'anonymous' ? 401 : 403, `${name}: retry refused`);
      t.equal((await api.post(`/api/ops/dead-letters/${dead.id}/discard`)).status, name === 'anonymous' ? 401 : 403, `${name}: discard refused`);
      t.equal((await api.get('/api/ops/simulator/guests')).status, name === 'anonymous' ? 401 : 403, `${name}: simulator refused`);
    }
    const platform = await waitFor('this node in the cluster view, with its dead job', async () => {
      const r = await root!.get('/api/ops/overview');
      return r.body.nodes?.some((n: any) => n.node === app.config.nodeId && n.ready === 'ready') && r.body.jobs?.some((j: any) => j.kind === 'inbound.webhook' && j.dead >= 1) && r.body;
    });
    const me = platform.nodes.find((n: any) => n.node === app.config.nodeId);
    t.equal(me.ready, 'ready', 'the node reports its readiness');
    t.ok(me.rss_bytes > 0 && typeof me.lag_p99_ms === 'number', 'memory and event-loop lag are reported');
    t.ok(platform.jobs.some((j: any) => j.kind === 'inbound.webhook' && j.dead >= 1), 'the job kind shows its dead job');
    const hotelView = (await adminA!.get('/api/ops/overview')).body;
    t.equal(hotelView.scope, 'hotel', 'a hotel admin gets the hotel view');
    t.equal(hotelView.nodes, null, 'without the cluster');
  });

  t.test('another hotel’s admin cannot see or act', async (t) => {
    const list = await adminB.get('/api/ops/dead-letters');
    t.equal(list.status, 200);
    t.notOk(list.body.dead_letters.some((d: any) => d.id === dead.id), 'hotel B does not see hotel A’s dead letter');
    t.equal((await adminB.post(`/api/ops/dead-letters/${dead.id}/retry`)).status, 404, 'nor retry it');
    t.equal((await adminB.post(`/api/ops/dead-letters/${dead.id}/discard`)).status, 404, 'nor discard it');
    const guests = await adminB.get('/api/ops/simulator/guests');
    t.same(guests.body.guests, [], 'nor pick hotel A’s guests');
    const g = a.guests[num(1)]!;
    t.equal((await adminB.post('/api/ops/simulator/send', { guest_id: g.id, message: 'x' })).status, 404, 'nor write as them');
    t.ok((await adminA!.get('/api/ops/dead-letters')).body.dead_letters.some((d: any) => d.id === dead.id), 'hotel A’s admin sees it');
  });

  t.test('inputs are validated', async (t) => {
    const bad = await root!.post('/api/ops/dead-letters/abc/retry');
    t.equal(bad.status, 400);
    t.match(JSON.stringify(bad.body), /id/, 'the path id is named');
    const body = await root!.post('/api/ops/simulator/send', { guest_id: 'x', message: '' });
    t.equal(body.status, 400);
    t.match(JSON.stringify(body.body), /guest_id/, 'the body field is named');
    t.equal((await root!.get('/api/ops/dead-letters?limit=100000')).status, 400, 'limits are bounded');
    t.equal((await root!.get('/api/ops/dead-letters?other=1')).status, 400, 'unknown parameters are refused');
  });

  t.test('retry after the cause is fixed: the message arrives', async (t) => {
    // The front desk checks the number in (through the API, so every node forgets it was unknown).
    const stay = await adminA!.post('/api/stays/', { guest: { whatsapp_number: stranger, full_name: 'Late Guest' } });
    t.equal(stay.status, 201, 'stay created');
    t.equal((await adminA!.post(`/api/stays/${stay.body.id}/check-in/`, {})).status, 200, 'checked in');
    const g = { id: Number(stay.body.guest?.id ?? stay.body.guest_id) };
    const r = await adminA!.post(`/api/ops/dead-letters/${dead.id}/retry`);
    t.equal(r.status, 200, 'retried');
    // A number looked up moments ago may still be remembered as unknown (GuestContextCache keeps
    // misses ~2 s): a retry that meets it dead-letters again, and the operator retries that one.
    const stored = await waitFor('the retried message', async () => {
      const again = (await adminA!.get('/api/ops/dead-letters')).body.dead_letters.find((d: any) => d.payload?.whatsapp_number === stranger);
      if (again) t.equal((await adminA!.post(`/api/ops/dead-letters/${again.id}/retry`)).status, 200, 'retried again');
      const [m] = await sql<{ conversation_id: number }[]>`
        select m.conversation_id::int as conversation_id from messages m join conversations c on c.id = m.conversation_id
        where c.guest_id = ${g.id} and m.content = 'hello from nobody'`;
      return m;
    });
    const events = await adminA!.get(`/api/ops/conversations/${stored.conversation_id}`);
    t.equal(events.status, 200);
    t.ok(events.body.events.some((e: any) => e.sender_type === 'guest' && e.content === 'hello from nobody'), 'the lookup shows the message');
    t.equal((await adminB.get(`/api/ops/conversations/${stored.conversation_id}`)).status, 404, 'another hotel cannot look it up');
    t.equal((await staffA!.get(`/api/ops/conversations/${stored.conversation_id}`)).status, 403, 'staff cannot use the lookup');
    t.equal((await root!.post(`/api/ops/dead-letters/${dead.id}/retry`)).status, 404, 'a resolved dead letter cannot be retried twice');
    const [row] = await sql<{ resolution: string; resolved_by: number }[]>`select resolution, resolved_by::int as resolved_by from job_dead_letters where id = ${dead.id}`;
    t.same(row, { resolution: 'retried', resolved_by: Object.values(a.staff)[0]!.id }, 'who retried is recorded');
    const audit = app.logLines.find((l) => l['audit'] === 'dead_letter.retried' && l['dead_letter'] === dead.id);
    t.match(audit, { user: Object.values(a.staff)[0]!.id, kind: 'inbound.webhook' }, 'the retry is audited in the log');
  });

  t.test('discard', async (t) => {
    const other = num(8);
    await webhook(app.base, { channel: a.channel, whatsapp_number: other, message: 'never mind', department: 'Reception' });
    const d = await waitFor('a second dead letter', async () => (await root!.get('/api/ops/dead-letters')).body.dead_letters?.find((x: any) => x.payload?.whatsapp_number === other));
    t.equal((await root!.post(`/api/ops/dead-letters/${d.id}/discard`)).status, 200, 'the platform admin discards it');
    t.notOk((await root!.get('/api/ops/dead-letters')).body.dead_letters.some((x: any) => x.id === d.id), 'it leaves the list');
    t.ok(app.logLines.some((l) => l['audit'] === 'dead_letter.discarded' && l['dead_letter'] === d.id), 'the discard is audited in the log');
  });

  t.test('simulator: a guest message through the inbound path, and a staff reply', async (t) => {
    const g = a.guests[num(1)]!;
    // The receptionist's dashboard socket: the simulated message must reach it like any other.
    const receptionist = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(Object.values(a.staff)[1]!.token)}`);
    t.teardown(() => receptionist.close());
    const guests = (await adminA!.get('/api/ops/simulator/guests')).body.guests;
    t.ok(guests.some((x: any) => x.guest_id === g.id && x.channel === a.channel), 'the checked-in guest is offered with the hotel’s channel');
    const sent = await adminA!.post('/api/ops/simulator/send', { guest_id: g.id, message: 'towels please', department: 'Reception' });
    t.equal(sent.status, 202);
    t.equal(sent.body.mode, 'queued', 'it went through the queued webhook job');
    const thread = await waitFor('the simulated message', async () => {
      const r = await adminA!.get(`/api/ops/simulator/guests/${g.id}/thread`);
      return r.body.conversations?.find((c: any) => c.events.some((e: any) => e.content === 'towels please'));
    });
    await receptionist.next((f) => JSON.stringify(f).includes('towels please'));
    t.pass('the staff socket received the simulated message');
    const hotel = await waitFor('the socket in the hotel view', async () =>
      (await adminA!.get('/api/ops/hotels')).body.hotels.find((h: any) => h.hotel_id === a.hotelId && h.staff_sockets >= 1));
    t.equal(hotel.departments.Reception.sockets, 1, 'sockets counted per department');
    const reply = await root!.post('/api/ops/simulator/reply', { conversation_id: thread.conversation.id, message: 'on the way' });
    t.equal(reply.status, 201, 'the platform admin answers as the hotel’s admin');
    const after = (await adminA!.get(`/api/ops/conversations/${thread.conversation.id}`)).body.events;
    t.ok(after.some((e: any) => e.sender_type === 'staff' && e.content === 'on the way'), 'the reply is stored');
    const hotels = (await adminA!.get('/api/ops/hotels')).body.hotels;
    t.ok(hotels.some((h: any) => h.hotel_id === a.hotelId && h.active_conversations >= 1), 'the hotel view counts active conversations');
    t.notOk(hotels.some((h: any) => h.hotel_id === b.hotelId), 'and shows no other hotel');
  });

  t.test('static console route and metrics', async (t) => {
    const root = await fetch(`${app.base}/`, { redirect: 'manual' });
    t.equal(root.status, 302);
    t.equal(root.headers.get('location'), '/console/');
    const bare = await fetch(`${app.base}/console`, { redirect: 'manual' });
    t.equal(bare.headers.get('location'), '/console/', '/console leads to /console/');
    for (const p of ['/console/..%2f..%2fpackage.json', '/console/../package.json', '/console/.env', '/console/a/b.js', '/console/%2e%2e/x.css']) {
      const r = await fetch(`${app.base}${p}`);
      t.equal(r.status, 404, `${p} is not served`);
    }
    const text = await (await fetch(`${app.base}/metrics`)).text();
    for (const name of ['nodejs_eventloop_lag_seconds{quantile="0.99"}', 'nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes', 'nodejs_heap_used_bytes', 'jobs_processed_total', 'http_request_duration_seconds_bucket']) {
      t.ok(text.includes(name), `/metrics has ${name}`);
    }
  });
});
