import type { TenantScope } from './tenant-scope.ts';

/**
 * The database port. The store speaks one SQL dialect (PostgreSQL) through
 * this interface; drivers adapt an engine to it (PGlite embedded, a
 * PostgreSQL server). Backend differences are named capabilities, never
 * `if (isPglite)` in store code.
 */
export interface Queryable {
  /** Runs one statement with `$1…` parameters and returns its rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface DbCapabilities {
  /** True when several connections can run transactions at once (a server pool); PGlite has one. */
  readonly multipleConnections: boolean;
  /**
   * True when tenant tables can be subject to row-level security here, so
   * every scoped transaction sets `symphainy.tenant` first (a server). False
   * on PGlite: its only user is a superuser, which row-level security never
   * applies to, so the driver leaves that statement out.
   */
  readonly rowLevelSecurity: boolean;
}

/**
 * The database as one tenant (or, for platform work, ANY_TENANT) sees it.
 * Every transaction, and every lone `query` (a short transaction of its
 * own), runs with `symphainy.tenant` set for that transaction only, so a
 * pooled connection never carries a tenant over to the next user.
 */
export interface ScopedDb extends Queryable {
  readonly scope: TenantScope;
  /** Like {@link Db.transaction}, under this scope. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * A transaction of statements known up front, sent with BEGIN and COMMIT in
   * one round trip: `build` issues all of them at once (a statement issued
   * later is refused) and returns them. Resolves `{ ok: true }` with their
   * results once committed, or `{ ok: false }` with the first statement's
   * failure (the transaction rolled back); rejects when the COMMIT itself
   * failed, whose outcome is unknown. Optional: a store without it is used
   * through {@link transaction}.
   */
  pipelined?(build: (tx: Queryable) => readonly Promise<unknown>[]): Promise<PipelinedOutcome>;
}

export type PipelinedOutcome = { readonly ok: true; readonly results: unknown[] } | { readonly ok: false; readonly error: unknown };

export interface Db extends Queryable {
  readonly capabilities: DbCapabilities;
  /** Human-readable location for messages: a directory, `memory`, or a URL without credentials. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back
   * when it throws. Never hold one open across a realm handler or an upload.
   * Unscoped: for the platform tables (tenants, API keys) and migrations;
   * tenant tables are reached through {@link scoped}.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Statements on tenant tables (executions, wal, outbox, artifacts,
   * cache_entries) run through this. On a server, row-level security admits
   * only the scope's rows — whatever a query's WHERE says — when the
   * runtime connects as a role that is neither superuser nor BYPASSRLS.
   */
  scoped(scope: TenantScope): ScopedDb;
  close(): Promise<void>;
}

/**
 * Waits for statements issued together (pipelined on one connection) and
 * returns their results, or throws the first failure in issue order: the
 * statement that failed, not the ones the aborted transaction refused after it.
 * Never leaves a rejection unhandled.
 */
export async function inOrder<T>(statements: readonly Promise<T>[]): Promise<T[]> {
  const outcomes = await Promise.allSettled(statements);
  for (const o of outcomes) if (o.status === 'rejected') throw o.reason;
  return outcomes.map((o) => (o as PromiseFulfilledResult<T>).value);
}
