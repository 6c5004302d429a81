// The uploads scenario's side load: N concurrent multipart uploads of an M MB file to
// POST /api/chat/upload-media/ (conversation_id, file, caption) while socket traffic runs, with the
// server's RSS sampled every 50 ms. A 404 is reported as "endpoint not implemented".
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { now } from './protocol.js';
import { log, sleep, type Session } from './run.js';

export interface UploadOutcome {
  endpoint: string;
  uploads: number;
  sizeMB: number;
  statuses: Record<string, number>;
  notImplemented: boolean;
  ms: { p50: number; max: number };
  rssBeforeMB: number;
  rssPeakMB: number;
  rssAfterMB: number;
  rssGrowthMB: number;
  windowFrom: number;
  windowTo: number;
  sample: string;
}

function rss(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]) * 4096;
  } catch {
    return 0;
  }
}

/** A file that starts like a PDF (magic bytes), random in between, about `bytes` long. */
function makeFile(file: string, bytes: number): void {
  const fd = openSync(file, 'w');
  const head = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n', 'latin1');
  writeSync(fd, head);
  let left = bytes - head.length - 7;
  const chunk = randomBytes(1 << 20);
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    writeSync(fd, chunk, 0, n);
    left -= n;
  }
  writeSync(fd, Buffer.from('\n%%EOF\n'));
  closeSync(fd);
}

/**
 * One multipart upload over a raw socket, so that an early answer (404, 413, 401 before the body
 * is read) is still seen even when the server closes the connection mid-body.
 */
function uploadOne(host: string, port: number, token: string, conversationId: number, file: string, size: number, i: number): Promise<{ status: number; ms: number; body: string }> {
  const boundary = `----bench${randomBytes(8).toString('hex')}`;
  const pre = Buffer.from(
    `--${boundary}\r\ncontent-disposition: form-data; name="conversation_id"\r\n\r\n${conversationId}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="caption"\r\n\r\nbench upload ${i}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="bench-${i}.pdf"\r\ncontent-type: application/pdf\r\n\r\n`,
  );
  const post = Buffer.from(`\r\n--${boundary}--\r\n`);
  const head =
    `POST /api/chat/upload-media/ HTTP/1.1\r\nhost: ${host}:${port}\r\nauthorization: Bearer ${token}\r\n` +
    `content-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${pre.length + size + post.length}\r\nconnection: close\r\n\r\n`;
  const t0 = now();
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let got = Buffer.alloc(0);
    let done = false;
    let writeError = '';
    const finish = () => {
      if (done) return;
      done = true;
      const text = got.toString('utf8');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      const bodyAt = text.indexOf('\r\n\r\n');
      resolve({ status: status ? Number(status) : 0, ms: now() - t0, body: status ? text.slice(bodyAt + 4, bodyAt + 304) : writeError || 'no answer' });
      sock.destroy();
    };
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      // complete once headers and the declared body are in
      const text = got.toString('latin1');
      const h = text.indexOf('\r\n\r\n');
      if (h < 0) return;
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, h));
      if (!cl || got.length >= h + 4 + Number(cl[1])) finish();
    });
    sock.on('error', (err) => {
      writeError = err.message;
      setTimeout(finish, 200);
    });
    sock.on('close', () => setTimeout(finish, 50));
    sock.write(head);
    sock.write(pre);
    const rs = createReadStream(file);
    rs.on('end', () => sock.write(post));
    rs.on('error', () => undefined);
    rs.pipe(sock, { end: false });
    sock.on('error', () => rs.destroy());
  });
}

export async function uploadsDuring(s: Session, n: number, sizeMB: number, startAfterMs: number): Promise<UploadOutcome> {
  await sleep(startAfterMs);
  const { env, world } = s.ctx;
  const file = path.join(env.tmpDir, 'upload.pdf');
  makeFile(file, Math.round(sizeMB * 2 ** 20));
  const size = statSync(file).size;
  const hotelIdx = new Map(world.hotels.map((id, i) => [id, i]));
  const deptIdx = new Map(world.departments.map((d, i) => [d, i]));
  const convs = await env.sql<{ id: number; hotel_id: string; department: string }[]>`
    select id, hotel_id, department from conversations where status = 'active' order by id limit ${n}`;
  const node = s.target.nodes[0]!;
  const jobs = Array.from({ length: n }, (_, i) => {
    const c = convs[i % Math.max(1, convs.length)];
    const key = c ? hotelIdx.get(c.hotel_id)! * world.departments.length + deptIdx.get(c.department)! : 0;
    const staff = world.staff.find((x) => x.key === key) ?? world.staff[0]!;
    return { token: staff.token, conv: c?.id ?? 1 };
  });
  const before = rss(node.pid);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rss(node.pid))), 50);
  const windowFrom = Date.now();
  log(`[${s.result.label}] uploads: ${n} × ${sizeMB} MB at once (server RSS ${(before / 2 ** 20).toFixed(0)} MB)`);
  const results = await Promise.all(jobs.map((j, i) => uploadOne(node.host, node.port, j.token, j.conv, file, size, i)));
  const windowTo = Date.now();
  await sleep(2000);
  clearInterval(timer);
  const after = rss(node.pid);
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const out: UploadOutcome = {
    endpoint: 'POST /api/chat/upload-media/',
    uploads: n,
    sizeMB,
    statuses,
    // a 404/405 answer, or a reset while the server refused the body of an unknown route
    notImplemented: (statuses['404'] ?? 0) + (statuses['405'] ?? 0) > 0 && Object.keys(statuses).every((k) => ['404', '405', '0'].includes(k)),
    ms: { p50: ms[Math.floor(ms.length / 2)] ?? 0, max: ms[ms.length - 1] ?? 0 },
    rssBeforeMB: before / 2 ** 20,
    rssPeakMB: peak / 2 ** 20,
    rssAfterMB: after / 2 ** 20,
    rssGrowthMB: (peak - before) / 2 ** 20,
    windowFrom,
    windowTo,
    sample: results.find((r) => r.status < 200 || r.status >= 300)?.body ?? results[0]?.body ?? '',
  };
  log(`[${s.result.label}] uploads done: ${JSON.stringify(statuses)}, RSS +${out.rssGrowthMB.toFixed(1)} MB at peak${out.notImplemented ? ' — the endpoint answered 404: not implemented yet' : ''}`);
  return out;
}
