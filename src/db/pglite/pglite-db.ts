import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryFS, PGlite } from '@electric-sql/pglite';
import { ConfigError, StoreError } from '../../errors/index.ts';
import { inOrder, type Db, type PipelinedOutcome, type Queryable, type ScopedDb } from '../db.ts';
import { tenantSetting, type TenantScope } from '../tenant-scope.ts';
import { migrate } from '../migrations/migrate.ts';
import { MIGRATIONS, type Migration } from '../migrations/migrations.ts';
import { durablePgliteOptions, type DurableNodeFS } from './durable-node-fs.ts';
import { migratedImage, type MigratedImageOptions, type PgliteOrigin } from './migrated-image.ts';
import { syncTree } from './sync-tree.ts';

/**
 * What an acknowledged embedded commit survives.
 * - `fsync`: an OS crash or power loss too. PostgreSQL syncs the WAL at every
 *   commit and the data files at every checkpoint, as on a server (see
 *   {@link DurableNodeFS}); costs a disk flush per commit (a group-commit
 *   batch is one commit).
 * - `none`: a process crash (SIGKILL) only — the writes are in the OS page
 *   cache, not on the disk. For tests and throwaway data.
 */
export type EmbeddedDurability = 'fsync' | 'none';

export type { PgliteOrigin };

export const EMBEDDED_DURABILITY: readonly EmbeddedDurability[] = ['fsync', 'none'];

export interface PgliteDbOptions {
  /** Directory of the database files; absent for an in-memory database. */
  dataDir?: string;
  /** A data directory dump (from `dumpDataDir`) to start from, e.g. a migrated template in tests. */
  loadDataDir?: Blob | File;
  /** Ignored for an in-memory database. @default 'fsync' @throws ConfigError for any other value */
  durability?: EmbeddedDurability;
  /**
   * A new database (in memory, or a data dir without one) starts from the
   * image of a database that already ran the migrations (see
   * `migrated-image.ts`; `true`: the shipped or cached image of
   * `MIGRATIONS`), so `migrate()` then finds nothing to do. Without a
   * matching image, one is built (initdb + migrations in memory, the usual
   * cost) and written to the cache for next time. Ignored for an existing
   * data dir and with `loadDataDir`. @default false
   */
  image?: boolean | MigratedImageOptions;
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
  /** What a commit survives here: `none` in memory. */
  readonly durability: EmbeddedDurability;
  /** Whether it started from an image, empty, or existed already. */
  readonly origin: PgliteOrigin;
  readonly #pg: PGlite;
  readonly #fs: DurableNodeFS | null;

  private constructor(pg: PGlite, location: string, fs: DurableNodeFS | null, durability: EmbeddedDurability, origin: PgliteOrigin) {
    this.#pg = pg;
    this.location = location;
    this.#fs = fs;
    this.durability = durability;
    this.origin = origin;
  }

  static async open(options: PgliteDbOptions = {}): Promise<PgliteDb> {
    const location = options.dataDir ?? 'memory';
    const durability = options.durability ?? 'fsync';
    if (!EMBEDDED_DURABILITY.includes(durability)) {
      throw new ConfigError(`durability must be one of ${EMBEDDED_DURABILITY.join(', ')}, got ${JSON.stringify(durability)}`);
    }
    // PGlite's initdb (and loading an image) writes a new cluster without syncing it; PostgreSQL only syncs what it writes later.
    const created = options.dataDir !== undefined && !existsSync(join(options.dataDir, 'PG_VERSION'));
    const isNew = options.dataDir === undefined || created;
    let origin: PgliteOrigin = { from: options.loadDataDir ? 'dump' : isNew ? 'initdb' : 'existing', imageRefused: [] };
    let loadDataDir = options.loadDataDir;
    if (options.image && isNew && !loadDataDir) {
      // An image only saves time: whatever goes wrong getting one, the database is created the usual way.
      const image = await migratedImage(options.image === true ? {} : options.image, buildImage).catch(() => null);
      if (image) origin = image.origin;
      if (image?.tar) loadDataDir = new Blob([image.tar as Uint8Array<ArrayBuffer>]);
    }
    try {
      const durable = options.dataDir !== undefined && durability === 'fsync' ? durablePgliteOptions(options.dataDir) : null;
      const pg = new PGlite({
        ...(options.dataDir ? { dataDir: options.dataDir } : {}),
        ...(loadDataDir ? { loadDataDir } : {}),
        ...(durable ? durable.options : {}),
      });
      await pg.waitReady;
      if (durable) {
        await checkDurable(pg);
        if (created) await syncTree(options.dataDir!);
      }
      return new PgliteDb(pg, location, durable?.fs ?? null, durable ? 'fsync' : 'none', origin);
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

  /** See {@link buildImage}. */
  static async buildImage(migrations: readonly Migration[]): Promise<Uint8Array> {
    const fs = new DumpOnCloseFS();
    const pg = new PGlite({ fs });
    try {
      await pg.waitReady;
      await migrate(new PgliteDb(pg, 'memory (image)', null, 'none', { from: 'initdb', imageRefused: [] }), migrations);
    } catch (err) {
      await pg.close().catch(() => {});
      throw new StoreError(`cannot build the migrated database image: ${(err as Error).message}`, { cause: err });
    }
    await pg.close();
    if (!fs.dump) throw new StoreError('cannot build the migrated database image: PGlite closed without handing over its files');
    return new Uint8Array(await fs.dump.arrayBuffer());
  }

  /** Sync calls PostgreSQL made that reached the disk since open (0 unless `durability` is `fsync` on a data dir). */
  get syncs(): number {
    return this.#fs?.syncs ?? 0;
  }

  /** A snapshot of the whole database, loadable with `loadDataDir` (used to clone a migrated template). */
  async dump(): Promise<Blob> {
    return this.#pg.dumpDataDir('none');
  }

  async close(): Promise<void> {
    if (!this.#pg.closed) await this.#pg.close();
  }
}

/**
 * A migrated database's PGDATA as a tar: initdb and `migrations` in memory,
 * then a clean shutdown before the files are taken, so that a database
 * started from it has no crash recovery to run (which, on a durable data
 * dir, would first fsync every file of the cluster again).
 * @throws StoreError when initdb, a migration or the shutdown fails
 */
export function buildImage(migrations: readonly Migration[] = MIGRATIONS): Promise<Uint8Array> {
  return PgliteDb.buildImage(migrations);
}

/** An in-memory filesystem that keeps a tar of PGDATA taken after PostgreSQL shut down, just before it is discarded. */
class DumpOnCloseFS extends MemoryFS {
  dump: Blob | null = null;

  override async closeFs(): Promise<void> {
    this.dump = await this.dumpTar('pgdata', 'none');
    await super.closeFs();
  }
}

/** Refuses a database that would acknowledge commits it did not sync (a PGlite that ignored the start parameters). */
async function checkDurable(pg: PGlite): Promise<void> {
  const { rows } = await pg.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'wal_sync_method', 'synchronous_commit')`,
  );
  const got = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  if (got.fsync !== 'on' || got.wal_sync_method !== 'fsync' || got.synchronous_commit !== 'on') {
    await pg.close().catch(() => {});
    throw new StoreError(`the embedded database did not start durable (fsync=${got.fsync}, wal_sync_method=${got.wal_sync_method}, synchronous_commit=${got.synchronous_commit})`);
  }
}
