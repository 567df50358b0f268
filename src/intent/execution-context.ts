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
 * What a realm handler knows about the execution it runs in. It carries ids,
 * a cancellation signal and the durable operations — deliberately no storage
 * handle: realms return results, and the runtime decides what is kept.
 *
 * Durable operations (`step`, `sleep`, `waitFor`, `approval`) are journaled:
 * when the handler runs again (a retry, a worker's takeover, recovery after a
 * restart, or the resumption of a wait), each one already journaled returns
 * its recorded result without running. They are identified by position: the
 * n-th durable operation of the handler, with its name and occurrence (the
 * n-th of that name), must be the one the journal recorded there, or the
 * execution fails with `SYM_ERR_STEP_SEQUENCE` (StepSequenceError). Keep
 * the handler deterministic between them: branch only on parameters and on
 * what durable operations returned.
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
  /**
   * Runs `fn` once and journals its result (JSON: `undefined` becomes `null`,
   * dates become strings) in the same group-commit transaction path as every
   * other write of the execution; on any later run of the handler returns
   * the journaled result without calling `fn`. A failing `fn` is retried
   * per `options.retry` (in process, with backoff), then fails the handler
   * like any throw (and the execution's own retry policy applies: completed
   * steps are not run again). Step results are derived data: kept while the
   * execution is in flight, then decided by the materialization policy
   * (result type `step`, or `options.resultType`) — discarded by default.
   * Throws StepSequenceError when the journal holds another step here, and
   * what the step-hooks (model budgets) throw before a step that must run.
   */
  step<T>(name: string, fn: () => T | Promise<T>, options?: StepOptions): Promise<T>;
  /**
   * A durable timer: the execution becomes `waiting`, releases its lease and
   * holds no worker; after `duration` (the one duration parser: `'10m'`,
   * `'2d'`, a number of seconds; at most 100 years) any worker resumes it
   * and this returns. Never resolves in the run that suspends.
   */
  sleep(duration: string | number): Promise<void>;
  /**
   * Waits for a signal named `name` (`symphainy executions signal ID NAME`,
   * `POST /v1/executions/:id/signals/:name`): one sent before the wait is
   * kept and consumed at once. Suspends like {@link sleep} until it arrives
   * or `options.timeout` passes (no timeout: waits until it arrives).
   */
  waitFor<T = unknown>(name: string, options?: { timeout?: string | number }): Promise<SignalResult<T>>;
  /**
   * Waits for a person to approve or reject (`symphainy executions approve|reject ID NAME`,
   * `POST /v1/executions/:id/approvals/:name`), listed meanwhile in the
   * tenant's approvals inbox with `summary`. The decision (who, when, why) is
   * a `governance_decision` WAL record. After `timeout` (default: none),
   * `onTimeout` decides: `reject` (the default), `approve`, or `fail` (the
   * execution fails with `SYM_ERR_APPROVAL_TIMEOUT`).
   */
  approval(name: string, options?: ApprovalOptions): Promise<ApprovalResult>;
}

/** Options of {@link ExecutionContext.step}. */
export interface StepOptions {
  /**
   * Retries of a failing step inside this run (Temporal's activity retry
   * policy shape): `maximumAttempts` (default 1: no retry), `initialInterval`
   * (default 1s), `backoffCoefficient` (default 2), `maximumInterval`.
   */
  readonly retry?: {
    readonly maximumAttempts?: number;
    readonly initialInterval?: string | number;
    readonly backoffCoefficient?: number;
    readonly maximumInterval?: string | number;
  };
  /** The result type the materialization policy decides the step's result under. @default 'step' */
  readonly resultType?: string;
}

/** What {@link ExecutionContext.waitFor} resolves with. */
export type SignalResult<T = unknown> =
  | { readonly timedOut: false; readonly data: T; readonly sentBy: string | null; readonly sentAt: string }
  | { readonly timedOut: true };

export interface ApprovalOptions {
  /** Shown in the approvals inbox. */
  readonly summary?: string;
  /** How long to wait for a decision (the one duration parser). @default none: waits until decided */
  readonly timeout?: string | number;
  /** What a timeout means. @default 'reject' */
  readonly onTimeout?: 'reject' | 'approve' | 'fail';
}

/** A decided approval. `by` is null when the timeout decided. */
export interface ApprovalResult {
  readonly approved: boolean;
  readonly decision: 'approved' | 'rejected' | 'timed_out';
  readonly by: string | null;
  readonly reason: string | null;
  readonly at: string;
}
