import { PGlite } from '@electric-sql/pglite';
import { StoreError } from '../../errors/index.ts';
import { inOrder, type Db, type PipelinedOutcome, type Queryable, type ScopedDb } from '../db.ts';
import { tenantSetting, type TenantScope } from '../sql.ts';

export interface PgliteDbOptions {
  /** Directory of the database files; absent for an in-memory database. */
  dataDir?: string;
  /** A data directory dump (from `dumpDataDir`) to start from, e.g. a migrated template in tests. */
  loadDataDir?: Blob | File;
}

/**
 * Embedded PostgreSQL (PGlite, compiled to WASM, in-process). One connection
 * behind a mutex: transactions run one at a time, which is why the
 * capability `multipleConnections` is false. Its one user is a superuser,
 * which row-level security never applies to (`rowLevelSecurity` false):
 * scoped statements run as they are, without setting the tenant.
 */
export class PgliteDb implements Db {
  readonly capabilities = { multipleConnections: false, rowLevelSecurity: false } as const;
  readonly location: string;
  readonly #pg: PGlite;

  private constructor(pg: PGlite, location: string) {
    this.#pg = pg;
    this.location = location;
  }

  static async open(options: PgliteDbOptions = {}): Promise<PgliteDb> {
    const location = options.dataDir ?? 'memory';
    try {
      const pg = new PGlite({
        ...(options.dataDir ? { dataDir: options.dataDir } : {}),
        ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      });
      await pg.waitReady;
      return new PgliteDb(pg, location);
    } catch (err) {
      throw new StoreError(`cannot open the embedded database at ${location}: ${(err as Error).message}`, { cause: err });
    }
  }

  async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    const res = await this.#pg.query<R>(sql, params as unknown[] | undefined);
    return res.rows;
  }

  async exec(sql: string): Promise<void> {
    await this.#pg.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#pg.transaction(async (tx) => {
      const q: Queryable = {
        query: async <R>(sql: string, params?: readonly unknown[]) =>
          (await tx.query<R>(sql, params as unknown[] | undefined)).rows,
        exec: async (sql: string) => {
          await tx.exec(sql);
        },
      };
      return fn(q);
    });
  }

  scoped(scope: TenantScope): ScopedDb {
    tenantSetting(scope); // the same refusal of a missing tenant as on a server
    return {
      scope,
      query: (sql, params) => this.query(sql, params),
      exec: (sql) => this.exec(sql),
      transaction: (fn) => this.transaction(fn),
      pipelined: (build) => this.#pipelined(build),
    };
  }

  /** In-process, nothing to pipeline: the statements in one transaction, reported as {@link ScopedDb.pipelined} says. */
  async #pipelined(build: (tx: Queryable) => readonly Promise<unknown>[]): Promise<PipelinedOutcome> {
    const failed: { error?: unknown } = {};
    try {
      const results = await this.transaction(async (tx) => {
        try {
          return await inOrder(build(tx));
        } catch (error) {
          failed.error = error;
          throw error;
        }
      });
      return { ok: true, results };
    } catch (err) {
      if ('error' in failed) return { ok: false, error: failed.error };
      throw err; // the COMMIT failed
    }
  }

  /** A snapshot of the whole database, loadable with `loadDataDir` (used to clone a migrated template). */
  async dump(): Promise<Blob> {
    return this.#pg.dumpDataDir('none');
  }

  async close(): Promise<void> {
    if (!this.#pg.closed) await this.#pg.close();
  }
}
