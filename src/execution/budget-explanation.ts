/** A budget's recorded decision (`governance_decision` with `kind: 'budget'`), as `explain` shows it. */
export interface BudgetDecisionExplanation {
  readonly ruleId: string;
  /** `fail`: the budget stopped the execution. */
  readonly decision: 'fail';
  /** `execution` (per_execution) or `tenant_day` (per_tenant_per_day, the database's UTC day). */
  readonly scope: 'execution' | 'tenant_day';
  readonly limit: 'max_tokens' | 'max_cost_usd';
  /** The limit and what was used: tokens, or US dollars. */
  readonly max: number;
  readonly used: number;
  /** `record_usage` (ctx.recordUsage) or `before_step`. */
  readonly when: string;
  readonly reason: string;
  readonly recordedAt: string;
  readonly seq: number;
}

/** True for the payload of a budget's decision record (artifact decisions have no `kind`). */
export function isBudgetDecision(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && (payload as { kind?: unknown }).kind === 'budget';
}

/** The explanation of one budget decision record. */
export function explainBudgetDecision(r: { payload: unknown; recordedAt: string; seq: number }): BudgetDecisionExplanation {
  const p = r.payload as Record<string, unknown>;
  return {
    ruleId: String(p.ruleId), decision: 'fail', scope: p.scope as BudgetDecisionExplanation['scope'], limit: p.limit as BudgetDecisionExplanation['limit'],
    max: Number(p.max), used: Number(p.used), when: String(p.when), reason: String(p.reason), recordedAt: r.recordedAt, seq: r.seq,
  };
}
