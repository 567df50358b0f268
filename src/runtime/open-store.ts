import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CompiledRuntimeOptions } from '../options/compile-runtime-options.ts';
import type { Db } from '../db/db.ts';
import { DatabaseClock } from '../db/database-clock.ts';
import { migrate } from '../db/migrations/migrate.ts';
import { PgliteDb } from '../db/pglite/pglite-db.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { loadPgDriver } from './drivers.ts';

/** The database a runtime runs on, migrated, with its clock running. */
export interface OpenedStore {
  readonly db: Db;
  /** The embedded data directory (locked), or null for memory runtimes and servers. */
  readonly dataDir: string | null;
  /** False when the caller gave the database (`db` option): the runtime neither closes nor recovers it alone. */
  readonly ownsDb: boolean;
  readonly clock: DatabaseClock;
}

/**
 * Opens the store the compiled options name — the given `db`, a PostgreSQL
 * server, an in-memory PGlite, or the data dir's PGlite under its lock —
 * migrates it and starts the database clock. Everything opened is pushed
 * on `cleanups` as soon as it is open, so a later failure closes it.
 */
export async function openStore(
  given: Db | undefined, o: CompiledRuntimeOptions, logger: Logger, cleanups: (() => Promise<void>)[],
): Promise<OpenedStore> {
  let dataDir: string | null = null;
  let db: Db;
  if (given) {
    db = given;
  } else if (o.databaseUrl) {
    const { PgDb } = await loadPgDriver();
    const pgDb = await PgDb.open({
      url: o.databaseUrl,
      poolSize: o.poolSize,
      ...o.database,
      onWait: ({ attempt, retryInMs, err }) => logger.warn({ attempt, retryInMs, err: err.message }, 'PostgreSQL does not answer yet; waiting'),
      onIdleError: (err) => logger.warn({ err }, 'a PostgreSQL connection failed; the pool replaces it'),
    });
    db = pgDb;
    cleanups.push(() => pgDb.close());
  } else if (o.memory) {
    const memoryDb = await PgliteDb.open({ image: true });
    db = memoryDb;
    cleanups.push(() => memoryDb.close());
  } else {
    dataDir = o.dataDir;
    const lock = await DataDirLock.acquire(dataDir, o.lockWaitMs);
    cleanups.push(() => lock.release());
    const fileDb = await PgliteDb.open({ dataDir: join(dataDir, 'db'), image: true });
    db = fileDb;
    cleanups.push(() => fileDb.close());
  }
  await migrate(db);
  const clock = await new DatabaseClock(db).start((err) => logger.warn({ err }, 'reading the database clock failed'));
  cleanups.push(async () => clock.stop());
  return { db, dataDir, ownsDb: !given, clock };
}
