import { rmSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createRuntime, defineRealm, FsBlobStore, parseSolutionConfig, rendering, type Runtime, type RuntimeOptions } from '../src/index.ts';
import { PgliteDb } from '../src/db/pglite/pglite-db.ts';
import { migrate } from '../src/db/migrations/migrate.ts';
import type { EmbeddedDurability } from '../src/db/pglite/pglite-db.ts';
import { measure, median, percentile, runConcurrent, type Measure } from './stats.ts';

/** The ~1 KB object every measured execution (and DBOS workflow) produces; unique per call so blobs are not deduplicated. */
export function benchPayload(n: number, id: string): Record<string, unknown> {
  return { n, id, kind: 'bench-report', body: 'x'.repeat(900) };
}

export const BENCH_TENANT = 'acme';
export const BENCH_INTENT = 'bench.produce';

/** A trivial realm: one structured artifact (`report`) with one ~1 KB JSON rendering. */
export const benchRealm = defineRealm({
  name: 'bench',
  intents: {
    produce: {
      description: 'returns one ~1 KB report artifact',
      handler: (params: { n: number }, ctx) => ({
        artifacts: {
          report: {
            resultType: 'report',
            semanticPayload: { n: params.n },
            renderings: { json: rendering(JSON.stringify(benchPayload(params.n, ctx.executionId)), 'application/json') },
          },
        },
        events: [],
      }),
    },
  },
});

/** The solution config that persists the bench's result type. */
export const benchSolution = parseSolutionConfig({ name: 'bench', materialization_policy: { report: 'persist' } }, 'bench');

export const silent = pino({ level: 'silent' });

export type StoreKind = 'pglite' | 'postgres';

let template: Promise<string> | undefined;

/**
 * A fresh PGlite data dir at `dest`: a copy of one initialized and migrated
 * once per bench run (initdb on disk takes seconds on this kind of machine,
 * and is not what the bench measures).
 */
export async function freshPgliteDir(dest: string): Promise<void> {
  await cp(await pgliteTemplateDir(), dest, { recursive: true });
}

/** The migrated PGlite data dir fresh ones are copied from (built on first use, removed at exit). */
export function pgliteTemplateDir(): Promise<string> {
  template ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-bench-pglite-template-'));
    const db = await PgliteDb.open({ dataDir: dir });
    await migrate(db);
    await db.close();
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  })();
  return template;
}

export interface ExecutionFigures {
  readonly execPerSec: Measure;
  readonly p50Ms: Measure;
  readonly p99Ms: Measure;
}

export interface RuntimeUnderTest {
  readonly runtime: Runtime;
  readonly note: string;
  close(): Promise<void>;
}

/**
 * A runtime with the bench realm and solution config over a temp-dir
 * FsBlobStore (fsync on, the default) and either a PGlite data dir in a temp
 * folder (the default embedded store, on disk) or the given server database.
 */
export async function openRuntime(
  store: StoreKind,
  databaseUrl: string | undefined,
  extra: Record<string, unknown> = {},
  durability: EmbeddedDurability = 'fsync',
): Promise<RuntimeUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-bench-'));
  if (store === 'pglite') await freshPgliteDir(join(dir, 'data', 'db'));
  // The runtime opens its data dir durable; the other setting needs the store opened here.
  const db = store === 'pglite' && durability !== 'fsync' ? await PgliteDb.open({ dataDir: join(dir, 'data', 'db'), durability }) : null;
  const options: RuntimeOptions = {
    realms: [benchRealm],
    solutionConfig: benchSolution,
    logger: silent,
    blobStore: new FsBlobStore({ root: join(dir, 'blobs') }),
    ...(db ? { db } : store === 'pglite' ? { dataDir: join(dir, 'data') } : { databaseUrl: databaseUrl!, keyDir: join(dir, 'keys') }),
    ...extra,
  } as RuntimeOptions;
  const runtime = await createRuntime(options);
  return {
    runtime,
    note: store === 'pglite' ? `PGlite, data dir in a temp folder (on disk), durability ${durability}` : 'PostgreSQL server, fresh database',
    async close() {
      await runtime.close();
      await db?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** One execution of the bench intent; fails loudly if its artifact was not persisted. */
export async function executeOnce(runtime: Runtime): Promise<void> {
  const n = counter++;
  const result = await runtime.execute({ intentType: BENCH_INTENT, tenantId: BENCH_TENANT, sessionId: `s${n % 16}`, parameters: { n } });
  const a = result.artifacts[0];
  if (result.status !== 'completed' || !a || a.decision !== 'persist' || !a.stored) {
    throw new Error(`bench execution did not persist its artifact: ${JSON.stringify(result).slice(0, 400)}`);
  }
}

/** One round: `total` executions at `concurrency`; executions/s and latency percentiles. */
export async function executionRound(runtime: Runtime, total: number, concurrency: number) {
  const { wallMs, latenciesMs } = await runConcurrent(total, concurrency, () => executeOnce(runtime));
  return { execPerSec: (total / wallMs) * 1000, p50Ms: percentile(latenciesMs, 50), p99Ms: percentile(latenciesMs, 99) };
}

/** Rounds of one configuration (after a warm-up round), summarized as medians. */
export async function executionRounds(
  runtime: Runtime,
  opts: { total: number; concurrency: number; rounds: number; warmup: number },
): Promise<ExecutionFigures> {
  await runConcurrent(opts.warmup, opts.concurrency, () => executeOnce(runtime));
  const rounds = [];
  for (let r = 0; r < opts.rounds; r++) rounds.push(await executionRound(runtime, opts.total, opts.concurrency));
  return {
    execPerSec: measure(rounds.map((r) => r.execPerSec)),
    p50Ms: measure(rounds.map((r) => r.p50Ms)),
    p99Ms: measure(rounds.map((r) => r.p99Ms)),
  };
}

/**
 * Two runtimes measured in alternating rounds (A, B, A, B…), so both see the
 * same machine load; for comparisons of one setting on and off.
 */
export async function pairedRounds(
  a: Runtime,
  b: Runtime,
  opts: { total: number; concurrency: number; rounds: number; warmup: number },
): Promise<[ExecutionFigures, ExecutionFigures]> {
  for (const rt of [a, b]) await runConcurrent(opts.warmup, opts.concurrency, () => executeOnce(rt));
  const rounds: [Awaited<ReturnType<typeof executionRound>>[], Awaited<ReturnType<typeof executionRound>>[]] = [[], []];
  for (let r = 0; r < opts.rounds; r++) {
    rounds[0].push(await executionRound(a, opts.total, opts.concurrency));
    rounds[1].push(await executionRound(b, opts.total, opts.concurrency));
  }
  const figures = (rs: (typeof rounds)[0]): ExecutionFigures => ({
    execPerSec: measure(rs.map((r) => r.execPerSec)),
    p50Ms: measure(rs.map((r) => r.p50Ms)),
    p99Ms: measure(rs.map((r) => r.p99Ms)),
  });
  return [figures(rounds[0]), figures(rounds[1])];
}

export { median };
