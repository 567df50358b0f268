import type { ArtifactStorage } from '../artifacts/artifact-storage.ts';
import type { CacheStore } from '../cache/cache-store.ts';
import { NotFoundError } from '../errors/index.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import type { PolicyInput, PolicyLayer } from '../policy/decision.ts';
import type { ArtifactContents } from '../store/artifact-contents.ts';
import type { ArtifactIndex } from '../store/artifact-index.ts';
import type { Db } from '../db/db.ts';
import type { RecordCipher } from '../store/record-cipher.ts';
import { WalRecordType, type WriteAheadLog } from '../store/write-ahead-log.ts';

/** What a request to keep a cached artifact came to; recorded as a governance decision either way. */
export interface KeepResult {
  readonly cacheId: string;
  readonly kept: boolean;
  readonly layer: PolicyLayer;
  readonly reason: string;
  readonly policyVersion: string;
  /** When kept: the new persisted artifact. */
  readonly artifactId?: string;
}

/**
 * `artifacts keep`: asks for a cached artifact to be persisted. The policy
 * decides (a `promote` permission on its type); the decision is written to
 * the WAL whatever it is, and a promoted artifact is stored, indexed and
 * taken out of the cache.
 */
export async function keepCached(
  d: { db: Db; cache: CacheStore; artifactIndex: ArtifactIndex; artifactContents: ArtifactContents; artifactStorage: ArtifactStorage; wal: WriteAheadLog; now: () => Date; policyFor: (tenantId: string, solutionId: string | undefined) => CompiledPolicy; records?: RecordCipher },
  cacheId: string,
  tenantId: string,
): Promise<KeepResult> {
  const [entry] = await d.cache.get({ tenantId, cacheId }, d.now());
  if (!entry) throw new NotFoundError('cached artifact', cacheId, 'it expired, or was never cached for this tenant');
  // The inputs its decision was made on (tags included), from the WAL.
  const decisions = await d.wal.list({ tenantId, executionId: entry.executionId, recordType: WalRecordType.GOVERNANCE_DECISION });
  const recorded = decisions.find((r) => r.payload.artifactKey === entry.artifactKey);
  const inputs = (recorded?.payload.inputs as PolicyInput | undefined) ?? {
    resultType: entry.resultType, tenantId, intentType: entry.lineage.intentType, realm: entry.lineage.realm,
    sizeBytes: entry.renderings.reduce((n, r) => n + r.bytes.byteLength, 0),
  };
  // The resolver picks the policy the execution was decided under: its tenant's and its solution's configs.
  const [execution] = await d.db.scoped(tenantId).query<{ solution_id: string | null; parameters: unknown }>(
    'SELECT solution_id, parameters FROM symphainy.executions WHERE execution_id = $1', [entry.executionId],
  );
  const policy = d.policyFor(tenantId, execution?.solution_id ?? undefined);
  // Sealed at rest: opened, so the promoted copy is covered by the subjects its parameters name.
  const parameters = d.records ? await d.records.open(execution?.parameters, tenantId, `execution:${entry.executionId}`, 'parameters') : execution?.parameters;
  const verdict = policy.promotion(inputs);
  const at = d.now().toISOString();
  let stored: Awaited<ReturnType<ArtifactStorage['storeCompositeArtifact']>> | undefined;
  if (verdict.allowed) {
    stored = await d.artifactStorage.storeCompositeArtifact(entry.resultType, entry.renderings, tenantId, {
      executionId: entry.executionId, sessionId: entry.sessionId, intentId: entry.lineage.intentId, intentType: entry.lineage.intentType,
      artifactKey: entry.artifactKey, promotedFrom: cacheId,
    }, { tenantId, sessionId: entry.sessionId, parameters }); // sealed under the execution's cover, like the cache entry
  }
  await d.db.scoped(tenantId).transaction(async (tx) => {
    if (stored) {
      await d.artifactContents.insert(tx, stored.inline);
      await d.artifactIndex.insert(tx, [{
        artifactId: stored.artifactId, tenantId, sessionId: entry.sessionId, executionId: entry.executionId, artifactKey: entry.artifactKey,
        resultType: entry.resultType, decision: 'persist', layer: verdict.layer, reason: verdict.reason, policyVersion: policy.version,
        storagePath: stored.storagePath, sizeBytes: stored.sizeBytes, renderings: stored.renderings, lineage: entry.lineage, createdAt: at,
      }]);
    }
    await d.wal.append(tx, [{
      tenantId, executionId: entry.executionId, intentId: entry.lineage.intentId, recordType: WalRecordType.GOVERNANCE_DECISION,
      payload: {
        artifactKey: entry.artifactKey, resultType: entry.resultType, decision: verdict.allowed ? 'persist' : 'cache', layer: verdict.layer,
        reason: verdict.reason, policyVersion: policy.version, request: { kind: 'keep', cacheId }, inputs,
        outcome: { stored: Boolean(stored), ...(stored ? { artifactId: stored.artifactId, storagePath: stored.storagePath } : {}) },
      },
      recordedAt: at,
    }]);
  });
  if (stored) await d.cache.delete([cacheId]);
  return {
    cacheId, kept: verdict.allowed, layer: verdict.layer, reason: verdict.reason, policyVersion: policy.version,
    ...(stored ? { artifactId: stored.artifactId } : {}),
  };
}
