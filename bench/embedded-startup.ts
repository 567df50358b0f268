/**
 * How long a new embedded database takes to open, each sample in a fresh
 * process (so the WASM compile every user pays is in it): created the old
 * way (initdb + every migration) against started from the migrated image,
 * in memory and as a new durable data dir; and `createRuntime({ memory:
 * true })` whole. Wall and CPU milliseconds (CPU is steadier on a shared machine).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../src/index.ts';
import { migrate } from '../src/db/migrations/migrate.ts';
import { imageKey, writeImage } from '../src/db/pglite/migrated-image.ts';
import { buildImage, PgliteDb } from '../src/db/pglite/pglite-db.ts';
import { measure, nowMs, runAsChild, runChild, type Measure } from './stats.ts';
import { silent } from './executions.ts';

type Variant = 'cold-memory' | 'image-memory' | 'cold-datadir' | 'image-datadir' | 'runtime-memory';
const VARIANTS: readonly Variant[] = ['cold-memory', 'image-memory', 'cold-datadir', 'image-datadir', 'runtime-memory'];

interface ChildArgs {
  variant: Variant | 'build';
  cacheDir: string;
  scratch: string;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
  from: string;
}

export interface StartupFigures {
  readonly variants: Record<Variant, { wallMs: Measure; cpuMs: Measure }>;
  /** Building the image once (what the first use in a checkout pays, in a cache for every later one). */
  readonly buildMs: number;
}

async function child(args: ChildArgs): Promise<Sample> {
  if (args.variant === 'build') {
    const t0 = nowMs();
    await writeImage(args.cacheDir, imageKey(), await buildImage(), false);
    // createRuntime uses the default cache (node_modules/.cache/symphainy): have it there too before timing it.
    await (await PgliteDb.open({ image: true })).close();
    return { wallMs: nowMs() - t0, cpuMs: 0, from: 'build' };
  }
  const image = { cacheDir: args.cacheDir, shippedDir: null };
  const dataDir = join(args.scratch, 'db');
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  let from: string;
  if (args.variant === 'runtime-memory') {
    const runtime = await createRuntime({ memory: true, logger: silent });
    from = 'runtime';
    const sample = done(t0, cpu0, from);
    await runtime.close();
    return sample;
  }
  const db = await PgliteDb.open({
    ...(args.variant.endsWith('datadir') ? { dataDir } : {}),
    ...(args.variant.startsWith('image') ? { image } : {}),
  });
  const applied = await migrate(db);
  from = db.origin.from;
  if (args.variant.startsWith('image') && (from !== 'image' || applied.length > 0)) throw new Error(`${args.variant} did not start from the image (${from}, applied ${applied.join(',')})`);
  const sample = done(t0, cpu0, from);
  await db.close();
  return sample;
}

function done(t0: number, cpu0: NodeJS.CpuUsage, from: string): Sample {
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: nowMs() - t0, cpuMs: (cpu.user + cpu.system) / 1000, from };
}

/** `rounds` samples of each variant, interleaved so all see the same machine load. */
export async function embeddedStartupBench(opts: { rounds: number }): Promise<StartupFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-bench-startup-'));
  try {
    const cacheDir = join(dir, 'cache');
    const build = await runChild<Sample>('./embedded-startup.ts', [JSON.stringify({ variant: 'build', cacheDir, scratch: dir } satisfies ChildArgs)]);
    const samples = Object.fromEntries(VARIANTS.map((v) => [v, [] as Sample[]])) as Record<Variant, Sample[]>;
    for (let round = 0; round < opts.rounds; round++) {
      for (const variant of VARIANTS) {
        const scratch = await mkdtemp(join(dir, `${variant}-`));
        samples[variant].push(await runChild<Sample>('./embedded-startup.ts', [JSON.stringify({ variant, cacheDir, scratch } satisfies ChildArgs)]));
        await rm(scratch, { recursive: true, force: true });
      }
    }
    const variants = Object.fromEntries(
      VARIANTS.map((v) => [v, { wallMs: measure(samples[v].map((s) => s.wallMs)), cpuMs: measure(samples[v].map((s) => s.cpuMs)) }]),
    ) as StartupFigures['variants'];
    return { variants, buildMs: build.wallMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

runAsChild(import.meta.url, child);
