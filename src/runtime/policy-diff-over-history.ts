import type { PolicyResolver } from '../policy/policy-resolver.ts';
import type { MaterializationDecision, PolicyInput, PolicyLayer } from '../policy/decision.ts';
import { PolicyDiffer, type PolicyDiff } from '../policy/policy-diff.ts';
import type { Db } from '../db/db.ts';
import { tenantParam, type TenantScope } from '../db/tenant-scope.ts';
import { iso } from '../db/sql.ts';

const PAGE = 2000;

export interface DiffOptions {
  readonly tenantId: TenantScope;
  /** Only decisions recorded at or after this time. */
  readonly since?: Date;
  /** Told how far it got (records read, of `total`). */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Re-evaluates every recorded materialization decision in the window under
 * a candidate policy, reading the WAL in pages; nothing is changed.
 */
export async function diffPolicyOverHistory(db: Db, candidate: PolicyResolver, o: DiffOptions): Promise<PolicyDiff> {
  const q = db.scoped(o.tenantId);
  // Budget decisions (kind 'budget') decide no artifact: a candidate policy cannot change them.
  const where = `w.record_type = 'governance_decision' AND w.payload->>'kind' IS DISTINCT FROM 'budget' AND ($1::text IS NULL OR w.tenant_id = $1) AND ($2::timestamptz IS NULL OR w.recorded_at >= $2)`;
  const params = [tenantParam(o.tenantId), o.since?.toISOString() ?? null];
  const [{ n }] = (await q.query<{ n: string | number }>(`SELECT count(*) AS n FROM symphainy.wal w WHERE ${where}`, params)) as [{ n: string | number }];
  const total = Number(n);
  const differ = new PolicyDiffer(candidate);
  let done = 0;
  o.onProgress?.(0, total);
  for (let after = 0; ; ) {
    const rows = await q.query<Record<string, unknown>>(
      // The execution's solution picks the solution's config, as it did when the decision was made.
      `SELECT w.seq, w.tenant_id, w.execution_id, w.payload, w.recorded_at, e.solution_id FROM symphainy.wal w
         LEFT JOIN symphainy.executions e ON e.execution_id = w.execution_id
        WHERE ${where} AND w.seq > $3 ORDER BY w.seq LIMIT ${PAGE}`,
      [...params, after],
    );
    for (const r of rows) {
      const p = r.payload as Record<string, unknown>;
      const outcome = p.outcome as { artifactId?: string } | undefined;
      differ.add({
        seq: Number(r.seq),
        tenantId: r.tenant_id as string,
        executionId: (r.execution_id as string | null) ?? null,
        artifactKey: p.artifactKey as string,
        solutionId: (r.solution_id as string | null) ?? null,
        decision: p.decision as MaterializationDecision,
        layer: p.layer as PolicyLayer,
        inputs: (p.inputs as PolicyInput | undefined) ?? null,
        artifactId: outcome?.artifactId ?? null,
        recordedAt: iso(r.recorded_at)!,
      });
      after = Number(r.seq);
    }
    done += rows.length;
    o.onProgress?.(done, total);
    if (rows.length < PAGE) break;
  }
  return differ.result();
}
