import { ANY_TENANT } from '../db/tenant-scope.ts';
import type { CompiledRetryPolicy } from '../policy/retry-policy.ts';
import type { WalRecordInput } from '../store/write-ahead-log.ts';
import { WalRecordType } from '../store/write-ahead-log.ts';
import type { ExecutionResult } from './execution-result.ts';
import { exhausted, recordedRetryPolicy } from './execution-retries.ts';
import type { ExecutionWriter } from './execution-writer.ts';
import { failureWrite } from './failures.ts';
import type { ClaimBatch, ClaimedRun, ExecutionLifecycleDeps } from './lifecycle-types.ts';
import { outboxEvent, walRecord } from './records.ts';

/**
 * Claims up to `limit` queued executions of the intent types this runtime
 * has realms for (and any whose worker's lease expired) for `owner`, and
 * records each start (`queued → running`, `execution.started`) in the
 * claiming transaction.
 */
export async function claimExecutions(
  d: ExecutionLifecycleDeps, writer: ExecutionWriter, defaultRetryPolicy: CompiledRetryPolicy,
  owner: string, limit: number, leaseMs: number, options: { takeover?: boolean } = {},
): Promise<ClaimBatch> {
  const intentTypes = d.registry.list().map((i) => i.intentType);
  if (intentTypes.length === 0 || limit <= 0) return { runs: [], isolated: false, takeoverPending: false };
  const at = d.now().toISOString();
  // Claims span tenants: the queue is shared.
  const { runs, dead, isolated, takeoverPending } = await d.db.scoped(ANY_TENANT).transaction(async (tx) => {
    const { claimed, exhausted: spent, isolated, takeoverPending } = await d.stateSurface.claim(tx, {
      owner, intentTypes, limit, leaseMs, policyVersion: d.policy.version, startedAt: at,
      defaultMaximumAttempts: defaultRetryPolicy.maximumAttempts, exclude: d.leases?.running() ?? [], takeover: options.takeover ?? true,
    });
    const records: WalRecordInput[] = [];
    const runs: ClaimedRun[] = claimed.map((c) => {
      const worker = { worker: owner, attempt: c.lease.attempt };
      if (c.claimedFrom === 'running') {
        records.push(walRecord(c, c.executionId, WalRecordType.STATE_TRANSITION,
          { from: 'running', to: 'queued', at, reason: `the lease of worker ${c.previousOwner} expired`, attempt: c.attempts - 1 }, at));
      }
      const from = c.claimedFrom === 'waiting' ? 'waiting' : 'queued';
      records.push(walRecord(c, c.executionId, WalRecordType.STATE_TRANSITION, { from, to: 'running', at, ...worker }, at));
      const started = outboxEvent(d.now(), c, c.executionId, 'runtime', 'execution.started', {
        executionId: c.executionId, intentId: c.intentId, intentType: c.intentType, realm: c.realm, ...worker,
      });
      return { execution: c, started };
    });
    if (records.length > 0) await d.wal.append(tx, records);
    if (runs.length > 0) await d.outbox.insert(tx, runs.map((r) => r.started));
    // Abandoned on their last attempt (the worker died holding them): dead, in this transaction.
    const dead: ExecutionResult[] = [];
    for (const e of spent) {
      const policy = recordedRetryPolicy(e.retryPolicy, defaultRetryPolicy);
      const last = { code: 'SYM_ERR_INTERRUPTED', message: `the lease of worker ${e.lease.owner} expired (attempt ${e.attempts})` };
      const w = failureWrite(d.now(), e, exhausted(e.executionId, policy, e.attempts - e.retryBase, last), [
        { from: 'running', to: 'dead', at, attempt: e.attempts, maximumAttempts: policy.maximumAttempts, lastError: last },
      ], { status: 'dead' });
      await writer.one(tx, w.write);
      dead.push(w.result);
    }
    return { runs, dead, isolated, takeoverPending };
  });
  for (const r of dead) d.observer?.finished(r);
  if (runs.length > 0 || dead.length > 0) d.relay.kick();
  return { runs, isolated, takeoverPending };
}
