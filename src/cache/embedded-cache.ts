import { ANY_TENANT, tenantParam } from '../db/tenant-scope.ts';
import { insertMany, iso } from '../db/sql.ts';
import type { Db, Queryable } from '../db/db.ts';
import type { ContentCipher, CoveredExecution } from '../crypto/content-cipher.ts';
import { CacheSealing, readRenderings, storedRenderings, storedRenderingsNow } from './cache-sealing.ts';
import type { CacheEntry, CacheLookup, CacheStore } from './cache-store.ts';

const INSERT_COLUMNS = [
  { name: 'cache_id' }, { name: 'tenant_id' }, { name: 'session_id' }, { name: 'execution_id' }, { name: 'artifact_key' },
  { name: 'result_type' }, { name: 'renderings', json: true }, { name: 'decision', json: true }, { name: 'lineage', json: true },
  { name: 'created_at' }, { name: 'expires_at' },
] as const;

/**
 * The default cache tier: a TTL table in the embedded database, so cached
 * renderings are visible to later commands on the same data dir and commit
 * atomically with their execution. Expired rows are invisible to reads at
 * once and deleted by {@link purgeExpired}. Statements are tenant-scoped
 * ({@link Db.scoped}): a lookup's tenant, an entry's tenant, or every tenant
 * for the runtime's own clean-up by id and by expiry. With a cipher, the
 * `renderings` column holds the sealed text (see {@link CacheSealing}).
 */
export class EmbeddedCache implements CacheStore {
  readonly name = 'embedded';
  readonly transactional = true;

  readonly #sealing: CacheSealing | undefined;

  /** `cipher`: seal renderings (absent: plaintext, encryption off). */
  constructor(private readonly db: Db, options: { cipher?: ContentCipher } = {}) {
    this.#sealing = options.cipher ? new CacheSealing(options.cipher) : undefined;
  }

  async seal(entry: CacheEntry, coveredBy: CoveredExecution): Promise<CacheEntry> {
    return this.#sealing ? this.#sealing.seal(entry, coveredBy) : entry;
  }

  /**
   * Within `tx` (the caller's transaction, scoped to the entries' tenant;
   * entries sealed by {@link seal} beforehand when the cache has a cipher), or
   * one scoped transaction per tenant.
   */
  async put(entries: readonly CacheEntry[], tx?: Queryable): Promise<void> {
    // In the caller's transaction the statement is issued at once (no await first): a group commit may pipeline it with its COMMIT.
    if (tx) return this.#insert(tx, entries.map((e) => this.#row(e, storedRenderingsNow(this.#sealing, e))));
    const rows = await Promise.all(entries.map(async (e) => this.#row(e, await storedRenderings(this.#sealing, e))));
    for (const tenantId of new Set(entries.map((e) => e.tenantId))) {
      await this.db.scoped(tenantId).transaction((q) => this.#insert(q, rows.filter((r) => r[1] === tenantId)));
    }
  }

  #row(e: CacheEntry, renderings: unknown): unknown[] {
    return [e.cacheId, e.tenantId, e.sessionId, e.executionId, e.artifactKey, e.resultType, renderings, e.decision, e.lineage, e.createdAt, e.expiresAt];
  }

  async #insert(q: Queryable, rows: readonly unknown[][]): Promise<void> {
    await insertMany(q, 'symphainy.cache_entries', INSERT_COLUMNS, rows);
  }

  async get(lookup: CacheLookup, now: Date): Promise<CacheEntry[]> {
    const rows = await this.db.scoped(lookup.tenantId).query<Record<string, unknown>>(
      `SELECT * FROM symphainy.cache_entries
        WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR session_id = $2)
          AND ($3::text IS NULL OR execution_id = $3) AND ($4::text IS NULL OR artifact_key = $4)
          AND ($5::text IS NULL OR cache_id = $5) AND expires_at > $6
        ORDER BY created_at, artifact_key`,
      [tenantParam(lookup.tenantId), lookup.sessionId ?? null, lookup.executionId ?? null, lookup.artifactKey ?? null,
       lookup.cacheId ?? null, now.toISOString()],
    );
    const entries = await Promise.all(rows.map(async (r): Promise<CacheEntry | null> => {
      const at = { tenantId: r.tenant_id as string, cacheId: r.cache_id as string };
      const renderings = await readRenderings(this.#sealing, at, r.renderings);
      if (renderings === null) return null; // erased: its key was destroyed
      return {
        ...at,
        sessionId: r.session_id as string,
        executionId: r.execution_id as string,
        artifactKey: r.artifact_key as string,
        resultType: r.result_type as string,
        renderings,
        decision: r.decision as CacheEntry['decision'],
        lineage: r.lineage as CacheEntry['lineage'],
        createdAt: iso(r.created_at)!,
        expiresAt: iso(r.expires_at)!,
      };
    }));
    return entries.filter((e): e is CacheEntry => e !== null);
  }

  /** By id, of any tenant: ids are the runtime's own (random), handed out for entries it just wrote. */
  async delete(cacheIds: readonly string[]): Promise<void> {
    if (cacheIds.length > 0) await this.db.scoped(ANY_TENANT).query('DELETE FROM symphainy.cache_entries WHERE cache_id = ANY($1::text[])', [cacheIds]);
  }

  async purgeExpired(now: Date): Promise<number> {
    const rows = await this.db.scoped(ANY_TENANT).query('DELETE FROM symphainy.cache_entries WHERE expires_at <= $1 RETURNING cache_id', [
      now.toISOString(),
    ]);
    return rows.length;
  }
}
