import { AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ArtifactStorage } from '../artifacts/artifact-storage.ts';
import type { CacheEntry, CacheStore } from '../cache/cache-store.ts';
import {
  ConfigError,
  DuplicateIntentError,
  RealmTimeoutError,
  ExecutionInterruptedError,
  StoreError,
  SymphainyError,
} from '../errors/index.ts';
import type { OutboxRelay } from '../events/outbox-relay.ts';
import type { ExecutionContext } from '../intent/execution-context.ts';
import { createIntent, type Intent, type IntentInput } from '../intent/intent.ts';
import type { IntentRegistry, RegisteredIntent } from '../intent/intent-registry.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import type { PolicyDecision } from '../policy/decision.ts';
import { DEFAULT_CACHE_TTL_SECONDS } from '../policy/default-policy.ts';
import { normalizeResult, type NormalizedArtifact, type NormalizedResult } from '../realm/normalize-result.ts';
import { failureOf, storableFailure } from '../realm/realm-failure.ts';
import type { ArtifactContents, InlineContent } from '../store/artifact-contents.ts';
import type { ArtifactIndex, ArtifactLineage, NewArtifact } from '../store/artifact-index.ts';
import type { Db } from '../store/db.ts';
import { GroupCommit, transactionPerWrite, type GroupCommitOptions, type TenantWriter } from '../store/group-commit.ts';
import { ExecutionWrites, type ExecutionWrite, type WriteOutcome } from './execution-writes.ts';
import { ANY_TENANT } from '../store/sql.ts';
import type { OutboxEvent, TransactionalOutbox } from '../store/outbox.ts';
import type { ClaimedExecution, ExecutionRecord, ExecutionState, ExecutionStatus, Lease, StateSurface } from '../store/state-surface.ts';
import { WalRecordType, type WalRecordInput, type WriteAheadLog } from '../store/write-ahead-log.ts';
import type { ArtifactOutcome, ExecutionResult } from './execution-result.ts';
import { FaultPoint, type Faults } from './fault-points.ts';
import { tagLineage } from './lineage.ts';
import { canonicalJson } from '../json/canonical-json.ts';
import type { ExecutionObserver } from './execution-observer.ts';

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

/** Thrown when a claimed execution's lease was taken over before its completion committed (nothing of it was recorded). */
export class LeaseLostError extends Error {
  constructor(executionId: string, lease: Lease | null) {
    super(`execution ${executionId}: the lease of worker ${lease?.owner ?? '(none)'} (attempt ${lease?.attempt ?? 0}) was taken over before completion; another worker records its outcome`);
    this.name = 'LeaseLostError';
  }
}

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

  constructor(private readonly d: ExecutionLifecycleDeps) {
    const writes = new ExecutionWrites(d);
    this.#writer = d.groupCommit ? new GroupCommit(d.db, writes, d.groupCommit) : transactionPerWrite(d.db, writes);
  }

  async execute(input: IntentInput | Intent, options: ExecuteOptions = {}): Promise<ExecutionResult> {
    const { intent, entry, params, policy } = await this.#accept(input, options);
    const recorded = await this.#record(intent, entry, policy, 'running');
    // The intent id is taken: replay its recorded result (same tenant, finished) or refuse.
    if (recorded === 'taken') return this.#replay(intent);
    const { executionId, event: started } = recorded;
    return this.#run({ intent, entry, params, policy, executionId, started, timeoutMs: options.timeoutMs, lease: null });
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
  async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedRun[]> {
    const d = this.d;
    const intentTypes = d.registry.list().map((i) => i.intentType);
    if (intentTypes.length === 0 || limit <= 0) return [];
    const at = d.now().toISOString();
    // Claims span tenants: the queue is shared.
    const runs = await d.db.scoped(ANY_TENANT).transaction(async (tx) => {
      const claimed = await d.stateSurface.claim(tx, { owner, intentTypes, limit, leaseMs, policyVersion: d.policy.version, startedAt: at });
      if (claimed.length === 0) return [];
      const records: WalRecordInput[] = [];
      const runs: ClaimedRun[] = claimed.map((c) => {
        const worker = { worker: owner, attempt: c.lease.attempt };
        if (c.claimedFrom === 'running') {
          records.push(this.#wal(c, c.executionId, WalRecordType.STATE_TRANSITION,
            { from: 'running', to: 'queued', at, reason: `the lease of worker ${c.previousOwner} expired` }, at));
        }
        records.push(this.#wal(c, c.executionId, WalRecordType.STATE_TRANSITION, { from: 'queued', to: 'running', at, ...worker }, at));
        const started = this.#event(c, c.executionId, 'runtime', 'execution.started', {
          executionId: c.executionId, intentId: c.intentId, intentType: c.intentType, realm: c.realm, ...worker,
        });
        return { execution: c, started };
      });
      await d.wal.append(tx, records);
      await d.outbox.insert(tx, runs.map((r) => r.started));
      return runs;
    });
    if (runs.length > 0) d.relay.kick();
    return runs;
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
    return this.#run({ intent, entry, params, policy, executionId: c.executionId, started, lease: c.lease });
  }

  /** Validates an intent; a refused one is recorded (`intent_rejected`) and thrown. */
  async #accept(input: IntentInput | Intent, options: ExecuteOptions) {
    const intent = createIntent(input as IntentInput);
    const policy = options.policy ?? this.#policyOf(intent);
    if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0)) {
      throw new ConfigError(`timeoutMs must be a positive integer, got ${String(options.timeoutMs)}`);
    }
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
  async #run(r: {
    intent: Intent; entry: RegisteredIntent; params: unknown; policy: CompiledPolicy; executionId: string;
    started: OutboxEvent; timeoutMs?: number | undefined; lease: Lease | null;
  }): Promise<ExecutionResult> {
    const d = this.d;
    const { intent, entry, params, policy, executionId, started, lease } = r;
    const ref: ExecutionRef = { ...intent, executionId, policyVersion: policy.version, lease };
    // Run the realm, with no transaction open and no storage handle.
    const realmStart = performance.now();
    let normalized: NormalizedResult;
    try {
      const raw = await this.#runHandler(entry, params, intent, executionId, r.timeoutMs);
      normalized = normalizeResult(raw);
    } catch (err) {
      return this.#fail(ref, toFailure(err, intent.intentType), [
        { from: 'running', to: 'failed', at: d.now().toISOString(), realmMs: round(performance.now() - realmStart) },
      ]);
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
      if (err instanceof LeaseLostError) throw err;
      d.logger.error({ err, executionId }, 'materializing or completing the execution failed');
      return this.#fail(
        ref,
        { code: STORE_ERROR_CODE, message: `recording the completion failed: ${(err as Error).message}` },
        [
          // The rolled-back transaction held this transition; record it again so the journey stays connected.
          { from: 'running', to: 'materializing', at: materializingAt, realmMs },
          { from: 'materializing', to: 'failed', at: d.now().toISOString() },
        ],
      );
    }
  }

  /**
   * Recovery: marks executions left `running` by a process that stopped as
   * failed (SYM_ERR_INTERRUPTED). Only safe where no other process runs
   * executions on the same store (the embedded data dir, which is locked).
   */
  async recoverInterrupted(): Promise<number> {
    // Claimed executions are not touched: a worker takes them over when their lease expires.
    const running = await this.d.stateSurface.listRunningUnleased();
    for (const e of running) {
      const err = new ExecutionInterruptedError(`execution ${e.executionId} was interrupted: its process stopped before it finished`);
      await this.#fail(e, { code: err.code, message: err.message }, [{ from: 'running', to: 'failed', at: this.d.now().toISOString() }]);
    }
    return running.length;
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
    const createdAt = this.d.now();
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
          retainUntil: decision.retentionSeconds === undefined ? null : new Date(createdAt.getTime() + decision.retentionSeconds * 1000).toISOString(),
        };
      } catch (err) {
        // The execution still completes: the decision, the failure and its reason are recorded.
        this.d.logger.warn({ err, executionId, key: artifact.key }, 'storing artifact failed');
        p.outcome = { ...p.outcome, stored: false, storageError: (err as Error).message };
      }
    } else if (decision.decision === 'cache') {
      const ttlSeconds = decision.ttlSeconds ?? DEFAULT_CACHE_TTL_SECONDS;
      const expiresAt = new Date(createdAt.getTime() + ttlSeconds * 1000).toISOString();
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

  /** Records a failed execution (state, WAL transitions, `execution.failed` event) in one transaction. */
  async #fail(
    e: ExecutionRef,
    error: { code: string; message: string },
    transitions: Record<string, unknown>[],
  ): Promise<ExecutionResult> {
    const d = this.d;
    const { executionId } = e;
    // Any message may carry realm text (NUL, unpaired surrogates): escaped so the failure is always recordable.
    error = storableFailure(error);
    const at = d.now().toISOString();
    const failed = this.#event(e, executionId, 'runtime', 'execution.failed', {
      executionId, intentId: e.intentId, intentType: e.intentType, status: 'failed', error,
    });
    const result: ExecutionResult = {
      executionId, intentId: e.intentId, intentType: e.intentType, tenantId: e.tenantId,
      sessionId: e.sessionId, status: 'failed', error, policyVersion: e.policyVersion, artifacts: [], events: [failed],
    };
    try {
      // Recovery may race a late completion: only a still-running execution is failed (else nothing is written).
      await this.#writer.write(e.tenantId, {
        finish: { executionId, status: 'failed', state: null, result, error, finishedAt: at, lease: e.lease ?? null },
        wal: transitions.map((t) => this.#wal(e, executionId, WalRecordType.STATE_TRANSITION, { ...t, error }, at)),
        outbox: [failed],
      });
    } catch (err) {
      throw new StoreError(`execution ${executionId} failed (${error.message}) and recording that failed too: ${(err as Error).message}`, { cause: err });
    }
    d.observer?.finished(result);
    d.relay.kick();
    return result;
  }

  /** An intent id this tenant used before: its recorded result, if it is the same intent type and finished. */
  async #replay(intent: Intent): Promise<ExecutionResult> {
    const prior = await this.#priorOfSameType(intent);
    if (prior.status === 'running' || prior.status === 'queued' || prior.result === null) {
      throw new DuplicateIntentError(intent.intentId, `is still ${prior.status} as execution ${prior.executionId}`);
    }
    return prior.result as ExecutionResult;
  }

  /** The execution that already holds this tenant's intent id; refused when it was for another intent type. */
  async #priorOfSameType(intent: Intent): Promise<ExecutionRecord> {
    const prior = await this.d.stateSurface.getByIntentId(intent.intentId, intent.tenantId);
    if (!prior) throw new DuplicateIntentError(intent.intentId);
    if (prior.intentType !== intent.intentType) {
      throw new DuplicateIntentError(intent.intentId, `was already used for intent type '${prior.intentType}'`);
    }
    // A retry repeats the request; different parameters under the same id are a different intent.
    if (canonicalJson(prior.parameters) !== canonicalJson(intent.parameters)) {
      throw new DuplicateIntentError(intent.intentId, `was already used with different parameters (execution ${prior.executionId})`);
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
