/**
 * The seam between durable steps and model budgets: the step journal asks
 * the budget guard before each step runs (a step whose result is already
 * journaled is not asked: it does not run). Throwing (BudgetExceededError,
 * `SYM_ERR_BUDGET`) fails the execution before the step's work starts.
 */
export interface StepAt {
  readonly executionId: string;
  readonly tenantId: string;
  readonly intentType: string;
  /** The step's name and occurrence (the n-th step of that name in this execution, from 1). */
  readonly step: string;
  readonly occurrence: number;
}

export interface StepHooks {
  /** Called before a step that has no journaled result runs; rejects to stop the execution. */
  beforeStep(at: StepAt): Promise<void>;
}
