import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, DataDirLockedError } from '../errors/index.ts';

/**
 * The embedded database allows one process at a time, so a data dir is
 * locked by a pid file while a runtime has it open. Another process waits up
 * to `waitMs` for it; a lock whose process is gone is taken over.
 */
export class DataDirLock {
  #released = false;
  readonly #onExit = () => this.#releaseSync();

  private constructor(readonly path: string) {
    process.once('exit', this.#onExit);
  }

  static async acquire(dataDir: string, waitMs = 15_000): Promise<DataDirLock> {
    try {
      await mkdir(dataDir, { recursive: true });
    } catch (err) {
      throw new ConfigError(`cannot use data dir ${dataDir}: ${(err as Error).message}`, { cause: err });
    }
    const path = join(dataDir, 'lock');
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        const fh = await open(path, 'wx');
        await fh.writeFile(String(process.pid));
        await fh.close();
        return new DataDirLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (!Number.isInteger(holder) || !alive(holder)) {
        // Stale: its process has exited without releasing (killed). Take it over.
        await unlink(path).catch(() => {});
        continue;
      }
      if (Date.now() >= deadline) {
        throw new DataDirLockedError(
          `data dir ${dataDir} is in use by process ${holder}; wait for it to finish or use another --data-dir`,
        );
      }
      await sleep(50);
    }
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
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

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
