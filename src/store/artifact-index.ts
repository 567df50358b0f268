import type { MaterializationDecision, PolicyLayer } from '../policy/decision.ts';
import type { Db, Queryable } from './db.ts';
import { iso, tenantParam, type PageKey, type TenantScope } from './sql.ts';

/** Where an artifact came from: enough to answer "who produced this, from what, and when". */
export interface ArtifactLineage {
  readonly tenantId: string;
  readonly sessionId: string;
  readonly intentId: string;
  readonly intentType: string;
  readonly executionId: string;
  readonly realm: string;
  /** Persisted artifacts of the same tenant named in the intent's parameters. */
  readonly inputArtifactIds: readonly string[];
}

/** One stored rendering of a persisted artifact. */
export interface RenderingRef {
  readonly name: string;
  readonly contentType: string;
  /** sha256 of the bytes (hex); also the content address in the blob store. */
  readonly sha256: string;
  readonly sizeBytes: number;
  /** Blob store path of the bytes. */
  readonly path: string;
}

export interface ArtifactRecord {
  readonly artifactId: string;
  readonly tenantId: string;
  readonly sessionId: string;
  readonly executionId: string;
  readonly artifactKey: string;
  readonly resultType: string;
  readonly decision: MaterializationDecision;
  readonly layer: PolicyLayer;
  readonly reason: string;
  readonly policyVersion: string;
  /** Blob store path of the artifact's manifest. */
  readonly storagePath: string;
  readonly sizeBytes: number;
  readonly renderings: readonly RenderingRef[];
  readonly lineage: ArtifactLineage;
  readonly createdAt: string;
}

export interface ArtifactQuery {
  readonly tenantId: TenantScope;
  readonly executionId?: string;
  readonly resultType?: string;
  readonly sessionId?: string;
  /** Only artifacts created before this one (keyset paging, newest first): its `createdAt` and id. */
  readonly before?: PageKey;
  /** @default 100 */
  readonly limit?: number;
}

const SELECT = `SELECT artifact_id, tenant_id, session_id, execution_id, artifact_key, result_type, decision, layer, reason,
                       policy_version, storage_path, size_bytes, renderings, lineage, created_at
                  FROM symphainy.artifacts`;

/**
 * General notes: the artifact index owns the `artifacts` table — one row per
 * persisted artifact, written in the completion transaction. The bytes are
 * the blob store's; this table says where they are and why they were kept.
 */
export class ArtifactIndex {
  constructor(private readonly db: Db) {}

  async insert(q: Queryable, a: ArtifactRecord): Promise<void> {
    await q.query(
      `INSERT INTO symphainy.artifacts (artifact_id, tenant_id, session_id, execution_id, artifact_key, result_type, decision,
                                        layer, reason, policy_version, storage_path, size_bytes, renderings, lineage, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15)`,
      [a.artifactId, a.tenantId, a.sessionId, a.executionId, a.artifactKey, a.resultType, a.decision, a.layer, a.reason,
       a.policyVersion, a.storagePath, a.sizeBytes, JSON.stringify(a.renderings), JSON.stringify(a.lineage), a.createdAt],
    );
  }

  async get(artifactId: string, tenant: TenantScope): Promise<ArtifactRecord | null> {
    const rows = await this.db.scoped(tenant).query(`${SELECT} WHERE artifact_id = $1 AND ($2::text IS NULL OR tenant_id = $2)`, [
      artifactId,
      tenantParam(tenant),
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Of `ids`, those that exist for `tenantId` (an input artifact of another tenant is not lineage). */
  async existing(ids: readonly string[], tenantId: string): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.scoped(tenantId).query<{ artifact_id: string }>(
      'SELECT artifact_id FROM symphainy.artifacts WHERE artifact_id = ANY($1::text[]) AND tenant_id = $2',
      [ids, tenantId],
    );
    const found = new Set(rows.map((r) => r.artifact_id));
    return ids.filter((id) => found.has(id));
  }

  async list(query: ArtifactQuery): Promise<ArtifactRecord[]> {
    const rows = await this.db.scoped(query.tenantId).query(
      `${SELECT}
        WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR execution_id = $2)
          AND ($3::text IS NULL OR result_type = $3) AND ($4::text IS NULL OR session_id = $4)
          AND ($6::timestamptz IS NULL OR (created_at, artifact_id) < ($6::timestamptz, $7::text))
        ORDER BY created_at DESC, artifact_id DESC
        LIMIT $5`,
      [tenantParam(query.tenantId), query.executionId ?? null, query.resultType ?? null, query.sessionId ?? null, query.limit ?? 100,
       query.before?.at ?? null, query.before?.id ?? null],
    );
    return rows.map(toRecord);
  }
}

function toRecord(r: Record<string, unknown>): ArtifactRecord {
  return {
    artifactId: r.artifact_id as string,
    tenantId: r.tenant_id as string,
    sessionId: r.session_id as string,
    executionId: r.execution_id as string,
    artifactKey: r.artifact_key as string,
    resultType: r.result_type as string,
    decision: r.decision as MaterializationDecision,
    layer: r.layer as PolicyLayer,
    reason: r.reason as string,
    policyVersion: r.policy_version as string,
    storagePath: r.storage_path as string,
    sizeBytes: Number(r.size_bytes),
    renderings: r.renderings as RenderingRef[],
    lineage: r.lineage as ArtifactLineage,
    createdAt: iso(r.created_at)!,
  };
}
