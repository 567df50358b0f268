import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, FsBlobStore, type Db, type Queryable } from '../src/index.ts';
import { PgDb } from '../src/db/pg/pg-db.ts';
import { PgliteDb } from '../src/db/pglite/pglite-db.ts';
import { migrate } from '../src/db/migrations/migrate.ts';
import { insertMany, type Column } from '../src/db/sql.ts';
import { BENCH_INTENT, BENCH_TENANT, benchRealm, benchSolution, freshPgliteDir, silent, type StoreKind } from './executions.ts';
import { measure, nowMs, percentile, runConcurrent, type Measure } from './stats.ts';

/** Tables an execution writes, in foreign-key order. */
const TABLES = ['executions', 'wal', 'outbox', 'artifacts', 'artifact_contents'] as const;
/** Columns the database fills in itself (identity, commit order) or the relay sets later. */
const GENERATED = new Set(['seq', 'tx_id']);

interface TableTemplate {
  readonly table: string;
  readonly columns: Column[];
  /** The rows of one execution, as JSON text with the ids to replace. */
  readonly rowsJson: string;
  /** Columns of bytes, carried as hex in the JSON. */
  readonly hexColumns?: readonly number[];
}

/** Ids in the template, replaced by fresh ones for every synthetic execution. */
interface Template {
  readonly tables: TableTemplate[];
  readonly ids: string[];
  /** Rows per table one persisted execution leaves behind (counted after a real execute()). */
  readonly rowCounts: Record<string, number>;
}

export interface FloorFigures {
  /** One transaction per execution, concurrency 1. */
  readonly perTx: { execPerSec: Measure; p50Ms: Measure };
  /** 100 executions per transaction. */
  readonly batched: { execPerSec: Measure };
  readonly rowCounts: Record<string, number>;
  readonly note: string;
}

/**
 * Runs one real execution on `db` and reads back every row it wrote, as a
 * template: same columns, same values, same sizes.
 */
async function captureTemplate(db: Db): Promise<Template> {
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-bench-floor-'));
  const runtime = await createRuntime({
    db,
    realms: [benchRealm],
    solutionConfig: benchSolution,
    logger: silent,
    blobStore: new FsBlobStore({ root: dir }),
  });
  let executionId: string;
  try {
    const result = await runtime.execute({ intentType: BENCH_INTENT, tenantId: BENCH_TENANT, sessionId: 's0', parameters: { n: -1 } });
    executionId = result.executionId;
    await runtime.flushEvents();
  } finally {
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  }
  const scoped = db.scoped(BENCH_TENANT);
  const tables: TableTemplate[] = [];
  const rowCounts: Record<string, number> = {};
  const ids = new Set<string>([executionId]);
  for (const table of [...TABLES, 'cache_entries']) {
    const rows = await scoped.query<Record<string, unknown>>(
      table === 'artifact_contents'
        // Renderings kept in the database: keyed by tenant and hash, not by execution; bytes as hex.
        ? `SELECT c.tenant_id, c.sha256, encode(c.bytes, 'hex') AS bytes FROM symphainy.artifact_contents c
            WHERE c.sha256 IN (SELECT r->>'sha256' FROM symphainy.artifacts a, jsonb_array_elements(a.renderings) r WHERE a.execution_id = $1)`
        : `SELECT * FROM symphainy.${table} WHERE execution_id = $1`,
      [executionId],
    );
    if (table === 'artifact_contents') for (const r of rows) ids.add(r.sha256 as string);
    rowCounts[table] = rows.length;
    if (table === 'cache_entries' || rows.length === 0) continue;
    const names = Object.keys(rows[0]!).filter((c) => !GENERATED.has(c));
    // Typed by the catalogue, not by the values: an array column (text[]) comes back as an array too.
    const types = new Map(
      (await scoped.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'symphainy' AND table_name = $1`,
        [table],
      )).map((c) => [c.column_name, c.data_type]),
    );
    const columns = names.map((name) => ({ name, json: types.get(name) === 'jsonb' || types.get(name) === 'json' }));
    const values = rows.map((r) =>
      names.map((c) => {
        if (c === 'published_at') return null; // the row as committed; the relay marks it published later
        const v = r[c];
        return v instanceof Date ? v.toISOString() : v;
      }),
    );
    for (const r of rows) {
      for (const c of ['intent_id', 'event_id', 'artifact_id']) if (typeof r[c] === 'string') ids.add(r[c] as string);
    }
    const hexColumns = table === 'artifact_contents' ? [names.indexOf('bytes')] : [];
    tables.push({ table: `symphainy.${table}`, columns, rowsJson: JSON.stringify(values), hexColumns });
  }
  return { tables, ids: [...ids], rowCounts };
}

/** The template's rows with fresh ids, grouped by table. */
function instantiate(template: Template): unknown[][][] {
  const fresh = template.ids.map((id) =>
    id.startsWith('art_') ? `art_${randomUUID()}` : /^[0-9a-f]{64}$/.test(id) ? randomBytes(32).toString('hex') : randomUUID());
  return template.tables.map((t) => {
    let text = t.rowsJson;
    template.ids.forEach((id, i) => (text = text.split(id).join(fresh[i]!)));
    const rows = JSON.parse(text) as unknown[][];
    for (const row of rows) for (const c of t.hexColumns ?? []) row[c] = Buffer.from(row[c] as string, 'hex');
    return rows;
  });
}

/** Writes `n` executions' rows in one scoped transaction: one multi-row INSERT per table. */
async function writeExecutions(db: Db, template: Template, n: number): Promise<void> {
  const perTable: unknown[][][] = template.tables.map(() => []);
  for (let i = 0; i < n; i++) {
    const rows = instantiate(template);
    rows.forEach((r, t) => perTable[t]!.push(...r));
  }
  await db.scoped(BENCH_TENANT).transaction(async (tx: Queryable) => {
    for (let t = 0; t < template.tables.length; t++) {
      const { table, columns } = template.tables[t]!;
      await insertMany(tx, table, columns, perTable[t]!);
    }
  });
}

/** Opens the floor's own store: a fresh PGlite data dir, or the given (fresh, empty) server database. */
async function openDb(store: StoreKind, databaseUrl: string | undefined): Promise<{ db: Db; close(): Promise<void> }> {
  if (store === 'postgres') {
    const db = await PgDb.open({ url: databaseUrl! });
    await migrate(db);
    return { db, close: () => db.close() };
  }
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-bench-floor-db-'));
  await freshPgliteDir(join(dir, 'db'));
  const db = await PgliteDb.open({ dataDir: join(dir, 'db') });
  await migrate(db);
  return {
    db,
    async close() {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The raw floor: the rows a persisted execution leaves (counted after one
 * real execute()), written by hand-batched SQL through the same driver:
 * one transaction per execution at concurrency 1, and 100 executions per
 * transaction.
 */
export async function rawFloor(
  store: StoreKind,
  databaseUrl: string | undefined,
  opts: { perTxTotal: number; batches: number; rounds: number },
): Promise<FloorFigures> {
  const { db, close } = await openDb(store, databaseUrl);
  try {
    const template = await captureTemplate(db);
    // Warm-up.
    for (let i = 0; i < 20; i++) await writeExecutions(db, template, 1);
    await writeExecutions(db, template, 100);
    const perTx: { execPerSec: number; p50Ms: number }[] = [];
    const batched: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const { wallMs, latenciesMs } = await runConcurrent(opts.perTxTotal, 1, () => writeExecutions(db, template, 1));
      perTx.push({ execPerSec: (opts.perTxTotal / wallMs) * 1000, p50Ms: percentile(latenciesMs, 50) });
      const t0 = nowMs();
      for (let b = 0; b < opts.batches; b++) await writeExecutions(db, template, 100);
      batched.push(((opts.batches * 100) / (nowMs() - t0)) * 1000);
    }
    return {
      perTx: { execPerSec: measure(perTx.map((p) => p.execPerSec)), p50Ms: measure(perTx.map((p) => p.p50Ms)) },
      batched: { execPerSec: measure(batched) },
      rowCounts: template.rowCounts,
      note:
        store === 'pglite'
          ? 'PGlite, temp data dir; rows as committed (outbox published_at left null; the runtime also marks them published)'
          : 'PostgreSQL, fresh database, app role (row-level security on); rows as committed',
    };
  } finally {
    await close();
  }
}
