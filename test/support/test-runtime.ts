import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { exampleRealms } from '../../src/examples/realms.ts';
import pg from 'pg';
import { createRuntime, FsBlobStore, type Db, type Runtime, type RuntimeOptions } from '../../src/index.ts';
import { PgliteDb } from '../../src/db/pglite/pglite-db.ts';
import { migrate } from '../../src/db/migrations/migrate.ts';
import { MIGRATIONS } from '../../src/db/migrations/migrations.ts';
import { withDefaultUser } from '../../src/db/pg/database-url.ts';
import { PgDb } from '../../src/db/pg/pg-db.ts';
import { SERVICES } from './services.ts';

/**
 * One suite, two drivers: SYMPHAINY_TEST_DRIVER=postgres runs the store-backed
 * suites on the PostgreSQL server (a fresh database per test), otherwise on
 * embedded PGlite.
 */
export const TEST_DRIVER: 'pglite' | 'postgres' = process.env.SYMPHAINY_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite';

/** A fresh migrated database; `close()` also removes it. */
export type TestDb = Db & { close(): Promise<void> };

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

/** Names the server template: a new one for new migrations, or when who owns the tables changes. */
const migrationsKey = () => createHash('sha256').update(JSON.stringify([APP_ROLE, MIGRATIONS])).digest('hex').slice(0, 12);

/** A fresh, migrated database on the selected driver (a PGlite clone ~0.5 s; a server database from a template). */
export async function freshDb(): Promise<TestDb> {
  if (TEST_DRIVER === 'postgres') return freshServerDb();
  template ??= buildTemplate();
  return PgliteDb.open({ loadDataDir: await template });
}

/** A URL of the test server with another database name, as its admin user (SERVICES.postgres), who creates databases. */
export function serverUrl(database: string): string {
  const url = new URL(SERVICES.postgres);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * The role test databases belong to and are used through: neither superuser
 * nor BYPASSRLS, so row-level security applies to every statement the
 * runtime makes in the server runs of the suites (a forgotten tenant scope
 * finds no rows). The password only matters where the server asks for one.
 */
export const APP_ROLE = 'symphainy_test_app';
const APP_PASSWORD = 'symphainy_test_app';

/** A URL of the test server with another database name, as {@link APP_ROLE}. */
export function appUrl(database: string): string {
  const url = new URL(serverUrl(database));
  url.username = APP_ROLE;
  url.password = APP_PASSWORD;
  return url.toString();
}

/** A fresh server database, used as {@link APP_ROLE}; `url` connects to it (for other processes). */
export type ServerTestDb = TestDb & { readonly url: string };

/**
 * A new database on the test server, owned by {@link APP_ROLE} and created
 * from a migrated template database (built once per migrations version,
 * under an advisory lock so parallel test processes build it once), dropped
 * on close.
 */
export async function freshServerDb(): Promise<ServerTestDb> {
  const name = `symphainy_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await withAdmin(async (admin) => {
    const tpl = `symphainy_tpl_${migrationsKey()}`;
    await admin.query("SELECT pg_advisory_lock(hashtext('symphainy-test-template'))");
    try {
      await ensureAppRole(admin);
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [tpl]);
      if (found.rowCount === 0) {
        // Templates of older migrations are of no further use.
        const stale = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'symphainy\\_tpl\\_%'");
        for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => {});
        // Built under another name and renamed when migrated, so a failed build is never used.
        // Migrated as the app role: it owns the tables, and FORCE ROW LEVEL SECURITY holds it to the policies.
        await admin.query(`CREATE DATABASE ${tpl}_building OWNER ${APP_ROLE}`);
        const db = await PgDb.open({ url: appUrl(`${tpl}_building`), poolSize: 1 });
        await migrate(db).finally(() => db.close());
        await admin.query(`ALTER DATABASE ${tpl}_building RENAME TO ${tpl}`);
      }
    } finally {
      await admin.query("SELECT pg_advisory_unlock(hashtext('symphainy-test-template'))");
    }
    // Creating from a template fails while another session creates from it too: retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${tpl} OWNER ${APP_ROLE}`);
        break;
      } catch (err) {
        if (attempt >= 50 || !/being accessed by other users/.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  });
  const url = appUrl(name);
  const db = await PgDb.open({ url });
  return {
    url,
    capabilities: db.capabilities,
    location: db.location,
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    transaction: (fn) => db.transaction(fn),
    scoped: (scope) => db.scoped(scope),
    async close() {
      await db.close();
      await dropServerDb(name);
    },
  };
}

export async function dropServerDb(name: string): Promise<void> {
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** Creates {@link APP_ROLE} unless it exists (callers hold the template lock; a racing creator is tolerated too). */
async function ensureAppRole(admin: pg.Client): Promise<void> {
  const found = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
  if (found.rowCount !== 0) return;
  try {
    await admin.query(`CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${APP_PASSWORD}'`);
  } catch (err) {
    // duplicate_object, or the catalog's unique index when two sessions create it at once
    if (!['42710', '23505'].includes((err as { code?: string }).code ?? '')) throw err;
  }
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDefaultUser(SERVICES.postgres) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const silentLogger = pino({ level: 'silent' });

export interface TestRuntime {
  readonly runtime: Runtime;
  readonly db: TestDb;
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
