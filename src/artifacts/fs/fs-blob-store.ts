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
  /** Directories known to exist (created or seen by this store): no mkdir per put. */
  readonly #dirs = new Set<string>();
  readonly #dirSyncs = new DirSyncs();

  constructor(options: FsBlobStoreOptions) {
    if (!options?.root) throw new TypeError('FsBlobStore needs a root directory');
    this.#root = options.root;
    this.#fsync = options.fsync ?? true;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.#path(key);
    const dir = dirname(path);
    try {
      if (!this.#dirs.has(dir)) await this.#mkdir(dir);
      try {
        await this.#writeAndRename(path, bytes);
      } catch (err) {
        // The directory was removed since this store last saw it: create it again, once.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await this.#mkdir(dir);
        await this.#writeAndRename(path, bytes);
      }
      if (this.#fsync) await this.#dirSyncs.sync(dir);
    } catch (err) {
      throw new ArtifactStorageError(`cannot write blob '${key}': ${(err as Error).message}`, { cause: err });
    }
  }

  async #mkdir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    this.#dirs.add(dir);
  }

  /** A temporary file, fsynced, renamed into place: a reader sees the whole blob or none. */
  async #writeAndRename(path: string, bytes: Uint8Array): Promise<void> {
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

/**
 * Directory fsyncs, shared: a rename is durable once its directory is
 * fsynced after it. A sync asked for while one of the same directory is
 * running waits for the next one, which then covers every rename made
 * before it started — concurrent puts into one directory share fsyncs
 * instead of queueing one each.
 */
class DirSyncs {
  readonly #running = new Map<string, Promise<void>>();
  readonly #next = new Map<string, Promise<void>>();

  sync(dir: string): Promise<void> {
    const next = this.#next.get(dir);
    if (next) return next;
    const running = this.#running.get(dir);
    if (!running) return this.#start(dir);
    // Renames made now are not covered by the running sync: one more after it, shared by all who ask meanwhile.
    const queued = running.catch(() => {}).then(() => {
      this.#next.delete(dir);
      return this.#start(dir);
    });
    this.#next.set(dir, queued);
    return queued;
  }

  #start(dir: string): Promise<void> {
    const run = syncDir(dir).finally(() => {
      if (this.#running.get(dir) === run) this.#running.delete(dir);
    });
    this.#running.set(dir, run);
    return run;
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
