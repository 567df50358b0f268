import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Small file operations for key material, each durable when it returns
 * (file and directory fsynced) and none leaving a half-written key visible:
 * a key file appears whole or not at all, and a key file that goes away is
 * first overwritten with random bytes.
 *
 * Why overwrite before unlink: unlink alone frees the blocks with the
 * wrapped key still in them; on an in-place filesystem (ext4, xfs) the
 * overwrite replaces them. On copy-on-write filesystems and SSDs the old
 * blocks may survive anyway — docs/encryption.md says what covers that
 * (rotating the KEK after an erasure).
 */

const FILE_MODE = 0o600;

/** Temp file names start with this; a crash may leave one, {@link isTempName} lets a store clean them. */
export const TEMP_PREFIX = '.tmp-';
const RETIRED_SUFFIX = '.retired';

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) || name.endsWith(RETIRED_SUFFIX);
}

/**
 * Removes what a crashed writer left next to `path`'s directory entry
 * `name`: a temp file (shredded: it may hold a wrapped key) or a retired
 * copy. Temp files younger than `minAgeMs` are left alone — another process
 * may be about to link one (its mtime is set when written, and the
 * operation completes within milliseconds). A retired name that is still a
 * second link to the live file (the crash came before the rename) is only
 * unlinked: overwriting it would overwrite the live key.
 */
export async function cleanLeftover(dir: string, name: string, minAgeMs = 60_000): Promise<void> {
  const path = join(dir, name);
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (Date.now() - st.mtimeMs < minAgeMs) return;
  if (name.endsWith(RETIRED_SUFFIX)) {
    const live = await stat(path.slice(0, -RETIRED_SUFFIX.length)).catch(() => undefined);
    if (live && live.ino === st.ino && live.dev === st.dev) {
      await unlink(path).catch(() => {});
      await fsyncDir(dir);
      return;
    }
  }
  await shredFile(path);
}

/**
 * Creates `path` with `data` only if it does not exist, atomically across
 * processes: the bytes go to a temp file (fsynced), then `link(2)` gives it
 * its name — link fails with EEXIST when another process won, so exactly one
 * creator succeeds and a reader never sees a partial file.
 * @returns true when this call created the file, false when it existed.
 */
export async function createExclusive(path: string, data: Buffer): Promise<boolean> {
  const tmp = await writeTemp(path, data);
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => {});
    await fsyncDir(dirname(path));
  }
}

/**
 * Creates an empty file at `path` unless it exists, without fsync: for a
 * marker holding nothing, whose loss in a crash the caller can repair.
 * @returns true when this call created it.
 */
export async function createMarker(path: string): Promise<boolean> {
  try {
    await writeFile(path, '', { flag: 'wx', mode: FILE_MODE });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Replaces `path` with `data` atomically (temp file + rename), then shreds
 * the previous content: the old file is kept under a second name across the
 * rename and overwritten once the new one is durable, so a crash leaves
 * either version whole, never none.
 */
export async function replaceFile(path: string, data: Buffer): Promise<void> {
  const tmp = await writeTemp(path, data);
  const retired = `${path}${RETIRED_SUFFIX}`;
  await unlink(retired).catch(() => {});
  let hadOld = true;
  try {
    await link(path, retired);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    hadOld = false;
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
  if (hadOld) await shredFile(retired);
}

/**
 * Overwrites the file with random bytes of its size, fsyncs, unlinks it and
 * fsyncs its directory. A missing file is not an error (destroy is idempotent).
 * @returns true when a file was shredded.
 */
export async function shredFile(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, constants.O_RDWR);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const { size } = await fh.stat();
    // Overwrite in chunks: key files are small, but a KEK list or a stray file may not be.
    for (let at = 0; at < size; at += 65_536) {
      const n = Math.min(65_536, size - at);
      await fh.write(randomBytes(n), 0, n, at);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  await unlink(path);
  await fsyncDir(dirname(path));
  return true;
}

/** fsync(2) on a directory, so a created, renamed or removed name is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function writeTemp(path: string, data: Buffer): Promise<string> {
  const tmp = join(dirname(path), `${TEMP_PREFIX}${basename(path)}.${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}
