import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ArtifactStorage } from '../artifacts/artifact-storage.ts';
import type { CacheEntry, CacheStore } from '../cache/cache-store.ts';
import type { DatabaseClock } from '../db/database-clock.ts';
import type { Intent } from '../intent/intent.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import type { PolicyDecision } from '../policy/decision.ts';
import { DEFAULT_CACHE_TTL_SECONDS } from '../policy/default-policy.ts';
import type { NormalizedArtifact } from '../realm/normalize-result.ts';
import type { InlineContent } from '../store/artifact-contents.ts';
import type { ArtifactLineage, NewArtifact } from '../store/artifact-index.ts';
import type { ArtifactOutcome } from './execution-result.ts';

/**
 * Policy, then materialization, of one artifact: the decision (the policy
 * evaluates, nothing else decides), then what it asks for — blobs written
 * now, outside any transaction, their index row later with the completion;
 * a cache entry; or nothing.
 */

/** What materializing needs from the runtime. */
export type MaterializeDeps = {
  readonly artifactStorage: ArtifactStorage;
  readonly cache: CacheStore;
  readonly clock: DatabaseClock;
  readonly logger: Logger;
};

/** An artifact on its way through policy and materialization. */
export interface Pending {
  readonly artifact: NormalizedArtifact;
  readonly decision: PolicyDecision;
  outcome: ArtifactOutcome;
  cacheEntry?: CacheEntry;
  index?: NewArtifact;
  /** Its renderings kept in the database, written with the index row. */
  inline?: readonly InlineContent[];
}

/** The policy's decision for an artifact, and the outcome it starts as. */
export function decide(policy: CompiledPolicy, artifact: NormalizedArtifact, intent: Intent, realm: string): Pending {
  const decision = policy.evaluate({
    resultType: artifact.resultType, tenantId: intent.tenantId, intentType: intent.intentType, realm,
    sizeBytes: artifact.sizeBytes, tags: artifact.tags,
  });
  const outcome: ArtifactOutcome = {
    key: artifact.key, resultType: artifact.resultType, decision: decision.decision, layer: decision.layer,
    reason: decision.reason, policyVersion: decision.policyVersion,
    ...(decision.ruleId ? { ruleId: decision.ruleId } : {}),
    semanticPayload: artifact.semanticPayload, renderings: artifact.renderings.map((r) => r.name), sizeBytes: artifact.sizeBytes,
  };
  return { artifact, decision, outcome };
}

/** Persist: blobs now (outside any transaction), index row at completion. Cache: an entry. Discard: nothing. */
export async function materialize(d: MaterializeDeps, p: Pending, intent: Intent, executionId: string, lineage: ArtifactLineage): Promise<void> {
  const { artifact, decision } = p;
  // Deadlines from the database's clock, never this host's: another runtime's sweep judges them by it.
  const createdAt = d.clock.now();
  const retainUntil = decision.retentionSeconds === undefined ? null : d.clock.deadline(decision.retentionSeconds).toISOString();
  if (decision.decision === 'persist') {
    try {
      const stored = await d.artifactStorage.storeCompositeArtifact(artifact.resultType, artifact.renderings, intent.tenantId, {
        executionId, sessionId: intent.sessionId, intentId: intent.intentId, intentType: intent.intentType,
        artifactKey: artifact.key, semanticPayloadStored: artifact.semanticPayload !== null,
      }, intent);
      p.outcome = { ...p.outcome, artifactId: stored.artifactId, storagePath: stored.storagePath, stored: true };
      p.inline = stored.inline;
      p.index = {
        artifactId: stored.artifactId, tenantId: intent.tenantId, sessionId: intent.sessionId, executionId,
        artifactKey: artifact.key, resultType: artifact.resultType, decision: decision.decision, layer: decision.layer,
        reason: decision.reason, policyVersion: decision.policyVersion, storagePath: stored.storagePath,
        sizeBytes: stored.sizeBytes, renderings: stored.renderings, lineage, createdAt: createdAt.toISOString(),
        retainUntil,
      };
    } catch (err) {
      // The execution still completes: the decision, the failure and its reason are recorded.
      d.logger.warn({ err, executionId, key: artifact.key }, 'storing artifact failed');
      p.outcome = { ...p.outcome, stored: false, storageError: (err as Error).message };
    }
  } else if (decision.decision === 'cache') {
    const ttlSeconds = decision.ttlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
    const expiresAt = d.clock.deadline(ttlSeconds).toISOString();
    const cacheId = `cache_${randomUUID()}`;
    const entry: CacheEntry = {
      cacheId, tenantId: intent.tenantId, sessionId: intent.sessionId, executionId, artifactKey: artifact.key,
      resultType: artifact.resultType, renderings: artifact.renderings,
      decision: { layer: decision.layer, reason: decision.reason, policyVersion: decision.policyVersion, ttlSeconds },
      lineage, createdAt: createdAt.toISOString(), expiresAt,
    };
    p.outcome = { ...p.outcome, cacheId, expiresAt, stored: true };
    try {
      // Sealed here, outside any transaction: the completion's (group) commit never waits on keys.
      p.cacheEntry = d.cache.seal ? await d.cache.seal(entry, intent) : entry;
      // A cache that cannot join the transaction is written now (and taken back if completion fails).
      if (!d.cache.transactional) await d.cache.put([p.cacheEntry]);
    } catch (err) {
      d.logger.warn({ err, executionId, key: artifact.key }, 'caching artifact failed');
      delete p.cacheEntry;
      p.outcome = { ...p.outcome, stored: false, storageError: (err as Error).message };
    }
  }
}
