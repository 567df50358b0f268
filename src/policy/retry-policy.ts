import { ConfigError } from '../errors/index.ts';
import { MAX_COUNT } from './config-issues.ts';
import { MAX_TIMER_SECONDS, parseDuration } from './duration.ts';

/**
 * How often, and how far apart, a queued execution is attempted — the shape
 * of Temporal's `RetryPolicy`. An attempt ends when its handler fails with a
 * retryable error, or when its worker dies (its lease expires: the attempt
 * was counted when it was claimed). Past `maximumAttempts` the execution is
 * `dead`: terminal, listed by `executions list --status dead`, re-queued only
 * by `executions retry`.
 *
 * Durations are milliseconds, or strings such as `'500ms'`, `'1s'`, `'2m'`.
 *
 * @example
 * ```ts
 * createRuntime({ retryPolicy: { maximumAttempts: 3, initialInterval: '2s', nonRetryableErrorCodes: ['SYM_ERR_REALM_RESULT'] } });
 * ```
 */
export interface RetryPolicy {
  /**
   * Attempts in all, the first included; 1 means never retried.
   * @default 5
   */
  maximumAttempts?: number;
  /**
   * Wait before the first retry.
   * @default 1000 (1 s)
   */
  initialInterval?: number | string;
  /**
   * Each retry waits this many times longer than the one before.
   * @default 2
   */
  backoffCoefficient?: number;
  /**
   * No retry waits longer than this.
   * @default 100 × initialInterval
   */
  maximumInterval?: number | string;
  /**
   * Failure codes that end the execution at once (`failed`), e.g.
   * `SYM_ERR_REALM_RESULT`. A realm's `NonRetryableError` and a refused
   * parameter (`SYM_ERR_INVALID_INTENT`) are never retried anyway.
   * @default []
   */
  nonRetryableErrorCodes?: readonly string[];
}

/** A validated retry policy with defaults filled in; what executions record and workers apply. */
export interface CompiledRetryPolicy {
  readonly maximumAttempts: number;
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
  readonly nonRetryableErrorCodes: readonly string[];
}

export const DEFAULT_MAXIMUM_ATTEMPTS = 5;

/** Codes that retrying cannot change: the input itself was refused. */
// A used-up budget, a changed step sequence, a timed-out approval: the same on every attempt.
const ALWAYS_FINAL = new Set(['SYM_ERR_INVALID_INTENT', 'SYM_ERR_UNKNOWN_INTENT', 'SYM_ERR_NON_RETRYABLE', 'SYM_ERR_BUDGET', 'SYM_ERR_STEP_SEQUENCE', 'SYM_ERR_APPROVAL_TIMEOUT']);

/**
 * Validates a retry policy and fills in its defaults.
 *
 * @throws ConfigError (SYM_ERR_CONFIG) naming the field, e.g.
 *   `RetryPolicy.maximumAttempts must be a whole number from 1 to 2147483647`;
 *   intervals are at most 24 days (a step's retry waits on a timer).
 */
export function compileRetryPolicy(policy: RetryPolicy = {}, where = 'RetryPolicy'): CompiledRetryPolicy {
  if (policy === null || typeof policy !== 'object') throw new ConfigError(`${where} must be an object`);
  const known = new Set(['maximumAttempts', 'initialInterval', 'backoffCoefficient', 'maximumInterval', 'nonRetryableErrorCodes']);
  for (const key of Object.keys(policy)) {
    if (!known.has(key)) throw new ConfigError(`${where}.${key} is not a retry policy field (known: ${[...known].join(', ')})`);
  }
  const { maximumAttempts = DEFAULT_MAXIMUM_ATTEMPTS, backoffCoefficient = 2 } = policy;
  // Attempts are counted in an integer column and compared there.
  if (typeof maximumAttempts !== 'number' || !Number.isInteger(maximumAttempts) || maximumAttempts <= 0 || maximumAttempts > MAX_COUNT) {
    throw new ConfigError(`${where}.maximumAttempts must be a whole number from 1 to ${MAX_COUNT}, got ${String(maximumAttempts)}`);
  }
  if (typeof backoffCoefficient !== 'number' || !Number.isFinite(backoffCoefficient) || backoffCoefficient < 1) {
    throw new ConfigError(`${where}.backoffCoefficient must be a number of at least 1, got ${String(backoffCoefficient)}`);
  }
  const initialIntervalMs = intervalMs(policy.initialInterval ?? 1000, `${where}.initialInterval`);
  if (initialIntervalMs === 0) throw new ConfigError(`${where}.initialInterval cannot be 0`);
  const maximumIntervalMs =
    policy.maximumInterval === undefined ? initialIntervalMs * 100 : intervalMs(policy.maximumInterval, `${where}.maximumInterval`);
  if (maximumIntervalMs === 0) throw new ConfigError(`${where}.maximumInterval cannot be 0`);
  if (maximumIntervalMs < initialIntervalMs) {
    throw new ConfigError(`${where}.maximumInterval cannot be less than its initialInterval (${maximumIntervalMs} ms < ${initialIntervalMs} ms)`);
  }
  const codes = policy.nonRetryableErrorCodes ?? [];
  if (!Array.isArray(codes) || codes.some((c) => typeof c !== 'string' || c.trim() === '')) {
    throw new ConfigError(`${where}.nonRetryableErrorCodes must be a list of error codes such as 'SYM_ERR_REALM_RESULT'`);
  }
  return Object.freeze({
    maximumAttempts, initialIntervalMs, backoffCoefficient, maximumIntervalMs,
    nonRetryableErrorCodes: Object.freeze([...new Set(codes)]),
  });
}

/** The longest wait between attempts: a step's retry waits on a timer, which holds at most 24 days. */
const MAX_INTERVAL_MS = MAX_TIMER_SECONDS * 1000;

function intervalMs(value: number | string, field: string): number {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${field} must be a whole number of milliseconds, got ${value}`);
    ms = value;
  } else if (typeof value === 'string') {
    const plain = /^\s*(\d+)\s*ms\s*$/.exec(value);
    try {
      ms = plain ? Number(plain[1]) : parseDuration(value, { max: MAX_TIMER_SECONDS }) * 1000;
    } catch (err) {
      throw new ConfigError(`${field}: ${(err as Error).message}`);
    }
  } else {
    throw new ConfigError(`${field} must be milliseconds or a duration such as '1s', got ${JSON.stringify(value)}`);
  }
  if (ms > MAX_INTERVAL_MS) throw new ConfigError(`${field} must be at most ${MAX_INTERVAL_MS} ms (24d, the longest timer), got ${JSON.stringify(value)}`);
  return ms;
}

export const DEFAULT_RETRY_POLICY: CompiledRetryPolicy = compileRetryPolicy();

/** Milliseconds to wait before the attempt after `attempt` (1-based): initial × coefficient^(attempt−1), capped. */
export function retryDelayMs(policy: CompiledRetryPolicy, attempt: number): number {
  const delay = policy.initialIntervalMs * policy.backoffCoefficient ** Math.max(0, attempt - 1);
  return Math.round(Math.min(policy.maximumIntervalMs, delay));
}

/** Whether a failure with this code may be attempted again under the policy (attempts aside). */
export function isRetryable(policy: CompiledRetryPolicy, code: string): boolean {
  return !ALWAYS_FINAL.has(code) && !policy.nonRetryableErrorCodes.includes(code);
}
