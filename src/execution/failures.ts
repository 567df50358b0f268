import { StoreError } from '../errors/index.ts';
import { isKeyError } from '../errors/key-errors.ts';
import { storableFailure } from '../realm/realm-failure.ts';
import { WalRecordType } from '../store/write-ahead-log.ts';
import type { ExecutionResult } from './execution-result.ts';
import { exhausted, type AttemptOutcome, type RetryState } from './execution-retries.ts';
import type { ExecutionWrite } from './execution-writes.ts';
import type { ExecutionWriter } from './execution-writer.ts';
import { LeaseLostError, type ExecutionLifecycleDeps, type ExecutionRef } from './lifecycle-types.ts';
import { outboxEvent, walRecord } from './records.ts';

/** What recording a failure needs from the runtime. */
export type FailureDeps = Pick<ExecutionLifecycleDeps, 'now' | 'observer' | 'relay'>;

/**
 * Records an attempt that did not complete, in one transaction: `failed`
 * (the default), `queued` again after a backoff, or `dead` (attempts used
 * up: the error names the last failure) — state, WAL transitions, an event.
 * Throws LeaseLostError when the execution is no longer running under `e`'s
 * lease (nothing written), StoreError when the write failed.
 */
export async function recordFailure(
  d: FailureDeps,
  writer: ExecutionWriter,
  e: ExecutionRef,
  error: { code: string; message: string },
  transitions: Record<string, unknown>[],
  outcome: AttemptOutcome = { status: 'failed' },
  retry?: RetryState,
): Promise<ExecutionResult> {
  // Every failure carrying realm text comes through here: escaped once (NUL, unpaired surrogates), so
  // the recorded error, the dead-letter summary and the transitions' lastError are all storable.
  error = storableFailure(error);
  const recorded = outcome.status === 'dead' && retry
    ? exhausted(e.executionId, retry.policy, (e.lease?.attempt ?? 0) - retry.retryBase, error)
    : error;
  const w = failureWrite(d.now(), e, recorded, transitions.map((t) => (outcome.status === 'dead' ? { ...t, lastError: error } : t)), outcome);
  let written;
  try {
    // Recovery may race a late completion: only a still-running execution is failed (else nothing is written).
    written = await writer.write(e.tenantId, w.write);
  } catch (err) {
    if (isKeyError(err)) throw err;
    throw new StoreError(`execution ${e.executionId} failed (${error.message}) and recording that failed too: ${(err as Error).message}`, { cause: err });
  }
  // Its outcome is recorded already (recovery, another worker, or a completion whose COMMIT reply
  // was lost): this failure is not what happened, so the caller must read what was recorded.
  if (written === 'not-running') throw new LeaseLostError(e.executionId, e.lease ?? null);
  d.observer?.finished(w.result);
  d.relay.kick();
  return w.result;
}

/** The write (state, WAL, event) and the result of an attempt that did not complete. */
export function failureWrite(
  now: Date, e: ExecutionRef, error: { code: string; message: string }, transitions: Record<string, unknown>[], outcome: AttemptOutcome,
): { write: ExecutionWrite; result: ExecutionResult } {
  const { executionId } = e;
  const at = now.toISOString();
  const eventType = outcome.status === 'queued' ? 'execution.retrying' : outcome.status === 'dead' ? 'execution.dead' : 'execution.failed';
  const event = outboxEvent(now, e, executionId, 'runtime', eventType, {
    executionId, intentId: e.intentId, intentType: e.intentType, status: outcome.status, error,
    ...(outcome.status === 'queued' ? { retryInMs: outcome.retryInMs, attempt: e.lease?.attempt ?? null } : {}),
  });
  const result: ExecutionResult = {
    executionId, intentId: e.intentId, intentType: e.intentType, tenantId: e.tenantId,
    sessionId: e.sessionId, status: outcome.status, error, policyVersion: e.policyVersion, artifacts: [], events: [event],
  };
  const write: ExecutionWrite = {
    covered: { tenantId: e.tenantId, sessionId: e.sessionId, parameters: e.parameters },
    finish: {
      executionId, status: outcome.status, state: null, result: outcome.status === 'queued' ? null : result, error, finishedAt: at,
      lease: e.lease ?? null, ...(outcome.status === 'queued' ? { retryInMs: outcome.retryInMs } : {}),
    },
    wal: transitions.map((t) => walRecord(e, executionId, WalRecordType.STATE_TRANSITION, { ...t, error }, at)),
    outbox: [event],
  };
  return { write, result };
}
