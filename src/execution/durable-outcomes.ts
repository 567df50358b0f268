import type { Intent } from '../intent/intent.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import type { PolicyDecision } from '../policy/decision.ts';
import { WalRecordType, type WalRecordInput } from '../store/write-ahead-log.ts';
import type { DurableRun, Suspension } from './durable-run.ts';
import type { ExecutionResult } from './execution-result.ts';
import type { ExecutionWrite } from './execution-writes.ts';
import type { ExecutionWriter } from './execution-writer.ts';
import { CompletionOutcomeUnknown, LeaseLostError, type ExecutionLifecycleDeps, type RunArgs } from './lifecycle-types.ts';
import { outboxEvent, round, walRecord } from './records.ts';

/**
 * What the lifecycle records for durable steps: at completion, the
 * materialization policy's decision on each journaled step result (kept
 * only when it persists them; a `governance_decision` WAL record each); and
 * the suspension of a run at a wait (`running → waiting`).
 */

/** The completion's part for the journal: decision records, and the rows to drop (all but the persisted steps'). */
export function stepCompletion(
  durable: DurableRun, policy: CompiledPolicy, intent: Intent, executionId: string, realm: string, at: string,
): Pick<ExecutionWrite, 'dropSteps'> & { wal: WalRecordInput[] } {
  if (!durable.used) return { wal: [] };
  const keep: number[] = [];
  const wal: WalRecordInput[] = [];
  for (const [seq, row] of [...durable.rows].sort((a, b) => a[0] - b[0])) {
    if (row.kind !== 'step') continue;
    const sizeBytes = Buffer.byteLength(JSON.stringify(row.result ?? null));
    const inputs = { resultType: row.resultType, tenantId: intent.tenantId, intentType: intent.intentType, realm, sizeBytes, tags: [] };
    const decision: PolicyDecision = policy.evaluate(inputs);
    // Persisted step results stay in the journal (the store keeps them); anything else is gone with the completion.
    const kept = decision.decision === 'persist';
    if (kept) keep.push(seq);
    wal.push(walRecord(intent, executionId, WalRecordType.GOVERNANCE_DECISION, {
      artifactKey: `step:${row.name}#${row.occurrence}`, step: { name: row.name, occurrence: row.occurrence, seq },
      resultType: row.resultType, decision: decision.decision, layer: decision.layer, reason: decision.reason,
      policyVersion: decision.policyVersion, ...(decision.ruleId ? { ruleId: decision.ruleId } : {}),
      inputs, outcome: { stored: kept, ...(kept ? { journaled: true } : {}) },
    }, at));
  }
  return { wal, dropSteps: { executionId, keep } };
}

/**
 * Records a run that stopped at a wait: the wait's journal row, `running →
 * waiting` (lease released; resumed at the row's timer, or by a signal), an
 * `execution.waiting` event — one write, fenced by the lease. Then wakes it
 * at once if its signal came while the wait was being recorded. Returns the
 * `waiting` result; throws LeaseLostError when the lease was lost.
 */
export async function recordWait(
  d: ExecutionLifecycleDeps, writer: ExecutionWriter, r: RunArgs, s: Suspension, realmMs: number,
): Promise<ExecutionResult> {
  const { intent, executionId, lease, policy } = r;
  const at = d.now().toISOString();
  const wait = { kind: s.row.kind, name: s.row.name, occurrence: s.row.occurrence, seq: s.row.seq, ...(s.row.detail ?? {}) };
  const event = outboxEvent(d.now(), intent, executionId, 'runtime', 'execution.waiting', {
    executionId, intentId: intent.intentId, intentType: intent.intentType, status: 'waiting', wait,
  });
  const result: ExecutionResult = {
    executionId, intentId: intent.intentId, intentType: intent.intentType, tenantId: intent.tenantId, sessionId: intent.sessionId,
    status: 'waiting', policyVersion: policy.version, artifacts: [], events: [r.started, event],
  };
  const outcome = await writer.write(intent.tenantId, {
    covered: intent,
    steps: [s.row],
    finish: { executionId, status: 'waiting', waitSeq: s.row.seq, state: null, result: null, error: null, finishedAt: at, lease },
    wal: [walRecord(intent, executionId, WalRecordType.STATE_TRANSITION, { from: 'running', to: 'waiting', at, realmMs: round(realmMs), wait }, at)],
    outbox: [event],
  });
  if (outcome !== 'written') {
    if (lease === null) throw new CompletionOutcomeUnknown(`execution ${executionId}: recording its wait found it no longer running`);
    throw new LeaseLostError(executionId, lease);
  }
  if (s.row.kind === 'signal' || s.row.kind === 'approval') {
    const journal = d.stepJournal;
    await d.db.scoped(intent.tenantId).transaction((tx) => journal.wakeIfSignalled(tx, executionId));
  }
  d.relay.kick();
  return result;
}
