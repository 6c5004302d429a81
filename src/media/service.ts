// Uploads, downloads and provider-media ingestion.
//
// An upload streams (busboy) into a temporary file — never the whole file in memory — with a size
// limit; only when it is complete is it checked: the caller's access to the conversation, then
// the real type from its bytes, metadata stripping and a thumbnail in the worker pool. Only then
// does anything reach the store, so an aborted or refused upload leaves no object behind.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { ConversationState, MediaType } from '../core/chat.js';
import type { User } from '../core/directory.js';
import type { Logger } from '../obs/log.js';
import { ForbiddenError, NotFoundError, TooLargeError, UnsupportedTypeError, ValidationError } from '../core/errors.js';
import type { Sql } from '../store/db.js';
import * as store from '../store/media.js';
import type { CpuPool } from '../workers/pool.js';
import type { Inspection } from '../workers/media-inspect.js';
import type { MediaSigner } from './signer.js';
import type { MediaStorage } from './storage.js';

export interface MediaDeps {
  sql: Sql;
  storage: MediaStorage;
  cpu: Pick<CpuPool, 'inspectMedia'>;
  signer: MediaSigner;
  /**
   * The chat command layer, as much as media needs: the conversation as the caller may see it
   * (throws when they may not), and the command that points a message at its ingested file.
   */
  chat: {
    conversation(user: User, conversationId: number): Promise<Pick<ConversationState, 'hotel_id'>>;
    mediaIngested(conversationId: number, messageId: number, media: { key: string; contentType: string; filename: string; type: MediaType }): Promise<boolean>;
  };
  maxBytes: number;
  log: Logger;
  /** Provider media downloads (WhatsApp Cloud API), when configured. */
  whatsapp: { apiUrl: string; token: string } | null;
  /**
   * Media of a WhatsApp Cloud API channel (`wa:<channel id>:<kind>:<media id>` sources): the Graph
   * API base and that channel's access token (null when the channel is gone or has none).
   */
  channelMedia?: { apiUrl: string; token(channelId: number): Promise<string | null> };
}

export interface UploadResult {
  message: string;
  file_url: string;
  thumbnail_url: string | null;
  filename: string;
  file_type: string;
  caption: string;
  conversation_id: number;
  file_info: { original_name: string; size: number; content_type: string; width: number | null; height: number | null };
}

const TMP = path.join(os.tmpdir(), 'lobbybee-media');
/** WhatsApp accepts videos up to 16 MB: provider media may exceed the upload limit. */
const PROVIDER_MAX_BYTES = 16 * 1024 * 1024;
const MB = 1024 * 1024;
/** Meta's own limits per kind of WhatsApp media: anything larger is not what WhatsApp delivers. */
export const WHATSAPP_MEDIA_MAX_BYTES: Record<string, number> = {
  image: 5 * MB,
  sticker: 512 * 1024,
  audio: 16 * MB,
  video: 16 * MB,
  document: 100 * MB,
};
const WA_SOURCE = /^wa:(\d{1,18}):(image|sticker|audio|video|document):(.{1,256})$/;

interface Source {
  href: string;
  auth: string | null;
  maxBytes: number;
}

function safeName(name: string): string {
  const base = path.basename(name || 'file').replace(/[\u0000-\u001f"\\/]/g, '_').trim();
  return (base || 'file').slice(0, 200);
}

export class MediaService {
  constructor(private readonly deps: MediaDeps) {}

  /** Receives one multipart upload; see the header comment for the order of checks. */
  async upload(user: User, body: Readable, contentType: string, contentLength: number): Promise<UploadResult> {
    const limit = this.deps.maxBytes;
    if (!/^multipart\/form-data/i.test(contentType)) throw new UnsupportedTypeError('upload-media takes multipart/form-data');
    if (contentLength > limit + 64 * 1024) throw new TooLargeError(`the file is larger than ${limit} bytes`);
    await mkdir(TMP, { recursive: true });
    const tmp = path.join(TMP, randomUUID());
    try {
      const form = await this.receive(body, contentType, tmp, limit);
      const conversationId = Number(form.fields['conversation_id']);
      if (!Number.isSafeInteger(conversationId) || conversationId < 1) throw ValidationError.of({ conversation_id: 'is required (a conversation id)' });
      if (!form.file) throw ValidationError.of({ file: 'is required' });
      const conv = await this.deps.chat.conversation(user, conversationId);
      const stored = await this.store(tmp, { filename: form.file.filename, declared: form.file.mimeType, hotelId: conv.hotel_id, conversationId, uploadedBy: user.id, messageId: null });
      const caption = (form.fields['caption'] ?? '').trim();
      return {
        message: 'File uploaded successfully',
        file_url: this.deps.signer.url(stored.key),
        thumbnail_url: stored.thumbKey ? this.deps.signer.url(stored.thumbKey) : null,
        filename: stored.filename,
        file_type: stored.kind,
        caption,
        conversation_id: conversationId,
        file_info: { original_name: form.file.filename, size: stored.size, content_type: stored.mime, width: stored.width, height: stored.height },
      };
    } finally {
      await rm(tmp, { force: true });
      await rm(`${tmp}.clean`, { force: true });
      await rm(`${tmp}.thumb.webp`, { force: true });
    }
  }

  private receive(body: Readable, contentType: string, tmp: string, limit: number) {
    return new Promise<{ fields: Record<string, string>; file: { filename: string; mimeType: string } | null }>((resolve, reject) => {
      const fields: Record<string, string> = {};
      let file: { filename: string; mimeType: string } | null = null;
      let writing: Promise<void> | null = null;
      let failure: Error | null = null;
      // The first problem is the answer; the rest of the body is still read (and discarded) so
      // the parser reaches its end and the request can be answered cleanly.
      const fail = (err: Error) => {
        failure ??= err;
      };
      let bb: busboy.Busboy;
      try {
        bb = busboy({ headers: { 'content-type': contentType }, limits: { fileSize: limit, files: 1, fields: 10, fieldSize: 8192, parts: 12 } });
      } catch (err) {
        reject(new ValidationError(`malformed multipart body: ${(err as Error).message}`));
        return;
      }
      bb.on('field', (name, value) => {
        if (!['conversation_id', 'caption'].includes(name)) return fail(ValidationError.of({ [name]: 'is not a known field' }));
        fields[name] = value;
      });
      bb.on('file', (name, stream, info) => {
        if (name !== 'file' || failure) {
          stream.resume();
          if (name !== 'file') fail(ValidationError.of({ [name]: 'is not a known field (the file goes in "file")' }));
          return;
        }
        file = { filename: safeName(info.filename ?? 'file'), mimeType: info.mimeType ?? '' };
        stream.on('limit', () => fail(new TooLargeError(`the file is larger than ${limit} bytes`)));
        writing = pipeline(stream, createWriteStream(tmp));
        writing.catch((err: Error) => fail(err));
      });
      bb.on('filesLimit', () => fail(new ValidationError('only one file per upload')));
      bb.on('partsLimit', () => fail(new ValidationError('too many parts in the upload')));
      bb.on('fieldsLimit', () => fail(new ValidationError('too many fields in the upload')));
      bb.on('error', (err) => fail(new ValidationError(`malformed multipart body: ${(err as Error).message}`)));
      bb.on('close', () => {
        void (async () => {
          try {
            await writing;
          } catch (err) {
            failure ??= err as Error;
          }
          if (failure) reject(failure);
          else resolve({ fields, file });
        })();
      });
      body.on('error', (err) => {
        failure ??= err;
        bb.destroy();
        reject(failure);
      });
      body.pipe(bb);
    });
  }

  /** Checks a complete local file in the worker pool and puts it (and its thumbnail) in the store. */
  private async store(
    tmp: string,
    o: { filename: string; declared: string; hotelId: string; conversationId: number | null; uploadedBy: number | null; messageId: number | null },
  ): Promise<Inspection & { key: string; thumbKey: string | null; size: number; filename: string }> {
    const checked = await this.deps.cpu.inspectMedia(tmp, o.filename, o.declared);
    if (!checked.ok) throw new UnsupportedTypeError(checked.reason);
    const source = checked.cleanPath ?? tmp;
    const { size } = await stat(source);
    const id = randomUUID();
    const key = `chat/${o.hotelId}/${o.conversationId ?? 'none'}/${id}.${checked.ext}`;
    const thumbKey = checked.thumbPath ? `chat/${o.hotelId}/${o.conversationId ?? 'none'}/${id}.thumb.webp` : null;
    const filename = /\.[a-z0-9]{1,5}$/i.test(o.filename) ? o.filename : `${o.filename}.${checked.ext}`;
    await this.deps.storage.put(key, source, checked.mime);
    if (thumbKey && checked.thumbPath) await this.deps.storage.put(thumbKey, checked.thumbPath, 'image/webp');
    await store.insertMediaObject(this.deps.sql, {
      key,
      hotel_id: o.hotelId,
      conversation_id: o.conversationId,
      uploaded_by: o.uploadedBy,
      filename,
      content_type: checked.mime,
      size,
      thumbnail_key: thumbKey,
      message_id: o.messageId,
    });
    return { ...checked, key, thumbKey, size, filename };
  }

  /**
   * GET /media/<key>?exp&sig: a valid, unexpired signature is the only admission. Disk objects
   * are streamed; S3 objects get a redirect to a presigned URL of a few minutes.
   */
  async serve(key: string, exp: string, sig: string): Promise<{ redirect: string } | { object: NonNullable<Awaited<ReturnType<MediaStorage['open']>>>; filename: string }> {
    const verdict = this.deps.signer.verify(key, exp, sig);
    if (verdict === 'bad') throw new ForbiddenError('invalid media signature');
    if (verdict === 'expired') throw new ForbiddenError('this media link has expired; fetch the message again for a fresh one');
    const filename = key.split('/').pop() ?? 'file';
    const url = await this.deps.storage.presignedGet(key, 300, filename);
    if (url) return { redirect: url };
    const object = await this.deps.storage.open(key);
    if (!object) throw new NotFoundError('media not found');
    return { object, filename };
  }

  /**
   * media.ingest job: copies a provider's media (a URL, or a WhatsApp media id) into our store and
   * points the message at it through its conversation's actor (which tells the staff). The stored
   * object names its message from its first row, so the orphan sweep never takes it. Idempotent:
   * a message that already has its key is left alone.
   */
  async ingest(messageId: number): Promise<'done' | 'skipped'> {
    const target = await store.ingestTarget(this.deps.sql, messageId);
    if (!target || target.media_key || !target.media_source) return 'skipped';
    const url = await this.resolveSource(target.media_source);
    await mkdir(TMP, { recursive: true });
    const tmp = path.join(TMP, randomUUID());
    try {
      const res = await fetch(url.href, { headers: url.auth ? { authorization: `Bearer ${url.auth}` } : {}, signal: AbortSignal.timeout(60_000) });
      if (!res.ok || !res.body) throw new Error(`media download answered ${res.status}`);
      const declared = res.headers.get('content-type') ?? '';
      let received = 0;
      const declaredSize = Number(res.headers.get('content-length') ?? '0');
      if (declaredSize > url.maxBytes) throw new TooLargeError(`provider media is larger than ${url.maxBytes} bytes`);
      const limited = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream).on('data', (c: Buffer) => {
        received += c.length;
        if (received > url.maxBytes) limited.destroy(new TooLargeError(`provider media is larger than ${url.maxBytes} bytes`));
      });
      await pipeline(limited, createWriteStream(tmp));
      const filename = safeName(target.media_filename ?? path.basename(new URL(url.href).pathname));
      const stored = await this.store(tmp, { filename, declared, hotelId: target.hotel_id, conversationId: target.conversation_id, uploadedBy: null, messageId: target.id });
      await this.deps.chat.mediaIngested(target.conversation_id, target.id, { key: stored.key, contentType: stored.mime, filename: stored.filename, type: stored.kind });
      return 'done';
    } finally {
      await rm(tmp, { force: true });
      await rm(`${tmp}.clean`, { force: true });
      await rm(`${tmp}.thumb.webp`, { force: true });
    }
  }

  private async resolveSource(source: string): Promise<Source> {
    if (/^https?:\/\//.test(source)) return { href: source, auth: null, maxBytes: PROVIDER_MAX_BYTES };
    const channelSource = WA_SOURCE.exec(source);
    if (channelSource) return this.resolveChannelMedia(Number(channelSource[1]), channelSource[2]!, channelSource[3]!);
    const id = source.replace(/^media_id:/, '');
    const wa = this.deps.whatsapp;
    if (!wa) throw new Error('a provider media id needs WHATSAPP_API_URL to be downloaded');
    return this.graphMediaUrl(wa.apiUrl, wa.token, id, 'media', PROVIDER_MAX_BYTES);
  }

  /** media id → URL with the channel's own token (Meta's URL expires within minutes: fetched right away). */
  private async resolveChannelMedia(channelId: number, kind: string, id: string): Promise<Source> {
    const cm = this.deps.channelMedia;
    const token = cm ? await cm.token(channelId) : null;
    // The channel was removed or lost its token: no retry will find the media.
    if (!cm || !token) throw new NotFoundError(`WhatsApp channel ${channelId} has no access token to download media with`);
    return this.graphMediaUrl(cm.apiUrl, token, id, kind, WHATSAPP_MEDIA_MAX_BYTES[kind] ?? PROVIDER_MAX_BYTES);
  }

  /** Graph API media lookup: id → a short-lived URL, fetched next with the same token. */
  private async graphMediaUrl(apiUrl: string, token: string, id: string, kind: string, maxBytes: number): Promise<Source> {
    const meta = await fetch(`${apiUrl}/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
    // Meta answers 400/404 for a media id that expired (30 days) or belongs to another number.
    if (meta.status === 400 || meta.status === 404) throw new NotFoundError(`WhatsApp media ${id} is not available (${meta.status})`);
    if (!meta.ok) throw new Error(`WhatsApp media lookup answered ${meta.status}`);
    const info = (await meta.json()) as { url?: unknown; file_size?: unknown };
    if (typeof info.url !== 'string' || !/^https?:\/\//.test(info.url)) throw new Error('WhatsApp media lookup returned no url');
    if (typeof info.file_size === 'number' && info.file_size > maxBytes) throw new TooLargeError(`WhatsApp ${kind} of ${info.file_size} bytes is over the ${maxBytes} byte limit`);
    return { href: info.url, auth: token, maxBytes };
  }

  /**
   * Cron: removes uploads no message uses, and media of long-archived conversations. An orphan's
   * row is claimed (deleted, if still unused) before its bytes: an object a message references is
   * never deleted. Bytes whose delete fails stay behind as unreachable garbage, logged.
   */
  async cleanup(orphanHours: number, retentionDays: number): Promise<{ orphans: number; expired: number }> {
    let orphans = 0;
    for (;;) {
      const batch = await store.orphanedMedia(this.deps.sql, orphanHours, 200);
      for (const o of batch) {
        const claimed = await store.claimOrphan(this.deps.sql, o.key);
        if (!claimed) continue;
        await this.deleteBytes(claimed.key, claimed.thumbnail_key);
        orphans++;
      }
      if (batch.length < 200) break;
    }
    let expired = 0;
    for (;;) {
      const batch = await store.expiredMedia(this.deps.sql, retentionDays, 200);
      for (const o of batch) {
        await this.deps.storage.delete(o.key);
        if (o.thumbnail_key) await this.deps.storage.delete(o.thumbnail_key);
        await store.dropMediaObject(this.deps.sql, o.key);
        expired++;
      }
      if (batch.length < 200) break;
    }
    return { orphans, expired };
  }

  private async deleteBytes(key: string, thumbnailKey: string | null): Promise<void> {
    for (const k of thumbnailKey ? [key, thumbnailKey] : [key]) {
      try {
        await this.deps.storage.delete(k);
      } catch (err) {
        this.deps.log.warn({ err, key: k }, 'could not delete the bytes of a forgotten media object; they stay as garbage');
      }
    }
  }
}
