/** One model call's usage, as `ctx.recordUsage` takes it. */
export interface ModelUsage {
  /** The model's name as the caller knows it, e.g. `gpt-4o-mini` (1-200 characters). */
  readonly model: string;
  /** Prompt tokens (whole, non-negative). */
  readonly inputTokens: number;
  /** Completion tokens (whole, non-negative). */
  readonly outputTokens: number;
  /** What the call cost, in US dollars (non-negative); absent when unknown (counted as 0 against cost budgets). */
  readonly costUsd?: number;
}

/**
 * What a realm handler knows about the execution it runs in. It carries ids
 * and a cancellation signal — deliberately no storage handle: realms return
 * results, and the runtime decides what is kept.
 */
export interface ExecutionContext {
  readonly executionId: string;
  readonly intentId: string;
  readonly intentType: string;
  readonly tenantId: string;
  readonly sessionId: string;
  /** Name of the realm whose handler runs. */
  readonly realm: string;
  /** Aborted when the handler's timeout passes or the runtime shuts down. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds after which the runtime stops waiting for the handler. */
  readonly deadline: number;
  /**
   * Records one model call's usage: `{ model, inputTokens, outputTokens,
   * costUsd? }` — tokens as whole non-negative numbers, `costUsd` in US
   * dollars (absent: unknown, counted as 0 against cost budgets). Stored with
   * the execution whatever its outcome, summed per execution and per tenant
   * (`runtime.usage`, `symphainy usage`, `GET /v1/usage`, `/metrics`), and
   * checked against the platform policy's `budgets:`.
   * @throws InvalidUsageError (SYM_ERR_INVALID_USAGE) naming the bad field.
   * @throws BudgetExceededError (SYM_ERR_BUDGET) when a budget is now exceeded:
   *   the usage stays recorded and the execution fails (also if the handler catches it).
   */
  recordUsage(usage: ModelUsage): Promise<void>;
  /**
   * Sends partial output (a string, or a plain JSON object) to readers of
   * `GET /v1/executions/:id/stream` while the execution runs (at most
   * 256 KiB of JSON each). Chunks are numbered in increasing order as
   * emitted; when the execution ends they are deleted unless the policy
   * persists result type `stream`.
   * @throws InvalidUsageError (SYM_ERR_INVALID_USAGE) for any other chunk.
   */
  emit(chunk: string | Readonly<Record<string, unknown>>): Promise<void>;
}
