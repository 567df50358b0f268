/**
 * `npm run bench`: every measure of the runtime next to its baseline, measured
 * in the same run, several rounds each, medians reported. Prints a markdown
 * table and writes the raw samples to bench/results.json.
 *
 *   npm run bench                      full run (a few minutes)
 *   npm run bench -- --smoke           every part, tiny (seconds); or BENCH_SMOKE=1
 *   npm run bench -- --out FILE        results elsewhere; or BENCH_OUT=FILE
 *
 * PostgreSQL and Redis on loopback (SYMPHAINY_BENCH_DATABASE_URL / _REDIS_URL,
 * else the test suites' variables, else the defaults). A part whose service is
 * unreachable is skipped with a note; with CI=true that is an error.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifactBench } from './artifacts.ts';
import { encryptionBench, type EncryptionFigures } from './encryption.ts';
import { embeddedStartupBench, type StartupFigures } from './embedded-startup.ts';
import { cliStartupBench, cliStartupRows } from './cli-startup.ts';
import type { CacheMemoryFigures } from './cache-memory.ts';
import { BENCH_SERVICES, createBenchDatabase, unreachable, type BenchDatabase } from './databases.ts';
import type { DbosFigures } from './dbos.ts';
import type { StepFigures } from './steps.ts';
import { executionRounds, openRuntime, pairedRounds, pgliteTemplateDir, type ExecutionFigures, type StoreKind } from './executions.ts';
import type { EmbeddedDurability } from '../src/db/pglite/pglite-db.ts';
import { policyBench } from './policy.ts';
import { rawFloor, type FloorFigures } from './raw-floor.ts';
import { machineInfo, runChild } from './stats.ts';
import { fmt, markdown, note, row, rssText, type Row } from './report.ts';

const argv = process.argv.slice(2);
const SMOKE = argv.includes('--smoke') || ['1', 'true'].includes(process.env.BENCH_SMOKE ?? '');
const outIndex = argv.indexOf('--out');
const OUT = resolve(
  outIndex >= 0 && argv[outIndex + 1] ? argv[outIndex + 1]! : (process.env.BENCH_OUT ?? fileURLToPath(new URL('./results.json', import.meta.url))),
);
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** How much each part does: full, or tiny for the smoke run. */
const SIZE = SMOKE
  ? {
      rounds: 1,
      exec: { c1: 5, c64: 64, warmup: 4 },
      encryption: { total: 64, rounds: 1, warmup: 8 },
      floor: { perTxTotal: 5, batches: 1 },
      dbos: { c1Total: 5, c64Total: 64 },
      steps: 10,
      policy: { rounds: 1, fastIterations: 20_000, celIterations: 1_000, jreIterations: 50 },
      artifacts: { rounds: 1, writes: 2 },
      cacheEntries: 500,
    }
  : {
      rounds: 3,
      exec: { c1: 80, c64: 256, warmup: 32 },
      encryption: { total: 512, rounds: 5, warmup: 64 },
      floor: { perTxTotal: 200, batches: 5 },
      dbos: { c1Total: 80, c64Total: 256 },
      steps: 100,
      policy: { rounds: 5, fastIterations: 3_000_000, celIterations: 100_000, jreIterations: 3_000 },
      artifacts: { rounds: 5, writes: 30 },
      cacheEntries: 100_000,
    };

type Section<T> = { status: 'measured'; figures: T } | { status: 'skipped' | 'failed'; reason: string };

const log = (line: string) => process.stderr.write(`# ${line}\n`);

async function section<T>(name: string, fn: () => Promise<T>): Promise<Section<T>> {
  log(`${name}…`);
  const t0 = Date.now();
  try {
    const figures = await fn();
    log(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { status: 'measured', figures };
  } catch (err) {
    log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
    return { status: 'failed', reason: (err as Error).message };
  }
}

/** Why a service-backed part cannot run, or null. Outside CI: a visible skip; in CI: an error. */
async function serviceDown(name: string, url: string, port: number): Promise<string | null> {
  const why = await unreachable(url, port);
  if (why === null) return null;
  if (IN_CI) throw new Error(`${name} unreachable: ${why} (CI=true: the bench must not skip it)`);
  log(`SKIPPING ${name} parts: ${why}`);
  return `${name} unreachable: ${why}`;
}

const databases: BenchDatabase[] = [];
async function freshDatabase(label: string): Promise<BenchDatabase> {
  const db = await createBenchDatabase(label);
  databases.push(db);
  return db;
}

interface StoreExecutions {
  readonly note: string;
  readonly c1: ExecutionFigures;
  readonly c64: ExecutionFigures;
  /** The same with group commit on (the default, the headline) and off (`groupCommit: false`). */
  readonly groupCommit: Record<'on' | 'off', { c1: ExecutionFigures; c64: ExecutionFigures }>;
  /** PGlite only: commits synced to disk (`fsync`, the default) and not (`none`), measured in alternating rounds. */
  readonly durability?: Record<EmbeddedDurability, { c1: ExecutionFigures; c64: ExecutionFigures }>;
}

async function storeExecutions(store: StoreKind): Promise<StoreExecutions> {
  const variant = async (extra: Record<string, unknown>, label: string, durability: EmbeddedDurability = 'fsync') => {
    const url = store === 'postgres' ? (await freshDatabase(`rt_${label}`)).url : undefined;
    const rt = await openRuntime(store, url, extra, durability);
    try {
      const c1 = await executionRounds(rt.runtime, { total: SIZE.exec.c1, concurrency: 1, rounds: SIZE.rounds, warmup: SIZE.exec.warmup });
      const c64 = await executionRounds(rt.runtime, { total: SIZE.exec.c64, concurrency: 64, rounds: SIZE.rounds, warmup: SIZE.exec.warmup });
      return { note: rt.note, c1, c64 };
    } finally {
      await rt.close();
    }
  };
  const headline = await variant({}, 'default');
  const off = await variant({ groupCommit: false }, 'gc_off');
  const groupCommit = { on: { c1: headline.c1, c64: headline.c64 }, off: { c1: off.c1, c64: off.c64 } };
  if (store !== 'pglite') return { ...headline, groupCommit };
  // Durable and not, in alternating rounds on two runtimes, so both see the same machine load.
  const synced = await openRuntime(store, undefined, {}, 'fsync');
  const unsynced = await openRuntime(store, undefined, {}, 'none');
  try {
    const pair = async (total: number, concurrency: number) =>
      pairedRounds(synced.runtime, unsynced.runtime, { total, concurrency, rounds: SIZE.rounds, warmup: SIZE.exec.warmup });
    const [fsync1, none1] = await pair(SIZE.exec.c1, 1);
    const [fsync64, none64] = await pair(SIZE.exec.c64, 64);
    return { ...headline, groupCommit, durability: { fsync: { c1: fsync1, c64: fsync64 }, none: { c1: none1, c64: none64 } } };
  } finally {
    await synced.close();
    await unsynced.close();
  }
}

const STORE_NAME: Record<StoreKind, string> = { pglite: 'PGlite (temp data dir)', postgres: 'PostgreSQL' };

function executionRows(store: StoreKind, ex: Section<StoreExecutions>, floor: Section<FloorFigures>): Row[] {
  const s = STORE_NAME[store];
  if (ex.status !== 'measured') return [note(`runtime executions, ${s}`, `not measured — ${ex.reason}`)];
  const e = ex.figures;
  const rows: Row[] = [];
  if (floor.status === 'measured') {
    const f = floor.figures;
    rows.push(
      row(`runtime exec/s, ${s}, c=1`, e.c1.execPerSec.median, fmt(e.c1.execPerSec.median), f.perTx.execPerSec.median, `raw floor, 1 tx per execution, c=1: ${fmt(f.perTx.execPerSec.median)}/s`),
      row(`runtime exec/s, ${s}, c=64`, e.c64.execPerSec.median, fmt(e.c64.execPerSec.median), f.batched.execPerSec.median, `raw floor, 100 executions per tx: ${fmt(f.batched.execPerSec.median)}/s`,
        { text: '≥ 0.5×', met: e.c64.execPerSec.median >= 0.5 * f.batched.execPerSec.median }),
      row(`runtime p50 latency ms (p99), ${s}, c=1`, e.c1.p50Ms.median, `${fmt(e.c1.p50Ms.median, 1)} (p99 ${fmt(e.c1.p99Ms.median, 1)})`, f.perTx.p50Ms.median, `raw floor p50 per tx: ${fmt(f.perTx.p50Ms.median, 2)}`,
        store === 'postgres' ? { text: 'p99 ≤ 3 ms', met: e.c1.p99Ms.median <= 3 } : undefined),
      row(`runtime p50 latency ms (p99), ${s}, c=64`, e.c64.p50Ms.median, `${fmt(e.c64.p50Ms.median, 1)} (p99 ${fmt(e.c64.p99Ms.median, 1)})`, f.perTx.p50Ms.median, `raw floor p50 per tx: ${fmt(f.perTx.p50Ms.median, 2)}`),
      row(`raw floor exec/s, ${s}, 100 executions per tx`, f.batched.execPerSec.median, fmt(f.batched.execPerSec.median), f.perTx.execPerSec.median, `1 tx per execution, c=1: ${fmt(f.perTx.execPerSec.median)}/s`),
    );
  } else {
    rows.push(
      note(`runtime exec/s, ${s}, c=1 / c=64`, `${fmt(e.c1.execPerSec.median)} / ${fmt(e.c64.execPerSec.median)}`),
      note(`raw floor, ${s}`, `not measured — ${floor.reason}`),
    );
  }
  for (const c of ['c1', 'c64'] as const) {
    const on = e.groupCommit.on[c].execPerSec.median;
    const off = e.groupCommit.off[c].execPerSec.median;
    rows.push(row(`runtime exec/s, ${s}, c=${c.slice(1)}, groupCommit on (default)`, on, fmt(on), off, `groupCommit: false: ${fmt(off)}/s`));
  }
  for (const c of e.durability ? (['c1', 'c64'] as const) : []) {
    const synced = e.durability!.fsync[c];
    const unsynced = e.durability!.none[c];
    rows.push(
      row(`runtime exec/s, ${s}, c=${c.slice(1)}, durable commits (durability fsync, default)`, synced.execPerSec.median,
        `${fmt(synced.execPerSec.median)} (p50 ${fmt(synced.p50Ms.median, 1)} ms)`, unsynced.execPerSec.median,
        `durability none (commits not synced): ${fmt(unsynced.execPerSec.median)}/s (p50 ${fmt(unsynced.p50Ms.median, 1)} ms)`),
    );
  }
  return rows;
}

/** New embedded database: from the migrated image against initdb + migrations, each in a fresh process. */
function startupRows(startup: Section<StartupFigures>): Row[] {
  if (startup.status !== 'measured') return [note('embedded start-up', `not measured — ${startup.reason}`)];
  const v = startup.figures.variants;
  const ms = (m: { wallMs: { median: number }; cpuMs: { median: number } }) => `${fmt(m.wallMs.median)} (CPU ${fmt(m.cpuMs.median)})`;
  const about1s = (m: { wallMs: { median: number } }) => ({ text: '≈ 1 s (≤ 1.5 s)', met: m.wallMs.median <= 1500 });
  return [
    row('new embedded database in memory, open + migrate, ms (fresh process)', v['image-memory'].wallMs.median, ms(v['image-memory']),
      v['cold-memory'].wallMs.median, `initdb + migrations: ${ms(v['cold-memory'])}`, about1s(v['image-memory'])),
    row('new embedded data dir (durable), open + migrate, ms (fresh process)', v['image-datadir'].wallMs.median, ms(v['image-datadir']),
      v['cold-datadir'].wallMs.median, `initdb + migrations: ${ms(v['cold-datadir'])}`, about1s(v['image-datadir'])),
    row('createRuntime({ memory: true }), ms (fresh process)', v['runtime-memory'].wallMs.median, ms(v['runtime-memory']),
      v['cold-memory'].wallMs.median, `its store the old way: ${ms(v['cold-memory'])}`),
    note('building the migrated image once (npm run build; first use in a checkout)', `${fmt(startup.figures.buildMs)} ms`),
  ];
}

async function main(): Promise<void> {
  const startedAt = new Date();
  log(`bench ${SMOKE ? 'smoke run' : 'full run'}; results to ${OUT}`);

  const pgDown = await serviceDown('PostgreSQL', BENCH_SERVICES.postgres, 5432);
  const redisDown = await serviceDown('Redis', BENCH_SERVICES.redis, 6379);
  const skipped = <T>(reason: string): Section<T> => ({ status: 'skipped', reason });

  try {
    const executions = {
      pglite: await section('runtime executions, PGlite', () => storeExecutions('pglite')),
      postgres: pgDown ? skipped<StoreExecutions>(pgDown) : await section('runtime executions, PostgreSQL', () => storeExecutions('postgres')),
    };
    // Encryption at rest off against on (the default), c=64, alternating rounds.
    const encryption = {
      pglite: await section('encryption at rest, PGlite', () => encryptionBench('pglite', SIZE.encryption)),
      postgres: pgDown
        ? skipped<EncryptionFigures>(pgDown)
        : await section('encryption at rest, PostgreSQL', async () =>
            encryptionBench('postgres', SIZE.encryption, { off: (await freshDatabase('enc_off')).url, on: (await freshDatabase('enc_on')).url })),
    };
    const floorSize = { ...SIZE.floor, rounds: SIZE.rounds };
    const floors = {
      pglite: await section('raw floor, PGlite', () => rawFloor('pglite', undefined, floorSize)),
      postgres: pgDown
        ? skipped<FloorFigures>(pgDown)
        : await section('raw floor, PostgreSQL', async () => rawFloor('postgres', (await freshDatabase('floor')).url, floorSize)),
    };
    const dbos: Section<DbosFigures> = pgDown
      ? skipped(pgDown)
      : await section('DBOS Transact', async () =>
          runChild<DbosFigures>('./dbos.ts', [JSON.stringify({ url: (await freshDatabase('dbos')).url, ...SIZE.dbos, rounds: SIZE.rounds })]),
        );
    const startup = await section('embedded start-up', () => embeddedStartupBench({ rounds: SIZE.rounds }));
    // Durable steps: each side in its own process, on a database of its own on the same server.
    const stepsRun = (kind: 'symphainy' | 'dbos') => async () =>
      runChild<StepFigures>('./steps.ts', [JSON.stringify({ kind, url: (await freshDatabase(`steps_${kind}`)).url, total: SIZE.steps, rounds: SIZE.rounds })]);
    const steps = {
      runtime: pgDown ? skipped<StepFigures>(pgDown) : await section('durable steps, runtime', stepsRun('symphainy')),
      dbos: pgDown ? skipped<StepFigures>(pgDown) : await section('durable steps, DBOS', stepsRun('dbos')),
    };
    const policy = await section('policy evaluation', () => policyBench(SIZE.policy));
    const artifacts = await section('artifact store', () => artifactBench(SIZE.artifacts));
    const cliStartup = await section('CLI start-up', async () => cliStartupBench(SMOKE ? 1 : 7));
    const cacheMemory = {
      embedded: await section('cache memory, embedded', async () =>
        runChild<CacheMemoryFigures>('./cache-memory.ts', [
          JSON.stringify({ backend: 'embedded', entries: SIZE.cacheEntries, pgliteTemplate: await pgliteTemplateDir() }),
        ]),
      ),
      redis: redisDown
        ? skipped<CacheMemoryFigures>(redisDown)
        : await section('cache memory, Redis', () =>
            runChild<CacheMemoryFigures>('./cache-memory.ts', [JSON.stringify({ backend: 'redis', entries: SIZE.cacheEntries, redisUrl: BENCH_SERVICES.redis })]),
          ),
    };

    // ---- rows ----
    const rows: Row[] = [...executionRows('pglite', executions.pglite, floors.pglite), ...executionRows('postgres', executions.postgres, floors.postgres)];
    for (const [store, e] of Object.entries(encryption) as [StoreKind, Section<EncryptionFigures>][]) {
      if (e.status !== 'measured') {
        rows.push(note(`encryption at rest, ${STORE_NAME[store]}`, `not measured — ${e.reason}`));
        continue;
      }
      const [on, off] = [e.figures.on.execPerSec.median, e.figures.off.execPerSec.median];
      rows.push(row(`runtime exec/s, ${STORE_NAME[store]}, c=64, encryption on (default)`, on, `${fmt(on)} (p50 ${fmt(e.figures.on.p50Ms.median, 1)} ms)`, off,
        `encryption: false: ${fmt(off)}/s (p50 ${fmt(e.figures.off.p50Ms.median, 1)} ms)`, { text: '≥ 0.9× (cost ≤ 10%)', met: on >= 0.9 * off }));
    }
    if (floors.pglite.status === 'measured') {
      const c = floors.pglite.figures.rowCounts;
      rows.push(note('rows one persisted execution writes', Object.entries(c).map(([t, n]) => `${n} ${t}`).join(' + ')));
    }
    if (dbos.status === 'measured') {
      const d = dbos.figures;
      const pg = executions.postgres.status === 'measured' ? executions.postgres.figures : null;
      for (const c of ['c1', 'c64'] as const) {
        const dv = d[c].execPerSec.median;
        const base = `DBOS ${d.version}, 1-step workflow: ${fmt(dv)}/s (p50 ${fmt(d[c].p50Ms.median, 1)} ms, p99 ${fmt(d[c].p99Ms.median, 1)} ms)`;
        rows.push(
          pg
            ? row(`runtime exec/s vs DBOS, PostgreSQL, c=${c.slice(1)}`, pg[c].execPerSec.median, fmt(pg[c].execPerSec.median), dv, base,
                c === 'c64' ? { text: '≥ 10×', met: pg[c].execPerSec.median >= 10 * dv } : undefined)
            : note(`DBOS, PostgreSQL, c=${c.slice(1)}`, base),
        );
      }
    } else {
      rows.push(note('DBOS', `not measured — ${dbos.reason}`));
    }
    rows.push(...startupRows(startup));
    if (steps.runtime.status === 'measured' && steps.dbos.status === 'measured') {
      const [r, d] = [steps.runtime.figures, steps.dbos.figures];
      for (const c of ['c1', 'c16'] as const) {
        rows.push(row(`3-step execution/s vs DBOS ${d.version} 3-step workflow, PostgreSQL, c=${c.slice(1)}`, r[c].execPerSec.median, fmt(r[c].execPerSec.median),
          d[c].execPerSec.median, `${fmt(d[c].execPerSec.median)}/s`));
      }
      rows.push(row('cost of one durable step, ms (p50, c=1) vs a DBOS step', r.stepMs.median, fmt(r.stepMs.median, 2), d.stepMs.median, fmt(d.stepMs.median, 2),
        { text: 'less than a DBOS step', met: r.stepMs.median < d.stepMs.median }));
    } else {
      rows.push(note('durable steps vs DBOS', `not measured — ${[steps.runtime, steps.dbos].map((x) => (x.status === 'measured' ? '' : x.reason)).filter(Boolean).join('; ')}`));
    }
    if (policy.status === 'measured') {
      const p = policy.figures;
      const t = p.typeOnly;
      const r = p.rules20;
      const typeRatio = t.compiledNs.median / t.mapGetNs.median;
      rows.push(
        row('policy evaluate, type only, ns/op', t.compiledNs.median, fmt(t.compiledNs.median, 1), t.mapGetNs.median, `Map.get: ${fmt(t.mapGetNs.median, 1)}`, { text: '≤ 2×', met: typeRatio <= 2 }),
        row('policy evaluate, 20 governance rules, ns/op', r.compiledNs.median, fmt(r.compiledNs.median, 1), r.handWrittenNs.median, `hand-written ifs: ${fmt(r.handWrittenNs.median, 1)}`, { text: '≤ 60 ns', met: r.compiledNs.median <= 60 }),
        row('json-rules-engine, same 20 rules, ns/op', r.jsonRulesEngineNs.median, fmt(r.jsonRulesEngineNs.median, 0), r.compiledNs.median, `compiled policy: ${fmt(r.compiledNs.median, 1)}`),
        row('CEL (@marcbachmann/cel-js), same 20 rules, ns/op', r.celNs.median, fmt(r.celNs.median, 0), r.compiledNs.median, `compiled policy: ${fmt(r.compiledNs.median, 1)}`),
      );
    } else {
      rows.push(note('policy evaluation', `not measured — ${policy.reason}`));
    }
    if (artifacts.status === 'measured') {
      const a = artifacts.figures;
      const raw = a.rawWriteFsyncMBps.median;
      const base = `raw writeFile + fsync: ${fmt(raw, 0)} MB/s`;
      rows.push(
        row('ArtifactStorage.storeCompositeArtifact (FsBlobStore), 1 MB, MB/s', a.storeCompositeMBps.median, fmt(a.storeCompositeMBps.median, 0), raw, base, { text: '≥ 70%', met: a.storeCompositeMBps.median / raw >= 0.7 }),
        row('FsBlobStore.put alone, 1 MB, MB/s', a.blobPutMBps.median, fmt(a.blobPutMBps.median, 0), raw, base, { text: '≥ 70%', met: a.blobPutMBps.median / raw >= 0.7 }),
      );
    } else {
      rows.push(note('artifact store', `not measured — ${artifacts.reason}`));
    }
    rows.push(...(cliStartup.status === 'measured' ? cliStartupRows(cliStartup.figures, row, note) : [note('CLI start-up', `not measured — ${cliStartup.reason}`)]));
    const n = fmt(SIZE.cacheEntries);
    if (cacheMemory.embedded.status === 'measured') {
      const c = cacheMemory.embedded.figures;
      rows.push(
        row(`embedded cache (PGlite data dir), RSS bytes per cached 1 KB artifact (${n})`, c.rssBytesPerEntry, rssText(c.rssBytesPerEntry), c.payloadBytes, `payload: ${c.payloadBytes} B`),
        row(`embedded cache, table bytes on disk per cached 1 KB artifact (${n})`, c.diskBytesPerEntry!, fmt(c.diskBytesPerEntry!, 0), c.payloadBytes, `payload: ${c.payloadBytes} B`),
      );
    } else {
      rows.push(note('embedded cache memory', `not measured — ${cacheMemory.embedded.reason}`));
    }
    if (cacheMemory.redis.status === 'measured') {
      const c = cacheMemory.redis.figures;
      rows.push(
        row(`Redis cache, server used_memory bytes per cached 1 KB artifact (${n})`, c.serverBytesPerEntry!, fmt(c.serverBytesPerEntry!, 0), c.payloadBytes, `payload: ${c.payloadBytes} B`),
        row(`Redis cache, client RSS bytes per cached artifact (${n})`, c.rssBytesPerEntry, rssText(c.rssBytesPerEntry), c.payloadBytes, `payload: ${c.payloadBytes} B`),
      );
    } else {
      rows.push(note('Redis cache memory', `not measured — ${cacheMemory.redis.reason}`));
    }

    const machine = machineInfo();
    const table = markdown(rows);
    process.stdout.write(
      `\n## symphainy bench (${SMOKE ? 'smoke: tiny sizes, figures meaningless' : 'full'}) — ${startedAt.toISOString()}\n\n` +
        `${machine.cpus} × ${machine.cpuModel}, node ${machine.node}; medians of ${SIZE.rounds} rounds (policy ${SIZE.policy.rounds}, artifacts ${SIZE.artifacts.rounds}); ` +
        `runtime defaults are the headline; blobs: FsBlobStore in a temp dir (fsync on); ` +
        `tree: ${machine.commit.slice(0, 12)}${machine.uncommitted.length ? ` + ${machine.uncommitted.length} uncommitted files (results.json: machine.uncommitted)` : ''}\n\n${table}\n`,
    );
    const results = {
      date: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      mode: SMOKE ? 'smoke' : 'full',
      machine,
      sizes: SIZE,
      sections: { executions, encryption, rawFloor: floors, dbos, steps, startup, policy, artifacts, cacheMemory, cliStartup },
      table: rows,
    };
    await mkdir(dirname(OUT), { recursive: true });
    await writeFile(OUT, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${OUT}`);
    const failed = [executions.pglite, executions.postgres, encryption.pglite, encryption.postgres, floors.pglite, floors.postgres, dbos, startup, policy, artifacts, cacheMemory.embedded, cacheMemory.redis].filter(
      (s) => s.status === 'failed',
    );
    if (failed.length > 0) process.exitCode = 1;
  } finally {
    for (const db of databases) await db.drop().catch((err: Error) => log(`could not drop ${db.name}: ${err.message}`));
  }
}

// Interrupted: still drop the bench databases.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: dropping bench databases`);
    void Promise.allSettled(databases.map((db) => db.drop())).then(() => process.exit(130));
  });
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
