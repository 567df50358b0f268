import { AttemptsExhaustedError } from '../errors/index.ts';
import {
  compileRetryPolicy, isRetryable, retryDelayMs, type CompiledRetryPolicy,
} from '../worker/retry-policy.ts';

/** What ends an attempt that did not complete: the execution fails, waits for another attempt, or is dead. */
export type AttemptOutcome =
  | { readonly status: 'failed' }
  | { readonly status: 'queued'; readonly retryInMs: number }
  | { readonly status: 'dead' };

/** A queued-origin execution's place in its retry budget. */
export interface RetryState {
  readonly policy: CompiledRetryPolicy;
  /** Attempts made before the last operator retry (not counted against the policy). */
  readonly retryBase: number;
}

/**
 * Decides what a failed attempt (1-based, counted since the last operator
 * retry) leads to: non-retryable codes fail at once; otherwise another
 * attempt after the policy's backoff, until `maximumAttempts` — then dead.
 */
export function afterFailedAttempt(policy: CompiledRetryPolicy, attempt: number, code: string): AttemptOutcome {
  if (!isRetryable(policy, code)) return { status: 'failed' };
  if (attempt >= policy.maximumAttempts) return { status: 'dead' };
  return { status: 'queued', retryInMs: retryDelayMs(policy, attempt) };
}

/** The error recorded on a dead execution, naming its last failure. */
export function exhausted(executionId: string, policy: CompiledRetryPolicy, attempts: number, last: { code: string; message: string }) {
  const err = new AttemptsExhaustedError(
    `execution ${executionId} is dead after ${attempts} attempts (retry policy maximumAttempts ${policy.maximumAttempts}); ` +
      `last failure: ${last.code}: ${last.message}`,
  );
  return { code: err.code, message: err.message };
}

/**
 * The retry policy recorded with an execution (compiled JSON), or
 * `fallback` when none was recorded or it cannot be read any more.
 */
export function recordedRetryPolicy(recorded: unknown, fallback: CompiledRetryPolicy): CompiledRetryPolicy {
  if (recorded === null || typeof recorded !== 'object') return fallback;
  const r = recorded as Partial<CompiledRetryPolicy>;
  try {
    return compileRetryPolicy({
      maximumAttempts: r.maximumAttempts, initialInterval: r.initialIntervalMs, backoffCoefficient: r.backoffCoefficient,
      maximumInterval: r.maximumIntervalMs, nonRetryableErrorCodes: r.nonRetryableErrorCodes,
    } as never);
  } catch {
    return fallback;
  }
}
