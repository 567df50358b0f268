import { open, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Files synced at once: enough to overlap the device's flushes, few enough to stay far from the descriptor limit. */
const PARALLEL = 16;

/**
 * Flushes every file under `dir` (`fdatasync`), then every directory
 * (`fsync`, so their entries are durable), then each of its ancestors (so
 * `dir` itself, and any folder made to hold it, is). Used once after PGlite
 * created a data directory: its initdb writes the cluster without syncing,
 * and PostgreSQL only syncs what it writes itself later. Rejects with the
 * first failure (EIO, ENOSPC).
 */
export async function syncTree(dir: string): Promise<void> {
  const root = resolve(dir);
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = async (d: string): Promise<void> => {
    dirs.push(d);
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  await walk(root);
  await inParallel(files, (f) => syncPath(f, 'data'));
  await inParallel(dirs, (d) => syncPath(d, 'all'));
  const ancestors: string[] = [];
  for (let d = dirname(root); ; d = dirname(d)) {
    ancestors.push(d);
    if (dirname(d) === d) break;
  }
  // An ancestor this user may not read (a home folder of mode 0711) was not made by it either: nothing to flush there.
  await inParallel(ancestors, (d) =>
    syncPath(d, 'all').catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EACCES' && err.code !== 'EPERM') throw err;
    }),
  );
}

async function syncPath(path: string, what: 'data' | 'all'): Promise<void> {
  const handle = await open(path, 'r');
  try {
    if (what === 'data') await handle.datasync();
    else await handle.sync();
  } finally {
    await handle.close();
  }
}

async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, lane));
}
