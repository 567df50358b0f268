import { execFileSync, spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Median of the samples (the mean of the middle two for an even count). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The p-th percentile (0..100), nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** A measured figure: one sample per round and their median. */
export interface Measure {
  readonly samples: number[];
  readonly median: number;
}

export function measure(samples: number[]): Measure {
  return { samples, median: median(samples) };
}

/**
 * Runs `total` calls of `task(i)` with at most `concurrency` in flight;
 * returns the wall time and each call's latency in milliseconds.
 */
export async function runConcurrent(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<{ wallMs: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const start = nowMs();
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const t0 = nowMs();
      await task(i);
      latenciesMs.push(nowMs() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  return { wallMs: nowMs() - start, latenciesMs };
}

/** What the results say about the machine they were measured on. */
export function machineInfo() {
  const list = cpus();
  const git = (args: string[]) => {
    try {
      // trimEnd: porcelain lines start with a status column that may be a space.
      return execFileSync('git', args, { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' }).trimEnd();
    } catch {
      return 'unknown';
    }
  };
  return {
    commit: git(['rev-parse', 'HEAD']),
    /** Files changed or added but not committed when the bench ran (the tree measured is HEAD plus these). */
    uncommitted: git(['status', '--porcelain']).split('\n').filter(Boolean).map((l) => l.slice(3)),
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    totalMemoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/**
 * Runs a bench module in a child process (a clean heap and RSS, and no
 * global state such as DBOS's left behind) and returns the JSON it prints
 * as its last stdout line.
 */
export function runChild<T>(module: string, args: readonly string[], timeoutMs = 600_000): Promise<T> {
  const path = fileURLToPath(new URL(module, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', path, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${module} exited with ${code}: ${err.trim().split('\n').filter((l) => !/^\s+at /.test(l)).slice(-6).join(' | ')}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${module} printed no JSON result: ${last.slice(0, 200)} ${err.slice(-300)}`));
      }
    });
  });
}

/** True when this file is the process's entry module (for modules that are also children). */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(metaUrl) === process.argv[1];
}

/**
 * When this file is the process's entry module: runs `main` with the JSON
 * arguments in argv[2], prints its figures as one JSON line and exits.
 */
export function runAsChild<A, R>(metaUrl: string, main: (args: A) => Promise<R>): void {
  if (!isMain(metaUrl)) return;
  main(JSON.parse(process.argv[2] ?? '{}') as A).then(
    (figures) => {
      process.stdout.write(`${JSON.stringify(figures)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

/** Forces a full GC when --expose-gc is on. */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
