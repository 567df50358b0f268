import { ANY_TENANT, tenantParam } from '../db/tenant-scope.ts';
import { insertMany, iso } from '../db/sql.ts';
import type { Db, Queryable } from '../db/db.ts';
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
 * for the runtime's own clean-up by id and by expiry.
 */
export class EmbeddedCache implements CacheStore {
  readonly name = 'embedded';
  readonly transactional = true;

  constructor(private readonly db: Db) {}

  /** Within `tx` (the caller's transaction, scoped to the entries' tenant), or one scoped transaction per tenant. */
  async put(entries: readonly CacheEntry[], tx?: Queryable): Promise<void> {
    if (tx) return this.#insert(tx, entries);
    for (const tenantId of new Set(entries.map((e) => e.tenantId))) {
      await this.db.scoped(tenantId).transaction((q) => this.#insert(q, entries.filter((e) => e.tenantId === tenantId)));
    }
  }

  async #insert(q: Queryable, entries: readonly CacheEntry[]): Promise<void> {
    await insertMany(q, 'symphainy.cache_entries', INSERT_COLUMNS, entries.map((e) => [
      e.cacheId, e.tenantId, e.sessionId, e.executionId, e.artifactKey, e.resultType,
      e.renderings.map((r) => ({ name: r.name, contentType: r.contentType, base64: Buffer.from(r.bytes).toString('base64') })),
      e.decision, e.lineage, e.createdAt, e.expiresAt,
    ]));
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
    return rows.map((r) => ({
      cacheId: r.cache_id as string,
      tenantId: r.tenant_id as string,
      sessionId: r.session_id as string,
      executionId: r.execution_id as string,
      artifactKey: r.artifact_key as string,
      resultType: r.result_type as string,
      renderings: (r.renderings as { name: string; contentType: string; base64: string }[]).map((x) => ({
        name: x.name,
        contentType: x.contentType,
        bytes: Buffer.from(x.base64, 'base64'),
      })),
      decision: r.decision as CacheEntry['decision'],
      lineage: r.lineage as CacheEntry['lineage'],
      createdAt: iso(r.created_at)!,
      expiresAt: iso(r.expires_at)!,
    }));
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
