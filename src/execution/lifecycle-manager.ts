import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ArtifactStorage } from '../artifacts/artifact-storage.ts';
import type { CacheEntry, CacheStore } from '../cache/cache-store.ts';
import {
  DuplicateIntentError,
  RealmTimeoutError,
  ExecutionInterruptedError,
  StoreError,
  SymphainyError,
} from '../errors/index.ts';
import type { OutboxRelay } from '../events/outbox-relay.ts';
import type { ExecutionContext } from '../intent/execution-context.ts';
import { createIntent, type Intent, type IntentInput } from '../intent/intent.ts';
import type { IntentRegistry, RegisteredIntent } from '../realm/intent-registry.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import type { PolicyDecision } from '../policy/decision.ts';
import { DEFAULT_CACHE_TTL_SECONDS } from '../policy/default-policy.ts';
import { durationOption, MAX_TIMER_SECONDS } from '../policy/duration.ts';
import { normalizeResult, type NormalizedArtifact, type NormalizedResult } from '../realm/normalize-result.ts';
import { failureOf, storableFailure } from '../realm/realm-failure.ts';
import type { ArtifactContents, InlineContent } from '../store/artifact-contents.ts';
import type { ArtifactIndex, ArtifactLineage, NewArtifact } from '../store/artifact-index.ts';
import type { Db } from '../db/db.ts';
import type { DatabaseClock } from '../db/database-clock.ts';
import { GroupCommit, transactionPerWrite, type GroupCommitOptions, type TenantWriter } from '../db/group-commit.ts';
import { ExecutionWrites, type ExecutionWrite, type WriteOutcome } from './execution-writes.ts';
import { ANY_TENANT, type TenantScope } from '../db/tenant-scope.ts';
import type { OutboxEvent, TransactionalOutbox } from '../store/outbox.ts';
import type { ClaimedExecution, ExecutionRecord, ExecutionState, ExecutionStatus, Lease, StateSurface } from '../store/state-surface.ts';
import { WalRecordType, type WalRecordInput, type WriteAheadLog } from '../store/write-ahead-log.ts';
import type { ArtifactOutcome, ExecutionResult } from './execution-result.ts';
import { FaultPoint, type Faults } from './fault-points.ts';
import { tagLineage } from './lineage.ts';
import { canonicalJson } from '../json/canonical-json.ts';
import type { ExecutionObserver } from './execution-observer.ts';
import type { LeaseKeeper } from './lease-keeper.ts';
import { DEFAULT_RETRY_POLICY, type CompiledRetryPolicy } from '../policy/retry-policy.ts';
import { compiledRetryPolicyOf } from '../realm/define-realm.ts';
import { afterFailedAttempt, exhausted, recordedRetryPolicy, requeueForOperator, type AttemptOutcome, type RetryState } from './execution-retries.ts';

export interface ExecutionLifecycleDeps {
  readonly db: Db;
  readonly registry: IntentRegistry;
  readonly stateSurface: StateSurface;
  readonly wal: WriteAheadLog;
  readonly outbox: TransactionalOutbox;
  readonly artifactIndex: ArtifactIndex;
  readonly artifactContents: ArtifactContents;
  readonly artifactStorage: ArtifactStorage;
  readonly cache: CacheStore;
  readonly relay: OutboxRelay;
  readonly policy: CompiledPolicy;
  /** The policy of a tenant or solution with a solution config of its own (the platform policy's `tenants`, `solutions`); default: `policy`. */
  readonly policyFor?: (tenantId: string, solutionId: string | undefined) => CompiledPolicy;
  readonly logger: Logger;
  readonly now: () => Date;
  /** The database's clock: artifacts' and cache entries' `createdAt`, `retainUntil` and `expiresAt`. */
  readonly clock: DatabaseClock;
  /** Default handler timeout. */
  readonly realmTimeoutMs: number;
  readonly faults: Faults;
  /** Aborted when the runtime closes, cancelling running handlers. */
  readonly shutdownSignal: AbortSignal;
  /** Told stage timings and outcomes (metrics). */
  readonly observer?: ExecutionObserver;
  /**
   * Group commit of the record, completion and failure writes: concurrent
   * executions share transactions ({@link GroupCommit}); without it (the
   * default here), one transaction each.
   */
  readonly groupCommit?: GroupCommitOptions | false;
  /** Keeps the leases of running executions alive (and knows which run in this process). */
  readonly leases?: LeaseKeeper;
  /** This runtime's name in the leases of the executions it runs directly. @default `direct` */
  readonly ownerId?: string;
  /** Lease of a direct execution, renewed while it runs. @default 30000 */
  readonly leaseMs?: number;
  /** The retry policy of intents whose realm sets none. @default {@link DEFAULT_RETRY_POLICY} */
  readonly retryPolicy?: CompiledRetryPolicy;
}

export interface ExecuteOptions {
  /** Evaluate this execution under another compiled policy (e.g. a solution's). */
  readonly policy?: CompiledPolicy;
  /** Milliseconds the handler may run, overriding the intent's `timeoutMs` and the runtime default. */
  readonly timeoutMs?: number;
}

/** The identity fields of an intent, as records and events carry them. */
type IntentRef = Pick<Intent, 'intentId' | 'intentType' | 'tenantId' | 'sessionId'>;
/** An execution to record a failure for: a just-run intent, or a recovered record. */
type ExecutionRef = IntentRef & { readonly executionId: string; readonly policyVersion: string; readonly lease?: Lease | null };

/** One run of an execution: direct (no `retry`) or claimed from the queue. */
interface RunArgs {
  intent: Intent; entry: RegisteredIntent; params: unknown; policy: CompiledPolicy; executionId: string;
  started: OutboxEvent; timeoutMs?: number | undefined; lease: Lease;
  /** The lease's length; default: the runtime's direct lease. */
  leaseMs?: number | undefined;
  /** A queued-origin execution's retry policy and budget; absent for a direct run (a failure is final). */
  retry?: RetryState | undefined;
}

/** The retry policy an intent's realm sets for it (defineRealm compiles it), if any. */
function realmRetryPolicy(entry: RegisteredIntent): CompiledRetryPolicy | undefined {
  return compiledRetryPolicyOf(entry.definition);
}

/** The attempt facts a transition records. */
function attemptOf(r: RunArgs, outcome: AttemptOutcome): Record<string, unknown> {
  if (!r.retry) return {};
  return {
    attempt: r.lease.attempt, maximumAttempts: r.retry.policy.maximumAttempts,
    ...(outcome.status === 'queued' ? { retryInMs: outcome.retryInMs } : {}),
  };
}

/** What {@link ExecutionLifecycleManager.submit} returns: the queued (or, for a repeated intent id, existing) execution. */
export interface SubmittedExecution {
  readonly executionId: string;
  readonly intentId: string;
  readonly tenantId: string;
  readonly status: ExecutionStatus;
  /** True when this intent id was submitted (or executed) before and the existing execution is returned. */
  readonly duplicate: boolean;
}

/** An execution claimed by a worker, with its recorded `execution.started` event. */
export interface ClaimedRun {
  readonly execution: ClaimedExecution;
  readonly started: OutboxEvent;
}

/** What one claim took: runs to start; `isolated`: one abandoned execution, to run alone; `takeoverPending`: an abandoned one waits for an idle worker. */
export interface ClaimBatch {
  readonly runs: ClaimedRun[];
  readonly isolated: boolean;
  readonly takeoverPending: boolean;
}

/** Thrown when an execution's lease was taken over (or recovered) before its completion committed (nothing of it was recorded). */
export class LeaseLostError extends Error {
  constructor(executionId: string, lease: Lease | null) {
    super(`execution ${executionId}: the lease of worker ${lease?.owner ?? '(none)'} (attempt ${lease?.attempt ?? 0}) was taken over before completion; another worker records its outcome`);
    this.name = 'LeaseLostError';
  }
}

/** A direct execution's completion write found it no longer running, and the stored record is not its completion. */
class CompletionOutcomeUnknown extends StoreError {}

const STORE_ERROR_CODE = 'SYM_ERR_STORE';

/** An artifact on its way through policy and materialization. */
interface Pending {
  readonly artifact: NormalizedArtifact;
  readonly decision: PolicyDecision;
  outcome: ArtifactOutcome;
  cacheEntry?: CacheEntry;
  index?: NewArtifact;
  /** Its renderings kept in the database, written with the index row. */
  inline?: readonly InlineContent[];
}

/**
 * General notes: the ExecutionLifecycleManager runs one intent through the
 * stages of DESIGN.md — validate, record (one transaction), run the realm (no
 * transaction open), normalize, tag lineage, evaluate policy, materialize
 * (blobs outside any transaction), complete (one transaction), relay events.
 * It owns the ordering and the failure handling of those stages; it does not
 * own any table (the store modules do) nor decide anything (the policy does).
 */
export class ExecutionLifecycleManager {
  readonly #writer: TenantWriter<ExecutionWrite, WriteOutcome>;
  readonly #writes: ExecutionWrites;

  constructor(private readonly d: ExecutionLifecycleDeps) {
    const writes = new ExecutionWrites(d);
    this.#writes = writes;
    this.#writer = d.groupCommit ? new GroupCommit(d.db, writes, d.groupCommit) : transactionPerWrite(d.db, writes);
  }

  async execute(input: IntentInput | Intent, options: ExecuteOptions = {}): Promise<ExecutionResult> {
    const { intent, entry, params, policy } = await this.#accept(input, options);
    const recorded = await this.#record(intent, entry, policy, 'running');
    // The intent id is taken: replay its recorded result (same tenant, finished), start a new attempt, or refuse.
    if (recorded === 'taken') return this.#replay(intent, entry, params, policy, options);
    const { executionId, event: started } = recorded;
    const lease = { owner: this.#ownerId, attempt: 1 };
    return this.#runDirect({ intent, entry, params, policy, executionId, started, timeoutMs: options.timeoutMs, lease });
  }

  get #ownerId(): string {
    return this.d.ownerId ?? 'direct';
  }

  get #retryPolicy(): CompiledRetryPolicy {
    return this.d.retryPolicy ?? DEFAULT_RETRY_POLICY;
  }

  /** The retry policy an intent type runs under: its realm's, else the runtime's. */
  #retryPolicyOf(entry: RegisteredIntent): CompiledRetryPolicy {
    return realmRetryPolicy(entry) ?? this.#retryPolicy;
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
  async submit(input: IntentInput | Intent): Promise<SubmittedExecution> {
    const { intent, entry, policy } = await this.#accept(input, {});
    const recorded = await this.#record(intent, entry, policy, 'queued');
    if (recorded === 'taken') {
      const prior = await this.#priorOfSameType(intent);
      return { executionId: prior.executionId, intentId: prior.intentId, tenantId: prior.tenantId, status: prior.status, duplicate: true };
    }
    return { executionId: recorded.executionId, intentId: intent.intentId, tenantId: intent.tenantId, status: 'queued', duplicate: false };
  }

  /**
   * Record: the intent, the execution (`running`, or `queued` for a worker)
   * and its first transition and event commit together. `'taken'` when this
   * tenant already used the intent id.
   */
  async #record(
    intent: Intent, entry: RegisteredIntent, policy: CompiledPolicy, to: 'running' | 'queued',
  ): Promise<{ executionId: string; event: OutboxEvent } | 'taken'> {
    const d = this.d;
    const executionId = randomUUID();
    const at = d.now().toISOString();
    const event = this.#event(intent, executionId, 'runtime', to === 'running' ? 'execution.started' : 'execution.queued', {
      executionId, intentId: intent.intentId, intentType: intent.intentType, realm: entry.realm,
    });
    const recordStart = performance.now();
    try {
      const outcome = await this.#writer.write(intent.tenantId, {
        insert: {
          execution: {
            executionId, intentId: intent.intentId, tenantId: intent.tenantId, sessionId: intent.sessionId,
            intentType: intent.intentType, realm: entry.realm, parameters: intent.parameters as Record<string, unknown>,
            policyVersion: policy.version, intentCreatedAt: intent.createdAt, solutionId: intent.solutionId ?? null,
          },
          status: to,
          at,
          lease: to === 'running' ? { owner: this.#ownerId, leaseMs: this.d.leaseMs ?? 30_000 } : null,
          // The realm's own policy travels with the execution; else the claiming worker's applies.
          retryPolicy: realmRetryPolicy(entry) ?? null,
        },
        wal: [
          this.#wal(intent, executionId, WalRecordType.INTENT, { intent, realm: entry.realm }, at),
          this.#wal(intent, executionId, WalRecordType.STATE_TRANSITION, { from: 'accepted', to, at }, at),
        ],
        outbox: [event],
        ...this.#hook(FaultPoint.BEFORE_START_COMMIT),
      });
      if (outcome === 'taken') return 'taken';
    } catch (err) {
      throw new StoreError(`cannot record intent '${intent.intentId}': ${(err as Error).message}`, { cause: err });
    }
    d.observer?.stage('record', performance.now() - recordStart);
    d.relay.kick();
    return { executionId, event };
  }

  /**
   * Claims up to `limit` queued executions of the intent types this runtime
   * has realms for (and any whose worker's lease expired) for `owner`, and
   * records each start (`queued → running`, `execution.started`) in the
   * claiming transaction.
   */
  async claim(owner: string, limit: number, leaseMs: number, options: { takeover?: boolean } = {}): Promise<ClaimBatch> {
    const d = this.d;
    const intentTypes = d.registry.list().map((i) => i.intentType);
    if (intentTypes.length === 0 || limit <= 0) return { runs: [], isolated: false, takeoverPending: false };
    const at = d.now().toISOString();
    // Claims span tenants: the queue is shared.
    const { runs, dead, isolated, takeoverPending } = await d.db.scoped(ANY_TENANT).transaction(async (tx) => {
      const { claimed, exhausted: spent, isolated, takeoverPending } = await d.stateSurface.claim(tx, {
        owner, intentTypes, limit, leaseMs, policyVersion: d.policy.version, startedAt: at,
        defaultMaximumAttempts: this.#retryPolicy.maximumAttempts, exclude: d.leases?.running() ?? [], takeover: options.takeover ?? true,
      });
      const records: WalRecordInput[] = [];
      const runs: ClaimedRun[] = claimed.map((c) => {
        const worker = { worker: owner, attempt: c.lease.attempt };
        if (c.claimedFrom === 'running') {
          records.push(this.#wal(c, c.executionId, WalRecordType.STATE_TRANSITION,
            { from: 'running', to: 'queued', at, reason: `the lease of worker ${c.previousOwner} expired`, attempt: c.attempts - 1 }, at));
        }
        records.push(this.#wal(c, c.executionId, WalRecordType.STATE_TRANSITION, { from: 'queued', to: 'running', at, ...worker }, at));
        const started = this.#event(c, c.executionId, 'runtime', 'execution.started', {
          executionId: c.executionId, intentId: c.intentId, intentType: c.intentType, realm: c.realm, ...worker,
        });
        return { execution: c, started };
      });
      if (records.length > 0) await d.wal.append(tx, records);
      if (runs.length > 0) await d.outbox.insert(tx, runs.map((r) => r.started));
      // Abandoned on their last attempt (the worker died holding them): dead, in this transaction.
      const dead: ExecutionResult[] = [];
      for (const e of spent) {
        const policy = recordedRetryPolicy(e.retryPolicy, this.#retryPolicy);
        const last = { code: 'SYM_ERR_INTERRUPTED', message: `the lease of worker ${e.lease.owner} expired (attempt ${e.attempts})` };
        const w = this.#failureWrite(e, exhausted(e.executionId, policy, e.attempts - e.retryBase, last), [
          { from: 'running', to: 'dead', at, attempt: e.attempts, maximumAttempts: policy.maximumAttempts, lastError: last },
        ], { status: 'dead' });
        await this.#writes.one(tx, w.write);
        dead.push(w.result);
      }
      return { runs, dead, isolated, takeoverPending };
    });
    for (const r of dead) d.observer?.finished(r);
    if (runs.length > 0 || dead.length > 0) d.relay.kick();
    return { runs, isolated, takeoverPending };
  }

  /** Runs an execution {@link claim}ed by this worker; its completion is recorded only while the lease holds. */
  async runClaimed(run: ClaimedRun): Promise<ExecutionResult> {
    const { execution: c, started } = run;
    const intent: Intent = Object.freeze({
      intentId: c.intentId, intentType: c.intentType, tenantId: c.tenantId, sessionId: c.sessionId,
      parameters: c.parameters, createdAt: c.intentCreatedAt, ...(c.solutionId ? { solutionId: c.solutionId } : {}),
    });
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
    return this.#run({ intent, entry, params, policy, executionId: c.executionId, started, lease: c.lease, leaseMs: c.leaseMs, retry });
  }

  /** Validates an intent; a refused one is recorded (`intent_rejected`) and thrown. */
  async #accept(input: IntentInput | Intent, options: ExecuteOptions) {
    const intent = createIntent(input as IntentInput);
    const policy = options.policy ?? this.#policyOf(intent);
    // The one duration parser: whole milliseconds, at most what a timer can wait.
    if (options.timeoutMs !== undefined) durationOption('timeoutMs', options.timeoutMs, { unit: 'ms', plain: 'ms', subSecond: true, max: MAX_TIMER_SECONDS });
    // Validate: unknown type or bad parameters are refused before anything runs.
    try {
      const entry = this.d.registry.resolve(intent.intentType);
      const params = this.d.registry.validateParameters(entry, intent.parameters);
      return { intent, entry, params, policy };
    } catch (err) {
      await this.#recordRejected(intent, err as SymphainyError);
      throw err;
    }
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
    }
  }

  async #runLeased(r: RunArgs, timeoutMs: number): Promise<ExecutionResult> {
    const d = this.d;
    const { intent, entry, params, policy, executionId, started, lease } = r;
    const ref: ExecutionRef = { ...intent, executionId, policyVersion: policy.version, lease };
    // Run the realm, with no transaction open and no storage handle.
    const realmStart = performance.now();
    let normalized: NormalizedResult;
    try {
      const raw = await this.#runHandler(entry, params, intent, executionId, timeoutMs);
      normalized = normalizeResult(raw);
    } catch (err) {
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
      const lineage = await tagLineage(d.artifactIndex, intent, executionId, entry.realm);
      pending = normalized.artifacts.map((artifact) => this.#decide(policy, artifact, intent, entry.realm));
      await Promise.all(pending.map((p) => this.#materialize(p, intent, executionId, lineage)));
      const materializeMs = round(performance.now() - materializeStart);
      d.observer?.stage('materialize', materializeMs);
      const finishedAt = d.now().toISOString();
      const outcomes = pending.map((p) => p.outcome);
      const events: OutboxEvent[] = [
        started,
        ...normalized.events.map((e) => this.#event(intent, executionId, 'realm', e.eventType, e.data)),
        this.#event(intent, executionId, 'runtime', 'execution.completed', {
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
      const outcome = await this.#writer.write(intent.tenantId, {
        finish: { executionId, status: 'completed', state: stateOf(pending), result, error: null, finishedAt, lease },
        artifacts: pending.flatMap((p) => (p.index ? [p.index] : [])),
        contents: pending.flatMap((p) => p.inline ?? []),
        cache: pending.flatMap((p) => (p.cacheEntry && d.cache.transactional ? [p.cacheEntry] : [])),
        wal: [
          this.#wal(intent, executionId, WalRecordType.STATE_TRANSITION, { from: 'running', to: 'materializing', at: materializingAt, realmMs }, materializingAt),
          ...pending.map((p) => this.#wal(intent, executionId, WalRecordType.GOVERNANCE_DECISION, decisionRecord(p, intent, entry.realm, lineage), finishedAt)),
          this.#wal(intent, executionId, WalRecordType.STATE_TRANSITION, { from: 'materializing', to: 'completed', at: finishedAt, materializeMs }, finishedAt),
        ],
        outbox: events.slice(1),
        ...this.#hook(FaultPoint.BEFORE_COMPLETE_COMMIT),
      });
      if (outcome === 'not-running' && lease === null) {
        // A direct execution has no other owner: an earlier try of this completion committed
        // on a connection that failed before its reply came back. Answer from what is stored.
        const stored = await d.stateSurface.get(executionId, intent.tenantId);
        if (stored?.status === 'completed' && stored.result) return stored.result as ExecutionResult;
        throw new CompletionOutcomeUnknown(`execution ${executionId}: the completion's outcome is unknown (the database connection failed); it is ${stored?.status ?? 'missing'} — retry with the same intent id`);
      }
      if (outcome === 'not-running') throw new LeaseLostError(executionId, lease);
      d.observer?.stage('complete', performance.now() - completeStart);
      d.observer?.finished(result);
      d.relay.kick();
      return result;
    } catch (err) {
      // Nothing of the completion is visible: take back cache entries written outside the transaction.
      const outside = pending.flatMap((p) => (p.cacheEntry && !d.cache.transactional && p.outcome.stored ? [p.cacheEntry.cacheId] : []));
      if (outside.length > 0) await d.cache.delete(outside).catch((e: unknown) => d.logger.warn({ err: e }, 'removing cache entries failed'));
      // Another worker owns the execution now and records its outcome; this run's result is dropped.
      if (err instanceof LeaseLostError || err instanceof CompletionOutcomeUnknown) throw err;
      d.logger.error({ err, executionId }, 'materializing or completing the execution failed');
      const failure = { code: STORE_ERROR_CODE, message: `recording the completion failed: ${(err as Error).message}` };
      const outcome = this.#afterFailure(r, failure);
      return this.#fail(
        ref,
        failure,
        [
          // The rolled-back transaction held this transition; record it again so the journey stays connected.
          { from: 'running', to: 'materializing', at: materializingAt, realmMs },
          { from: 'materializing', to: outcome.status, at: d.now().toISOString(), ...attemptOf(r, outcome) },
        ],
        outcome,
        r.retry,
      );
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

  #decide(policy: CompiledPolicy, artifact: NormalizedArtifact, intent: Intent, realm: string): Pending {
    const decision = policy.evaluate({
      resultType: artifact.resultType, tenantId: intent.tenantId, intentType: intent.intentType, realm,
      sizeBytes: artifact.sizeBytes, tags: artifact.tags,
    });
    const outcome: ArtifactOutcome = {
      key: artifact.key, resultType: artifact.resultType, decision: decision.decision, layer: decision.layer,
      reason: decision.reason, policyVersion: decision.policyVersion,
      ...(decision.ruleId ? { ruleId: decision.ruleId } : {}),
      semanticPayload: artifact.semanticPayload, renderings: artifact.renderings.map((r) => r.name), sizeBytes: artifact.sizeBytes,
    };
    return { artifact, decision, outcome };
  }

  /** Persist: blobs now (outside any transaction), index row at completion. Cache: an entry. Discard: nothing. */
  async #materialize(p: Pending, intent: Intent, executionId: string, lineage: ArtifactLineage): Promise<void> {
    const { artifact, decision } = p;
    // Deadlines from the database's clock, never this host's: another runtime's sweep judges them by it.
    const createdAt = this.d.clock.now();
    const retainUntil = decision.retentionSeconds === undefined ? null : this.d.clock.deadline(decision.retentionSeconds).toISOString();
    if (decision.decision === 'persist') {
      try {
        const stored = await this.d.artifactStorage.storeCompositeArtifact(artifact.resultType, artifact.renderings, intent.tenantId, {
          executionId, sessionId: intent.sessionId, intentId: intent.intentId, intentType: intent.intentType,
          artifactKey: artifact.key, semanticPayloadStored: artifact.semanticPayload !== null,
        });
        p.outcome = { ...p.outcome, artifactId: stored.artifactId, storagePath: stored.storagePath, stored: true };
        p.inline = stored.inline;
        p.index = {
          artifactId: stored.artifactId, tenantId: intent.tenantId, sessionId: intent.sessionId, executionId,
          artifactKey: artifact.key, resultType: artifact.resultType, decision: decision.decision, layer: decision.layer,
          reason: decision.reason, policyVersion: decision.policyVersion, storagePath: stored.storagePath,
          sizeBytes: stored.sizeBytes, renderings: stored.renderings, lineage, createdAt: createdAt.toISOString(),
          retainUntil,
        };
      } catch (err) {
        // The execution still completes: the decision, the failure and its reason are recorded.
        this.d.logger.warn({ err, executionId, key: artifact.key }, 'storing artifact failed');
        p.outcome = { ...p.outcome, stored: false, storageError: (err as Error).message };
      }
    } else if (decision.decision === 'cache') {
      const ttlSeconds = decision.ttlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
      const expiresAt = this.d.clock.deadline(ttlSeconds).toISOString();
      const cacheId = `cache_${randomUUID()}`;
      p.cacheEntry = {
        cacheId, tenantId: intent.tenantId, sessionId: intent.sessionId, executionId, artifactKey: artifact.key,
        resultType: artifact.resultType, renderings: artifact.renderings,
        decision: { layer: decision.layer, reason: decision.reason, policyVersion: decision.policyVersion, ttlSeconds },
        lineage, createdAt: createdAt.toISOString(), expiresAt,
      };
      p.outcome = { ...p.outcome, cacheId, expiresAt, stored: true };
      // A cache that cannot join the transaction is written now (and taken back if completion fails).
      if (!this.d.cache.transactional) {
        try {
          await this.d.cache.put([p.cacheEntry]);
        } catch (err) {
          this.d.logger.warn({ err, executionId, key: artifact.key }, 'caching artifact failed');
          p.outcome = { ...p.outcome, stored: false, storageError: (err as Error).message };
        }
      }
    }
  }

  async #runHandler(entry: RegisteredIntent, params: unknown, intent: Intent, executionId: string, override?: number): Promise<unknown> {
    const timeoutMs = override ?? entry.definition.timeoutMs ?? this.d.realmTimeoutMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let onShutdown: (() => void) | undefined;
    // Stop waiting at the timeout or when the runtime closes; the handler is told through its signal.
    const stopped = new Promise<never>((_, reject) => {
      const stop = (err: unknown) => {
        controller.abort(err);
        reject(err);
      };
      timer = setTimeout(() => stop(new RealmTimeoutError(intent.intentType, timeoutMs)), timeoutMs);
      onShutdown = () => stop(this.d.shutdownSignal.reason);
      if (this.d.shutdownSignal.aborted) onShutdown();
      else this.d.shutdownSignal.addEventListener('abort', onShutdown, { once: true });
    });
    const context: ExecutionContext = Object.freeze({
      executionId, intentId: intent.intentId, intentType: intent.intentType, tenantId: intent.tenantId,
      sessionId: intent.sessionId, realm: entry.realm, signal: controller.signal, deadline: Date.now() + timeoutMs,
    });
    try {
      return await Promise.race([Promise.resolve().then(() => entry.definition.handler(params, context)), stopped]);
    } finally {
      clearTimeout(timer);
      if (onShutdown) this.d.shutdownSignal.removeEventListener('abort', onShutdown);
    }
  }

  /** What a failed attempt leads to: for a queued-origin execution, its retry policy decides; a direct one fails. */
  #afterFailure(r: RunArgs, failure: { code: string }): AttemptOutcome {
    if (!r.retry) return { status: 'failed' };
    return afterFailedAttempt(r.retry.policy, r.lease.attempt - r.retry.retryBase, failure.code);
  }

  /**
   * Records an attempt that did not complete, in one transaction: `failed`
   * (the default), `queued` again after a backoff, or `dead` (attempts used
   * up: the error names the last failure) — state, WAL transitions, an event.
   */
  async #fail(
    e: ExecutionRef,
    error: { code: string; message: string },
    transitions: Record<string, unknown>[],
    outcome: AttemptOutcome = { status: 'failed' },
    retry?: RetryState,
  ): Promise<ExecutionResult> {
    const d = this.d;
    // Every failure carrying realm text comes through here: escaped once (NUL, unpaired surrogates), so
    // the recorded error, the dead-letter summary and the transitions' lastError are all storable.
    error = storableFailure(error);
    const recorded = outcome.status === 'dead' && retry
      ? exhausted(e.executionId, retry.policy, (e.lease?.attempt ?? 0) - retry.retryBase, error)
      : error;
    const w = this.#failureWrite(e, recorded, transitions.map((t) => (outcome.status === 'dead' ? { ...t, lastError: error } : t)), outcome);
    try {
      // Recovery may race a late completion: only a still-running execution is failed (else nothing is written).
      await this.#writer.write(e.tenantId, w.write);
    } catch (err) {
      throw new StoreError(`execution ${e.executionId} failed (${error.message}) and recording that failed too: ${(err as Error).message}`, { cause: err });
    }
    d.observer?.finished(w.result);
    d.relay.kick();
    return w.result;
  }

  /** The write (state, WAL, event) and the result of an attempt that did not complete. */
  #failureWrite(
    e: ExecutionRef, error: { code: string; message: string }, transitions: Record<string, unknown>[], outcome: AttemptOutcome,
  ): { write: ExecutionWrite; result: ExecutionResult } {
    const { executionId } = e;
    const at = this.d.now().toISOString();
    const eventType = outcome.status === 'queued' ? 'execution.retrying' : outcome.status === 'dead' ? 'execution.dead' : 'execution.failed';
    const event = this.#event(e, executionId, 'runtime', eventType, {
      executionId, intentId: e.intentId, intentType: e.intentType, status: outcome.status, error,
      ...(outcome.status === 'queued' ? { retryInMs: outcome.retryInMs, attempt: e.lease?.attempt ?? null } : {}),
    });
    const result: ExecutionResult = {
      executionId, intentId: e.intentId, intentType: e.intentType, tenantId: e.tenantId,
      sessionId: e.sessionId, status: outcome.status, error, policyVersion: e.policyVersion, artifacts: [], events: [event],
    };
    const write: ExecutionWrite = {
      finish: {
        executionId, status: outcome.status, state: null, result: outcome.status === 'queued' ? null : result, error, finishedAt: at,
        lease: e.lease ?? null, ...(outcome.status === 'queued' ? { retryInMs: outcome.retryInMs } : {}),
      },
      wal: transitions.map((t) => this.#wal(e, executionId, WalRecordType.STATE_TRANSITION, { ...t, error }, at)),
      outbox: [event],
    };
    return { write, result };
  }

  /**
   * An intent id this tenant used before (the same intent, else refused):
   * its recorded result when it finished; a new attempt under the same
   * execution when its process stopped (SYM_ERR_INTERRUPTED) and its retry
   * policy has attempts left; refused while it is queued or running.
   */
  async #replay(intent: Intent, entry: RegisteredIntent, params: unknown, policy: CompiledPolicy, options: ExecuteOptions): Promise<ExecutionResult> {
    let prior = await this.#priorOfSameType(intent);
    if (prior.status === 'running') {
      // Its process may be gone: recover expired leases first (cheap, indexed).
      await this.recoverInterrupted('expired');
      prior = await this.#priorOfSameType(intent);
    }
    if (prior.status === 'failed' && prior.error?.code === 'SYM_ERR_INTERRUPTED' && prior.submittedAt === null) {
      const resumed = await this.#resume(prior, entry);
      if (resumed) {
        return this.#runDirect({ intent, entry, params, policy, executionId: prior.executionId, started: resumed.started, timeoutMs: options.timeoutMs, lease: resumed.lease });
      }
      prior = await this.#priorOfSameType(intent);
    }
    if (prior.status === 'running' || prior.status === 'queued' || prior.result === null) {
      throw new DuplicateIntentError(intent.intentId, `is still ${prior.status} as execution ${prior.executionId}`);
    }
    return prior.result as ExecutionResult;
  }

  /** A new attempt of an interrupted direct execution, for this runtime: `failed → running` in the WAL, with its event. */
  async #resume(prior: ExecutionRecord, entry: RegisteredIntent): Promise<{ lease: Lease; started: OutboxEvent } | null> {
    const d = this.d;
    const at = d.now().toISOString();
    const resumed = await d.db.scoped(prior.tenantId).transaction(async (tx) => {
      const e = await d.stateSurface.resumeInterrupted(tx, prior.executionId, {
        owner: this.#ownerId, leaseMs: d.leaseMs ?? 30_000, defaultMaximumAttempts: this.#retryPolicyOf(entry).maximumAttempts, startedAt: at,
      });
      if (!e) return null;
      const attempt = { worker: e.lease.owner, attempt: e.lease.attempt };
      await d.wal.append(tx, [this.#wal(e, e.executionId, WalRecordType.STATE_TRANSITION, {
        from: 'failed', to: 'running', at, reason: 'the intent was repeated after its process stopped', ...attempt,
      }, at)]);
      const started = this.#event(e, e.executionId, 'runtime', 'execution.started', {
        executionId: e.executionId, intentId: e.intentId, intentType: e.intentType, realm: e.realm, ...attempt,
      });
      await d.outbox.insert(tx, [started]);
      return { lease: e.lease, started };
    });
    if (resumed) d.relay.kick();
    return resumed;
  }

  /** The execution that already holds this tenant's intent id; refused when it was for another intent type. */
  async #priorOfSameType(intent: Intent): Promise<ExecutionRecord> {
    const prior = await this.d.stateSurface.getByIntentId(intent.intentId, intent.tenantId);
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

  async #recordRejected(intent: Intent, err: SymphainyError): Promise<void> {
    const at = this.d.now().toISOString();
    // Parameters are not kept: a rejected intent was never accepted as platform meaning.
    const payload = {
      intent: { intentId: intent.intentId, intentType: intent.intentType, tenantId: intent.tenantId, sessionId: intent.sessionId, createdAt: intent.createdAt },
      error: { code: err.code, message: err.message },
    };
    try {
      await this.d.wal.append(this.d.db.scoped(intent.tenantId), [this.#wal(intent, null, WalRecordType.INTENT_REJECTED, payload, at)]);
    } catch (storeErr) {
      this.d.logger.error({ err: storeErr }, 'recording a rejected intent failed');
    }
  }

  /** A fault hook to run before a write commits, in this caller's async context (a batch runs it for every member). */
  #hook(point: FaultPoint): Pick<ExecutionWrite, 'beforeCommit'> {
    const hook = this.d.faults[point];
    return hook ? { beforeCommit: AsyncResource.bind(() => hook()) } : {};
  }

  #wal(intent: IntentRef, executionId: string | null, recordType: WalRecordInput['recordType'], payload: Record<string, unknown>, recordedAt: string): WalRecordInput {
    return { tenantId: intent.tenantId, executionId, intentId: intent.intentId, recordType, payload, recordedAt };
  }

  #event(intent: IntentRef, executionId: string, source: OutboxEvent['source'], eventType: string, payload: unknown): OutboxEvent {
    return {
      eventId: randomUUID(), eventType, source, tenantId: intent.tenantId, sessionId: intent.sessionId, executionId,
      payload: payload ?? null, createdAt: this.d.now().toISOString(),
    };
  }
}

function stateOf(pending: readonly Pending[]): ExecutionState {
  const semantic: ExecutionState['semantic'] = {};
  const references: Record<string, string> = {};
  for (const { artifact, outcome } of pending) {
    semantic[artifact.key] = { resultType: artifact.resultType, payload: artifact.semanticPayload };
    if (outcome.artifactId) references[`${artifact.key}_artifact_id`] = outcome.artifactId;
    if (outcome.storagePath) references[`${artifact.key}_storage_path`] = outcome.storagePath;
  }
  return { semantic, references };
}

function decisionRecord(p: Pending, intent: Intent, realm: string, lineage: ArtifactLineage): Record<string, unknown> {
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

function toFailure(err: unknown, intentType: string): { code: string; message: string } {
  // Whatever was thrown, the failure is recordable (storable text, a SYM_ERR_* code).
  return failureOf(err, intentType);
}

const round = (ms: number) => Math.round(ms * 100) / 100;
