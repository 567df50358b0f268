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
}

export interface Db extends Queryable {
  readonly capabilities: DbCapabilities;
  /** Human-readable location for messages: a directory, `memory`, or a URL without credentials. */
  readonly location: string;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back
   * when it throws. Never hold one open across a realm handler or an upload.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
