import type { TenantScope } from '../db/tenant-scope.ts';
import { DuplicateIntentError, ExecutionInterruptedError, StoreError } from '../errors/index.ts';
import type { Intent, IntentInput } from '../intent/intent.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import { DEFAULT_RETRY_POLICY, type CompiledRetryPolicy } from '../policy/retry-policy.ts';
import { compiledRetryPolicyOf } from '../realm/define-realm.ts';
import type { RegisteredIntent } from '../realm/intent-registry.ts';
import { normalizeResult, type NormalizedResult } from '../realm/normalize-result.ts';
import type { OutboxEvent } from '../store/outbox.ts';
import type { ExecutionRecord } from '../store/state-surface.ts';
import { WalRecordType } from '../store/write-ahead-log.ts';
import type { ExecutionResult } from './execution-result.ts';
import { afterFailedAttempt, attemptOf, recordedRetryPolicy, requeueForOperator, type AttemptOutcome, type RetryState } from './execution-retries.ts';
import { ExecutionWriter } from './execution-writer.ts';
import { completionFailed } from './completion-failure.ts';
import { recordFailure } from './failures.ts';
import { FaultPoint } from './fault-points.ts';
import { priorOfSameType, resumeInterrupted, resumeWaiting } from './idempotency.ts';
import { claimExecutions } from './claim.ts';
import {
  CompletionOutcomeUnknown, LeaseLostError,
  type ClaimBatch, type ClaimedRun, type ExecuteOptions, type ExecutionLifecycleDeps, type ExecutionRef, type RunArgs, type SubmitOptions, type SubmittedExecution,
} from './lifecycle-types.ts';
import { tagLineage } from './lineage.ts';
import { decide, materialize, type Pending } from './materialize.ts';
import { decisionRecord, faultHook, outboxEvent, round, stateOf, toFailure, walRecord } from './records.ts';
import { runHandler } from './run-handler.ts';
import { streamEnded } from './execution-stream.ts';
import { DurableRun, Suspension } from './durable-run.ts';
import { recordWait, stepCompletion } from './durable-outcomes.ts';
import { acceptIntent, recordIntent } from './accept-intent.ts';
import { contentTraceId, executionAttributes, traceContent, traceDecisions, traceOutcome, type RunTrace } from './execution-trace.ts';
import { SpanKind } from '@opentelemetry/api';
import { inSpan, parentContext, SpanAttr, startSpan } from '../telemetry/execution-spans.ts';

export { LeaseLostError } from './lifecycle-types.ts';
export type { ClaimBatch, ClaimedRun, ExecuteOptions, ExecutionLifecycleDeps, SubmitOptions, SubmittedExecution } from './lifecycle-types.ts';

/**
 * General notes: the ExecutionLifecycleManager runs one intent through the
 * stages of DESIGN.md — validate, record (one transaction), run the realm (no
 * transaction open), normalize, tag lineage, evaluate policy, materialize
 * (blobs outside any transaction), complete (one transaction), relay events.
 * It owns the ordering and the failure handling of those stages; it does not
 * own any table (the store modules do) nor decide anything (the policy does).
 */
export class ExecutionLifecycleManager {
  readonly #writer: ExecutionWriter;

  constructor(private readonly d: ExecutionLifecycleDeps) {
    this.#writer = new ExecutionWriter(d);
  }

  async execute(input: IntentInput | Intent, options: ExecuteOptions = {}): Promise<ExecutionResult> {
    const parent = parentContext(options.traceparent);
    const span = startSpan('execute', parent, {});
    return inSpan(span, parent, async (context) => {
      const trace: RunTrace = { span, context };
      const { intent, entry, params, policy } = await acceptIntent(this.d, input, options, (i) => this.#policyOf(i), trace, 'execute');
      const recorded = await recordIntent(this.d, this.#writer, this.#ownerId, intent, entry, policy, 'running', trace);
      // The intent id is taken: replay its recorded result (same tenant, finished), start a new attempt, or refuse.
      if (recorded === 'taken') return this.#traced(span, await this.#replay(intent, entry, params, policy, options, trace));
      const { executionId, event: started } = recorded;
      const lease = { owner: this.#ownerId, attempt: 1 };
      return this.#traced(span, await this.#runDirect({ intent, entry, params, policy, executionId, started, timeoutMs: options.timeoutMs, lease, trace }));
    });
  }

  /** The execution span's outcome, and a log line in it (the default logger adds its trace id). */
  #traced(span: RunTrace['span'], result: ExecutionResult): ExecutionResult {
    traceOutcome(span, result);
    this.d.logger.debug({ executionId: result.executionId, status: result.status }, 'execution ended its run');
    return result;
  }

  get #ownerId(): string {
    return this.d.ownerId ?? 'direct';
  }

  get #retryPolicy(): CompiledRetryPolicy {
    return this.d.retryPolicy ?? DEFAULT_RETRY_POLICY;
  }

  /** The retry policy an intent type runs under: its realm's, else the runtime's. */
  #retryPolicyOf(entry: RegisteredIntent): CompiledRetryPolicy {
    return compiledRetryPolicyOf(entry.definition) ?? this.#retryPolicy;
  }

  /** A direct run: if its lease was lost (its process was taken for dead), the caller gets what was recorded instead. */
  async #runDirect(r: RunArgs): Promise<ExecutionResult> {
    try {
      return await this.#run(r);
    } catch (err) {
      if (!(err instanceof LeaseLostError)) throw err;
      const recorded = await this.d.stateSurface.get(r.executionId, r.intent.tenantId);
      if (recorded?.result) return recorded.result as ExecutionResult;
      throw new StoreError(`execution ${r.executionId}: ${err.message}`, { cause: err });
    }
  }

  /**
   * Records an intent as a queued execution (WAL intent record, `accepted →
   * queued`, an `execution.queued` event) for a worker to claim, and returns
   * at once. Submitting an intent id again returns the same execution.
   */
  async submit(input: IntentInput | Intent, options: SubmitOptions = {}): Promise<SubmittedExecution> {
    const parent = parentContext(options.traceparent);
    // A queued execution is a message to a worker: producer here, consumer where it is claimed (messaging conventions).
    const span = startSpan('submit', parent, {}, SpanKind.PRODUCER);
    return inSpan(span, parent, async (context) => {
      const trace: RunTrace = { span, context };
      const { intent, entry, policy } = await acceptIntent(this.d, input, {}, (i) => this.#policyOf(i), trace, 'submit');
      const recorded = await recordIntent(this.d, this.#writer, this.#ownerId, intent, entry, policy, 'queued', trace);
      if (recorded === 'taken') {
        const prior = await priorOfSameType(this.d.stateSurface, intent);
        span.setAttribute(SpanAttr.EXECUTION_ID, prior.executionId);
        return { executionId: prior.executionId, intentId: prior.intentId, tenantId: prior.tenantId, status: prior.status, duplicate: true };
      }
      span.setAttributes({ [SpanAttr.EXECUTION_ID]: recorded.executionId, [SpanAttr.EXECUTION_STATUS]: 'queued' });
      return { executionId: recorded.executionId, intentId: intent.intentId, tenantId: intent.tenantId, status: 'queued', duplicate: false };
    });
  }

  /**
   * Claims up to `limit` queued executions for `owner` ({@link claimExecutions}):
   * those of the intent types this runtime has realms for, and any whose
   * worker's lease expired.
   */
  claim(owner: string, limit: number, leaseMs: number, options: { takeover?: boolean } = {}): Promise<ClaimBatch> {
    return claimExecutions(this.d, this.#writer, this.#retryPolicy, owner, limit, leaseMs, options);
  }

  /** Runs an execution {@link claim}ed by this worker; its completion is recorded only while the lease holds. */
  async runClaimed(run: ClaimedRun): Promise<ExecutionResult> {
    const { execution: c } = run;
    const intent: Intent = Object.freeze({
      intentId: c.intentId, intentType: c.intentType, tenantId: c.tenantId, sessionId: c.sessionId,
      parameters: c.parameters, createdAt: c.intentCreatedAt, ...(c.solutionId ? { solutionId: c.solutionId } : {}),
    });
    // The submitter's trace continues here, in whichever process claimed it.
    const parent = parentContext(c.traceparent);
    const span = startSpan(`execute ${c.intentType}`, parent, {
      ...executionAttributes(intent, c.executionId, c.realm), [SpanAttr.ATTEMPT]: c.lease.attempt,
    }, SpanKind.CONSUMER);
    return inSpan(span, parent, async (context) => this.#traced(span, await this.#runClaimed(run, intent, { span, context })));
  }

  async #runClaimed(run: ClaimedRun, intent: Intent, trace: RunTrace): Promise<ExecutionResult> {
    const { execution: c, started } = run;
    const policy = this.#policyOf(intent);
    const ref = { ...intent, executionId: c.executionId, policyVersion: policy.version, lease: c.lease };
    let entry: RegisteredIntent;
    let params: unknown;
    try {
      entry = this.d.registry.resolve(c.intentType);
      params = this.d.registry.validateParameters(entry, c.parameters);
    } catch (err) {
      // Accepted when submitted, refused by this worker's realm (e.g. a newer schema): a failure, not a retry.
      return this.#fail(ref, toFailure(err, c.intentType), [{ from: 'running', to: 'failed', at: this.d.now().toISOString() }]);
    }
    const retry: RetryState = { policy: recordedRetryPolicy(c.retryPolicy, this.#retryPolicyOf(entry)), retryBase: c.retryBase };
    return this.#run({ intent, entry, params, policy, executionId: c.executionId, started, lease: c.lease, leaseMs: c.leaseMs, retry, trace });
  }

  #policyOf(intent: Pick<Intent, 'tenantId' | 'solutionId'>): CompiledPolicy {
    return this.d.policyFor?.(intent.tenantId, intent.solutionId) ?? this.d.policy;
  }

  /** Runs the realm and records the outcome: the part shared by direct and claimed executions. */
  async #run(r: RunArgs): Promise<ExecutionResult> {
    const timeoutMs = r.timeoutMs ?? r.entry.definition.timeoutMs ?? this.d.realmTimeoutMs;
    // The lease is renewed while it runs (off the event loop where the store allows), until the timeout.
    this.d.leases?.hold(r.executionId, r.lease, r.leaseMs ?? this.d.leaseMs ?? 30_000, timeoutMs);
    try {
      return await this.#runLeased(r, timeoutMs);
    } finally {
      this.d.leases?.release(r.executionId);
      streamEnded(this.d, r);
    }
  }

  async #runLeased(r: RunArgs, timeoutMs: number): Promise<ExecutionResult> {
    const d = this.d;
    const { intent, entry, params, policy, executionId, started, lease } = r;
    const ref: ExecutionRef = { ...intent, executionId, policyVersion: policy.version, lease };
    // Run the realm, with no transaction open and no storage handle.
    const realmStart = performance.now();
    let normalized: NormalizedResult;
    const durable = new DurableRun(d, this.#writer, { intent, executionId, lease });
    try {
      const parent = r.trace?.context ?? parentContext();
      const handlerSpan = startSpan(`handler ${intent.intentType}`, parent, executionAttributes(intent, executionId, entry.realm));
      const raw = await inSpan(handlerSpan, parent, (context) => {
        durable.traceContext = context;
        return runHandler(d, entry, params, intent, executionId, timeoutMs, durable, context);
      });
      if (raw instanceof Suspension) return await recordWait(d, this.#writer, r, raw, performance.now() - realmStart);
      normalized = normalizeResult(raw);
    } catch (err) {
      if (err instanceof LeaseLostError || err instanceof CompletionOutcomeUnknown) throw err;
      const failure = toFailure(err, intent.intentType);
      const outcome = this.#afterFailure(r, failure);
      return this.#fail(ref, failure, [
        { from: 'running', to: outcome.status, at: d.now().toISOString(), realmMs: round(performance.now() - realmStart), ...attemptOf(r, outcome) },
      ], outcome, r.retry);
    }
    const realmMs = round(performance.now() - realmStart);
    d.observer?.stage('realm', realmMs);
    const materializingAt = d.now().toISOString();

    // Tag lineage, evaluate policy, materialize, complete. Blob failures are recorded per artifact
    // (#materialize); anything else here is a store failure and fails the execution.
    let pending: Pending[] = [];
    try {
      const materializeStart = performance.now();
      const parent = r.trace?.context ?? parentContext();
      const lineage = await inSpan(startSpan('materialize', parent, executionAttributes(intent, executionId, entry.realm)), parent, async (_, span) => {
        const tagged = await tagLineage(d.artifactIndex, intent, executionId, entry.realm);
        pending = normalized.artifacts.map((artifact) => decide(policy, artifact, intent, entry.realm));
        traceDecisions(span, pending);
        await Promise.all(pending.map((p) => materialize(d, p, intent, executionId, tagged)));
        return tagged;
      });
      const materializeMs = round(performance.now() - materializeStart);
      d.observer?.stage('materialize', materializeMs);
      const finishedAt = d.now().toISOString();
      const outcomes = pending.map((p) => p.outcome);
      const steps = stepCompletion(durable, policy, intent, executionId, entry.realm, finishedAt);
      const events: OutboxEvent[] = [
        started,
        ...normalized.events.map((e) => outboxEvent(this.d.now(), intent, executionId, 'realm', e.eventType, e.data)),
        outboxEvent(this.d.now(), intent, executionId, 'runtime', 'execution.completed', {
          executionId, intentId: intent.intentId, intentType: intent.intentType, status: 'completed',
          artifacts: outcomes.map((o) => ({ key: o.key, resultType: o.resultType, decision: o.decision, artifactId: o.artifactId ?? null })),
        }),
      ];
      const result: ExecutionResult = {
        executionId, intentId: intent.intentId, intentType: intent.intentType, tenantId: intent.tenantId,
        sessionId: intent.sessionId, status: 'completed', policyVersion: policy.version, artifacts: outcomes, events,
      };
      await d.faults[FaultPoint.BEFORE_COMPLETE]?.();
      const completeStart = performance.now();
      const commitSpan = startSpan('commit', parent, executionAttributes(intent, executionId, entry.realm));
      const outcome = await inSpan(commitSpan, parent, () => this.#writer.write(intent.tenantId, {
        covered: intent,
        finish: { executionId, status: 'completed', state: stateOf(pending), result, error: null, finishedAt, lease, contentTraceId: contentTraceId(r.trace, pending) },
        artifacts: pending.flatMap((p) => (p.index ? [p.index] : [])),
        contents: pending.flatMap((p) => p.inline ?? []),
        ...(steps.dropSteps ? { dropSteps: steps.dropSteps } : {}),
        cache: pending.flatMap((p) => (p.cacheEntry && d.cache.transactional ? [p.cacheEntry] : [])),
        wal: [
          walRecord(intent, executionId, WalRecordType.STATE_TRANSITION, { from: 'running', to: 'materializing', at: materializingAt, realmMs }, materializingAt),
          ...pending.map((p) => walRecord(intent, executionId, WalRecordType.GOVERNANCE_DECISION, decisionRecord(p, intent, entry.realm, lineage), finishedAt)),
          ...steps.wal,
          walRecord(intent, executionId, WalRecordType.STATE_TRANSITION, { from: 'materializing', to: 'completed', at: finishedAt, materializeMs }, finishedAt),
        ],
        outbox: events.slice(1),
        ...faultHook(this.d.faults, FaultPoint.BEFORE_COMPLETE_COMMIT),
      }));
      if (outcome === 'not-running' && lease === null) {
        // A direct execution has no other owner: an earlier try of this completion committed
        // on a connection that failed before its reply came back. Answer from what is stored.
        const stored = await d.stateSurface.get(executionId, intent.tenantId);
        if (stored?.status === 'completed' && stored.result) return stored.result as ExecutionResult;
        throw new CompletionOutcomeUnknown(`execution ${executionId}: the completion's outcome is unknown (the database connection failed); it is ${stored?.status ?? 'missing'} — retry with the same intent id`);
      }
      if (outcome === 'not-running') throw new LeaseLostError(executionId, lease);
      d.observer?.stage('complete', performance.now() - completeStart);
      // Recorded as carrying content (the completion committed): now the content may enter the trace.
      traceContent(r.trace, pending);
      d.observer?.finished(result);
      d.relay.kick();
      return result;
    } catch (err) {
      return completionFailed(d, err, executionId, pending, (failure) => {
        const outcome = this.#afterFailure(r, failure);
        return this.#fail(ref, failure, [
          // The rolled-back transaction held this transition; record it again so the journey stays connected.
          { from: 'running', to: 'materializing', at: materializingAt, realmMs },
          { from: 'materializing', to: outcome.status, at: d.now().toISOString(), ...attemptOf(r, outcome) },
        ], outcome, r.retry);
      });
    }
  }

  /**
   * Recovery of direct executions whose process is gone: marked failed
   * (SYM_ERR_INTERRUPTED; repeating the intent id starts a new attempt).
   * `all` — every one still running: only where no other process runs
   * executions on the store (the embedded data dir, which is locked), at
   * open. `expired` — those whose lease ran out (database clock): a server,
   * from any runtime, now and then. Queued-origin executions are left to
   * workers, which take them over when their lease expires.
   */
  async recoverInterrupted(which: 'all' | 'expired' = 'all'): Promise<number> {
    // Never what this runtime runs itself (a blocked event loop may have let its lease lapse).
    const running = await this.d.stateSurface.listInterruptedDirect(which, which === 'expired' ? (this.d.leases?.running() ?? []) : []);
    for (const e of running) {
      const why = which === 'all' ? 'its process stopped' : `its process stopped or lost the database (the lease of ${e.lease?.owner ?? '?'} expired)`;
      const err = new ExecutionInterruptedError(`execution ${e.executionId} was interrupted: ${why} before it finished`);
      // The lease fences it: a process that comes back cannot complete it afterwards.
      await this.#fail({ ...e, lease: which === 'all' ? null : e.lease }, { code: err.code, message: err.message },
        [{ from: 'running', to: 'failed', at: this.d.now().toISOString(), attempt: e.attempts }]);
    }
    return running.length;
  }

  /**
   * Re-queues a `dead` or `failed` execution (an operator's retry, recorded
   * in the WAL with who asked): claimed again at once, with a fresh attempt
   * budget. Throws NotFoundError outside the scope, ConflictError for any
   * other status.
   */
  async retryExecution(executionId: string, tenant: TenantScope, requestedBy: string): Promise<ExecutionRecord> {
    const record = await requeueForOperator(this.d, executionId, tenant, requestedBy);
    this.d.relay.kick();
    return record;
  }

  /** What a failed attempt leads to: for a queued-origin execution, its retry policy decides; a direct one fails. */
  #afterFailure(r: RunArgs, failure: { code: string }): AttemptOutcome {
    if (!r.retry) return { status: 'failed' };
    return afterFailedAttempt(r.retry.policy, r.lease.attempt - r.retry.retryBase, failure.code);
  }

  /** Records an attempt that did not complete ({@link recordFailure}). */
  #fail(
    e: ExecutionRef, error: { code: string; message: string }, transitions: Record<string, unknown>[],
    outcome: AttemptOutcome = { status: 'failed' }, retry?: RetryState,
  ): Promise<ExecutionResult> {
    return recordFailure(this.d, this.#writer, e, error, transitions, outcome, retry);
  }

  /**
   * An intent id this tenant used before (the same intent, else refused):
   * its recorded result when it finished; a new attempt under the same
   * execution when its process stopped (SYM_ERR_INTERRUPTED) and its retry
   * policy has attempts left; refused while it is queued or running.
   */
  async #replay(intent: Intent, entry: RegisteredIntent, params: unknown, policy: CompiledPolicy, options: ExecuteOptions, trace: RunTrace): Promise<ExecutionResult> {
    let prior = await priorOfSameType(this.d.stateSurface, intent);
    if (prior.status === 'running') {
      // Its process may be gone: recover expired leases first (cheap, indexed).
      await this.recoverInterrupted('expired');
      prior = await priorOfSameType(this.d.stateSurface, intent);
    }
    if (prior.status === 'failed' && prior.error?.code === 'SYM_ERR_INTERRUPTED' && prior.submittedAt === null) {
      const resumed = await resumeInterrupted(this.d, prior, this.#ownerId, this.#retryPolicyOf(entry).maximumAttempts);
      if (resumed) {
        return this.#runDirect({ intent, entry, params, policy, executionId: prior.executionId, started: resumed.started, timeoutMs: options.timeoutMs, lease: resumed.lease, trace });
      }
      prior = await priorOfSameType(this.d.stateSurface, intent);
    }
    if (prior.status === 'waiting') {
      // Repeating the intent of a waiting execution runs it here once its timer fired or its signal came; before that, it is still waiting.
      const resumed = await resumeWaiting(this.d, prior, this.#ownerId);
      if (resumed) {
        return this.#runDirect({ intent, entry, params, policy, executionId: prior.executionId, started: resumed.started, timeoutMs: options.timeoutMs, lease: resumed.lease, trace });
      }
      return {
        executionId: prior.executionId, intentId: prior.intentId, intentType: prior.intentType, tenantId: prior.tenantId,
        sessionId: prior.sessionId, status: 'waiting', policyVersion: prior.policyVersion, artifacts: [], events: [],
      };
    }
    if (prior.status === 'running' || prior.status === 'queued' || prior.result === null) {
      // The same intent, not finished yet: repeating it later answers with its result.
      throw new DuplicateIntentError(intent.intentId, `is still ${prior.status} as execution ${prior.executionId}`, undefined,
        'repeat it once that execution has finished to get its result');
    }
    return prior.result as ExecutionResult;
  }
}
