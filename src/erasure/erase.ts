import { createHash, randomUUID } from 'node:crypto';
import type { CacheStore } from '../cache/cache-store.ts';
import { InvalidRequestError } from '../errors/index.ts';
import { SAFE_ID, TENANT_ID } from '../intent/intent.ts';
import type { ArtifactLifecycle } from '../retention/artifact-lifecycle.ts';
import type { CheckpointErasure, Checkpoints } from '../checkpoints/checkpoint-governance.ts';
import type { ArtifactIndex } from '../store/artifact-index.ts';
import type { Db } from '../db/db.ts';
import { WalRecordType, type WriteAheadLog } from '../store/write-ahead-log.ts';

/** What to erase: a tenant's data, one session of it, or what belongs to one subject (a top-level intent parameter). */
export interface ErasureScope {
  readonly tenantId: string;
  readonly sessionId?: string;
  /** Executions whose intent parameters have `key` equal to `value` (e.g. `customer_id=42`). */
  readonly subject?: { readonly key: string; readonly value: string };
}

/** What an erasure removed: counts and ids, never content. Also written to the WAL as one `erasure` record. */
export interface ErasureReport {
  readonly erasureId: string;
  readonly at: string;
  /** The scope; a subject's value only as its sha256 (it is personal data itself). */
  readonly scope: { readonly tenantId: string; readonly sessionId?: string; readonly subject?: { readonly key: string; readonly valueSha256: string } };
  readonly executions: readonly string[];
  /** Queued or running executions in scope, left alone: erase again once they finish. */
  readonly unfinished: readonly string[];
  readonly artifactsDeleted: readonly string[];
  /** Artifacts a legal hold kept (renderings and index row untouched). */
  readonly held: readonly { readonly artifactId: string; readonly reason: string }[];
  readonly cacheEntriesRemoved: number;
  readonly walRecordsRedacted: number;
  readonly outboxEventsRedacted: number;
  /** Rendering removals (blobs, rows kept in the database) that failed; retried by the sweep. */
  readonly blobFailures: readonly { readonly artifactId: string; readonly message: string }[];
  /** LangGraph checkpoints of the scope (a session is a thread id; a subject, a top-level value of a checkpoint's metadata or config). */
  readonly checkpoints: CheckpointErasure;
  /**
   * Traces whose spans carried content of the erased executions (a policy's
   * `trace: include`). The runtime cannot delete spans from a tracing
   * backend: purge these trace ids there to complete the erasure.
   */
  readonly traceIdsWithContent: readonly string[];
}

export interface ErasureDeps {
  readonly db: Db;
  readonly wal: WriteAheadLog;
  readonly artifactIndex: ArtifactIndex;
  readonly lifecycle: ArtifactLifecycle;
  readonly cache: CacheStore;
  readonly checkpoints: Checkpoints;
  readonly now: () => Date;
}

/** What a subject's key may be: a top-level intent parameter name. */
export const PARAM_KEY = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Erases a scope everywhere the runtime keeps it: renderings (blobs) and
 * index rows become tombstones, cache entries go, semantic payloads, intent
 * parameters, results, error messages and outbox payloads are replaced by a
 * redaction marker, and WAL records keep their hashes (content is hashed
 * apart from the record), so `wal verify` still passes. Legal holds keep
 * their artifacts and are reported.
 */
export async function erase(d: ErasureDeps, scope: ErasureScope): Promise<ErasureReport> {
  checkScope(scope);
  const erasureId = `erasure_${randomUUID()}`;
  const at = d.now().toISOString();
  const q = d.db.scoped(scope.tenantId);
  const marker = JSON.stringify({ redacted: true, erasureId });

  const rows = await q.query<{ execution_id: string; status: string; content_trace_ids: string[] | null }>(
    `SELECT execution_id, status, content_trace_ids FROM symphainy.executions
      WHERE tenant_id = $1 AND ($2::text IS NULL OR session_id = $2) AND ($3::text IS NULL OR parameters ->> $3 = $4)
        AND NOT (parameters ? 'redacted')
      ORDER BY execution_id`,
    [scope.tenantId, scope.sessionId ?? null, scope.subject?.key ?? null, scope.subject?.value ?? null],
  );
  const unfinished = rows.filter((r) => r.status === 'queued' || r.status === 'running').map((r) => r.execution_id);
  const erased = rows.filter((r) => r.status === 'completed' || r.status === 'failed');
  const executions = erased.map((r) => r.execution_id);
  const traceIdsWithContent = [...new Set(erased.flatMap((r) => r.content_trace_ids ?? []))].sort();

  // Renderings: tombstones first (holds win), then the blobs.
  const artifacts = (await d.artifactIndex.byExecutions(scope.tenantId, executions)).filter((a) => !a.deleted);
  const { deleted, held } = await d.lifecycle.delete(artifacts, 'erasure');
  const blobFailures = await d.lifecycle.purge(Math.max(500, deleted.length));

  // Cache entries of those executions (expired ones first disappear for good).
  await d.cache.purgeExpired(d.now());
  // One lookup for the scope's session (or tenant), not one per execution.
  const inScope = new Set(executions);
  const cached = (await d.cache.get({ tenantId: scope.tenantId, ...(scope.sessionId ? { sessionId: scope.sessionId } : {}) }, d.now()))
    .filter((e) => inScope.has(e.executionId));
  await d.cache.delete(cached.map((e) => e.cacheId));
  const cacheEntriesRemoved = cached.length;

  // Checkpoints are content of the thread (= session): deleted outright, held threads left.
  const checkpoints = await d.checkpoints.erase(scope);

  const counts = await q.transaction(async (tx) => {
    await tx.query(
      `UPDATE symphainy.executions
          SET parameters = $3::jsonb, state = $3::jsonb, result = CASE WHEN result IS NULL THEN NULL ELSE $3::jsonb END,
              error = CASE WHEN error IS NULL THEN NULL ELSE jsonb_build_object('code', error->>'code', 'message', 'redacted by erasure') END
        WHERE tenant_id = $1 AND execution_id = ANY($2::text[])`,
      [scope.tenantId, executions, marker],
    );
    // Intent records lose everything; decisions keep what explains them; transitions lose error messages.
    const wal = await tx.query(
      `UPDATE symphainy.wal SET payload = CASE record_type
          WHEN 'governance_decision' THEN $3::jsonb || jsonb_strip_nulls(jsonb_build_object(
            'artifactKey', payload->'artifactKey', 'resultType', payload->'resultType', 'decision', payload->'decision',
            'layer', payload->'layer', 'reason', payload->'reason', 'policyVersion', payload->'policyVersion', 'ruleId', payload->'ruleId', 'kind', payload->'kind'))
          WHEN 'state_transition' THEN $3::jsonb || (payload - 'error') || jsonb_build_object('error', jsonb_build_object('code', payload->'error'->>'code'))
          ELSE $3::jsonb END
        WHERE tenant_id = $1 AND NOT (payload ? 'redacted')
          AND ((execution_id = ANY($2::text[])
                AND (record_type IN ('intent', 'governance_decision') OR (record_type = 'state_transition' AND payload ? 'error')))
               OR (record_type = 'intent_rejected' AND $4::boolean AND ($5::text IS NULL OR payload->'intent'->>'sessionId' = $5)))
       RETURNING seq`,
      [scope.tenantId, executions, marker, scope.subject === undefined, scope.sessionId ?? null],
    );
    const outbox = await tx.query(
      'UPDATE symphainy.outbox SET payload = $3::jsonb WHERE tenant_id = $1 AND execution_id = ANY($2::text[]) RETURNING seq',
      [scope.tenantId, executions, marker],
    );
    // Partial output a policy kept (result type stream) is content like any rendering.
    await tx.query('DELETE FROM symphainy.stream_chunks WHERE tenant_id = $1 AND execution_id = ANY($2::text[])', [scope.tenantId, executions]);
    return { wal: wal.length, outbox: outbox.length };
  });

  const report: ErasureReport = {
    erasureId,
    at,
    scope: {
      tenantId: scope.tenantId,
      ...(scope.sessionId ? { sessionId: scope.sessionId } : {}),
      ...(scope.subject ? { subject: { key: scope.subject.key, valueSha256: createHash('sha256').update(scope.subject.value).digest('hex') } } : {}),
    },
    executions,
    unfinished,
    artifactsDeleted: deleted.map((a) => a.artifactId),
    held: held.map((a) => ({ artifactId: a.artifactId, reason: a.legalHold?.reason ?? '' })),
    cacheEntriesRemoved,
    walRecordsRedacted: counts.wal,
    outboxEventsRedacted: counts.outbox,
    blobFailures,
    checkpoints,
    traceIdsWithContent,
  };
  await q.transaction((tx) =>
    d.wal.append(tx, [{ tenantId: scope.tenantId, executionId: null, intentId: null, recordType: WalRecordType.ERASURE, payload: { ...report }, recordedAt: at }]),
  );
  return report;
}

function checkScope(scope: ErasureScope): void {
  const issues: { path: string; message: string }[] = [];
  if (typeof scope?.tenantId !== 'string' || !TENANT_ID.test(scope.tenantId)) issues.push({ path: 'tenantId', message: 'is required (a valid tenant id)' });
  if (scope?.sessionId !== undefined && (typeof scope.sessionId !== 'string' || !SAFE_ID.test(scope.sessionId))) {
    issues.push({ path: 'sessionId', message: 'is not a valid session id' });
  }
  if (scope?.subject !== undefined) {
    if (typeof scope.subject.key !== 'string' || !PARAM_KEY.test(scope.subject.key)) issues.push({ path: 'subject.key', message: 'must be a parameter name' });
    if (typeof scope.subject.value !== 'string' || scope.subject.value === '') issues.push({ path: 'subject.value', message: 'must be a non-empty string' });
  }
  if (issues.length > 0) {
    throw new InvalidRequestError(`invalid erasure scope: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }
}
