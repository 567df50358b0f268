import type { Queryable } from './db.ts';

/**
 * Marks "every tenant" for operator tools (the CLI, sweeps). Queries take a
 * tenant id or this symbol — never an empty or missing value — so a
 * forgotten tenant cannot silently widen a read.
 */
export const ANY_TENANT: unique symbol = Symbol('symphainy.anyTenant');
export type TenantScope = string | typeof ANY_TENANT;

/** The tenant as a SQL parameter: null means every tenant. */
export function tenantParam(scope: TenantScope): string | null {
  if (scope === ANY_TENANT) return null;
  if (typeof scope !== 'string' || scope.length === 0) {
    throw new TypeError('a tenant id (or ANY_TENANT) is required');
  }
  return scope;
}

/**
 * The setting row-level security reads (migration 4): a scoped transaction
 * sets it first, for that transaction only. Unset (or empty), no row of a
 * tenant table is visible or writable.
 */
export const TENANT_SETTING = 'symphainy.tenant';

/** {@link TENANT_SETTING}'s value for a scope: the tenant id, or `*` for ANY_TENANT. */
export function tenantSetting(scope: TenantScope): string {
  const tenant = tenantParam(scope);
  if (tenant === null) return '*';
  if (tenant === '*') throw new TypeError("'*' is not a tenant id (it stands for every tenant)");
  return tenant;
}

/** A position in a newest-first listing: a timestamp and the id that breaks ties. */
export interface PageKey {
  readonly at: string;
  readonly id: string;
}

/** A column of a multi-row insert; `json` columns are sent as text and cast to jsonb. */
export interface Column {
  readonly name: string;
  readonly json?: boolean;
}

/**
 * Inserts many rows with one statement (one round trip), e.g. all WAL
 * records of an execution's completion; returns what the statements return
 * (e.g. with a `wrap` adding `RETURNING`).
 */
export async function insertMany<R = Record<string, unknown>>(
  q: Queryable,
  table: string,
  columns: readonly Column[],
  rows: readonly (readonly unknown[])[],
  /** Wraps each INSERT statement (e.g. in a CTE that also updates a counter); gets the statement, its rows and params. */
  wrap: (insert: string, rows: readonly (readonly unknown[])[], params: unknown[]) => string = (insert) => insert,
): Promise<R[]> {
  const returned: R[] = [];
  // PostgreSQL takes at most 65 535 parameters per statement (a few are left for `wrap`).
  const perStatement = Math.floor((MAX_PARAMS - 16) / columns.length);
  for (let from = 0; from < rows.length; from += perStatement) {
    const params: unknown[] = [];
    const chunk = rows.slice(from, from + perStatement);
    const tuples = chunk.map((row) => {
      const slots = columns.map((col, i) => {
        params.push(col.json ? JSON.stringify(row[i] ?? null) : row[i]);
        return col.json ? `$${params.length}::jsonb` : `$${params.length}`;
      });
      return `(${slots.join(', ')})`;
    });
    const insert = `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) VALUES ${tuples.join(', ')}`;
    returned.push(...(await q.query<R>(wrap(insert, chunk, params), params)));
  }
  return returned;
}

const MAX_PARAMS = 65_535;

/** Timestamps come back as Date (PGlite, pg) or string; always hand out ISO strings. */
export function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}
