// Images of message templates: stored under templates/hotel_<id>/ (or templates/global/), served
// through signed URLs like every other object. Small (≤ 5 MB) and checked by their first bytes,
// so they are read into memory rather than streamed through the worker pool.
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ValidationError } from '../core/errors.js';
import type { MediaSigner } from './signer.js';
import type { MediaStorage } from './storage.js';

export const TEMPLATE_MEDIA_MAX_BYTES = 5 * 1024 * 1024;

const IMAGE_KINDS: Array<{ mime: string; ext: string; test: (b: Buffer) => boolean }> = [
  { mime: 'image/jpeg', ext: 'jpg', test: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { mime: 'image/png', ext: 'png', test: (b) => b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { mime: 'image/gif', ext: 'gif', test: (b) => b.length > 6 && (b.subarray(0, 6).toString('latin1') === 'GIF87a' || b.subarray(0, 6).toString('latin1') === 'GIF89a') },
  { mime: 'image/webp', ext: 'webp', test: (b) => b.length > 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
];

export interface StoredTemplateMedia {
  key: string;
  filename: string;
  mime: string;
  size: number;
}

const prefixOf = (hotelId: string | null) => (hotelId ? `templates/hotel_${hotelId}/` : 'templates/global/');

export class TemplateMedia {
  constructor(private readonly deps: { storage: MediaStorage; signer: MediaSigner }) {}

  /** Stores an image; anything else (by its bytes, whatever its name says) is a 400 on `field`. */
  async store(hotelId: string | null, file: { bytes: Buffer; filename: string }, field = 'file'): Promise<StoredTemplateMedia> {
    if (file.bytes.length === 0) throw ValidationError.of({ [field]: 'is empty' });
    if (file.bytes.length > TEMPLATE_MEDIA_MAX_BYTES) throw ValidationError.of({ [field]: `must be at most ${TEMPLATE_MEDIA_MAX_BYTES} bytes` });
    const kind = IMAGE_KINDS.find((k) => k.test(file.bytes));
    if (!kind) throw ValidationError.of({ [field]: 'must be a JPEG, PNG, GIF or WebP image' });
    const key = `${prefixOf(hotelId)}template_${randomUUID()}.${kind.ext}`;
    const dir = path.join(os.tmpdir(), 'lobbybee-template-media');
    await mkdir(dir, { recursive: true });
    const tmp = path.join(dir, randomUUID());
    try {
      await writeFile(tmp, file.bytes);
      await this.deps.storage.put(key, tmp, kind.mime);
    } finally {
      await rm(tmp, { force: true });
    }
    const filename = path.basename(file.filename || 'image').replace(/[\u0000-\u001f"\\/]/g, '_').slice(0, 200) || 'image';
    return { key, filename, mime: kind.mime, size: file.bytes.length };
  }

  url(key: string): string {
    return this.deps.signer.url(key);
  }

  /**
   * The key of one of our own template images named by a signed URL (the page puts the upload's
   * file_url in media_url), if it belongs to this hotel (or is global); else null.
   */
  keyOf(url: string, hotelId: string | null): string | null {
    const found = this.deps.signer.keyOf(url);
    if (!found) return null;
    return found.key.startsWith(prefixOf(hotelId)) || found.key.startsWith(prefixOf(null)) ? found.key : null;
  }
}
