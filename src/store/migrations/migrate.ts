import { StoreError } from '../../errors/index.ts';
import type { Db } from '../db.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';

/**
 * Brings the `symphainy` schema up to date: applies each missing migration
 * in its own transaction and records it. Returns the versions applied.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await db.query('CREATE SCHEMA IF NOT EXISTS symphainy');
  await db.query(`CREATE TABLE IF NOT EXISTS symphainy.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const rows = await db.query<{ version: number }>('SELECT version FROM symphainy.schema_migrations');
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
    await db.transaction(async (tx) => {
      await tx.exec(m.sql);
      await tx.query('INSERT INTO symphainy.schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    });
    done.push(m.version);
  }
  return done;
}
