import type { CoveredExecution } from '../crypto/content-cipher.ts';
import type { PolicyLayer } from '../policy/decision.ts';
import type { EncodedRendering } from '../realm/rendering.ts';
import type { ArtifactLineage } from '../store/artifact-index.ts';
import type { Queryable } from '../db/db.ts';
import type { TenantScope } from '../db/tenant-scope.ts';
import type { DatabaseClock } from '../db/database-clock.ts';

/** A `cache` decision's renderings, kept until `expiresAt`; `createdAt` and `expiresAt` are the database's time. */
export interface CacheEntry {
  readonly cacheId: string;
  readonly tenantId: string;
  readonly sessionId: string;
  readonly executionId: string;
  readonly artifactKey: string;
  readonly resultType: string;
  readonly renderings: readonly EncodedRendering[];
  readonly decision: { layer: PolicyLayer; reason: string; policyVersion: string; ttlSeconds: number };
  readonly lineage: ArtifactLineage;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** The renderings sealed (`sye1:…`) by {@link CacheStore.seal}: what a store with a cipher writes in their place. */
  readonly sealedRenderings?: string;
}

export interface CacheLookup {
  readonly tenantId: TenantScope;
  readonly sessionId?: string;
  readonly executionId?: string;
  readonly artifactKey?: string;
  readonly cacheId?: string;
}

/**
 * The cache tier for `cache` decisions. Entries are tenant- and
 * session-scoped and disappear at their TTL. Implementations: the embedded
 * table (default) and Redis (multi-node).
 */
export interface CacheStore {
  readonly name: string;
  /**
   * True when {@link put} joins the caller's database transaction (so a
   * cached entry commits with its execution). Otherwise the runtime writes
   * entries before the completion transaction.
   */
  readonly transactional: boolean;
  /**
   * Optional: prepares an entry for {@link put} — seals its renderings under
   * the cover of the execution that produced it, when the store has a
   * cipher. Call it before the transaction `put` joins; a sealing store
   * refuses an unsealed entry inside a transaction. Stores without it (or
   * without a cipher) store plaintext.
   */
  seal?(entry: CacheEntry, coveredBy: CoveredExecution): Promise<CacheEntry>;
  put(entries: readonly CacheEntry[], tx?: Queryable): Promise<void>;
  /**
   * Live entries matching the lookup: `expiresAt` after `now`, the
   * database's current time (a {@link DatabaseClock}'s `now`, never a host's clock).
   * A sealed entry whose covering key was destroyed is left out (erased: a miss).
   */
  get(lookup: CacheLookup, now: Date): Promise<CacheEntry[]>;
  /** Removes entries by id (e.g. written for an execution whose completion then failed). */
  delete(cacheIds: readonly string[]): Promise<void>;
  /** Deletes entries with `expiresAt <= now` (the database's time, as for {@link get}); returns how many. */
  purgeExpired(now: Date): Promise<number>;
  /** Releases connections; called once when a runtime that created the store closes. */
  close?(): Promise<void>;
}
