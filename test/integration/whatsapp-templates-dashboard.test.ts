// The dashboard's message-templates page, with its requests as it sends them: global templates
// listed as {count, next, previous, results} with their types, variables, detail and preview;
// the hotel's custom templates created and updated as multipart forms, listed, previewed and
// deleted; staff read, admins and managers write, another hotel sees nothing.
import t from 'tap';
import { startApp } from '../helpers/app.js';
import { seedHotel } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { client } from '../helpers/http.js';

const app = await startApp(t);
const sql = connect(t, app.databaseUrl);
const uniq = Math.random().toString(36).slice(2, 8);
const a = await seedHotel(sql, {
  name: `Plaza ${uniq}`,
  staff: [
    { username: `dash_admin_${uniq}`, type: 'hotel_admin' },
    { username: `dash_manager_${uniq}`, type: 'manager' },
    { username: `dash_desk_${uniq}`, type: 'receptionist', departments: ['Reception'] },
  ],
  guests: [],
});
const b = await seedHotel(sql, { staff: [{ username: `dash_other_${uniq}`, type: 'hotel_admin' }], guests: [] });
const tok = (u: string) => a.staff[`${u}_${uniq}`]!.token;
const admin = client(app.base, tok('dash_admin'));
const desk = client(app.base, tok('dash_desk'));
const other = client(app.base, b.staff[`dash_other_${uniq}`]!.token);

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1]);

/** What the page sends on create and update: multipart form fields, all strings. */
async function form(method: 'POST' | 'PUT' | 'PATCH', path: string, token: string, fields: Record<string, string>, file?: { name: string; bytes: Uint8Array }, fileField = 'media_file') {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  if (file) fd.append(fileField, new Blob([file.bytes], { type: 'image/png' }), file.name);
  const res = await fetch(app.base + path, { method, headers: { authorization: `Bearer ${token}` }, body: fd });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

t.test('global templates: paged list, types, variables, detail and preview', async (t) => {
  const list = await desk.get('/api/chat/templates/');
  t.equal(list.status, 200);
  t.match(list.body, { count: Number, next: null, previous: null, results: Array });
  const welcome = list.body.results.find((x: { name: string }) => x.name === 'lobbybee_hotel_welcome');
  t.match(welcome, { id: Number, template_type: 'checkin', text_content: /\{\{guest_name\}\}/, is_customizable: true, is_active: true, variables: Array });
  t.equal((await desk.get('/api/chat/templates/?page_size=2')).body.results.length, 2);
  t.ok((await desk.get('/api/chat/templates/?page_size=2')).body.next, 'a next page');
  t.equal((await desk.get('/api/chat/templates/?search=checkout')).body.count, 2);
  t.equal((await desk.get('/api/chat/templates/?template_type=farewell')).body.count, 1);

  const types = await desk.get('/api/chat/templates/types/');
  t.equal(types.status, 200);
  t.same(types.body.template_types[0], ['greeting', 'Greeting']);
  t.same(types.body.categories, types.body.template_types);
  const vars = await desk.get('/api/chat/templates/variables/');
  t.equal(vars.body.total_count, vars.body.variables.length);
  t.match(vars.body.variables.find((v: { name: string }) => v.name === 'guest_name'), { model: 'Guest', field: 'full_name', example: String });
  t.ok(vars.body.grouped_by_model.Hotel.length > 0);

  t.match((await desk.get(`/api/chat/templates/${welcome.id}/`)).body, { id: welcome.id, name: 'lobbybee_hotel_welcome' });
  const preview = await desk.get(`/api/chat/templates/${welcome.id}/preview/`);
  t.equal(preview.status, 200);
  t.match(preview.body, { template_id: welcome.id, template_model: 'global', hotel_name: `Plaza ${uniq}`, rendered_content: `Welcome to Plaza ${uniq}, John Smith! Your room is 101. Wi-Fi: GrandPlaza_Guest / welcome123.` });
  t.equal((await desk.get('/api/chat/templates/99999999/preview/')).status, 404);
  t.equal((await admin.post('/api/chat/templates/', { name: 'mine', text_content: 'x' })).status, 403, 'global templates are the platform\'s');
});

t.test('custom templates: multipart create, list, detail, update, preview, delete', async (t) => {
  const globals = (await desk.get('/api/chat/templates/?search=welcome')).body.results;
  const base = globals[0].id;
  const created = await form('POST', '/api/chat/custom-templates/', tok('dash_admin'), {
    name: 'Pool hours',
    template_type: 'service',
    category: 'service',
    text_content: 'Hi {{guest_name}}, the pool at {{hotel_name}} opens at 7.',
    variables: JSON.stringify(['guest_name', 'hotel_name']),
    is_active: 'true',
    base_template: String(base),
    description: 'Pool opening time',
  });
  t.equal(created.status, 201);
  t.match(created.body, {
    id: Number,
    hotel: a.hotelId,
    hotel_name: `Plaza ${uniq}`,
    base_template: base,
    base_template_name: 'lobbybee_hotel_welcome',
    name: 'Pool hours',
    template_type: 'service',
    variables: ['guest_name', 'hotel_name'],
    is_active: true,
    media_url: null,
  });
  const id = created.body.id;
  t.equal((await form('POST', '/api/chat/custom-templates/', tok('dash_admin'), { name: 'Pool hours', text_content: 'again' })).status, 409, 'names are unique per hotel');
  const bad = await form('POST', '/api/chat/custom-templates/', tok('dash_admin'), { name: 'Bad', text_content: 'x', template_type: 'nonsense', is_active: 'maybe' });
  t.equal(bad.status, 400);
  t.match(bad.body.details.fields, { template_type: String, is_active: String }, 'each bad field is named');
  const notImage = await form('POST', '/api/chat/custom-templates/', tok('dash_admin'), { name: 'Img', text_content: 'x' }, { name: 'a.png', bytes: new Uint8Array([1, 2, 3]) });
  t.equal(notImage.status, 400, 'a media file must be an image by its bytes');
  t.match(notImage.body.details.fields, { media_file: /JPEG, PNG/ });
  const withImage = await form('POST', '/api/chat/custom-templates/', tok('dash_admin'), { name: 'Img', text_content: 'Look {{guest_name}}' }, { name: 'pool.png', bytes: PNG });
  t.equal(withImage.status, 201);
  t.match(withImage.body, { media_filename: 'pool.png', media_url: /\/media\/templates\/hotel_[0-9a-f-]+\/template_[0-9a-f-]+\.png\?exp=\d+&sig=/ });
  const image = await fetch(withImage.body.media_url);
  t.equal(image.status, 200, 'the stored image is served');
  t.same(new Uint8Array(await image.arrayBuffer()), PNG);
  t.equal((await admin.del(`/api/chat/custom-templates/${withImage.body.id}/`)).status, 204);

  const list = await desk.get('/api/chat/custom-templates/');
  t.equal(list.status, 200, 'staff read');
  t.equal(list.body.count, 1);
  t.equal(list.body.results[0].id, id);
  t.equal((await desk.get('/api/chat/custom-templates/?search=pool')).body.count, 1);

  const patched = await form('PATCH', `/api/chat/custom-templates/${id}/`, tok('dash_manager'), { is_active: 'false', text_content: 'The pool opens at {{pool_time}}.' });
  t.equal(patched.status, 200, 'managers write');
  t.match(patched.body, { is_active: false, variables: ['pool_time'], name: 'Pool hours' });
  const put = await admin.put(`/api/chat/custom-templates/${id}/`, { name: 'Pool times', text_content: 'Hi {{guest_name}}', template_type: 'general' });
  t.equal(put.status, 200, 'JSON works too');
  t.match(put.body, { name: 'Pool times', template_type: 'general', variables: ['guest_name'] });

  const preview = await desk.get(`/api/chat/custom-templates/${id}/preview/`);
  t.match(preview.body, { template_id: id, template_model: 'custom', rendered_content: 'Hi John Smith', hotel_id: a.hotelId });

  t.equal((await form('POST', '/api/chat/custom-templates/', tok('dash_desk'), { name: 'No', text_content: 'x' })).status, 403, 'a receptionist cannot write');
  t.equal((await other.get(`/api/chat/custom-templates/${id}/`)).status, 404, 'another hotel');
  t.equal((await other.get('/api/chat/custom-templates/')).body.count, 0);
  t.equal((await other.del(`/api/chat/custom-templates/${id}/`)).status, 404);
  t.equal((await admin.del(`/api/chat/custom-templates/${id}/`)).status, 204);
  t.equal((await admin.get(`/api/chat/custom-templates/${id}/`)).status, 404);
});

t.test('template images: uploaded on their own, then named by media_url', async (t) => {
  const up = await form('POST', '/api/chat/upload-template-media/', tok('dash_admin'), {}, { name: 'lobby.png', bytes: PNG }, 'file');
  t.equal(up.status, 201);
  t.match(up.body, { message: String, file_url: /\/media\/templates\/hotel_/, filename: 'lobby.png', file_type: 'image', file_info: { size: PNG.length, content_type: 'image/png' } });
  t.equal((await form('POST', '/api/chat/upload-template-media/', tok('dash_desk'), {}, { name: 'x.png', bytes: PNG }, 'file')).status, 403, 'staff cannot upload');
  t.equal((await form('POST', '/api/chat/upload-template-media/', tok('dash_admin'), {})).status, 400, 'no file');

  const created = await admin.post('/api/chat/custom-templates/', { name: 'Lobby', text_content: 'Welcome', media_url: up.body.file_url, media_filename: 'lobby.png' });
  t.equal(created.status, 201);
  const [row] = await sql<{ media_key: string | null; media_url: string | null }[]>`select media_key, media_url from custom_message_templates where id = ${created.body.id}`;
  t.match(row, { media_key: /^templates\/hotel_/, media_url: null }, 'kept as our own object (signed afresh on every read), not as the expiring link');
  t.match(created.body.media_url, /\/media\/templates\/hotel_/);
  const outside = await admin.patch(`/api/chat/custom-templates/${created.body.id}/`, { media_url: 'https://cdn.example.com/lobby.jpg' });
  t.equal(outside.body.media_url, 'https://cdn.example.com/lobby.jpg', 'an outside link is kept as given');
  // Another hotel cannot adopt this hotel's image by its URL: it stays an outside link to a signed URL.
  const theirs = await other.post('/api/chat/custom-templates/', { name: 'Borrowed', text_content: 'x', media_url: up.body.file_url });
  t.equal(theirs.status, 201);
  t.equal(theirs.body.media_url, up.body.file_url, 'not taken as their own object');
});
