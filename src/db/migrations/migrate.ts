import { StoreError } from '../../errors/index.ts';
import type { Db } from '../db.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';

/** Advisory lock key taken while migrating ('SYMP'): one migrator at a time per database. */
const MIGRATION_LOCK = 0x53594d50;

/**
 * Brings the `symphainy` schema up to date in one transaction, holding an
 * advisory lock, so several processes starting together on one server do
 * not race: the first applies the migrations, the others wait for it and
 * then find nothing to do. Returns the versions applied.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query('CREATE SCHEMA IF NOT EXISTS symphainy');
    await tx.query(`CREATE TABLE IF NOT EXISTS symphainy.schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM symphainy.schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    const newest = Math.max(0, ...applied);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    if (newest > known) {
      throw new StoreError(
        `the database at ${db.location} has schema version ${newest}, newer than this runtime knows (${known}); upgrade symphainy`,
      );
    }
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO symphainy.schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      done.push(m.version);
    }
    return done;
  });
}
