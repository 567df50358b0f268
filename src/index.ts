/**
 * SymphAIny runtime: intents routed to realms, platform meaning recorded in
 * a write-ahead log, and every produced artifact persisted, cached or
 * discarded by materialization policy — with the reason recorded.
 *
 * @example
 * ```ts
 * import { createRuntime, defineRealm, ANY_TENANT } from 'symphainy';
 * const runtime = await createRuntime({ realms: [myRealm], solutionConfig: 'config/mvp_materialization_policy.yaml' });
 * const result = await runtime.execute({ intentType: 'my.summarize', tenantId: 'acme', sessionId: 's1', parameters: { text } });
 * await runtime.close();
 * ```
 * @module
 */
export { createRuntime } from './runtime/create-runtime.ts';
export type { Runtime, Scope } from './runtime/create-runtime.ts';
export type { RuntimeOptions } from './runtime/runtime-options.ts';
export type { ExecutionResult, ArtifactOutcome } from './runtime/execution-result.ts';
export type { ExecuteOptions } from './runtime/execution-lifecycle-manager.ts';
export { FaultPoint } from './runtime/fault-points.ts';
export type { Faults } from './runtime/fault-points.ts';

export { defineRealm, isRealm } from './realm/define-realm.ts';
export type { Realm, RealmDefinitionInput, IntentDefinition, RealmResult, RealmEvent, ParamsSchema } from './realm/define-realm.ts';
export { rendering, Rendering } from './realm/rendering.ts';
export { normalizeResult } from './realm/normalize-result.ts';
export type { NormalizedArtifact, NormalizedResult } from './realm/normalize-result.ts';
export { inferResultType, KNOWN_RESULT_TYPES, UNKNOWN_RESULT_TYPE } from './realm/result-types.ts';
export { loadRealmModule } from './realm/load-realm-module.ts';

export { createIntent } from './intent/intent.ts';
export type { Intent, IntentInput } from './intent/intent.ts';
export type { ExecutionContext } from './intent/execution-context.ts';
export { IntentRegistry } from './intent/intent-registry.ts';
export type { RegisteredIntent } from './intent/intent-registry.ts';

export * from './policy/index.ts';

export { ANY_TENANT } from './store/sql.ts';
export type { TenantScope } from './store/sql.ts';
export { ExecutionStatus } from './store/state-surface.ts';
export type { ExecutionRecord, ExecutionState, ExecutionQuery } from './store/state-surface.ts';
export { WalRecordType } from './store/write-ahead-log.ts';
export type { WalRecord, WalQuery } from './store/write-ahead-log.ts';
export type { ChainReport, ChainProblemKind } from './store/wal-verify.ts';
export type { ErasureScope, ErasureReport } from './erasure/erase.ts';
export type { SweepReport } from './retention/artifact-lifecycle.ts';
export type { SweepOptions } from './retention/artifact-lifecycle.ts';
export type { GarbageCollectionReport } from './retention/garbage-collection.ts';
export type { RenderingBytes } from './realm/rendering.ts';
export type { ExecutionExplanation, ArtifactDecisionExplanation } from './runtime/explain-execution.ts';
export type { OutboxEvent, StoredOutboxEvent } from './store/outbox.ts';
export type { ArtifactRecord, ArtifactLineage, ArtifactQuery, RenderingRef } from './store/artifact-index.ts';
export type { Db, DbCapabilities, Queryable, ScopedDb } from './store/db.ts';
export { PgliteDb } from './store/pglite/pglite-db.ts';
export { PgDb, type PgDbOptions } from './store/pg/pg-db.ts';

export { ArtifactStorage } from './artifacts/artifact-storage.ts';
export type { StoredArtifact } from './artifacts/artifact-storage.ts';
export type { BlobStore } from './artifacts/blob-store.ts';
export { FsBlobStore } from './artifacts/fs/fs-blob-store.ts';
export { S3BlobStore, parseS3Url, type S3BlobStoreOptions } from './artifacts/s3/s3-blob-store.ts';
export type { CacheStore, CacheEntry, CacheLookup } from './cache/cache-store.ts';
export { RedisCache, type RedisCacheOptions } from './cache/redis/redis-cache.ts';
export type { EventHandler, SubscriptionFilter } from './events/in-process-bus.ts';
export type { EventSink } from './events/event-sink.ts';
export { NatsEventSink, eventSubject, type NatsEventSinkOptions } from './events/nats/nats-sink.ts';

export { Worker, type WorkerOptions, type WorkerStats } from './worker/worker.ts';
export type { SubmittedExecution } from './runtime/execution-lifecycle-manager.ts';
export { loadRuntimeConfig, type RuntimeConfigFile } from './runtime/runtime-config.ts';

export * from './errors/index.ts';
export { exampleRealms } from '../realms/index.ts';
