import type { Queryable } from '../db/db.ts';
import { canonicalJson } from '../json/canonical-json.ts';
import { DuplicateIntentError, type SymphainyError } from '../errors/index.ts';
import type { Intent } from '../intent/intent.ts';
import type { OutboxEvent } from '../store/outbox.ts';
import { isRedacted } from '../store/wal-chain.ts';
import type { ExecutionRecord, Lease, StateSurface } from '../store/state-surface.ts';
import { WalRecordType } from '../store/write-ahead-log.ts';
import type { ExecutionLifecycleDeps } from './lifecycle-types.ts';
import { outboxEvent, walRecord } from './records.ts';
import { sealWal } from './seal-write.ts';

/**
 * Intent ids are idempotency keys, per tenant: a repeated intent id is the
 * same request (same type, parameters, session and solution) or it is
 * refused, naming the field that differs — never a silent replay.
 */

/** What recording a rejected intent needs from the runtime. */
export type RejectionDeps = Pick<ExecutionLifecycleDeps, 'now' | 'wal' | 'db' | 'logger' | 'cipher'>;

/** The execution that already holds this tenant's intent id; refused when it was for another intent type. */
export async function priorOfSameType(stateSurface: StateSurface, intent: Intent): Promise<ExecutionRecord> {
  const prior = await stateSurface.getByIntentId(intent.intentId, intent.tenantId);
  if (!prior) throw new DuplicateIntentError(intent.intentId);
  if (prior.intentType !== intent.intentType) {
    throw new DuplicateIntentError(intent.intentId, `was already used for intent type '${prior.intentType}' (execution ${prior.executionId})`, 'intentType');
  }
  // Erased: nothing is left to compare or replay, and the id stays taken (its records keep it).
  if (isRedacted(prior.parameters)) {
    const erasureId = (prior.parameters as { erasureId?: unknown }).erasureId;
    throw new DuplicateIntentError(intent.intentId, `belongs to execution ${prior.executionId}, erased${typeof erasureId === 'string' ? ` (erasure ${erasureId})` : ''}`);
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
    // The refusal's message may quote the parameters: sealed like the intent's content.
    const record = walRecord(intent, null, WalRecordType.INTENT_REJECTED, payload, at);
    const sealed = d.cipher ? (await sealWal(d.cipher, [record], d.cipher.cover(intent)))[0]! : record;
    await d.wal.append(d.db.scoped(intent.tenantId), [sealed]);
  } catch (storeErr) {
    d.logger.error({ err: storeErr }, 'recording a rejected intent failed');
  }
}

/** The execution a restart took, with its new lease. */
type Taken = Pick<ExecutionRecord, 'executionId' | 'intentId' | 'intentType' | 'tenantId' | 'sessionId' | 'realm'> & { readonly lease: Lease };

/**
 * A restart of an execution in this runtime, in one transaction: `take`
 * moves it to `running` under a new lease (null: it was not in the state it
 * expected), then the WAL transition and its `execution.started` event.
 */
async function restart(
  d: ExecutionLifecycleDeps, tenantId: string, take: (tx: Queryable, at: string) => Promise<Taken | null>, transition: Record<string, unknown>,
): Promise<{ lease: Lease; started: OutboxEvent } | null> {
  const at = d.now().toISOString();
  const restarted = await d.db.scoped(tenantId).transaction(async (tx) => {
    const e = await take(tx, at);
    if (!e) return null;
    const attempt = { worker: e.lease.owner, attempt: e.lease.attempt };
    await d.wal.append(tx, [walRecord(e, e.executionId, WalRecordType.STATE_TRANSITION, { ...transition, to: 'running', at, ...attempt }, at)]);
    const started = outboxEvent(d.now(), e, e.executionId, 'runtime', 'execution.started', {
      executionId: e.executionId, intentId: e.intentId, intentType: e.intentType, realm: e.realm, ...attempt,
    });
    await d.outbox.insert(tx, [started]);
    return { lease: e.lease, started };
  });
  if (restarted) d.relay.kick();
  return restarted;
}

/** A new attempt of an interrupted direct execution, for this runtime: `failed → running` in the WAL, with its event. */
export function resumeInterrupted(
  d: ExecutionLifecycleDeps, prior: ExecutionRecord, owner: string, maximumAttempts: number,
): Promise<{ lease: Lease; started: OutboxEvent } | null> {
  return restart(d, prior.tenantId, (tx, at) => d.stateSurface.resumeInterrupted(tx, prior.executionId, {
    owner, leaseMs: d.leaseMs ?? 30_000, defaultMaximumAttempts: maximumAttempts, startedAt: at,
  }), { from: 'failed', reason: 'the intent was repeated after its process stopped' });
}

/** Resumes a due `waiting` execution in this runtime, when its intent is repeated: `waiting → running` in the WAL, with its event. */
export function resumeWaiting(d: ExecutionLifecycleDeps, prior: ExecutionRecord, owner: string): Promise<{ lease: Lease; started: OutboxEvent } | null> {
  return restart(d, prior.tenantId, (tx) => d.stateSurface.resumeWaiting(tx, prior.executionId, { owner, leaseMs: d.leaseMs ?? 30_000 }), { from: 'waiting' });
}
