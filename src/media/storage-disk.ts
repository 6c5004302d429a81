// Local-disk media store for a single development node: files under MEDIA_DIR, written to a
// temporary name and renamed into place, so a crash never leaves a half-written object.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { MediaStorage, StoredObject } from './storage.js';

export class DiskStorage implements MediaStorage {
  readonly kind = 'disk' as const;
  private readonly root: string;

  constructor(dir: string) {
    this.root = path.resolve(dir);
  }

  private file(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(this.root + path.sep)) throw new Error(`media key escapes the store: ${key}`);
    return full;
  }

  async put(key: string, source: string, contentType: string): Promise<void> {
    const target = this.file(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.part-${process.pid}-${Date.now()}`;
    await copyFile(source, tmp);
    await writeFile(`${tmp}.type`, contentType);
    await rename(`${tmp}.type`, `${target}.type`);
    await rename(tmp, target);
  }

  async open(key: string): Promise<StoredObject | null> {
    const file = this.file(key);
    try {
      const [s, type] = await Promise.all([stat(file), readFile(`${file}.type`, 'utf8').catch(() => 'application/octet-stream')]);
      return { stream: createReadStream(file, { highWaterMark: 64 * 1024 }), size: s.size, contentType: type };
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return null;
      throw err;
    }
  }

  async presignedGet(): Promise<string | null> {
    return null;
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.file(key)).then(() => true, () => false);
  }

  async delete(key: string): Promise<void> {
    const file = this.file(key);
    await rm(file, { force: true });
    await rm(`${file}.type`, { force: true });
  }

  async healthy(): Promise<boolean> {
    await mkdir(this.root, { recursive: true });
    return true;
  }
}
