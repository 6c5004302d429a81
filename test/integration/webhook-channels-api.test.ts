// /api/channels/: hotel admins manage their hotel's channels, platform admins any hotel's; another
// hotel's channel is a 404 for every verb, and nothing beyond the public fields is ever returned.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { connect } from '../helpers/db.js';
import { seedHotel } from '../helpers/chat-fixtures.js';
import { client } from '../helpers/http.js';

const app = await startApp(t);
const sql = connect(t, app.databaseUrl);
const a = await seedHotel(sql, { name: 'Hotel A', staff: [{ username: 'a_admin', type: 'hotel_admin' }, { username: 'a_rec', type: 'receptionist', departments: ['Reception'] }], guests: [] });
const b = await seedHotel(sql, { name: 'Hotel B', staff: [{ username: 'b_admin', type: 'hotel_admin' }], guests: [] });
const root = await seedHotel(sql, { staff: [{ username: 'root', type: 'platform_admin' }], guests: [] });
const aAdmin = client(app.base, a.staff['a_admin']!.token);
const aRec = client(app.base, a.staff['a_rec']!.token);
const bAdmin = client(app.base, b.staff['b_admin']!.token);
const platform = client(app.base, root.staff['root']!.token);
const PUBLIC_FIELDS = [
  'created_at', 'display_phone_number', 'external_id', 'has_access_token', 'has_app_secret', 'has_verify_token',
  'hotel_id', 'id', 'is_active', 'provider', 'updated_at', 'waba_id',
];
const CLOUD = { waba_id: '102290129340398', app_secret: 'app-secret-of-hotel-a', verify_token: 'verify-token-of-a', access_token: 'EAAGm0PX4ZCpsBA-token-a' };

let aChannel = 0;

t.test('a hotel admin registers a channel of their hotel', async (t) => {
  const r = await aAdmin.post('/api/channels/', { external_id: '+15550009999', display_phone_number: '+1 555 000 9999' });
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.match(r.body, { hotel_id: a.hotelId, provider: 'relay', external_id: '+15550009999', display_phone_number: '+15550009999', is_active: true });
  t.same(Object.keys(r.body).sort(), PUBLIC_FIELDS, 'only public fields');
  aChannel = r.body.id;
  const cloud = await aAdmin.post('/api/channels/', { provider: 'whatsapp_cloud', external_id: '106540352242922', ...CLOUD });
  t.equal(cloud.status, 201, 'a WhatsApp Cloud API phone_number_id maps to the hotel the same way');
  t.match(cloud.body, { waba_id: CLOUD.waba_id, has_app_secret: true, has_verify_token: true, has_access_token: true });
  t.notOk(JSON.stringify(cloud.body).includes(CLOUD.app_secret) || JSON.stringify(cloud.body).includes(CLOUD.access_token), 'no secret is returned');

  const list = await aAdmin.get('/api/channels/');
  t.equal(list.status, 200);
  t.ok(list.body.results.every((c: { hotel_id: string }) => c.hotel_id === a.hotelId), 'only their hotel');
  t.ok(list.body.results.some((c: { id: number }) => c.id === aChannel));
  for (const c of list.body.results) t.same(Object.keys(c).sort(), PUBLIC_FIELDS);
});

t.test('one external id names one channel per provider', async (t) => {
  const dup = await bAdmin.post('/api/channels/', { external_id: '+15550009999' });
  t.equal(dup.status, 409, JSON.stringify(dup.body));
  t.match(dup.body.details, { field: 'external_id' });
});

t.test("hotel B's admin can neither see nor change A's channels", async (t) => {
  t.equal((await bAdmin.get(`/api/channels/${aChannel}/`)).status, 404);
  t.equal((await bAdmin.patch(`/api/channels/${aChannel}/`, { is_active: false })).status, 404);
  t.equal((await bAdmin.del(`/api/channels/${aChannel}/`)).status, 404);
  const list = await bAdmin.get('/api/channels/');
  t.notOk(list.body.results.some((c: { hotel_id: string }) => c.hotel_id === a.hotelId), "A's channels are not listed");
  const forA = await bAdmin.post('/api/channels/', { external_id: 'b-for-a', hotel_id: a.hotelId });
  t.equal(forA.status, 400, 'cannot create one for another hotel');
  const [row] = await sql<{ is_active: boolean }[]>`select is_active from channels where id = ${aChannel}`;
  t.equal(row!.is_active, true, 'unchanged');
});

t.test('other staff of the hotel may not manage channels', async (t) => {
  t.equal((await aRec.get('/api/channels/')).status, 403);
  t.equal((await aRec.post('/api/channels/', { external_id: 'rec-made' })).status, 403);
  t.equal((await aRec.patch(`/api/channels/${aChannel}/`, { is_active: false })).status, 403);
});

t.test('platform admins work across hotels and must name the hotel of a new channel', async (t) => {
  const all = await platform.get(`/api/channels/?hotel=${a.hotelId}`);
  t.equal(all.status, 200);
  t.ok(all.body.results.some((c: { id: number }) => c.id === aChannel));
  t.equal((await platform.post('/api/channels/', { external_id: 'root-made' })).status, 400, 'hotel_id required');
  const made = await platform.post('/api/channels/', { external_id: 'root-made', hotel_id: b.hotelId });
  t.equal(made.status, 201);
  t.equal(made.body.hotel_id, b.hotelId);
  t.equal((await platform.patch(`/api/channels/${aChannel}/`, { display_phone_number: '' })).status, 200);
});

t.test('bad input names the field', async (t) => {
  const badId = await aAdmin.post('/api/channels/', { external_id: 'has space' });
  t.equal(badId.status, 400);
  t.ok(badId.body.details.fields.external_id);
  const badNumber = await aAdmin.post('/api/channels/', { external_id: 'ok-id', display_phone_number: 'call me' });
  t.equal(badNumber.status, 400);
  t.ok(badNumber.body.details.fields.display_phone_number);
  const badProvider = await aAdmin.post('/api/channels/', { external_id: 'ok-id', provider: 'sms' });
  t.equal(badProvider.status, 400);
  t.ok(badProvider.body.details.fields.provider);
  t.equal((await aAdmin.patch(`/api/channels/${aChannel}/`, { hotel_id: b.hotelId })).status, 400, 'a channel never moves to another hotel');
});

t.test('a hotel admin removes their channel', async (t) => {
  const gone = await aAdmin.del(`/api/channels/${aChannel}/`);
  t.equal(gone.status, 204);
  t.equal((await aAdmin.get(`/api/channels/${aChannel}/`)).status, 404);
});

t.test('WhatsApp Cloud API channels: secrets are required, write-only, and only for that provider', async (t) => {
  const missing = await aAdmin.post('/api/channels/', { provider: 'whatsapp_cloud', external_id: '106540352240001', waba_id: '1' });
  t.equal(missing.status, 400);
  t.match(missing.body, { details: { fields: { app_secret: /required/, verify_token: /required/, access_token: /required/ } } }, 'each missing secret is named');
  const onRelay = await aAdmin.post('/api/channels/', { external_id: 'relay-with-secret', app_secret: 'some-app-secret' });
  t.equal(onRelay.status, 400);
  t.match(onRelay.body, { details: { fields: { app_secret: /whatsapp_cloud/ } } });
  const short = await aAdmin.post('/api/channels/', { provider: 'whatsapp_cloud', external_id: '106540352240002', ...CLOUD, app_secret: 'short' });
  t.equal(short.status, 400, 'a secret shorter than 8 characters is refused');

  const made = await aAdmin.post('/api/channels/', { provider: 'whatsapp_cloud', external_id: '106540352240003', ...CLOUD });
  t.equal(made.status, 201, JSON.stringify(made.body));
  const rotated = await aAdmin.patch(`/api/channels/${made.body.id}/`, { access_token: 'EAAGm0PX4ZCpsBA-rotated' });
  t.equal(rotated.status, 200);
  t.notOk(JSON.stringify(rotated.body).includes('rotated'), 'the rotated token is not echoed');
  const [row] = await sql<{ access_token: string; app_secret: string }[]>`select access_token, app_secret from channels where id = ${made.body.id}`;
  t.same(row, { access_token: 'EAAGm0PX4ZCpsBA-rotated', app_secret: CLOUD.app_secret }, 'stored as given, the other secrets untouched');
  const relay = await aAdmin.post('/api/channels/', { external_id: 'relay-no-secrets' });
  t.equal((await aAdmin.patch(`/api/channels/${relay.body.id}/`, { verify_token: 'verify-token-x' })).status, 400, 'a relay channel takes no secrets on edit either');
});
