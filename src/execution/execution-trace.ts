import type { Attributes, Context, Span } from '@opentelemetry/api';
import type { Intent } from '../intent/intent.ts';
import { contentAttribute, DECISION_EVENT, failSpan, SpanAttr } from '../telemetry/execution-spans.ts';
import type { ExecutionResult } from './execution-result.ts';
import type { Pending } from './materialize.ts';

/**
 * What an execution's spans say, from its facts: identities, its status, a
 * decision per artifact. Content only where the policy's `trace: include`
 * let it in, and only after the completion that records so committed.
 */

/** The spans one run of an execution hangs under: its `execute` span and that span's context. */
export interface RunTrace {
  readonly span: Span;
  readonly context: Context;
}

/** The identity attributes of an execution's spans (never its parameters). */
export function executionAttributes(intent: Intent, executionId: string | null, realm?: string): Attributes {
  return {
    [SpanAttr.INTENT_ID]: intent.intentId,
    [SpanAttr.INTENT_TYPE]: intent.intentType,
    [SpanAttr.TENANT_ID]: intent.tenantId,
    [SpanAttr.SESSION_ID]: intent.sessionId,
    ...(executionId ? { [SpanAttr.EXECUTION_ID]: executionId } : {}),
    ...(realm ? { [SpanAttr.REALM]: realm } : {}),
  };
}

/** One event per artifact on the materialize span: its key, type and decision (no content). */
export function traceDecisions(span: Span, pending: readonly Pending[]): void {
  for (const p of pending) {
    span.addEvent(DECISION_EVENT, {
      [SpanAttr.ARTIFACT_KEY]: p.artifact.key,
      [SpanAttr.RESULT_TYPE]: p.artifact.resultType,
      [SpanAttr.DECISION]: p.decision.decision,
      [SpanAttr.DECISION_LAYER]: p.decision.layer,
      [SpanAttr.POLICY_VERSION]: p.decision.policyVersion,
    });
  }
}

/** The artifacts whose content the policy lets into traces (`trace: include`). */
export const tracedContent = (pending: readonly Pending[]): Pending[] => pending.filter((p) => p.decision.trace === 'include');

/**
 * The trace id to record as carrying this execution's content, when some
 * artifact's content will enter it: only a recording span exports anything.
 */
export function contentTraceId(run: RunTrace | undefined, pending: readonly Pending[]): string | null {
  if (!run || !run.span.isRecording() || tracedContent(pending).length === 0) return null;
  return run.span.spanContext().traceId;
}

/** After the completion committed (and recorded the trace id): the included content, one event per artifact, on the execution span. */
export function traceContent(run: RunTrace | undefined, pending: readonly Pending[]): void {
  if (!run) return;
  for (const p of tracedContent(pending)) {
    run.span.addEvent('symphainy.artifact', {
      [SpanAttr.ARTIFACT_KEY]: p.artifact.key,
      [SpanAttr.RESULT_TYPE]: p.artifact.resultType,
      [SpanAttr.ARTIFACT_CONTENT]: contentAttribute(p.artifact),
    });
  }
}

/** The execution span's outcome: its status, and an error status with the failure's code. */
export function traceOutcome(span: Span, result: Pick<ExecutionResult, 'status' | 'error'> & { readonly executionId: string }): void {
  span.setAttribute(SpanAttr.EXECUTION_ID, result.executionId);
  span.setAttribute(SpanAttr.EXECUTION_STATUS, result.status);
  if (result.error) failSpan(span, null, result.error.code);
}
