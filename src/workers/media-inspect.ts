// Runs in the CPU worker pool: decides what an uploaded file really is from its bytes (the
// client's content type is not trusted), refuses what is not on the allow-list, strips image
// metadata (EXIF with GPS, XMP, IPTC, comments) and makes a small thumbnail.
import { open, readFile, writeFile } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';
import sharp from 'sharp';
import type { MediaType } from '../core/chat.js';

sharp.cache(false);
sharp.concurrency(1);

export interface Inspection {
  ok: true;
  mime: string;
  ext: string;
  kind: MediaType;
  /** A metadata-free copy to store instead of the upload (images), or null. */
  cleanPath: string | null;
  thumbPath: string | null;
  width: number | null;
  height: number | null;
}

export type InspectResult = Inspection | { ok: false; reason: string };

const ALLOWED: Record<string, MediaType> = {
  'image/jpeg': 'image',
  'image/png': 'image',
  'image/gif': 'image',
  'image/webp': 'image',
  'application/pdf': 'document',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'document',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'document',
  'application/vnd.oasis.opendocument.text': 'document',
  'application/vnd.oasis.opendocument.spreadsheet': 'document',
  'application/x-cfb': 'document', // legacy .doc / .xls / .ppt
  'text/plain': 'document',
  'audio/mpeg': 'audio',
  'audio/ogg': 'audio',
  'audio/opus': 'audio',
  'audio/wav': 'audio',
  'audio/x-m4a': 'audio',
  'audio/aac': 'audio',
  'audio/amr': 'audio',
  'video/mp4': 'video',
  'video/quicktime': 'video',
  'video/webm': 'video',
  'video/3gpp': 'video',
};

const LEGACY_OFFICE: Record<string, [string, string]> = {
  doc: ['application/msword', 'doc'],
  xls: ['application/vnd.ms-excel', 'xls'],
  ppt: ['application/vnd.ms-powerpoint', 'ppt'],
};

/** Plain UTF-8 text without control bytes other than whitespace. */
async function looksLikeText(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead === 0) return false;
    const head = buf.subarray(0, bytesRead);
    for (const b of head) if (b < 9 || (b > 13 && b < 32 && b !== 27)) return false;
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, bytesRead === buf.length ? bytesRead - 4 : bytesRead));
    return true;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

/** Removes APP1 (EXIF/XMP), APP13 (IPTC) and comments from a JPEG without re-encoding it. */
export function stripJpeg(src: Buffer): Buffer {
  if (src[0] !== 0xff || src[1] !== 0xd8) return src;
  const parts: Buffer[] = [src.subarray(0, 2)];
  let i = 2;
  while (i + 4 <= src.length && src[i] === 0xff) {
    const marker = src[i + 1]!;
    if (marker === 0xda) break; // start of scan: the rest is image data
    const len = src.readUInt16BE(i + 2);
    const drop = marker === 0xe1 || marker === 0xed || marker === 0xfe;
    if (!drop) parts.push(src.subarray(i, i + 2 + len));
    i += 2 + len;
  }
  parts.push(src.subarray(i));
  return Buffer.concat(parts);
}

/** Removes text and EXIF chunks from a PNG. */
export function stripPng(src: Buffer): Buffer {
  const parts: Buffer[] = [src.subarray(0, 8)];
  let i = 8;
  while (i + 12 <= src.length) {
    const len = src.readUInt32BE(i);
    const type = src.toString('latin1', i + 4, i + 8);
    const end = i + 12 + len;
    if (!['tEXt', 'zTXt', 'iTXt', 'eXIf', 'tIME'].includes(type)) parts.push(src.subarray(i, end));
    i = end;
  }
  return Buffer.concat(parts);
}

/** Removes EXIF and XMP chunks from a WebP (keeping the container sizes right). */
export function stripWebp(src: Buffer): Buffer {
  if (src.toString('latin1', 0, 4) !== 'RIFF' || src.toString('latin1', 8, 12) !== 'WEBP') return src;
  const parts: Buffer[] = [];
  let i = 12;
  while (i + 8 <= src.length) {
    const type = src.toString('latin1', i, i + 4);
    const len = src.readUInt32LE(i + 4);
    const end = i + 8 + len + (len % 2);
    if (type === 'VP8X') {
      const chunk = Buffer.from(src.subarray(i, end));
      chunk[8] = chunk[8]! & ~0x0c; // clear the EXIF and XMP flags
      parts.push(chunk);
    } else if (type !== 'EXIF' && type !== 'XMP ') parts.push(src.subarray(i, end));
    i = end;
  }
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length + 4, 4);
  header.write('WEBP', 8, 'latin1');
  return Buffer.concat([header, body]);
}

export async function inspectMedia({ path, filename, declared }: { path: string; filename: string; declared: string }): Promise<InspectResult> {
  const found = await fileTypeFromFile(path);
  let mime = found?.mime as string | undefined;
  let ext = found?.ext as string | undefined;
  if (!mime && (await looksLikeText(path))) {
    mime = 'text/plain';
    ext = 'txt';
  }
  if (!mime || !ALLOWED[mime]) {
    return { ok: false, reason: `file type ${mime ?? 'unknown'} is not allowed (images, PDF, office documents, text, audio and video are)` };
  }
  let kind = ALLOWED[mime]!;
  if (mime === 'application/x-cfb') {
    const legacy = LEGACY_OFFICE[filename.split('.').pop()?.toLowerCase() ?? ''];
    if (!legacy) return { ok: false, reason: 'only .doc, .xls and .ppt files may be OLE containers' };
    [mime, ext] = legacy;
  }
  // A WebM voice note is an audio file in a video container: trust the bytes, not the label, for
  // what it is, but let an audio declaration choose how it is shown.
  if (mime === 'video/webm' && declared.startsWith('audio/')) {
    mime = 'audio/webm';
    kind = 'audio';
  }
  if (kind !== 'image') return { ok: true, mime, ext: ext!, kind, cleanPath: null, thumbPath: null, width: null, height: null };

  const image = sharp(path, { limitInputPixels: 40_000_000, sequentialRead: true, animated: false });
  const meta = await image.metadata();
  const cleanPath = `${path}.clean`;
  if (mime === 'image/jpeg' && (meta.orientation ?? 1) !== 1) {
    // Stripping EXIF would drop the orientation: bake it into the pixels instead.
    await sharp(path, { limitInputPixels: 40_000_000 }).rotate().jpeg({ quality: 90, mozjpeg: true }).toFile(cleanPath);
  } else {
    const raw = await readFile(path);
    const clean = mime === 'image/jpeg' ? stripJpeg(raw) : mime === 'image/png' ? stripPng(raw) : mime === 'image/webp' ? stripWebp(raw) : raw;
    await writeFile(cleanPath, clean);
  }
  const thumbPath = `${path}.thumb.webp`;
  await sharp(path, { limitInputPixels: 40_000_000, sequentialRead: true })
    .rotate()
    .resize(320, 320, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 70 })
    .toFile(thumbPath);
  const portrait = (meta.orientation ?? 1) >= 5;
  return {
    ok: true,
    mime,
    ext: ext!,
    kind,
    cleanPath,
    thumbPath,
    width: (portrait ? meta.height : meta.width) ?? null,
    height: (portrait ? meta.width : meta.height) ?? null,
  };
}
