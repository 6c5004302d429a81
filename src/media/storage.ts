// Contract of media storage. Objects are private: clients only ever get signed, expiring URLs
// (media/signer.ts) that this server checks before serving (disk) or redirecting to a short-lived
// presigned URL (S3). put() stores a complete local file or nothing — an aborted upload never
// leaves a partial object.
import type { Readable } from 'node:stream';

export interface StoredObject {
  stream: Readable;
  size: number;
  contentType: string;
}

export interface MediaStorage {
  readonly kind: 'disk' | 's3';
  /** Stores the file at `path` under `key`. */
  put(key: string, path: string, contentType: string): Promise<void>;
  /** A readable copy for serving (disk), or null when the object is absent. */
  open(key: string): Promise<StoredObject | null>;
  /** A presigned GET URL of the store itself (S3), or null when the server serves objects (disk). */
  presignedGet(key: string, ttlS: number, downloadName?: string): Promise<string | null>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  healthy(): Promise<boolean>;
}
