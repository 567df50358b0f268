import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_CI } from './services.ts';

/**
 * Runs commands under `strace` and reads back which files were written and
 * synced, in order. Only what the durability tests need: write-family and
 * sync-family calls, each with the file behind its descriptor (`-y`).
 */

/** `false` when strace runs here; otherwise, outside CI, the skip reason (printed now); in CI an error. */
export function skipUnlessStrace(): string | false {
  const probe = spawnSync('strace', ['-qq', '-e', 'trace=none', 'true'], { encoding: 'utf8' });
  if (probe.status === 0) return false;
  const reason = `strace unusable: ${probe.error?.message ?? probe.stderr.trim()}`;
  if (IN_CI) throw new Error(`${reason} (CI=true: .ci/run installs strace; the sync-call suite must not be skipped)`);
  process.stderr.write(`\n# SKIPPING sync-call suite: ${reason}\n`);
  return reason;
}

const WRITES = ['write', 'pwrite64', 'writev', 'pwritev', 'pwritev2'];
const SYNCS = ['fsync', 'fdatasync', 'syncfs', 'sync_file_range'];

export type TraceCall =
  | { readonly kind: 'write'; readonly fd: number; readonly path: string }
  | { readonly kind: 'sync'; readonly call: string; readonly fd: number; readonly path: string; readonly ok: boolean };

export interface TracedRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Write and sync calls of every thread, in the order they took effect (writes when issued, syncs when they returned). */
  readonly calls: TraceCall[];
}

/** Runs `command args` under `strace -f -y`, recording write- and sync-family calls. */
export async function runTraced(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; withData?: boolean } = {},
): Promise<TracedRun & { readonly raw: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-strace-'));
  const out = join(dir, 'trace');
  try {
    // withData: every written byte, as \xNN escapes (for rebuilding files as of their last sync).
    const data = options.withData ? ['-xx', '-s', String(1 << 20)] : ['-s', '0'];
    const straceArgs = ['-f', '-qq', '-y', ...data, '-e', `trace=${[...WRITES, ...SYNCS].join(',')}`, '-e', 'signal=none', '-o', out, command, ...args];
    const child = spawn('strace', straceArgs, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    });
    clearTimeout(timer);
    const raw = await readFile(out, 'utf8');
    return { code, stdout, stderr, calls: parseTrace(raw), raw: options.withData ? raw : '' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const CALL = /^(\d+)\s+(\w+)\((\d+)<([^>]*)>(.*)$/;
const RESUMED = /^(\d+)\s+<\.\.\. (\w+) resumed>(.*)$/;

/**
 * Parses `strace -f -y -o` output. A call split by another thread
 * (`<unfinished ...>` … `<... resumed>`) counts as a write where it started
 * (the earliest moment, the strict reading) and as a sync where it returned.
 */
export function parseTrace(text: string): TraceCall[] {
  const calls: TraceCall[] = [];
  const pending = new Map<string, { call: string; fd: number; path: string }>();
  const result = (rest: string) => /\)\s*=\s*(-?\d+)/.exec(rest)?.[1];
  for (const line of text.split('\n')) {
    const started = CALL.exec(line);
    if (started) {
      const [, pid, call, fd, path, rest] = started as unknown as [string, string, string, string, string, string];
      if (WRITES.includes(call)) {
        calls.push({ kind: 'write', fd: Number(fd), path });
      } else if (SYNCS.includes(call)) {
        if (rest.includes('<unfinished ...>')) pending.set(`${pid}:${call}`, { call, fd: Number(fd), path });
        else calls.push({ kind: 'sync', call, fd: Number(fd), path, ok: result(rest) === '0' });
      }
      continue;
    }
    const resumed = RESUMED.exec(line);
    if (resumed) {
      const [, pid, call, rest] = resumed as unknown as [string, string, string, string];
      const p = pending.get(`${pid}:${call}`);
      if (p) {
        pending.delete(`${pid}:${call}`);
        calls.push({ kind: 'sync', call: p.call, fd: p.fd, path: p.path, ok: result(rest) === '0' });
      }
    }
  }
  return calls;
}

/** Whether a sync call makes a file's written data durable (`sync_file_range` does not: it neither waits for all pages nor flushes the device cache). */
const durableSync = (call: string) => call === 'fsync' || call === 'fdatasync' || call === 'syncfs';

/**
 * The files matching `watched` that had been written but not synced when
 * the answer was first written (a write to `answerFd`, stdout by default),
 * each with how many writes were unsynced. Throws when no answer was written.
 */
export function unsyncedAtAnswer(calls: readonly TraceCall[], watched: RegExp, answerFd = 1): Map<string, number> {
  const dirty = new Map<string, number>();
  for (const c of calls) {
    if (c.kind === 'write' && c.fd === answerFd) return dirty;
    if (c.kind === 'write' && watched.test(c.path)) dirty.set(c.path, (dirty.get(c.path) ?? 0) + 1);
    if (c.kind === 'sync' && c.ok && durableSync(c.call)) {
      if (c.call === 'syncfs') dirty.clear();
      else dirty.delete(c.path);
    }
  }
  throw new Error(`the traced command never wrote to fd ${answerFd}`);
}

/** Successful durable sync calls on files matching `path`, before the answer (`answerFd`) was first written. */
export function syncsBeforeAnswer(calls: readonly TraceCall[], path: RegExp, answerFd = 1): TraceCall[] {
  const found: TraceCall[] = [];
  for (const c of calls) {
    if (c.kind === 'write' && c.fd === answerFd) return found;
    if (c.kind === 'sync' && c.ok && durableSync(c.call) && path.test(c.path)) found.push(c);
  }
  throw new Error(`the traced command never wrote to fd ${answerFd}`);
}

/**
 * For each window from a call `start` picks to the next call `end` picks
 * (e.g. a checkpoint's first step to its pg_control sync): the files
 * matching `watched` that were written before the window opened and were not
 * synced by its end. One entry per closed window, in order.
 */
export function unsyncedAcross(calls: readonly TraceCall[], watched: RegExp, start: (c: TraceCall) => boolean, end: (c: TraceCall) => boolean): string[][] {
  const dirty = new Set<string>();
  let open: Set<string> | null = null;
  const found: string[][] = [];
  for (const c of calls) {
    if (open && end(c)) {
      found.push([...open]);
      open = null;
    }
    if (!open && start(c)) open = new Set(dirty);
    if (c.kind === 'write' && watched.test(c.path)) dirty.add(c.path);
    if (c.kind === 'sync' && c.ok && durableSync(c.call)) {
      if (c.call === 'syncfs') {
        dirty.clear();
        open?.clear();
      } else {
        dirty.delete(c.path);
        open?.delete(c.path);
      }
    }
  }
  return found;
}
