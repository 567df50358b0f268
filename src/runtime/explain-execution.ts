import type { LayerVerdict } from '../policy/compile-policy.ts';
import type { MaterializationDecision, PolicyInput, PolicyLayer } from '../policy/decision.ts';
import type { PolicyVersions } from '../store/policy-versions.ts';
import type { TenantScope } from '../db/tenant-scope.ts';
import { isRedacted } from '../store/wal-chain.ts';
import { WalRecordType, type WriteAheadLog } from '../store/write-ahead-log.ts';
import { explainBudgetDecision, isBudgetDecision, type BudgetDecisionExplanation } from '../execution/budget-explanation.ts';

/** One artifact's recorded decision and the whole chain of layers behind it. */
export interface ArtifactDecisionExplanation {
  readonly artifactKey: string;
  readonly resultType: string;
  /** What the WAL holds: the decision as made. */
  readonly recorded: {
    readonly decision: MaterializationDecision;
    readonly layer: PolicyLayer;
    readonly reason: string;
    readonly policyVersion: string;
    readonly ruleId?: string;
    /** Which config layer decided, when one did: `tenant:ID`, `solution:ID` or `runtime`. */
    readonly config?: string;
    readonly ttlSeconds?: number;
    readonly retentionSeconds?: number;
    readonly recordedAt: string;
    readonly seq: number;
  };
  /** The inputs that mattered, as recorded; null once an erasure removed them (`note` says which). */
  readonly inputs: PolicyInput | null;
  /** Every layer's verdict under the policy that decided (re-compiled from its stored definition); null when that policy is not stored. */
  readonly chain: readonly LayerVerdict[] | null;
  /** Why there is no chain, or a warning that re-evaluation differs from the record. */
  readonly note?: string;
}

export interface ExecutionExplanation {
  readonly executionId: string;
  readonly artifacts: readonly ArtifactDecisionExplanation[];
  /** Budgets of the platform policy that stopped the execution (SYM_ERR_BUDGET). */
  readonly budgets: readonly BudgetDecisionExplanation[];
  /** Decisions on the execution's approvals (`ctx.approval`): who, when, why; `by` null when its timeout decided. */
  readonly approvals: readonly ApprovalDecisionExplanation[];
}

export interface ApprovalDecisionExplanation {
  readonly approval: string;
  readonly decision: 'approved' | 'rejected' | 'timed_out';
  readonly by: string | null;
  readonly reason: string | null;
  readonly at: string;
  readonly seq: number;
}

/**
 * Explains every materialization decision of an execution from its WAL
 * records: the recorded decision and inputs, and what each policy layer said
 * under the exact policy version that decided (not today's policy).
 */
export async function explainExecution(
  deps: { wal: WriteAheadLog; policies: PolicyVersions },
  executionId: string,
  tenantId: TenantScope,
): Promise<ExecutionExplanation> {
  const records = await deps.wal.list({ tenantId, executionId, recordType: WalRecordType.GOVERNANCE_DECISION, limit: 10_000 });
  const artifacts: ArtifactDecisionExplanation[] = [];
  const budgets = records.filter((r) => isBudgetDecision(r.payload)).map(explainBudgetDecision);
  const approvals: ApprovalDecisionExplanation[] = [];
  for (const r of records) {
    if (isBudgetDecision(r.payload)) continue;
    const p = r.payload as Record<string, unknown> & { inputs?: PolicyInput; policyVersion: string };
    if (p.kind === 'approval') {
      approvals.push({
        approval: String(p.approval ?? '(erased)'), decision: p.decision as ApprovalDecisionExplanation['decision'], by: (p.by as string | null) ?? null,
        reason: (p.reason as string | null) ?? null, at: String(p.at ?? r.recordedAt), seq: r.seq,
      });
      continue;
    }
    const recorded = {
      decision: p.decision as MaterializationDecision,
      layer: p.layer as PolicyLayer,
      reason: p.reason as string,
      policyVersion: p.policyVersion,
      ...(typeof p.ruleId === 'string' ? { ruleId: p.ruleId } : {}),
      ...(typeof p.config === 'string' ? { config: p.config } : {}),
      ...(typeof p.ttlSeconds === 'number' ? { ttlSeconds: p.ttlSeconds } : {}),
      ...(typeof p.retentionSeconds === 'number' ? { retentionSeconds: p.retentionSeconds } : {}),
      recordedAt: r.recordedAt,
      seq: r.seq,
    };
    if (!p.inputs) {
      // The decision stands as recorded; without its inputs no layer can be asked again.
      const by = isRedacted(p) && typeof p.erasureId === 'string' ? ` (erasure ${p.erasureId})` : '';
      artifacts.push({ artifactKey: p.artifactKey as string, resultType: p.resultType as string, recorded, inputs: null, chain: null, note: `its inputs were erased${by}, so its layers cannot be shown again; the recorded decision stands` });
      continue;
    }
    const base = { artifactKey: p.artifactKey as string, resultType: p.resultType as string, recorded, inputs: p.inputs };
    const policy = await deps.policies.get(p.policyVersion);
    if (!policy) {
      artifacts.push({ ...base, chain: null, note: `policy ${p.policyVersion} is not stored, so its layers cannot be shown` });
      continue;
    }
    const explanation = policy.explain(p.inputs);
    const same = explanation.result.decision === recorded.decision && explanation.result.layer === recorded.layer;
    artifacts.push({
      ...base,
      chain: explanation.chain,
      ...(same ? {} : { note: `re-evaluating gives ${explanation.result.decision} by ${explanation.result.layer}, not the recorded decision` }),
    });
  }
  return { executionId, artifacts, budgets, approvals };
}
