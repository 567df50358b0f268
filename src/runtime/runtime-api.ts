import type { ContentCipher } from '../crypto/content-cipher.ts';
import type { Keyring } from '../crypto/keyring.ts';
import type { CacheEntry, CacheLookup } from '../cache/cache-store.ts';
import type { EventHandler, SubscriptionFilter } from '../events/in-process-bus.ts';
import type { Intent, IntentInput } from '../intent/intent.ts';
import type { RegisteredIntent } from '../realm/intent-registry.ts';
import type { CompiledRuntimeOptions } from '../options/compile-runtime-options.ts';
import type { CompiledPolicy, PolicyExplanation } from '../policy/compile-policy.ts';
import type { PolicyInput } from '../policy/decision.ts';
import type { PolicyDiff } from '../policy/policy-diff.ts';
import type { PolicyResolver } from '../policy/policy-resolver.ts';
import type { Realm } from '../realm/define-realm.ts';
import type { ErasureReport, ErasureScope } from '../erasure/erase.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import type { ModelWork } from '../execution/model-work.ts';
import type { ApprovalResult } from '../intent/execution-context.ts';
import type { StepRecord, WaitingApproval } from '../store/step-journal.ts';
import type { ApplyReport } from '../retention/apply-policy.ts';
import type { SweepOptions, SweepReport } from '../retention/artifact-lifecycle.ts';
import type { KeepResult } from '../retention/promote.ts';
import type { ArtifactQuery, ArtifactRecord } from '../store/artifact-index.ts';
import type { StoredOutboxEvent, StreamPosition } from '../store/outbox.ts';
import type { TenantScope } from '../db/tenant-scope.ts';
import type { ExecutionQuery, ExecutionRecord, ExecutionSummary } from '../store/state-surface.ts';
import type { ChainReport } from '../store/wal-verify.ts';
import type { WalQuery, WalRecord } from '../store/write-ahead-log.ts';
import type { TenantRegistry } from '../tenants/tenant-registry.ts';
import type { Worker, WorkerOptions } from '../worker/worker.ts';
import type { ExecuteOptions, SubmitOptions, SubmittedExecution } from '../execution/lifecycle-manager.ts';
import type { ExecutionResult } from '../execution/execution-result.ts';
import type { DiffOptions } from './policy-diff-over-history.ts';
import type { ExecutionExplanation } from './explain-execution.ts';
import type { ReadinessReport } from '../health/readiness.ts';
import type { TenantCheckpoints } from '../checkpoints/checkpoint-governance.ts';

/** Where a read is scoped: one tenant, or ANY_TENANT for operator tools. */
export interface Scope {
  readonly tenantId: TenantScope;
}

/**
 * A running SymphAIny runtime. Create with {@link createRuntime}; `close()` when done.
 *
 * Every method checks its arguments before reading or writing anything
 * (runtime-inputs.ts): a string the store cannot keep (a NUL or an unpaired
 * UTF-16 surrogate) anywhere in them, a `limit` outside 1 to 2147483647, or
 * an empty or unreadable `since`/`until` window throws SYM_ERR_INVALID_REQUEST
 * whose `issues` name the field by its path (`subject.value`, `data.items[1]`);
 * intent parameters throw SYM_ERR_INVALID_INTENT (`parameters.sop_text`).
 */
export interface Runtime {
  /** The embedded data directory, or `null` for `memory` runtimes and external databases. */
  readonly dataDir: string | null;
  /**
   * The options this runtime was compiled with (defaults filled in, deep-frozen),
   * including the `serve`/`worker` sections (`http`, `worker`, `drainTimeoutMs`).
   */
  readonly options: CompiledRuntimeOptions;
  /** The runtime's compiled materialization policy (for a tenant and solution with no config of their own); follows `policy apply` when the runtime has none of its own. */
  readonly policy: CompiledPolicy;
  /** The policy set executions are decided under now: `resolver.resolve(tenantId, solutionId)` is what an execution uses. */
  readonly resolver: PolicyResolver;
  /**
   * The policy set in force for the store: the one last made active with
   * `policy apply`, else this runtime's own ({@link resolver}). A candidate
   * that attaches no tenant or solution configs keeps the ones of this set
   * (`keepAttached`) — not those of a runtime opened with the candidate itself.
   */
  inForcePolicy(): Promise<PolicyResolver>;
  /** Tenants and their API keys (for the HTTP API). */
  readonly tenants: TenantRegistry;
  /** Prometheus metrics of this runtime (stage latencies, decisions, executions, outbox lag). */
  readonly metrics: RuntimeMetrics;
  /** Model usage totals, budgets and execution streams (`ctx.recordUsage`, `ctx.emit`). */
  readonly modelWork: ModelWork;
  /** `embedded` (PGlite) or `postgres` (a server). */
  readonly storeKind: 'embedded' | 'postgres';
  /** Validates, records, runs and materializes one intent. Throws only for refused intents and store failures. */
  execute(intent: IntentInput | Intent, options?: ExecuteOptions): Promise<ExecutionResult>;
  /**
   * Validates and records an intent as a queued execution and returns at once;
   * a worker (of this or any process on the same database) runs it. The same
   * intent id again returns the existing execution. The worker's policy decides what its artifacts
   * become (recorded with its version at completion).
   */
  submit(intent: IntentInput | Intent, options?: SubmitOptions): Promise<SubmittedExecution>;
  /**
   * Re-queues a `dead` or `failed` execution of the scope, with a fresh
   * attempt budget; recorded in the WAL with `requestedBy`. Throws
   * SYM_ERR_NOT_FOUND outside the scope, SYM_ERR_CONFLICT for other statuses.
   */
  retryExecution(executionId: string, scope: Scope, options: { requestedBy: string }): Promise<ExecutionRecord>;
  /**
   * Sends signal `name` (JSON `data`) to an execution of the scope, for its
   * `ctx.waitFor(name)`: kept until a wait consumes it; a waiting execution
   * resumes on any worker. Throws SYM_ERR_NOT_FOUND outside the scope,
   * SYM_ERR_CONFLICT when it has finished.
   */
  signalExecution(executionId: string, name: string, scope: Scope, options?: { data?: unknown; sentBy?: string }): Promise<{ signalId: string; sentAt: string; resumed: boolean }>;
  /**
   * Approves or rejects `ctx.approval(name)` of an execution of the scope;
   * who, when and why are a `governance_decision` WAL record (shown by
   * `explainExecution`). Throws SYM_ERR_CONFLICT when already decided.
   */
  decideApproval(executionId: string, name: string, scope: Scope, decision: { decision: 'approve' | 'reject'; by: string; reason?: string | null }): Promise<ApprovalResult>;
  /** The approvals the scope's executions wait for, oldest first (the approvals inbox). */
  listApprovals(scope: Scope, options?: { limit?: number }): Promise<WaitingApproval[]>;
  /** Starts a worker claiming queued executions of this runtime's intent types; stopped by `close()`. */
  startWorker(options?: WorkerOptions): Worker;
  /** Resolves with the execution once it is completed, failed or dead; rejects with SYM_ERR_WAIT_TIMEOUT after `timeoutMs` (default 60 s). */
  waitForExecution(executionId: string, scope: Scope, options?: { timeoutMs?: number }): Promise<ExecutionRecord>;
  /**
   * Receives committed outbox events (realm and lifecycle), each with a stable
   * `eventId`, of one tenant or (explicitly) ANY_TENANT. Returns an unsubscribe function.
   */
  subscribe(handler: EventHandler, filter: SubscriptionFilter): () => void;
  registerRealm(realm: Realm): void;
  intents(): RegisteredIntent[];
  getExecution(executionId: string, scope: Scope): Promise<ExecutionRecord>;
  listExecutions(query: ExecutionQuery): Promise<ExecutionRecord[]>;
  /**
   * {@link listExecutions} without content (parameters, state, result, error
   * message; the error's code stays): opens nothing sealed, so an execution
   * whose key is lost or destroyed is listed like any other.
   */
  listExecutionSummaries(query: ExecutionQuery): Promise<ExecutionSummary[]>;
  getArtifact(artifactId: string, scope: Scope): Promise<ArtifactRecord>;
  listArtifacts(query: ArtifactQuery): Promise<ArtifactRecord[]>;
  /** Live artifacts whose retention ends within `withinSeconds` (database clock), soonest first. @default limit 100 */
  listRetentionDue(scope: Scope, options: { withinSeconds: number; limit?: number }): Promise<ArtifactRecord[]>;
  /** An execution's step journal (durable steps, sleeps, signal waits, approvals) in sequence order; NotFoundError unless it is the scope's. */
  listSteps(executionId: string, scope: Scope): Promise<StepRecord[]>;
  /** The bytes of one rendering of a persisted artifact, checked against its content hash. */
  readRendering(artifactId: string, rendering: string, scope: Scope): Promise<{ bytes: Uint8Array; contentType: string }>;
  /** Places a legal hold on a persisted artifact: retention, retroactive policy and erasure leave it alone until released. */
  holdArtifact(artifactId: string, scope: Scope, reason: string): Promise<ArtifactRecord>;
  releaseArtifact(artifactId: string, scope: Scope): Promise<ArtifactRecord>;
  /**
   * Erases a tenant, a session or a subject's data everywhere the runtime
   * keeps it (renderings, cache entries, semantic payloads, parameters,
   * results, outbox payloads) and records one `erasure` WAL record with
   * counts and ids. Legal holds keep their artifacts and are reported.
   */
  erase(scope: ErasureScope): Promise<ErasureReport>;
  /**
   * One tenant's LangGraph checkpoints, governed by the materialization
   * policy (result type `checkpoint`): what `symphainy/langgraph`'s saver
   * stores through, plus legal holds per thread and explanations of each
   * checkpoint's decision. Throws SYM_ERR_INVALID_REQUEST naming `tenantId`
   * when it is not a valid tenant id.
   */
  checkpoints(tenantId: string): TenantCheckpoints;
  /**
   * What tenant content is sealed with (docs/encryption.md): the envelope and the declared subjects. Stores of
   * content (blobs, cache, outbox, event sinks) take it to seal what they keep. Null with `encryption: false`.
   */
  readonly cipher: ContentCipher | null;
  /** The data keys (per tenant, session, subject): rotation and destruction. Null with `encryption: false`. */
  readonly keyring: Keyring | null;
  /** Asks for a cached artifact to be persisted: the policy's `promote` permission decides, and the decision is recorded. */
  keepCached(cacheId: string, scope: { tenantId: string }): Promise<KeepResult>;
  /** Deletes renderings whose retention ended (tombstones and WAL records stay) and expired cache entries, collects crash leftovers; reports held ones. */
  sweep(options?: SweepOptions): Promise<SweepReport>;
  listWal(query: WalQuery): Promise<WalRecord[]>;
  /** Checks the hash chain of one tenant's WAL (or every tenant's): the first altered, missing or reordered record of each. */
  verifyWal(scope: Scope): Promise<ChainReport[]>;
  listEvents(query: { tenantId: TenantScope; executionId?: string; limit?: number }): Promise<StoredOutboxEvent[]>;
  /**
   * One tenant's committed events after a position, in an order that never
   * skips one committing late (for live streams); resume from the last
   * event's `position`.
   */
  listCommittedEvents(query: { tenantId: string; after: StreamPosition | null; limit: number }): Promise<(StoredOutboxEvent & { position: StreamPosition })[]>;
  /** The stream position of one of the tenant's events, or null when it has none with this id. */
  eventPosition(eventId: string, tenantId: string): Promise<StreamPosition | null>;
  /** Resolves when the store answers a query. */
  ping(): Promise<void>;
  /** Whether the store answers (within about a second) and which connected parts (event sinks, cache) are degraded. Never rejects. */
  readiness(): Promise<ReadinessReport>;
  /** Live cached artifacts matching the lookup (expired ones are gone). */
  getCached(lookup: CacheLookup): Promise<CacheEntry[]>;
  /**
   * Every materialization decision of an execution, each with the recorded
   * inputs and every layer's verdict under the policy version that decided.
   */
  explainExecution(executionId: string, scope: Scope): Promise<ExecutionExplanation>;
  /**
   * What a candidate policy would change: every recorded decision in the
   * window re-evaluated, tallied per tenant and result type (counts, bytes,
   * examples). Read-only.
   */
  diffPolicy(candidate: PolicyResolver | CompiledPolicy, options: DiffOptions): Promise<PolicyDiff>;
  /**
   * Makes `policy` the active one (runtimes without a policy of their own
   * switch to it, running ones too), recorded in the WAL; `retroactive` also re-applies
   * it to stored artifacts (discarded ones deleted, tombstones kept, holds win).
   */
  applyPolicy(policy: PolicyResolver | CompiledPolicy, options: { retroactive: boolean }): Promise<ApplyReport>;
  /** Every policy layer's verdict for a hypothetical artifact of `input.tenantId` (and `solutionId`), under `policy` or the one runs use now. */
  explainPolicy(input: PolicyInput, options?: { policy?: PolicyResolver | CompiledPolicy; solutionId?: string }): PolicyExplanation;
  /** Publishes what is committed but not yet delivered (resolves when the outbox is empty). */
  flushEvents(): Promise<void>;
  /** Finishes event delivery, cancels running handlers, closes the store and releases the data dir. */
  close(): Promise<void>;
}
