import pg from 'pg';
import { ConfigError, StoreError } from '../../errors/index.ts';
import { inOrder, type Db, type PipelinedOutcome, type Queryable, type ScopedDb } from '../db.ts';
import { TENANT_SETTING, tenantSetting, type TenantScope } from '../tenant-scope.ts';
import { connectionFailure, isConnectionFailure } from './connection-errors.ts';
import { redactDatabaseUrl, withDefaultUser } from './database-url.ts';

export interface PgDbOptions {
  /** `postgres://user@host:port/database`; also takes the usual `?sslmode=` parameters. */
  readonly url: string;
  /** Connections in the pool. @default 10 */
  readonly poolSize?: number;
  /**
   * Milliseconds to wait for a connection (TCP connect and start-up, or a
   * free pooled one) before the operation fails with SYM_ERR_STORE. @default 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Milliseconds a statement may run: the server cancels it after this
   * (`statement_timeout`), and the client gives up on an answer
   * {@link READ_TIMEOUT_MARGIN_MS} later, closing the connection, so a
   * server that stopped answering (a blackholed network) fails the
   * statement instead of hanging it. @default 30000
   */
  readonly statementTimeoutMs?: number;
  /**
   * Milliseconds {@link PgDb.open} keeps trying while the server is
   * unreachable or starting up, with exponential backoff (100 ms doubling up
   * to 5 s); 0 fails at the first refusal. A wrong database name or a
   * refused login fails at once either way. @default 0
   */
  readonly startupWaitMs?: number;
  /** Called before each retry of {@link PgDb.open} while waiting for the server. */
  readonly onWait?: (info: { attempt: number; retryInMs: number; waitedMs: number; err: Error }) => void;
  /**
   * Called when a pooled connection fails (server restart, terminated
   * backend, network cut), idle or in use. The pool discards it; what ran on
   * it fails with SYM_ERR_STORE. Without this the error is dropped here —
   * never an unhandled 'error' event.
   */
  readonly onIdleError?: (err: Error) => void;
}

/** How much longer than the statement timeout the client waits for an answer before it closes the connection. */
export const READ_TIMEOUT_MARGIN_MS = 2000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

/** First statement of every scoped transaction: the tenant for row-level security, until the transaction ends. */
const SET_TENANT = `SELECT set_config('${TENANT_SETTING}', $1, true)`;

/**
 * A PostgreSQL server behind a connection pool (`pg`). The same SQL as the
 * embedded store; several transactions run at once, one per pooled
 * connection, which is what lets many runtime processes share one database.
 * Connections pipeline (`pg`'s `pipeline` mode): statements issued together
 * are written together, so a scoped read — BEGIN, the tenant setting, the
 * query, COMMIT — costs one round trip, like an unscoped one.
 */
export class PgDb implements Db {
  readonly capabilities = { multipleConnections: true, rowLevelSecurity: true } as const;
  readonly location: string;
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool, location: string) {
    this.#pool = pool;
    this.location = location;
  }

  /**
   * Opens a pool and checks one connection, so a wrong URL fails here with a
   * clear message; while the server is unreachable, keeps trying for
   * `startupWaitMs`. Throws StoreError naming the URL (without password).
   */
  static async open(options: PgDbOptions): Promise<PgDb> {
    const location = redactDatabaseUrl(options.url);
    const connectTimeoutMs = nonNegativeInt('connectTimeoutMs', options.connectTimeoutMs ?? 5000, 1);
    const statementTimeoutMs = nonNegativeInt('statementTimeoutMs', options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS, 1);
    const startupWaitMs = nonNegativeInt('startupWaitMs', options.startupWaitMs ?? 0, 0);
    const pool = new pg.Pool({
      connectionString: withDefaultUser(options.url),
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: connectTimeoutMs,
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + READ_TIMEOUT_MARGIN_MS,
      // A peer that vanished without a FIN (power loss, a dropped route) is noticed by TCP keepalive.
      keepAlive: true,
      application_name: 'symphainy',
      pipeline: true,
    });
    const onError = (err: Error) => options.onIdleError?.(err);
    // An idle connection's error goes to the pool; one in use emits on its client, which
    // without a listener is an unhandled 'error' event that ends the process. The statement
    // running on it fails by itself, and release(err) discards the connection.
    // Every client reports once through its own listener; the pool's repeats it for idle ones.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', onError));
    const started = performance.now();
    for (let attempt = 1, delay = 100; ; attempt++, delay = Math.min(5000, delay * 2)) {
      try {
        const client = await pool.connect();
        client.release();
        return new PgDb(pool, location);
      } catch (err) {
        const waitedMs = Math.round(performance.now() - started);
        const left = startupWaitMs - waitedMs;
        if (isConnectionFailure(err) && left > 0) {
          const retryInMs = Math.min(delay, left);
          options.onWait?.({ attempt, retryInMs, waitedMs, err: err as Error });
          await new Promise((r) => setTimeout(r, retryInMs));
          continue;
        }
        await pool.end().catch(() => {});
        const waited = startupWaitMs > 0 && isConnectionFailure(err) ? ` (gave up after ${attempt} attempts in ${waitedMs} ms)` : '';
        throw new StoreError(`cannot connect to PostgreSQL at ${location}: ${describe(err)}${waited}`, { cause: err });
      }
    }
  }

  async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    const res = await this.#pool.query(sql, params as unknown[] | undefined).catch(this.#failed);
    return res.rows as R[];
  }

  async exec(sql: string): Promise<void> {
    await this.#pool.query(sql).catch(this.#failed);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#transaction(null, fn).catch(this.#failed);
  }

  scoped(scope: TenantScope): ScopedDb {
    const setting = tenantSetting(scope);
    return {
      scope,
      query: async <R>(sql: string, params?: readonly unknown[]) =>
        (await this.#statement(setting, (c) => c.query(sql, params as unknown[] | undefined)).catch(this.#failed)).rows as R[],
      exec: async (sql: string) => {
        await this.#statement(setting, (c) => c.query(sql)).catch(this.#failed);
      },
      transaction: (fn) => this.#transaction(setting, fn).catch(this.#failed),
      pipelined: async (build) => {
        const outcome = await this.#pipelined(setting, build).catch(this.#failed);
        return outcome.ok ? outcome : { ok: false, error: connectionFailure(outcome.error, this.location) };
      },
    };
  }

  /** A lost or timed-out connection becomes a retryable StoreError naming the server; anything else passes through. */
  readonly #failed = (err: unknown): never => {
    throw connectionFailure(err, this.location);
  };

  /** BEGIN, the tenant setting, the statements and COMMIT written together: one round trip. */
  async #pipelined(setting: string, build: (tx: Queryable) => readonly Promise<unknown>[]): Promise<PipelinedOutcome> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    let open = true;
    try {
      const setup = [client.query('BEGIN'), client.query(SET_TENANT, [setting])];
      const tx = queryable(client, () => open);
      let statements: readonly Promise<unknown>[];
      try {
        statements = build(tx);
      } catch (error) {
        open = false;
        await Promise.allSettled(setup);
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        return { ok: false, error };
      }
      open = false;
      // After a failed statement the server answers this COMMIT with a rollback.
      const commit = client.query('COMMIT');
      commit.catch(() => {});
      const sent = await Promise.allSettled([...setup, ...statements]);
      const failed = sent.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      let ended: pg.QueryResult;
      try {
        ended = await commit;
      } catch (err) {
        broken = err as Error;
        // No answer to COMMIT. Rolled back for sure only when the server refused a statement
        // before it; a statement that failed with the connection may have reached the server,
        // and the COMMIT with it: the outcome is unknown, so the caller must not run it again.
        if (!failed || !(failed.reason instanceof pg.DatabaseError)) throw err;
        return { ok: false, error: failed.reason };
      }
      if (failed) {
        // The server answers a COMMIT after a refused statement with ROLLBACK.
        if (ended.command !== 'COMMIT') return { ok: false, error: failed.reason };
        // A statement the driver failed before sending it, and the others committed without it.
        throw new Error(`a pipelined transaction committed without one of its statements: ${(failed.reason as Error)?.message ?? String(failed.reason)}`, { cause: failed.reason });
      }
      return { ok: true, results: sent.slice(setup.length).map((o) => (o as PromiseFulfilledResult<unknown>).value) };
    } finally {
      client.release(broken);
    }
  }

  /** One statement in a transaction of its own under `setting`, sent in one go with BEGIN, SET_TENANT and COMMIT. */
  async #statement<T>(setting: string, run: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      const statements: Promise<unknown>[] = [client.query('BEGIN'), client.query(SET_TENANT, [setting]), run(client), client.query('COMMIT')];
      // After a failed statement the server answers COMMIT with a rollback; a failed COMMIT leaves the connection in doubt.
      statements[3]!.catch((err: Error) => (broken = err));
      return (await inOrder(statements))[2] as T;
    } finally {
      client.release(broken);
    }
  }

  async #transaction<T>(setting: string | null, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      // Not waited for: the transaction's first statements travel with BEGIN (a failed setup fails them too).
      const setup = inOrder(setting === null ? [client.query('BEGIN')] : [client.query('BEGIN'), client.query(SET_TENANT, [setting])]);
      setup.catch(() => {});
      const tx = queryable(client);
      let value: T;
      try {
        value = await fn(tx);
      } finally {
        await setup; // a failed BEGIN or tenant setting is the cause of whatever failed after it
      }
      await client.query('COMMIT');
      return value;
    } catch (err) {
      // A connection that cannot even roll back is discarded, not returned to the pool.
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }
}

/** A pooled connection as the store's Queryable; once `open()` is false it refuses further statements. */
function queryable(client: pg.PoolClient, open: () => boolean = () => true): Queryable {
  const refuseLate = () => {
    if (!open()) throw new Error('a pipelined transaction takes its statements up front; this one came after its COMMIT');
  };
  return {
    query: async <R>(sql: string, params?: readonly unknown[]) => {
      refuseLate();
      return (await client.query(sql, params as unknown[] | undefined)).rows as R[];
    },
    exec: async (sql: string) => {
      refuseLate();
      await client.query(sql);
    },
  };
}

function nonNegativeInt(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`PostgreSQL ${name} must be ${min === 0 ? 'a non-negative' : 'a positive'} whole number of milliseconds, got ${String(value)}`);
  }
  return value;
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code === '3D000') return `${e.message} (create it first, e.g. createdb)`;
  if (e.code === 'ECONNREFUSED') return 'connection refused (is the server running and listening there?)';
  return e.message || String(err);
}
