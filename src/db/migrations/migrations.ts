/**
 * The store's schema, as an ordered list of plain-SQL migrations. Applied in
 * order, each once, recorded in `symphainy.schema_migrations`. Plain
 * PostgreSQL only: the same statements run on PGlite and on a server.
 * Never edit a released migration; add a new one.
 */
import { CORE_MIGRATIONS } from './migrations-v01-v12.ts';
import { LATER_MIGRATIONS } from './migrations-v15-v20.ts';
import type { Migration } from './migration.ts';

export type { Migration } from './migration.ts';

/** Every migration, in version order. */
export const MIGRATIONS: readonly Migration[] = [...CORE_MIGRATIONS, ...LATER_MIGRATIONS];
