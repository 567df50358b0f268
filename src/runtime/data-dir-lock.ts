import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, DataDirLockedError } from '../errors/index.ts';

/** Lock files this process holds: a lock naming our own pid but not listed here is a stale one from a reused pid. */
const heldHere = new Set<string>();

/**
 * The embedded database allows one process at a time, so a data dir is
 * locked by a pid file while a runtime has it open. Another process waits up
 * to `waitMs` for it; a lock whose process is gone is taken over.
 *
 * The lock file is created complete and atomically (written aside, then
 * hard-linked into place, which fails if it exists), so nobody ever reads a
 * half-written lock. A stale lock is moved aside atomically before it is
 * removed, so two processes taking it over cannot both succeed.
 */
export class DataDirLock {
  #released = false;
  readonly #onExit = () => this.#releaseSync();

  private constructor(readonly path: string) {
    heldHere.add(path);
    process.once('exit', this.#onExit);
  }

  static async acquire(dataDir: string, waitMs = 15_000): Promise<DataDirLock> {
    const path = join(dataDir, 'lock');
    const mine = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
    try {
      await mkdir(dataDir, { recursive: true });
      await writeFile(mine, String(process.pid));
    } catch (err) {
      throw new ConfigError(`cannot use data dir ${dataDir}: ${(err as Error).message}`, { cause: err });
    }
    const deadline = Date.now() + waitMs;
    try {
      for (;;) {
        try {
          await link(mine, path);
          return new DataDirLock(path);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
            throw new ConfigError(`cannot lock data dir ${dataDir}: ${(err as Error).message}`, { cause: err });
          }
        }
        const holder = await readPid(path);
        if (holder !== null && !alive(holder, path)) {
          await takeOverStale(path, holder);
          continue;
        }
        if (Date.now() >= deadline) {
          throw new DataDirLockedError(
            `data dir ${dataDir} is in use by process ${holder ?? '?'}; wait for it to finish or use another --data-dir`,
          );
        }
        await sleep(50);
      }
    } finally {
      await unlink(mine).catch(() => {});
    }
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    heldHere.delete(this.path);
    process.off('exit', this.#onExit);
    await unlink(this.path).catch(() => {});
  }

  #releaseSync(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }
}

async function readPid(path: string): Promise<number | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  const pid = text === null ? NaN : Number.parseInt(text, 10);
  return Number.isInteger(pid) ? pid : null;
}

/** Moves the stale lock aside (atomic); if it turns out to be someone's fresh lock, puts it back. */
async function takeOverStale(path: string, stalePid: number): Promise<void> {
  const aside = `${path}.stale.${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // gone already: someone else moved it
  }
  if ((await readPid(aside)) === stalePid) {
    await unlink(aside).catch(() => {});
  } else {
    await link(aside, path).catch(() => {});
    await unlink(aside).catch(() => {});
  }
}

function alive(pid: number, path: string): boolean {
  if (pid === process.pid) return heldHere.has(path);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
