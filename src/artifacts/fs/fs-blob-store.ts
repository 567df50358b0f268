import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArtifactStorageError } from '../../errors/index.ts';
import { assertSafeKey, type BlobStore } from '../blob-store.ts';

export interface FsBlobStoreOptions {
  /** Directory under which keys are files. */
  root: string;
  /** fsync each file (and its directory) before `put` resolves. @default true */
  fsync?: boolean;
}

/**
 * Blobs as files under a root directory. Writes go to a temporary file that
 * is fsynced and renamed into place, so a reader never sees half a blob and a
 * crash leaves either the old state or the whole new file.
 */
export class FsBlobStore implements BlobStore {
  readonly name = 'fs';
  readonly #root: string;
  readonly #fsync: boolean;

  constructor(options: FsBlobStoreOptions) {
    if (!options?.root) throw new TypeError('FsBlobStore needs a root directory');
    this.#root = options.root;
    this.#fsync = options.fsync ?? true;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.#path(key);
    try {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        const fh = await open(tmp, 'w');
        try {
          await fh.writeFile(bytes);
          if (this.#fsync) await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, path);
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw err;
      }
      if (this.#fsync) await syncDir(dirname(path));
    } catch (err) {
      throw new ArtifactStorageError(`cannot write blob '${key}': ${(err as Error).message}`, { cause: err });
    }
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return await readFile(this.#path(key));
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new ArtifactStorageError(missing ? `blob '${key}' is missing` : `cannot read blob '${key}': ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.#path(key));
      return true;
    } catch {
      return false;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.#path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new ArtifactStorageError(`cannot delete blob '${key}': ${(err as Error).message}`, { cause: err });
    }
  }

  #path(key: string): string {
    assertSafeKey(key);
    return join(this.#root, ...key.split('/'));
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
