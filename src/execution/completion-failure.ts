import { isKeyError } from '../errors/key-errors.ts';
import type { ExecutionResult } from './execution-result.ts';
import { CompletionOutcomeUnknown, LeaseLostError, type ExecutionLifecycleDeps } from './lifecycle-types.ts';
import type { Pending } from './materialize.ts';

const STORE_ERROR_CODE = 'SYM_ERR_STORE';

/**
 * What follows a completion that failed to commit (`err`): the failure is
 * recorded with `recordFailed` (SYM_ERR_STORE, or the key error that stopped
 * sealing) and its result returned. Throws LeaseLostError when the execution
 * is no longer running — another worker owns it, or a completion whose COMMIT
 * reply was lost did commit (the caller then reads what was recorded) — and
 * CompletionOutcomeUnknown when neither the completion nor a failure is
 * known to be recorded. Cache entries written outside the transaction are
 * taken back, except for a completion that may have committed.
 */
export async function completionFailed(
  d: Pick<ExecutionLifecycleDeps, 'cache' | 'logger'>,
  err: unknown,
  executionId: string,
  pending: readonly Pending[],
  recordFailed: (failure: { code: string; message: string }) => Promise<ExecutionResult>,
): Promise<ExecutionResult> {
  const outside = pending.flatMap((p) => (p.cacheEntry && !d.cache.transactional && p.outcome.stored ? [p.cacheEntry.cacheId] : []));
  const takeBack = async () => {
    if (outside.length > 0) await d.cache.delete(outside).catch((e: unknown) => d.logger.warn({ err: e }, 'removing cache entries failed'));
  };
  // Another worker owns the execution now and records its outcome; this run's result is dropped.
  if (err instanceof LeaseLostError || err instanceof CompletionOutcomeUnknown) {
    await takeBack();
    throw err;
  }
  d.logger.error({ err, executionId }, 'materializing or completing the execution failed');
  const failure = { code: isKeyError(err) ? err.code : STORE_ERROR_CODE, message: `recording the completion failed: ${(err as Error).message}` };
  try {
    const failed = await recordFailed(failure);
    await takeBack();
    return failed;
  } catch (failing) {
    // Recorded only while still running: a completion whose COMMIT reply was lost may have
    // committed, and then this is LeaseLostError, the caller reads the completion, and its
    // cache entries stay for it.
    if (failing instanceof LeaseLostError) throw failing;
    await takeBack();
    // Sealing runs before the transaction: a key that cannot seal the failure either left nothing written.
    if (isKeyError(failing)) throw failing;
    // Neither the completion nor a failure is known to be recorded: the commit may have happened.
    throw new CompletionOutcomeUnknown(
      `execution ${executionId}: the outcome is unknown (recording the completion failed: ${(err as Error).message}; recording a failure instead failed too) — retry with the same intent id once the database answers`,
      { cause: failing },
    );
  }
}
