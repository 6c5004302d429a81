// A small form body: JSON, or multipart/form-data with text fields and at most one small file
// (held in memory: the limit is a few MB). Used where the dashboard sends either (the
// message-templates page posts multipart). Field values come back as the client sent them;
// the protocol schema coerces and checks them.
import busboy from 'busboy';
import type { Readable } from 'node:stream';
import { TooLargeError, UnsupportedTypeError, ValidationError } from '../../core/errors.js';

export interface FormFile {
  field: string;
  filename: string;
  mimeType: string;
  bytes: Buffer;
}

export interface FormBody {
  fields: Record<string, unknown>;
  file: FormFile | null;
}

export interface FormLimits {
  /** A JSON body's limit (the node's HTTP_MAX_BODY_BYTES, as for every other JSON route). */
  jsonBytes: number;
  fileBytes: number;
  fileFields: readonly string[];
  maxFields?: number;
}

async function readAll(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += (c as Buffer).length;
    if (size > limit) throw new TooLargeError(`request body is larger than ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function readForm(body: Readable, contentType: string, limits: FormLimits): Promise<FormBody> {
  if (/^application\/json/i.test(contentType) || contentType === '') {
    const raw = await readAll(body, limits.jsonBytes);
    if (raw.length === 0) return { fields: {}, file: null };
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      throw new ValidationError(`body is not valid JSON: ${(e as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ValidationError('body must be a JSON object');
    return { fields: parsed as Record<string, unknown>, file: null };
  }
  if (!/^multipart\/form-data/i.test(contentType)) throw new UnsupportedTypeError('this endpoint takes application/json or multipart/form-data');
  return new Promise<FormBody>((resolve, reject) => {
    const fields: Record<string, unknown> = {};
    let file: FormFile | null = null;
    let failure: Error | null = null;
    const fail = (err: Error) => {
      failure ??= err;
    };
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: { 'content-type': contentType },
        limits: { fileSize: limits.fileBytes, files: 1, fields: limits.maxFields ?? 20, fieldSize: 16_384, parts: (limits.maxFields ?? 20) + 1 },
      });
    } catch (err) {
      reject(new ValidationError(`malformed multipart body: ${(err as Error).message}`));
      return;
    }
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      if (!limits.fileFields.includes(name)) {
        stream.resume();
        fail(ValidationError.of({ [name]: 'is not a file field' }));
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => fail(ValidationError.of({ [name]: `must be at most ${limits.fileBytes} bytes` })));
      stream.on('end', () => {
        file = { field: name, filename: (info.filename ?? 'file').slice(0, 200), mimeType: info.mimeType ?? '', bytes: Buffer.concat(chunks) };
      });
    });
    bb.on('filesLimit', () => fail(new ValidationError('only one file per request')));
    bb.on('partsLimit', () => fail(new ValidationError('too many parts in the request')));
    bb.on('fieldsLimit', () => fail(new ValidationError('too many fields in the request')));
    bb.on('error', (err) => fail(new ValidationError(`malformed multipart body: ${(err as Error).message}`)));
    bb.on('close', () => (failure ? reject(failure) : resolve({ fields, file })));
    body.on('error', (err) => {
      failure ??= err;
      bb.destroy();
      reject(failure);
    });
    body.pipe(bb);
  });
}
