/**
 * CLI start-up: the wall time of a fresh `symphainy --help` and
 * `symphainy policy validate FILE` process, side by side with `node -e 0`
 * (rounds interleaved, so a busy machine slows all three alike).
 *
 * Two ways the command runs, both through bin/symphainy.js:
 * - installed: the compiled dist/ (`npm run build`), with bin/symphainy.js
 *   copied into a temporary package folder without tsconfig.json — what an
 *   `npm install`ed package runs. Measured only when dist/ is built.
 * - checkout: this repository, where bin/symphainy.js registers tsx and runs
 *   the TypeScript sources (compiled on the fly; development only).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, nowMs, type Measure } from './stats.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const POLICY_FILE = join(root, 'config/mvp_materialization_policy.yaml');

/** Milliseconds per fresh process, per command. */
export interface CliCommandFigures {
  readonly help: Measure;
  readonly validate: Measure;
}

export interface CliStartupFigures {
  /** `node -e 0`: the floor every Node command pays. */
  readonly node: Measure;
  /** Through dist/ as installed; null when dist/ is not built (`notes` says so). */
  readonly installed: CliCommandFigures | null;
  /** Through tsx in this checkout. */
  readonly checkout: CliCommandFigures;
  readonly notes: string[];
}

/** One process's wall time in ms; throws (with its stderr) when it fails. */
function timed(args: string[], cwd: string): number {
  const started = nowMs();
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, SYMPHAINY_LOG_LEVEL: 'warn' } });
  const ms = nowMs() - started;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return ms;
}

/** A package folder as `npm install` leaves one: bin/ and dist/, package.json, no tsconfig.json. */
function installedPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'symphainy-cli-bench-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(root, 'bin/symphainy.js'), join(dir, 'bin/symphainy.js'));
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'dist'), join(dir, 'dist'), 'dir');
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Measures `rounds` rounds (plus one unmeasured warm-up, which fills tsx's compile cache). */
export function cliStartupBench(rounds: number): CliStartupFigures {
  const notes: string[] = [];
  const distMain = join(root, 'dist/src/cli/main.js');
  const pkg = existsSync(distMain) ? installedPackage() : null;
  if (!pkg) notes.push('installed path not measured: dist/ is not built (npm run build)');
  else if (statSync(distMain).mtimeMs < statSync(join(root, 'src/cli/main.ts')).mtimeMs) {
    notes.push('dist/ is older than src/cli/main.ts: the installed figures may be of an earlier build (npm run build)');
  }
  const checkoutBin = join(root, 'bin/symphainy.js');
  const samples = { node: [] as number[], ih: [] as number[], iv: [] as number[], ch: [] as number[], cv: [] as number[] };
  try {
    for (let round = -1; round < rounds; round++) {
      const node = timed(['-e', '0'], root);
      const ih = pkg ? timed([join(pkg, 'bin/symphainy.js'), '--help'], root) : 0;
      const iv = pkg ? timed([join(pkg, 'bin/symphainy.js'), 'policy', 'validate', POLICY_FILE], root) : 0;
      const ch = timed([checkoutBin, '--help'], root);
      const cv = timed([checkoutBin, 'policy', 'validate', POLICY_FILE], root);
      if (round < 0) continue;
      samples.node.push(node);
      samples.ih.push(ih);
      samples.iv.push(iv);
      samples.ch.push(ch);
      samples.cv.push(cv);
    }
  } finally {
    if (pkg) rmSync(pkg, { recursive: true, force: true });
  }
  return {
    node: measure(samples.node),
    installed: pkg ? { help: measure(samples.ih), validate: measure(samples.iv) } : null,
    checkout: { help: measure(samples.ch), validate: measure(samples.cv) },
    notes,
  };
}

/** The bench table's rows: each command's median next to `node -e 0`'s; the 4× target applies to the installed command. */
export function cliStartupRows<R>(
  f: CliStartupFigures,
  row: (measure: string, value: number, valueText: string, baseline: number, baselineText: string, target?: { text: string; met: boolean }) => R,
  note: (measure: string, text: string) => R,
): R[] {
  const base = f.node.median;
  const baseText = `node -e 0: ${base.toFixed(0)} ms`;
  const rows: R[] = [];
  const cell = (label: string, m: Measure, target: boolean) =>
    row(label, m.median, m.median.toFixed(0), base, baseText, target ? { text: '≤ 4×', met: m.median <= 4 * base } : undefined);
  if (f.installed) {
    rows.push(
      cell('symphainy --help, installed (dist/), ms', f.installed.help, true),
      cell('symphainy policy validate FILE, installed (dist/), ms', f.installed.validate, true),
    );
  }
  rows.push(
    cell('symphainy --help, checkout (sources through tsx), ms', f.checkout.help, false),
    cell('symphainy policy validate FILE, checkout (sources through tsx), ms', f.checkout.validate, false),
  );
  for (const text of f.notes) rows.push(note('CLI start-up', text));
  return rows;
}
