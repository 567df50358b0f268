import type { MaterializationDecision, PolicyInput, PolicyLayer } from '../policy/decision.ts';
import type { Db, Queryable } from '../db/db.ts';
import { ANY_TENANT, tenantParam, type TenantScope } from '../db/tenant-scope.ts';
import { insertMany, iso, type PageKey } from '../db/sql.ts';

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
  /**
   * The content address (hex): sha256 of the bytes, or with encryption on a
   * keyed HMAC-SHA256 under the cover's keys (path `…/hk1/…`), which
   * confirms no guess of the content.
   */
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
  /** When retention lets the sweeper delete its renderings (the deciding layer's `retention`); null: kept until deleted. */
  readonly retainUntil: string | null;
  /** A legal hold blocks every deletion (retention, retroactive policy, erasure) until released. */
  readonly legalHold: { readonly reason: string; readonly since: string } | null;
  /** Set when its renderings were deleted; the row stays as a tombstone. */
  readonly deleted: { readonly at: string; readonly reason: string } | null;
}

/** A new index row: lifecycle fields start empty, apart from when retention ends. */
export type NewArtifact = Omit<ArtifactRecord, 'retainUntil' | 'legalHold' | 'deleted'> & { readonly retainUntil?: string | null };

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

const INSERT_COLUMNS = [
  { name: 'artifact_id' }, { name: 'tenant_id' }, { name: 'session_id' }, { name: 'execution_id' }, { name: 'artifact_key' },
  { name: 'result_type' }, { name: 'decision' }, { name: 'layer' }, { name: 'reason' }, { name: 'policy_version' },
  { name: 'storage_path' }, { name: 'size_bytes' }, { name: 'renderings', json: true }, { name: 'lineage', json: true },
  { name: 'created_at' }, { name: 'retain_until' },
] as const;

const SELECT = `SELECT artifact_id, tenant_id, session_id, execution_id, artifact_key, result_type, decision, layer, reason,
                       policy_version, storage_path, size_bytes, renderings, lineage, created_at,
                       retain_until, hold_reason, held_at, deleted_at, deleted_reason
                  FROM symphainy.artifacts`;

/**
 * General notes: the artifact index owns the `artifacts` table — one row per
 * persisted artifact, written in the completion transaction. The bytes are
 * the blob store's; this table says where they are and why they were kept.
 */
export class ArtifactIndex {
  constructor(private readonly db: Db) {}

  /** Index rows, in one statement (the completion transaction's). */
  async insert(q: Queryable, artifacts: readonly NewArtifact[]): Promise<void> {
    if (artifacts.length === 0) return;
    await insertMany(q, 'symphainy.artifacts', INSERT_COLUMNS, artifacts.map((a) => [
      a.artifactId, a.tenantId, a.sessionId, a.executionId, a.artifactKey, a.resultType, a.decision, a.layer, a.reason,
      a.policyVersion, a.storagePath, a.sizeBytes, a.renderings, a.lineage, a.createdAt, a.retainUntil ?? null,
    ]));
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

  /**
   * Sets or clears an artifact's legal hold (scoped to its tenant). Returns
   * the artifact as it was before, or null when the tenant has no such artifact.
   */
  async setHold(q: Queryable, artifactId: string, tenant: TenantScope, hold: { reason: string; at: string } | null): Promise<ArtifactRecord | null> {
    const rows = await q.query(
      `WITH before AS (SELECT * FROM symphainy.artifacts WHERE artifact_id = $1 AND ($2::text IS NULL OR tenant_id = $2) FOR UPDATE)
       UPDATE symphainy.artifacts a SET hold_reason = $3, held_at = $4 FROM before WHERE a.artifact_id = before.artifact_id
       RETURNING before.*`,
      [artifactId, tenantParam(tenant), hold?.reason ?? null, hold?.at ?? null],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Live artifacts of every tenant whose retention ended by the database's
   * clock (`now()`, never a host's), oldest first: those free to delete, or
   * (`held`) those a legal hold keeps.
   */
  async expired(limit: number, held = false): Promise<ArtifactRecord[]> {
    const rows = await this.db.scoped(ANY_TENANT).query(
      `${SELECT} WHERE deleted_at IS NULL AND retain_until IS NOT NULL AND retain_until <= now() AND (held_at IS NOT NULL) = $2
        ORDER BY retain_until, artifact_id LIMIT $1`,
      [limit, held],
    );
    return rows.map(toRecord);
  }

  /**
   * Live artifacts of the scope whose retention ends within `withinSeconds`
   * of the database's clock (or has ended and the sweeper has not run yet),
   * soonest first; held ones included (their hold keeps them).
   */
  async dueWithin(tenant: TenantScope, withinSeconds: number, limit: number): Promise<ArtifactRecord[]> {
    const rows = await this.db.scoped(tenant).query(
      `${SELECT} WHERE ($1::text IS NULL OR tenant_id = $1) AND deleted_at IS NULL AND retain_until IS NOT NULL
          AND retain_until <= now() + make_interval(secs => $2::double precision)
        ORDER BY retain_until, artifact_id LIMIT $3`,
      [tenantParam(tenant), withinSeconds, limit],
    );
    return rows.map(toRecord);
  }

  /** Marks artifacts deleted (a tombstone), unless held or already deleted; returns the ids it marked. */
  async markDeleted(q: Queryable, artifactIds: readonly string[], reason: string, at: string): Promise<string[]> {
    const rows = await q.query<{ artifact_id: string }>(
      `UPDATE symphainy.artifacts SET deleted_at = $2, deleted_reason = $3
        WHERE artifact_id = ANY($1::text[]) AND deleted_at IS NULL AND held_at IS NULL
       RETURNING artifact_id`,
      [artifactIds, at, reason],
    );
    return rows.map((r) => r.artifact_id);
  }

  /** Every artifact (tombstones too) of these executions of the tenant. */
  async byExecutions(tenantId: string, executionIds: readonly string[]): Promise<ArtifactRecord[]> {
    if (executionIds.length === 0) return [];
    const rows = await this.db.scoped(tenantId).query(
      `${SELECT} WHERE tenant_id = $1 AND execution_id = ANY($2::text[]) ORDER BY created_at, artifact_id`,
      [tenantId, executionIds],
    );
    return rows.map(toRecord);
  }

  /**
   * Live artifacts of every tenant after `afterId` (by id, for paging), each
   * with the inputs its decision was made on (from its WAL decision record).
   */
  async liveWithInputs(afterId: string, limit: number): Promise<{ artifact: ArtifactRecord; inputs: PolicyInput | null; solutionId: string | null }[]> {
    // One row per artifact: a promoted artifact has two decision records (cache, then keep); the latest speaks.
    const rows = await this.db.scoped(ANY_TENANT).query(
      `SELECT a.*, w.inputs AS decision_inputs, e.solution_id
         FROM symphainy.artifacts a
         LEFT JOIN LATERAL (SELECT payload->'inputs' AS inputs FROM symphainy.wal
                             WHERE execution_id = a.execution_id AND record_type = 'governance_decision'
                               AND payload->>'artifactKey' = a.artifact_key
                             ORDER BY seq DESC LIMIT 1) w ON true
         LEFT JOIN symphainy.executions e ON e.execution_id = a.execution_id
        WHERE a.deleted_at IS NULL AND a.artifact_id > $1
        ORDER BY a.artifact_id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r) => ({
      artifact: toRecord(r), inputs: (r.decision_inputs as PolicyInput | null) ?? null, solutionId: (r.solution_id as string | null) ?? null,
    }));
  }

  /** Sets when retention ends for artifacts of one tenant (null: kept until deleted). */
  async setRetention(tenantId: string, changes: readonly { artifactId: string; retainUntil: string | null }[]): Promise<void> {
    if (changes.length === 0) return;
    await this.db.scoped(tenantId).query(
      `UPDATE symphainy.artifacts a SET retain_until = c.retain_until::timestamptz
         FROM unnest($1::text[], $2::text[]) AS c(artifact_id, retain_until)
        WHERE a.artifact_id = c.artifact_id AND a.deleted_at IS NULL`,
      [changes.map((c) => c.artifactId), changes.map((c) => c.retainUntil)],
    );
  }

  /** Deleted artifacts whose blobs are not removed yet (just tombstoned, or a removal failed before). */
  async unpurged(limit: number): Promise<ArtifactRecord[]> {
    const rows = await this.db.scoped(ANY_TENANT).query(
      `${SELECT} WHERE deleted_at IS NOT NULL AND purged_at IS NULL ORDER BY deleted_at, artifact_id LIMIT $1`,
      [limit],
    );
    return rows.map(toRecord);
  }

  async markPurged(tenantId: string, artifactIds: readonly string[], at: string): Promise<void> {
    await this.db.scoped(tenantId).query('UPDATE symphainy.artifacts SET purged_at = $2 WHERE artifact_id = ANY($1::text[])', [artifactIds, at]);
  }

  /** Of these content hashes, those a live (not deleted) artifact of the tenant other than `except` still uses. */
  async shasInUse(tenantId: string, sha256s: readonly string[], except: readonly string[]): Promise<Set<string>> {
    if (sha256s.length === 0) return new Set();
    const rows = await this.db.scoped(tenantId).query<{ sha256: string }>(
      `SELECT DISTINCT r->>'sha256' AS sha256
         FROM symphainy.artifacts a, jsonb_array_elements(a.renderings) r
        WHERE a.tenant_id = $1 AND a.deleted_at IS NULL AND NOT (a.artifact_id = ANY($3::text[]))
          AND r->>'sha256' = ANY($2::text[])`,
      [tenantId, sha256s, except],
    );
    return new Set(rows.map((r) => r.sha256));
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
    retainUntil: iso(r.retain_until),
    legalHold: r.held_at ? { reason: r.hold_reason as string, since: iso(r.held_at)! } : null,
    deleted: r.deleted_at ? { at: iso(r.deleted_at)!, reason: r.deleted_reason as string } : null,
  };
}
