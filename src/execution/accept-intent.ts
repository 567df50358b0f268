import { randomUUID } from 'node:crypto';
import { StoreError, type SymphainyError } from '../errors/index.ts';
import { isKeyError } from '../errors/key-errors.ts';
import { createIntent, type Intent, type IntentInput } from '../intent/intent.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import { durationOption, MAX_TIMER_SECONDS } from '../policy/duration.ts';
import { compiledRetryPolicyOf } from '../realm/define-realm.ts';
import type { RegisteredIntent } from '../realm/intent-registry.ts';
import type { OutboxEvent } from '../store/outbox.ts';
import { WalRecordType } from '../store/write-ahead-log.ts';
import { failSpan, startSpan, traceOf } from '../telemetry/execution-spans.ts';
import type { ExecutionWriter } from './execution-writer.ts';
import { executionAttributes, type RunTrace } from './execution-trace.ts';
import { FaultPoint } from './fault-points.ts';
import { recordRejected } from './idempotency.ts';
import type { ExecuteOptions, ExecutionLifecycleDeps } from './lifecycle-types.ts';
import { faultHook, outboxEvent, walRecord } from './records.ts';

/** The first two stages of every execution: accept (validate and route the intent) and record it. */

/** An intent that passed validation, with its realm's registration, its checked parameters and the policy it runs under. */
export interface Accepted {
  readonly intent: Intent;
  readonly entry: RegisteredIntent;
  readonly params: unknown;
  readonly policy: CompiledPolicy;
}

const STORE_ERROR_CODE = 'SYM_ERR_STORE';

/**
 * Validates an intent and routes it to its realm, in an `accept` span; then
 * names the execution span `OP <intent type>` (only once routed: span names
 * stay within the registered types). A refused intent is recorded
 * (`intent_rejected`) and thrown.
 */
export async function acceptIntent(
  d: ExecutionLifecycleDeps, input: IntentInput | Intent, options: ExecuteOptions,
  policyOf: (intent: Intent) => CompiledPolicy, trace: RunTrace, op: 'execute' | 'submit',
): Promise<Accepted> {
  const span = startSpan('accept', trace.context, {});
  try {
    const accepted = await validate(d, input, options, policyOf);
    const attributes = executionAttributes(accepted.intent, null, accepted.entry.realm);
    span.setAttributes(attributes);
    trace.span.updateName(`${op} ${accepted.intent.intentType}`);
    trace.span.setAttributes(attributes);
    return accepted;
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

async function validate(
  d: ExecutionLifecycleDeps, input: IntentInput | Intent, options: ExecuteOptions, policyOf: (intent: Intent) => CompiledPolicy,
): Promise<Accepted> {
  const intent = createIntent(input as IntentInput);
  const policy = options.policy ?? policyOf(intent);
  // The one duration parser: whole milliseconds, at most what a timer can wait.
  if (options.timeoutMs !== undefined) durationOption('timeoutMs', options.timeoutMs, { unit: 'ms', plain: 'ms', subSecond: true, max: MAX_TIMER_SECONDS });
  // Validate: unknown type or bad parameters are refused before anything runs.
  try {
    const entry = d.registry.resolve(intent.intentType);
    const params = d.registry.validateParameters(entry, intent.parameters);
    return { intent, entry, params, policy };
  } catch (err) {
    await recordRejected(d, intent, err as SymphainyError);
    throw err;
  }
}

/**
 * Record: the intent, the execution (`running` under `ownerId`'s lease, or
 * `queued` for a worker) with the trace it joined, and its first transition
 * and event commit together, in a `record` span. `'taken'` when this tenant
 * already used the intent id.
 */
export async function recordIntent(
  d: ExecutionLifecycleDeps, writer: ExecutionWriter, ownerId: string,
  intent: Intent, entry: RegisteredIntent, policy: CompiledPolicy, to: 'running' | 'queued', trace: RunTrace,
): Promise<{ executionId: string; event: OutboxEvent } | 'taken'> {
  const executionId = randomUUID();
  const at = d.now().toISOString();
  const event = outboxEvent(d.now(), intent, executionId, 'runtime', to === 'running' ? 'execution.started' : 'execution.queued', {
    executionId, intentId: intent.intentId, intentType: intent.intentType, realm: entry.realm,
  });
  const recordStart = performance.now();
  const span = startSpan('record', trace.context, executionAttributes(intent, executionId, entry.realm));
  try {
    const outcome = await writer.write(intent.tenantId, {
      insert: {
        execution: {
          executionId, intentId: intent.intentId, tenantId: intent.tenantId, sessionId: intent.sessionId,
          intentType: intent.intentType, realm: entry.realm, parameters: intent.parameters as Record<string, unknown>,
          policyVersion: policy.version, intentCreatedAt: intent.createdAt, solutionId: intent.solutionId ?? null,
          trace: traceOf(trace.span),
        },
        status: to,
        at,
        lease: to === 'running' ? { owner: ownerId, leaseMs: d.leaseMs ?? 30_000 } : null,
        // The realm's own policy travels with the execution; else the claiming worker's applies.
        retryPolicy: compiledRetryPolicyOf(entry.definition) ?? null,
      },
      wal: [
        walRecord(intent, executionId, WalRecordType.INTENT, { intent, realm: entry.realm }, at),
        walRecord(intent, executionId, WalRecordType.STATE_TRANSITION, { from: 'accepted', to, at }, at),
      ],
      outbox: [event],
      ...faultHook(d.faults, FaultPoint.BEFORE_START_COMMIT),
    });
    if (outcome === 'taken') return 'taken';
  } catch (err) {
    // A key that cannot be used (sealing runs before the transaction) is reported as itself, naming the key.
    if (isKeyError(err)) {
      failSpan(span, err, err.code);
      throw err;
    }
    failSpan(span, err, STORE_ERROR_CODE);
    throw new StoreError(`cannot record intent '${intent.intentId}': ${(err as Error).message}`, { cause: err });
  } finally {
    span.end();
  }
  d.observer?.stage('record', performance.now() - recordStart);
  d.relay.kick();
  return { executionId, event };
}
