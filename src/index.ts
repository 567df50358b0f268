/**
 * SymphAIny runtime: intents routed to realms, platform meaning recorded in
 * a write-ahead log, and every produced artifact persisted, cached or
 * discarded by materialization policy — with the reason recorded.
 *
 * @example
 * ```ts
 * import { createRuntime, defineRealm, ANY_TENANT } from 'symphainy';
 * import { mvpPolicyPath } from 'symphainy/examples';
 * const runtime = await createRuntime({ realms: [myRealm], solutionConfig: mvpPolicyPath });
 * const result = await runtime.execute({ intentType: 'my.summarize', tenantId: 'acme', sessionId: 's1', parameters: { text } });
 * await runtime.close();
 * ```
 *
 * Other entry points: `symphainy/http` (the HTTP API), `symphainy/postgres`,
 * `symphainy/s3`, `symphainy/redis`, `symphainy/nats` (backend drivers; their
 * packages are optional peer dependencies), `symphainy/testing` and
 * `symphainy/examples`. Everything else is internal.
 * @module
 */
export { createRuntime } from './runtime/create-runtime.ts';
export type { Runtime, Scope } from './runtime/create-runtime.ts';
export type { RuntimeOptions } from './runtime/runtime-options.ts';
export type { ExecutionResult, ArtifactOutcome } from './execution/execution-result.ts';
export type { ExecuteOptions, SubmitOptions } from './execution/lifecycle-manager.ts';

export { defineRealm, isRealm } from './realm/define-realm.ts';
export type { Realm, RealmDefinitionInput, IntentDefinition, RealmResult, RealmEvent, ParamsSchema } from './realm/define-realm.ts';
export { rendering, Rendering } from './realm/rendering.ts';
export type { NormalizedArtifact } from './realm/normalize-result.ts';
export { loadRealmModule } from './realm/load-realm-module.ts';

export type { Intent, IntentInput } from './intent/intent.ts';
export type { ExecutionContext, ModelUsage } from './intent/execution-context.ts';

export {
  MATERIALIZATION_DECISIONS,
  MaterializationDecision,
  POLICY_LAYERS,
  PolicyLayer,
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_POLICY,
  MVP_POLICY_OVERRIDE,
  PLATFORM_NATIVE_TYPES,
  loadSolutionConfig,
  parseSolutionConfig,
  parseSolutionConfigYaml,
  validateGovernanceRules,
  loadPlatformPolicy,
  parsePlatformPolicy,
  parsePlatformPolicyYaml,
  compileMaterializationPolicy,
  formatExplanation,
} from './policy/index.ts';
export type * from './policy/index.ts';

export { ANY_TENANT } from './db/tenant-scope.ts';
export type { TenantScope } from './db/tenant-scope.ts';
export { ExecutionStatus } from './store/state-surface.ts';
export type { ExecutionRecord, ExecutionState, ExecutionQuery, ExecutionSummary } from './store/state-surface.ts';
export { WalRecordType } from './store/write-ahead-log.ts';
export type { WalRecord, WalQuery } from './store/write-ahead-log.ts';
export type { ChainReport, ChainProblemKind } from './store/wal-verify.ts';
export type { ErasureScope, ErasureReport } from './erasure/erase.ts';
export type { SweepReport } from './retention/artifact-lifecycle.ts';
export type { CheckpointDecisionExplanation, CheckpointErasure, TenantCheckpoints } from './checkpoints/checkpoint-governance.ts';
export type { CheckpointSweepReport, StoredCheckpoint } from './checkpoints/checkpoint-store.ts';
export type { CheckpointSummary, CheckpointThread } from './checkpoints/checkpoint-listing.ts';
export type { SweepOptions } from './retention/artifact-lifecycle.ts';
export type { GarbageCollectionReport } from './retention/garbage-collection.ts';
export type { RenderingBytes } from './realm/rendering.ts';
export type { ExecutionExplanation, ArtifactDecisionExplanation } from './runtime/explain-execution.ts';
export type { OutboxEvent, StoredOutboxEvent } from './store/outbox.ts';
export type { ArtifactRecord, ArtifactLineage, ArtifactQuery, RenderingRef } from './store/artifact-index.ts';
export type { Db, DbCapabilities, Queryable, ScopedDb } from './db/db.ts';

export type { BlobStore } from './artifacts/blob-store.ts';
export { FsBlobStore } from './artifacts/fs/fs-blob-store.ts';
export type { CacheStore, CacheEntry, CacheLookup } from './cache/cache-store.ts';
export type { EventHandler, SubscriptionFilter } from './events/in-process-bus.ts';
export type { EventSink } from './events/event-sink.ts';

export type { Worker, WorkerOptions, WorkerStats } from './worker/worker.ts';
export type { SubmittedExecution } from './execution/lifecycle-manager.ts';
export { loadRuntimeConfig, type RuntimeConfigFile } from './runtime/runtime-config.ts';
export { parseRuntimeConfigYaml } from './runtime/runtime-config.ts';
export { compileRuntimeOptions, type CompiledRuntimeOptions, type RuntimeOptionsInput } from './options/compile-runtime-options.ts';
export { startTracing, type Tracing, type TracingOptions } from './telemetry/start-tracing.ts';
export { compileRetryPolicy, DEFAULT_RETRY_POLICY, type RetryPolicy, type CompiledRetryPolicy } from './policy/retry-policy.ts';

export * from './errors/index.ts';
