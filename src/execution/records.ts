import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Intent } from '../intent/intent.ts';
import { failureOf } from '../realm/realm-failure.ts';
import type { ArtifactLineage } from '../store/artifact-index.ts';
import type { OutboxEvent } from '../store/outbox.ts';
import type { ExecutionState } from '../store/state-surface.ts';
import type { WalRecordInput } from '../store/write-ahead-log.ts';
import type { ExecutionWrite } from './execution-writes.ts';
import { FaultPoint, type Faults } from './fault-points.ts';
import type { IntentRef } from './lifecycle-types.ts';
import type { Pending } from './materialize.ts';

/**
 * The records an execution's lifecycle writes, built from its facts: WAL
 * records, outbox events, the semantic state, a decision's record. Pure
 * builders; writing them is the {@link ExecutionWriter}'s job.
 */

/** A WAL record of this intent's execution (`executionId` null: an intent that never became one). */
export function walRecord(
  intent: IntentRef, executionId: string | null, recordType: WalRecordInput['recordType'], payload: Record<string, unknown>, recordedAt: string,
): WalRecordInput {
  return { tenantId: intent.tenantId, executionId, intentId: intent.intentId, recordType, payload, recordedAt };
}

/** An outbox event of this execution, created at `now`. */
export function outboxEvent(
  now: Date, intent: IntentRef, executionId: string, source: OutboxEvent['source'], eventType: string, payload: unknown,
): OutboxEvent {
  return {
    eventId: randomUUID(), eventType, source, tenantId: intent.tenantId, sessionId: intent.sessionId, executionId,
    payload: payload ?? null, createdAt: now.toISOString(),
  };
}

/** A fault hook to run before a write commits, in this caller's async context (a batch runs it for every member). */
export function faultHook(faults: Faults, point: FaultPoint): Pick<ExecutionWrite, 'beforeCommit'> {
  const hook = faults[point];
  return hook ? { beforeCommit: AsyncResource.bind(() => hook()) } : {};
}

/** The execution's state: each artifact's semantic payload, and where the persisted ones are. */
export function stateOf(pending: readonly Pending[]): ExecutionState {
  const semantic: ExecutionState['semantic'] = {};
  const references: Record<string, string> = {};
  for (const { artifact, outcome } of pending) {
    semantic[artifact.key] = { resultType: artifact.resultType, payload: artifact.semanticPayload };
    if (outcome.artifactId) references[`${artifact.key}_artifact_id`] = outcome.artifactId;
    if (outcome.storagePath) references[`${artifact.key}_storage_path`] = outcome.storagePath;
  }
  return { semantic, references };
}

/** The `governance_decision` WAL payload of one artifact: the decision, its inputs, what became of it, its lineage. */
export function decisionRecord(p: Pending, intent: Intent, realm: string, lineage: ArtifactLineage): Record<string, unknown> {
  const { artifact, decision, outcome } = p;
  return {
    artifactKey: artifact.key,
    resultType: artifact.resultType,
    decision: decision.decision,
    layer: decision.layer,
    reason: decision.reason,
    policyVersion: decision.policyVersion,
    ...(decision.ruleId ? { ruleId: decision.ruleId } : {}),
    ...(decision.config ? { config: decision.config } : {}),
    ...(decision.ttlSeconds !== undefined ? { ttlSeconds: decision.ttlSeconds } : {}),
    ...(decision.retentionSeconds !== undefined ? { retentionSeconds: decision.retentionSeconds } : {}),
    // The policy let this artifact's content into the execution's trace.
    ...(decision.trace !== undefined ? { trace: decision.trace } : {}),
    inputs: { resultType: artifact.resultType, tenantId: intent.tenantId, intentType: intent.intentType, realm, sizeBytes: artifact.sizeBytes, tags: artifact.tags },
    outcome: {
      stored: outcome.stored ?? false,
      ...(outcome.artifactId ? { artifactId: outcome.artifactId, storagePath: outcome.storagePath } : {}),
      ...(outcome.cacheId ? { cacheId: outcome.cacheId, expiresAt: outcome.expiresAt } : {}),
      ...(outcome.storageError ? { storageError: outcome.storageError } : {}),
    },
    lineage,
  };
}

/** Whatever was thrown, as a recordable failure (storable text, a SYM_ERR_* code). */
export function toFailure(err: unknown, intentType: string): { code: string; message: string } {
  return failureOf(err, intentType);
}

/** Milliseconds to two decimals, for the timings recorded in transitions. */
export const round = (ms: number) => Math.round(ms * 100) / 100;
