import { cp, open } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * A simulated power cut: the data directory as the disk holds it at the
 * moment a process first wrote its answer to stdout, when every write not
 * yet synced is lost (the worst case the OS allows). Built from a copy of
 * the directory taken while it was fully synced (`snapshot`) and the
 * process's `strace -f -y -xx` record (`raw`): for each file, the positional
 * writes (`pwrite64`) made before its last successful `fsync`/`fdatasync`
 * preceding the answer are replayed onto the copy, in order; later ones are
 * dropped.
 *
 * Only what a short run of the embedded store does is modelled: writes to
 * files present in the snapshot, plus files PostgreSQL rebuilds after a crash
 * (`ignored`). Any other write before the answer (a new file, a write without
 * a position) makes it throw, so it never passes by ignoring what it cannot
 * replay.
 */
export async function rebuildAtAnswer(options: {
  raw: string;
  /** The traced data directory, as paths appear in the trace. */
  dataDir: string;
  /** A copy of `dataDir` taken while every file of it was synced. */
  snapshot: string;
  /** Where to build the directory as of the power cut. */
  target: string;
  /** Files (relative to the data dir) whose writes may be dropped: rebuilt or unused after a crash. */
  ignored?: RegExp;
}): Promise<{ replayed: number; dropped: number }> {
  const ignored = options.ignored ?? /^(postmaster\.pid|postmaster\.opts|pg_stat_tmp\/|pg_stat\/|pg_subtrans\/|.*pg_internal\.init.*)$/;
  const writes: { file: string; offset: number; bytes: Buffer; index: number }[] = [];
  const lastSync = new Map<string, number>();
  const lines = options.raw.split('\n');
  const prefix = `${options.dataDir}/`;
  /** Syncs split by another thread's call, by pid: they count where they returned. */
  const pendingSyncs = new Map<string, string>();
  let index = 0;
  for (const line of lines) {
    index++;
    const resumed = /^(\d+)\s+<\.\.\. (fsync|fdatasync) resumed>.*\) = 0$/.exec(line);
    if (resumed) {
      const file = pendingSyncs.get(`${resumed[1]}:${resumed[2]}`);
      if (file !== undefined) lastSync.set(file, index);
      continue;
    }
    const m = /^(\d+)\s+(\w+)\((\d+)<([^>]*)>(.*)$/.exec(line);
    if (!m) continue;
    const [, pid, call, fd, shown, rest] = m as unknown as [string, string, string, string, string, string];
    // -xx escapes the path -y shows as well.
    const path = shown.replace(/\\x([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    if (call === 'write' && fd === '1') break; // the answer: the power goes off here
    if (!path.startsWith(prefix)) continue;
    const file = relative(options.dataDir, path);
    if (call === 'fsync' || call === 'fdatasync') {
      if (/^\) = 0$/.test(rest)) lastSync.set(file, index);
      else if (rest.endsWith('<unfinished ...>')) pendingSyncs.set(`${pid}:${call}`, file);
      continue;
    }
    if (call === 'sync_file_range') continue; // starts writeback, guarantees nothing
    if (ignored.test(file)) continue;
    if (call !== 'pwrite64') throw new Error(`cannot replay ${call} on ${file} (line ${index}): only pwrite64 is modelled`);
    const w = /^, "((?:\\x[0-9a-f]{2})*)"(\.\.\.)?, (\d+), (\d+)(?:\) = (\d+)| <unfinished \.\.\.>)$/.exec(rest);
    if (!w) throw new Error(`cannot parse the write on line ${index}: ${line.slice(0, 200)}`);
    if (w[2]) throw new Error(`write on line ${index} was cut short in the trace`);
    const bytes = Buffer.from(w[1]!.replace(/\\x/g, ''), 'hex');
    if (bytes.length !== Number(w[3]) || (w[5] !== undefined && Number(w[5]) !== bytes.length)) {
      throw new Error(`partial write on line ${index}: ${w[5]} of ${bytes.length} bytes`);
    }
    writes.push({ file, offset: Number(w[4]), bytes, index });
  }
  await cp(options.snapshot, options.target, { recursive: true });
  let replayed = 0;
  let dropped = 0;
  for (const w of writes) {
    const synced = lastSync.get(w.file);
    if (synced === undefined || synced < w.index) {
      dropped++;
      continue;
    }
    const handle = await open(join(options.target, w.file), 'r+').catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot replay a synced write to ${w.file}: ${err.code} (a file the snapshot does not have)`);
    });
    try {
      await handle.write(w.bytes, 0, w.bytes.length, w.offset);
    } finally {
      await handle.close();
    }
    replayed++;
  }
  return { replayed, dropped };
}
