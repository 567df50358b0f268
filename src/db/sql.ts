import type { Queryable } from './db.ts';

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
