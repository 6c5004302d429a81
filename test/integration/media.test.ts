// Media against both stores — a real S3-compatible server (s3rver) on loopback and the local
// disk: upload → media frame → staff and guest receive a message whose URL downloads the file;
// oversize, wrong type, foreign conversation, aborted upload, expired and forged URLs; provider
// media copied in by the media.ingest job; unused uploads removed by cron.
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import t, { type Test } from 'tap';
import S3rver from 's3rver';
import sharp from 'sharp';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';
import { guestToken, numberFactory, seedHotel, webhook } from '../helpers/chat-fixtures.js';
import { connect } from '../helpers/db.js';
import { until } from '../helpers/cluster.js';
import { WsClient } from '../helpers/ws.js';
import { createSigner } from '../../src/media/signer.js';
import type { Sql } from '../../src/store/db.js';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n' + 'x'.repeat(20_000));

async function s3server(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lbt-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'media', configs: [] }] });
  const { port } = await server.run();
  t.teardown(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  return {
    env: { MEDIA_DRIVER: 's3', S3_BUCKET: 'media', S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' },
    keys: async () => ((await client.send(new ListObjectsV2Command({ Bucket: 'media' }))).Contents ?? []).map((o) => o.Key!),
  };
}

function diskKeys(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (!e.name.endsWith('.type')) out.push(path.relative(dir, path.join(d, e.name)));
    }
  };
  try {
    walk(dir);
  } catch {
    /* not created yet */
  }
  return out;
}

function upload(app: TestApp, token: string, parts: { conversation_id?: string; caption?: string; file?: { name: string; type: string; data: Buffer } }) {
  const form = new FormData();
  if (parts.conversation_id !== undefined) form.append('conversation_id', parts.conversation_id);
  if (parts.file) form.append('file', new Blob([parts.file.data], { type: parts.file.type }), parts.file.name);
  if (parts.caption !== undefined) form.append('caption', parts.caption);
  return fetch(`${app.base}/api/chat/upload-media/`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as any,
  }));
}

async function suite(t: Test, store: 'disk' | 's3') {
  const mediaDir = mkdtempSync(path.join(os.tmpdir(), 'lbt-media-'));
  t.teardown(() => rmSync(mediaDir, { recursive: true, force: true }));
  const s3 = store === 's3' ? await s3server(t) : null;
  const app = await startApp(t, {
    env: {
      MEDIA_DIR: mediaDir,
      MEDIA_MAX_BYTES: String(200 * 1024),
      CRON_ENABLED: 'true',
      CRON_MEDIA_SCHEDULE: '* * * * * *',
      MEDIA_ORPHAN_HOURS: '1',
      WORKER_THREADS: '2',
      ...(s3?.env ?? {}),
    },
  });
  const keys = () => (s3 ? s3.keys() : Promise.resolve(diskKeys(mediaDir)));
  const sql: Sql = connect(t, app.databaseUrl);
  const num = numberFactory();
  const a = await seedHotel(sql, {
    staff: [
      { username: `desk_${store}`, type: 'receptionist', departments: ['Reception'] },
      { username: `hk_${store}`, type: 'department_staff', departments: ['Housekeeping'] },
    ],
    guests: [{ number: num(1), name: 'Media Guest', room: '101' }],
  });
  const b = await seedHotel(sql, { staff: [{ username: `other_${store}`, type: 'receptionist', departments: ['Reception'] }], guests: [{ number: num(2), name: 'B Guest' }] });
  const desk = a.staff[`desk_${store}`]!.token;
  const conv = (await webhook(app.base, { whatsapp_number: num(1), message: 'send me the bill', department: 'Reception' })).body.conversation_id as number;
  const otherConv = (await webhook(app.base, { whatsapp_number: num(2), message: 'b', department: 'Reception' })).body.conversation_id as number;

  await t.test('upload → media frame → staff and guest get a message whose URL downloads the file', async (t) => {
    const up = await upload(app, desk, { conversation_id: String(conv), caption: 'Your bill', file: { name: 'bill.pdf', type: 'application/pdf', data: PDF } });
    t.equal(up.status, 201, JSON.stringify(up.body));
    t.match(up.body, { file_url: /\/media\/chat\//, filename: 'bill.pdf', file_type: 'document', caption: 'Your bill', conversation_id: conv, file_info: { original_name: 'bill.pdf', size: PDF.length, content_type: 'application/pdf' } });
    const staff = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(desk)}`);
    const colleague = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(desk)}`);
    const guest = await WsClient.connect(`${app.wsBase}/ws/guest/${encodeURIComponent(num(1))}/?token=${await guestToken(a.guests[num(1)]!.id, num(1))}`);
    t.teardown(() => [staff, colleague, guest].forEach((w) => w.close()));
    staff.send({ type: 'media', conversation_id: conv, file_url: up.body.file_url, filename: up.body.filename, file_type: up.body.file_type, caption: up.body.caption });
    t.match(await staff.next((f) => f.type === 'acknowledgment' && f.status === 'received'), { message_type: 'document', caption: 'Your bill' });
    for (const ws of [colleague, guest]) {
      const m = await ws.next((f) => f.type === 'message' && f.data.message_type === 'document');
      t.match(m.data, { content: 'Your bill', media_filename: 'bill.pdf', media_url: /\/media\/chat\// });
      const dl = await fetch(m.data.media_url);
      t.equal(dl.status, 200);
      t.same(Buffer.from(await dl.arrayBuffer()), PDF, 'the same bytes come back');
    }
    const detail = await fetch(`${app.base}/api/chat/conversations/${conv}`, { headers: { authorization: `Bearer ${desk}` } }).then((r) => r.json() as Promise<any>);
    const last = detail.messages.at(-1);
    const exp = (u: string) => Number(new URL(u).searchParams.get('exp'));
    t.ok(exp(last.media_url) >= exp(up.body.file_url), 'signed again on every read');
    t.equal((await fetch(last.media_url)).status, 200);
  });

  await t.test('images lose their metadata and get a thumbnail', async (t) => {
    const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#336699' } })
      .jpeg()
      .withExif({ IFD0: { Copyright: 'gps-secret-marker' } })
      .toBuffer();
    t.ok(jpeg.includes('gps-secret-marker'), 'the input carries EXIF');
    const up = await upload(app, desk, { conversation_id: String(conv), file: { name: 'room.jpg', type: 'image/jpeg', data: jpeg } });
    t.equal(up.status, 201);
    t.match(up.body, { file_type: 'image', file_info: { width: 640, height: 480 } });
    const stored = Buffer.from(await (await fetch(up.body.file_url)).arrayBuffer());
    t.notOk(stored.includes('gps-secret-marker'), 'EXIF removed');
    t.equal((await sharp(stored).metadata()).width, 640, 'still the same picture');
    const thumb = await fetch(up.body.thumbnail_url);
    t.equal(thumb.status, 200);
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    t.ok(meta.format === 'webp' && (meta.width ?? 999) <= 320, 'a small webp thumbnail');
  });

  await t.test('refusals', async (t) => {
    const before = (await keys()).length;
    const big = await upload(app, desk, { conversation_id: String(conv), file: { name: 'big.pdf', type: 'application/pdf', data: Buffer.concat([PDF, Buffer.alloc(300 * 1024)]) } });
    t.equal(big.status, 413, 'over MEDIA_MAX_BYTES');
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00', 'latin1'), Buffer.alloc(2000, 1)]);
    const fake = await upload(app, desk, { conversation_id: String(conv), file: { name: 'cute.png', type: 'image/png', data: exe } });
    t.equal(fake.status, 415, 'a .png that is really an executable');
    t.match(fake.body.error, /not allowed/);
    t.equal((await upload(app, desk, { conversation_id: String(otherConv), file: { name: 'x.pdf', type: 'application/pdf', data: PDF } })).status, 404, "another hotel's conversation");
    t.equal((await upload(app, a.staff[`hk_${store}`]!.token, { conversation_id: String(conv), file: { name: 'x.pdf', type: 'application/pdf', data: PDF } })).status, 403, 'another department');
    t.equal((await upload(app, desk, { file: { name: 'x.pdf', type: 'application/pdf', data: PDF } })).status, 400, 'no conversation_id');
    t.equal((await upload(app, desk, { conversation_id: String(conv) })).status, 400, 'no file');
    const json = await fetch(`${app.base}/api/chat/upload-media/`, { method: 'POST', headers: { authorization: `Bearer ${desk}`, 'content-type': 'application/json' }, body: '{}' });
    t.equal(json.status, 415);
    t.equal((await keys()).length, before, 'nothing stored by refused uploads');
  });

  await t.test('an upload aborted mid-stream leaves no object and the server keeps serving', async (t) => {
    const before = (await keys()).length;
    const boundary = 'xBOUNDARYx';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="conversation_id"\r\n\r\n${conv}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
    await new Promise<void>((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port: app.port }, () => {
        sock.write(`POST /api/chat/upload-media/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${desk}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 150000\r\n\r\n${head}`);
        sock.write(PDF.subarray(0, 10_000), () => setTimeout(() => sock.destroy(), 100));
      });
      sock.on('close', () => resolve());
      sock.on('error', () => resolve());
    });
    t.equal((await fetch(`${app.base}/healthz`)).status, 200, 'still serving');
    t.equal((await keys()).length, before, 'no partial object');
    const [{ n }] = (await sql`select count(*)::int as n from media_objects where filename = 'half.pdf'`) as unknown as [{ n: number }];
    t.equal(n, 0);
  });

  await t.test('expired and forged URLs are refused', async (t) => {
    const up = await upload(app, desk, { conversation_id: String(conv), file: { name: 'again.pdf', type: 'application/pdf', data: PDF } });
    const url = new URL(up.body.file_url);
    const key = decodeURIComponent(url.pathname.slice('/media/'.length));
    const signer = createSigner({ secret: TEST_JWT_SECRET, baseUrl: () => app.base, ttlS: 3600 });
    const expired = signer.url(key, -10);
    t.equal((await fetch(expired)).status, 403, 'a correctly signed but expired URL');
    url.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3600));
    t.equal((await fetch(url)).status, 403, 'a longer expiry without a new signature');
    t.equal((await fetch(signer.url(key.replace('.pdf', '.jpg')))).status, 404, 'a valid signature for a missing object');
    t.equal((await fetch(`${app.base}/media/${key}`)).status, 403, 'no signature at all');
    if (store === 's3') {
      const r = await fetch(up.body.file_url, { redirect: 'manual' });
      t.equal(r.status, 302, 'S3 objects are reached through a redirect');
      const target = new URL(r.headers.get('location')!);
      t.equal(target.searchParams.get('X-Amz-Expires'), '300', 'to a presigned URL that lives five minutes');
      t.ok(target.searchParams.get('X-Amz-Signature'), 'signed');
      t.match(target.searchParams.get('X-Amz-Credential'), /^S3RVER\//);
    }
  });

  await t.test('a media frame can only use files uploaded here, for this hotel', async (t) => {
    const staffB = await WsClient.connect(`${app.wsBase}/ws/chat/?token=${encodeURIComponent(b.staff[`other_${store}`]!.token)}`);
    t.teardown(() => staffB.close());
    const up = await upload(app, desk, { conversation_id: String(conv), file: { name: 'mine.pdf', type: 'application/pdf', data: PDF } });
    staffB.send({ type: 'media', conversation_id: otherConv, file_url: up.body.file_url, filename: 'mine.pdf', file_type: 'document' });
    t.match(await staffB.next((f) => f.type === 'error'), { message: /file_url/ });
  });

  await t.test('provider media is copied into the store', async (t) => {
    const png = await sharp({ create: { width: 32, height: 32, channels: 4, background: '#00ff00' } }).png().toBuffer();
    const provider = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(png);
    });
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    t.teardown(() => provider.close());
    const src = `http://127.0.0.1:${(provider.address() as net.AddressInfo).port}/media/abc.png`;
    const r = await webhook(app.base, { whatsapp_number: num(1), message: 'look', message_type: 'image', media_url: src, department: 'Reception' });
    t.equal(r.status, 201);
    await until(async () => (await sql`select media_key from messages where id = ${r.body.message_id}`)[0]!['media_key'] !== null, 'the media.ingest job', 15_000);
    const detail = await fetch(`${app.base}/api/chat/conversations/${r.body.conversation_id}`, { headers: { authorization: `Bearer ${desk}` } }).then((x) => x.json() as Promise<any>);
    const m = detail.messages.find((x: any) => x.id === r.body.message_id);
    t.match(m.media_url, /\/media\/chat\//, 'now served from our store');
    t.equal((await sharp(Buffer.from(await (await fetch(m.media_url)).arrayBuffer())).metadata()).width, 32);
  });

  await t.test('uploads never used by a message are removed by cron', async (t) => {
    const up = await upload(app, desk, { conversation_id: String(conv), file: { name: 'unused.pdf', type: 'application/pdf', data: PDF } });
    const key = decodeURIComponent(new URL(up.body.file_url).pathname.slice('/media/'.length));
    t.ok((await keys()).some((k) => k.endsWith(key.split('/').pop()!)), 'stored');
    await sql`update media_objects set created_at = now() - interval '2 hours' where key = ${key}`;
    await until(async () => !(await keys()).some((k) => k.endsWith(key.split('/').pop()!)), 'the cleanup', 15_000);
    t.equal((await fetch(up.body.file_url)).status, 404, 'gone');
  });
}

t.test('local disk store', (t) => suite(t, 'disk'));
t.test('S3-compatible store (s3rver)', (t) => suite(t, 's3'));
