import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ArtifactStorageError } from '../../errors/index.ts';
import { assertSafeKey, type BlobListing, type BlobStore, type StagedBlob } from '../blob-store.ts';

/** Where staged bytes are written before their key is known (same filesystem as the blobs, so a rename places them). */
const STAGING_DIR = '.staging';

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

  /** A temporary file, fsynced, renamed into place, its directory synced: a reader sees the whole blob or none, and it survives a crash. */
  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.#path(key);
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await this.#inDir(dirname(path), async () => {
        await this.#writeFile(tmp, bytes);
        await rename(tmp, path);
      });
      await this.#syncDir(dirname(path));
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw new ArtifactStorageError(`cannot write blob '${key}': ${(err as Error).message}`, { cause: err });
    }
  }

  /** Writes into `.staging/` under the root at once; `commit` renames the file into place (same filesystem). */
  stage(bytes: Uint8Array): StagedBlob {
    const tmp = join(this.#root, STAGING_DIR, `${randomBytes(8).toString('hex')}.tmp`);
    const written = this.#inDir(dirname(tmp), () => this.#writeFile(tmp, bytes));
    written.catch(() => {}); // reported by commit or discard
    return {
      commit: async (key) => {
        const path = this.#path(key);
        try {
          await written;
          await this.#inDir(dirname(path), () => rename(tmp, path));
          await this.#syncDir(dirname(path));
        } catch (err) {
          await unlink(tmp).catch(() => {});
          throw new ArtifactStorageError(`cannot write blob '${key}': ${(err as Error).message}`, { cause: err });
        }
      },
      discard: async () => {
        await written.catch(() => {});
        await unlink(tmp).catch(() => {});
      },
    };
  }

  /** Runs `fn` writing into `dir`, created first unless known; once more if the directory was removed behind this store's back. */
  async #inDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    if (!this.#dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#dirs.add(dir);
    }
    try {
      return await fn();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(dir, { recursive: true });
      return fn();
    }
  }

  /** A rename in `dir` is durable once `dir` is fsynced after it (shared with concurrent puts there). */
  async #syncDir(dir: string): Promise<void> {
    if (this.#fsync) await this.#dirSyncs.sync(dir);
  }

  /** A new file with `bytes`, fsynced (unless `fsync: false`). */
  async #writeFile(file: string, bytes: Uint8Array): Promise<void> {
    const fh = await open(file, 'w');
    try {
      await fh.writeFile(bytes);
      if (this.#fsync) await fh.sync();
    } finally {
      await fh.close();
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

  /** Every file under the root, as keys (`.staging/…`, `….tmp` included), with its mtime. */
  async *list(): AsyncIterable<BlobListing> {
    let entries;
    try {
      entries = await readdir(this.#root, { recursive: true, withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new ArtifactStorageError(`cannot list blobs under '${this.#root}': ${(err as Error).message}`, { cause: err });
    }
    for (const e of entries) {
      if (!e.isFile()) continue;
      // `parentPath` from Node 20.12; `path` before it.
      const file = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
      const key = relative(this.#root, file).split(sep).join('/');
      try {
        yield { key, modifiedAt: (await stat(file)).mtime };
      } catch {
        /* gone since it was listed */
      }
    }
  }

  async touch(key: string): Promise<boolean> {
    const now = new Date();
    try {
      await utimes(this.#path(key), now, now);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new ArtifactStorageError(`cannot touch blob '${key}': ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Moves the file aside first (atomic), then looks at the moved file's
   * mtime: a writer that renamed a new file into place or touched it before
   * the move is seen and the file is put back; one after the move finds no
   * file (touch answers false) and writes its own. So a blob being written
   * or reused is never lost, without a lock.
   */
  async deleteIfOlder(key: string, before: Date): Promise<boolean> {
    const path = this.#path(key);
    const aside = `${path}.${randomBytes(6).toString('hex')}.gc`;
    try {
      await rename(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new ArtifactStorageError(`cannot remove blob '${key}': ${(err as Error).message}`, { cause: err });
    }
    try {
      if ((await stat(aside)).mtime >= before) {
        await rename(aside, path);
        return false;
      }
      await unlink(aside);
      return true;
    } catch (err) {
      throw new ArtifactStorageError(`cannot remove blob '${key}': ${(err as Error).message}`, { cause: err });
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
