/**
 * `symphainy/postgres`: the PostgreSQL driver, for a runtime over a database
 * opened by the caller (`createRuntime({ db })`). Needs the optional peer
 * dependency `pg` (`npm install pg`). A `databaseUrl` option alone does not
 * need this entry point: the runtime loads the driver itself.
 *
 * @example
 * ```ts
 * import { createRuntime } from 'symphainy';
 * import { PgDb } from 'symphainy/postgres';
 * const db = await PgDb.open({ url: 'postgres://app@127.0.0.1:5432/app', poolSize: 20 });
 * const runtime = await createRuntime({ db }); // migrated; the caller closes db
 * ```
 * @module
 */
export { PgDb, type PgDbOptions } from './pg-db.ts';
