import type { RunArgs } from './lifecycle-types.ts';
import { randomUUID } from 'node:crypto';
import { AttemptsExhaustedError, ConflictError, NotFoundError } from '../errors/index.ts';
import type { Db } from '../db/db.ts';
import type { TransactionalOutbox } from '../store/outbox.ts';
import type { TenantScope } from '../db/tenant-scope.ts';
import type { ExecutionRecord, StateSurface } from '../store/state-surface.ts';
import { WalRecordType, type WriteAheadLog } from '../store/write-ahead-log.ts';
import {
  compileRetryPolicy, isRetryable, retryDelayMs, type CompiledRetryPolicy,
} from '../policy/retry-policy.ts';

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

/**
 * An operator's retry of a `dead` or `failed` execution: `queued` again
 * with a fresh attempt budget, a WAL transition saying who asked, and an
 * `execution.queued` event, in one transaction. Throws NotFoundError outside
 * the scope, ConflictError for any other status.
 */
export async function requeueForOperator(
  d: { db: Db; stateSurface: StateSurface; wal: WriteAheadLog; outbox: TransactionalOutbox; now: () => Date },
  executionId: string, tenant: TenantScope, requestedBy: string,
): Promise<ExecutionRecord> {
  const at = d.now().toISOString();
  return d.db.scoped(tenant).transaction(async (tx) => {
    const r = await d.stateSurface.retry(tx, executionId, tenant);
    if (!('record' in r)) {
      if (r.status === null) throw new NotFoundError('execution', executionId);
      if (r.erased) throw new ConflictError(`execution ${executionId} was erased; an erased execution cannot be retried`);
      throw new ConflictError(`execution ${executionId} is ${r.status}; only dead or failed executions can be retried`);
    }
    const e = r.record;
    await d.wal.append(tx, [{
      tenantId: e.tenantId, executionId: e.executionId, intentId: e.intentId, recordType: WalRecordType.STATE_TRANSITION, recordedAt: at,
      payload: { from: r.from, to: 'queued', at, reason: 'retried by an operator', requestedBy, attemptsBefore: e.attempts },
    }]);
    await d.outbox.insert(tx, [{
      eventId: randomUUID(), eventType: 'execution.queued', source: 'runtime', tenantId: e.tenantId, sessionId: e.sessionId,
      executionId: e.executionId, createdAt: at,
      payload: { executionId: e.executionId, intentId: e.intentId, intentType: e.intentType, realm: e.realm, retriedBy: requestedBy },
    }]);
    return e;
  });
}

/** The attempt facts a transition records. */
export function attemptOf(r: Pick<RunArgs, 'retry' | 'lease'>, outcome: AttemptOutcome): Record<string, unknown> {
  if (!r.retry) return {};
  return {
    attempt: r.lease.attempt, maximumAttempts: r.retry.policy.maximumAttempts,
    ...(outcome.status === 'queued' ? { retryInMs: outcome.retryInMs } : {}),
  };
}
