import { canonicalJson } from '../json/canonical-json.ts';
import { DuplicateIntentError, type SymphainyError } from '../errors/index.ts';
import type { Intent } from '../intent/intent.ts';
import type { OutboxEvent } from '../store/outbox.ts';
import type { ExecutionRecord, Lease, StateSurface } from '../store/state-surface.ts';
import { WalRecordType } from '../store/write-ahead-log.ts';
import type { ExecutionLifecycleDeps } from './lifecycle-types.ts';
import { outboxEvent, walRecord } from './records.ts';

/**
 * Intent ids are idempotency keys, per tenant: a repeated intent id is the
 * same request (same type, parameters, session and solution) or it is
 * refused, naming the field that differs — never a silent replay.
 */

/** What recording a rejected intent needs from the runtime. */
export type RejectionDeps = Pick<ExecutionLifecycleDeps, 'now' | 'wal' | 'db' | 'logger'>;

/** The execution that already holds this tenant's intent id; refused when it was for another intent type. */
export async function priorOfSameType(stateSurface: StateSurface, intent: Intent): Promise<ExecutionRecord> {
  const prior = await stateSurface.getByIntentId(intent.intentId, intent.tenantId);
  if (!prior) throw new DuplicateIntentError(intent.intentId);
  if (prior.intentType !== intent.intentType) {
    throw new DuplicateIntentError(intent.intentId, `was already used for intent type '${prior.intentType}' (execution ${prior.executionId})`, 'intentType');
  }
  // A retry repeats the request; anything different under the same id is another intent, never a silent replay.
  if (canonicalJson(prior.parameters) !== canonicalJson(intent.parameters)) {
    throw new DuplicateIntentError(intent.intentId, `was already used with different parameters (execution ${prior.executionId})`, 'parameters');
  }
  if (prior.sessionId !== intent.sessionId) {
    throw new DuplicateIntentError(intent.intentId, `was already used in session '${prior.sessionId}', not '${intent.sessionId}' (execution ${prior.executionId})`, 'sessionId');
  }
  if ((prior.solutionId ?? null) !== (intent.solutionId ?? null)) {
    const named = (id: string | null | undefined) => (id ? `solution '${id}'` : 'no solution');
    throw new DuplicateIntentError(intent.intentId, `was already used with ${named(prior.solutionId)}, not ${named(intent.solutionId)} (execution ${prior.executionId})`, 'solutionId');
  }
  return prior;
}

/** Records a refused intent (`intent_rejected`, without its parameters); a store failure is logged, not thrown. */
export async function recordRejected(d: RejectionDeps, intent: Intent, err: SymphainyError): Promise<void> {
  const at = d.now().toISOString();
  // Parameters are not kept: a rejected intent was never accepted as platform meaning.
  const payload = {
    intent: { intentId: intent.intentId, intentType: intent.intentType, tenantId: intent.tenantId, sessionId: intent.sessionId, createdAt: intent.createdAt },
    error: { code: err.code, message: err.message },
  };
  try {
    await d.wal.append(d.db.scoped(intent.tenantId), [walRecord(intent, null, WalRecordType.INTENT_REJECTED, payload, at)]);
  } catch (storeErr) {
    d.logger.error({ err: storeErr }, 'recording a rejected intent failed');
  }
}

/** A new attempt of an interrupted direct execution, for this runtime: `failed → running` in the WAL, with its event. */
export async function resumeInterrupted(
  d: ExecutionLifecycleDeps, prior: ExecutionRecord, owner: string, maximumAttempts: number,
): Promise<{ lease: Lease; started: OutboxEvent } | null> {
  const at = d.now().toISOString();
  const resumed = await d.db.scoped(prior.tenantId).transaction(async (tx) => {
    const e = await d.stateSurface.resumeInterrupted(tx, prior.executionId, {
      owner, leaseMs: d.leaseMs ?? 30_000, defaultMaximumAttempts: maximumAttempts, startedAt: at,
    });
    if (!e) return null;
    const attempt = { worker: e.lease.owner, attempt: e.lease.attempt };
    await d.wal.append(tx, [walRecord(e, e.executionId, WalRecordType.STATE_TRANSITION, {
      from: 'failed', to: 'running', at, reason: 'the intent was repeated after its process stopped', ...attempt,
    }, at)]);
    const started = outboxEvent(d.now(), e, e.executionId, 'runtime', 'execution.started', {
      executionId: e.executionId, intentId: e.intentId, intentType: e.intentType, realm: e.realm, ...attempt,
    });
    await d.outbox.insert(tx, [started]);
    return { lease: e.lease, started };
  });
  if (resumed) d.relay.kick();
  return resumed;
}

/** Resumes a due `waiting` execution in this runtime, when its intent is repeated: `waiting → running` in the WAL, with its event. */
export async function resumeWaiting(d: ExecutionLifecycleDeps, prior: ExecutionRecord, owner: string): Promise<{ lease: Lease; started: OutboxEvent } | null> {
  const at = d.now().toISOString();
  const resumed = await d.db.scoped(prior.tenantId).transaction(async (tx) => {
    const e = await d.stateSurface.resumeWaiting(tx, prior.executionId, { owner, leaseMs: d.leaseMs ?? 30_000 });
    if (!e) return null;
    const attempt = { worker: e.lease.owner, attempt: e.lease.attempt };
    await d.wal.append(tx, [walRecord(e, e.executionId, WalRecordType.STATE_TRANSITION, { from: 'waiting', to: 'running', at, ...attempt }, at)]);
    const started = outboxEvent(d.now(), e, e.executionId, 'runtime', 'execution.started', {
      executionId: e.executionId, intentId: e.intentId, intentType: e.intentType, realm: e.realm, ...attempt,
    });
    await d.outbox.insert(tx, [started]);
    return { lease: e.lease, started };
  });
  if (resumed) d.relay.kick();
  return resumed;
}
