import { fdatasyncSync, fstatSync, fsyncSync } from 'node:fs';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';
import { StoreError } from '../../errors/index.ts';

/** The slice of an Emscripten NODEFS stream this module reads: the real file descriptor behind it. */
interface NodeFsStream {
  readonly nfd: number;
}

/** The slice of Emscripten's NODEFS object this module patches. */
interface EmscriptenNodeFs {
  stream_ops?: { fsync?: (stream: NodeFsStream) => number };
  tryFSOperation?: <T>(fn: () => T) => T;
}

/**
 * General notes: PGlite on a real directory, with commits that survive an OS
 * crash or power loss. What it owns: making PostgreSQL's own `fsync()` calls
 * reach the disk. What it does not: choosing when to sync — PostgreSQL does,
 * exactly as on a server (WAL at every commit, data files and directories at
 * every checkpoint before old WAL is recycled, the whole data directory
 * before crash recovery).
 *
 * Why it is needed: PGlite starts PostgreSQL with `-F` (`fsync = off`), and
 * its Emscripten NODEFS has no `fsync` stream operation and an `fdatasync`
 * syscall that does nothing, so no sync ever reached the disk. Its writes do
 * reach the real files (`pwrite` before the query returns), so a process
 * crash lost nothing, but an OS crash could lose acknowledged commits.
 *
 * How: this filesystem gives NODEFS an `fsync` operation that calls
 * `fdatasync(2)` on the real descriptor (enough for a file: it also flushes
 * a size change) or `fsync(2)` for a directory, and {@link DURABLE_START_PARAMS}
 * start PostgreSQL without `-F` and with `wal_sync_method = fsync` (the
 * `fdatasync` syscall is bound to a no-op inside the WASM module and cannot
 * be replaced; `fsync()` reaches the operation above).
 */
export class DurableNodeFS extends NodeFS {
  /** Sync calls PostgreSQL made that reached the disk (for tests and diagnostics). */
  syncs = 0;

  override async init(pg: PGlite, opts: Parameters<NodeFS['init']>[1]): ReturnType<NodeFS['init']> {
    const result = await super.init(pg, opts);
    const preRun = result.emscriptenOpts.preRun ?? [];
    result.emscriptenOpts.preRun = [...preRun, (mod) => this.#patch(mod.NODEFS as unknown as EmscriptenNodeFs)];
    return result;
  }

  #patch(nodefs: EmscriptenNodeFs): void {
    const ops = nodefs.stream_ops;
    if (!ops) throw new StoreError('cannot make embedded commits durable: this PGlite version has no NODEFS stream operations to add fsync to');
    // tryFSOperation turns a Node error (EIO, ENOSPC) into the errno PostgreSQL sees, so a failed sync is a failed sync (PANIC), never a silent success.
    const run = nodefs.tryFSOperation?.bind(nodefs) ?? (<T>(fn: () => T) => fn());
    ops.fsync = (stream) =>
      run(() => {
        if (fstatSync(stream.nfd).isDirectory()) fsyncSync(stream.nfd);
        else fdatasyncSync(stream.nfd);
        this.syncs++;
        return 0;
      });
  }
}

/**
 * PGlite's start parameters without `-F` (so `fsync = on`) and with the WAL
 * synced by `fsync()` (see {@link DurableNodeFS}).
 */
export const DURABLE_START_PARAMS: readonly string[] = [
  ...PGlite.defaultStartParams.filter((p) => p !== '-F'),
  '-c',
  'wal_sync_method=fsync',
];

/** PGlite options for a durable data directory at `dataDir`, and the filesystem that counts its syncs. */
export function durablePgliteOptions(dataDir: string): { options: Pick<PGliteOptions, 'fs' | 'startParams'>; fs: DurableNodeFS } {
  const fs = new DurableNodeFS(dataDir);
  return { options: { fs, startParams: [...DURABLE_START_PARAMS] }, fs };
}
