import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { exampleRealms } from '../../realms/index.ts';
import { createRuntime, FsBlobStore, PgliteDb, type Runtime, type RuntimeOptions } from '../../src/index.ts';
import { migrate } from '../../src/store/migrations/migrate.ts';
import { MIGRATIONS } from '../../src/store/migrations/migrations.ts';

/**
 * A migrated database template, built once and kept in the temp dir keyed by
 * the migrations' content (and the PGlite version), so each test process
 * clones it instead of running initdb + migrations (~3.5 s) again.
 */
let template: Promise<Blob> | undefined;

async function buildTemplate(): Promise<Blob> {
  const pgliteVersion = JSON.parse(
    await readFile(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8'),
  ).version as string;
  const key = createHash('sha256').update(JSON.stringify([pgliteVersion, MIGRATIONS])).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `symphainy-test-template-${key}.tar`);
  try {
    return new Blob([await readFile(file)]);
  } catch {
    /* not built yet */
  }
  const db = await PgliteDb.open();
  await migrate(db);
  const dump = await db.dump();
  await db.close();
  // Atomic: concurrent test processes may build it at the same time.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, Buffer.from(await dump.arrayBuffer()));
  await rename(tmp, file);
  return dump;
}

/** A fresh, migrated embedded database, cloned from the template (~0.5 s). */
export async function freshDb(): Promise<PgliteDb> {
  template ??= buildTemplate();
  return PgliteDb.open({ loadDataDir: await template });
}

export const silentLogger = pino({ level: 'silent' });

export interface TestRuntime {
  readonly runtime: Runtime;
  readonly db: PgliteDb;
  readonly blobRoot: string;
  close(): Promise<void>;
}

/** A runtime over a fresh database and blob folder, with the example realms registered. */
export async function testRuntime(options: RuntimeOptions = {}): Promise<TestRuntime> {
  const db = await freshDb();
  const blobRoot = await mkdtemp(join(tmpdir(), 'symphainy-test-blobs-'));
  const runtime = await createRuntime({
    db,
    blobStore: new FsBlobStore({ root: blobRoot, fsync: false }),
    realms: [...exampleRealms],
    logger: silentLogger,
    ...options,
  });
  return {
    runtime,
    db,
    blobRoot,
    async close() {
      await runtime.close();
      await db.close();
      await rm(blobRoot, { recursive: true, force: true });
    },
  };
}

export const SOP_TEXT = '# Ship an order\n1. Receive the order\n2. Pick the items\n3. Pack the box\n4. Ship it';

export const MVP_CONFIG = new URL('../../config/mvp_materialization_policy.yaml', import.meta.url).pathname;
