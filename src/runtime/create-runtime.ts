import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { ArtifactStorage, DEFAULT_INLINE_MAX_BYTES } from '../artifacts/artifact-storage.ts';
import { ArtifactContents } from '../store/artifact-contents.ts';
import type { CacheEntry, CacheLookup } from '../cache/cache-store.ts';
import { ConfigError, NotFoundError, RuntimeClosedError, WaitTimeoutError } from '../errors/index.ts';
import { InProcessEventBus, type EventHandler, type SubscriptionFilter } from '../events/in-process-bus.ts';
import { OutboxRelay } from '../events/outbox-relay.ts';
import type { Intent, IntentInput } from '../intent/intent.ts';
import { IntentRegistry, type RegisteredIntent } from '../realm/intent-registry.ts';
import type { CompiledPolicy, PolicyExplanation } from '../policy/compile-policy.ts';
import type { PolicyInput } from '../policy/decision.ts';
import { loadPolicyResolver, resolverOf, type PolicyResolver } from '../policy/policy-resolver.ts';
import { LivePolicy } from '../store/live-policy.ts';
import type { Realm } from '../realm/define-realm.ts';
import { ArtifactIndex, type ArtifactQuery, type ArtifactRecord } from '../store/artifact-index.ts';
import type { Db } from '../db/db.ts';
import { migrate } from '../db/migrations/migrate.ts';
import { TransactionalOutbox, type StoredOutboxEvent, type StreamPosition } from '../store/outbox.ts';
import { TenantRegistry } from '../tenants/tenant-registry.ts';
import { PolicyVersions } from '../store/policy-versions.ts';
import { verifyWal, type ChainReport } from '../store/wal-verify.ts';
import { ArtifactLifecycle, type SweepOptions, type SweepReport } from '../retention/artifact-lifecycle.ts';
import { checkGcGrace, DEFAULT_GC_GRACE_SECONDS } from '../retention/garbage-collection.ts';
import { erase, type ErasureReport, type ErasureScope } from '../erasure/erase.ts';
import { keepCached, type KeepResult } from '../retention/promote.ts';
import { diffPolicyOverHistory, type DiffOptions } from './policy-diff-over-history.ts';
import { applyPolicy, type ApplyReport } from '../retention/apply-policy.ts';
import type { PolicyDiff } from '../policy/policy-diff.ts';
import { explainExecution, type ExecutionExplanation } from './explain-execution.ts';
import { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import { PgliteDb } from '../db/pglite/pglite-db.ts';
import type { TenantScope } from '../db/tenant-scope.ts';
import { StateSurface, type ExecutionQuery, type ExecutionRecord } from '../store/state-surface.ts';
import { WriteAheadLog, type WalQuery, type WalRecord } from '../store/write-ahead-log.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { validateGroupCommitOptions } from '../db/group-commit.ts';
import { ExecutionLifecycleManager, type ExecuteOptions, type SubmittedExecution } from '../execution/lifecycle-manager.ts';
import { Worker, type WorkerOptions } from '../worker/worker.ts';
import { loadPgDriver } from './drivers.ts';
import { openBlobStore, openCache, openEventSink, resolveBackendSettings, resolveDatabaseTimeouts, type OpenedBackend } from './backends.ts';
import { loadRuntimeConfig } from './runtime-config.ts';
import type { ExecutionResult } from '../execution/execution-result.ts';
import { defaultLogger } from './logger.ts';
import { DatabaseClock } from '../db/database-clock.ts';
import { durationOption, MAX_TIMER_SECONDS } from '../policy/duration.ts';
import type { RuntimeOptions } from './runtime-options.ts';
import { ReadinessProbe, type ReadinessReport } from '../health/readiness.ts';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LeaseKeeper } from '../execution/lease-keeper.ts';
import { Signals } from '../execution/signals.ts';
import type { ApprovalResult } from '../intent/execution-context.ts';
import type { WaitingApproval } from '../store/step-journal.ts';
import { compileRetryPolicy } from '../policy/retry-policy.ts';
import { withDefaultUser } from '../db/pg/database-url.ts';

/** Where a read is scoped: one tenant, or ANY_TENANT for operator tools. */
export interface Scope {
  readonly tenantId: TenantScope;
}

/** A running SymphAIny runtime. Create with {@link createRuntime}; `close()` when done. */
export interface Runtime {
  /** The embedded data directory, or `null` for `memory` runtimes and external databases. */
  readonly dataDir: string | null;
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
  submit(intent: IntentInput | Intent): Promise<SubmittedExecution>;
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
  /** Resolves with the execution once it is completed, failed or dead; rejects with SYM_ERR_TIMEOUT after `timeoutMs` (default 60 s). */
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
  getArtifact(artifactId: string, scope: Scope): Promise<ArtifactRecord>;
  listArtifacts(query: ArtifactQuery): Promise<ArtifactRecord[]>;
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

/**
 * The composition root (the plan's "Public Works"): opens the store, applies
 * migrations, recovers interrupted executions, and wires registry, policy,
 * artifact storage, cache, outbox relay and the lifecycle manager.
 *
 * @example
 * ```ts
 * import { createRuntime } from 'symphainy';
 * import { exampleRealms, mvpPolicyPath } from 'symphainy/examples';
 * const runtime = await createRuntime({ realms: exampleRealms, solutionConfig: mvpPolicyPath });
 * const result = await runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId: 'acme', sessionId: 's1',
 *                                        parameters: { sop_text: '1. Receive order\n2. Ship it' } });
 * console.log(result.artifacts.map((a) => `${a.key}: ${a.decision} (${a.layer})`));
 * await runtime.close();
 * ```
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? defaultLogger();
  // Every deadline (retention, cache expiry, sweeps, tombstones, erasure) is the database's time
  // (`dbNow`, the DatabaseClock). `now` only stamps records, and defaults to the database's time too.
  let clock: DatabaseClock | undefined;
  const dbNow = (): Date => {
    if (!clock) throw new Error('the database clock is read before the database is open');
    return clock.now();
  };
  const now = options.now ?? dbNow;
  // The runtime config file first: a bad file fails before anything is opened.
  const configRef = options.runtimeConfig ?? (process.env.SYMPHAINY_RUNTIME_CONFIG || undefined);
  const file = typeof configRef === 'string' ? await loadRuntimeConfig(configRef) : configRef;
  // Durations that run timers, through the one duration parser (at most what a timer can wait).
  const realmTimeoutMs = durationOption('realmTimeoutMs', options.realmTimeoutMs ?? file?.realmTimeoutMs ?? 30_000,
    { unit: 'ms', plain: 'ms', subSecond: true, max: MAX_TIMER_SECONDS });
  const purgeIntervalSeconds = durationOption('cachePurgeIntervalSeconds', options.cachePurgeIntervalSeconds ?? 60, { subSecond: true, max: MAX_TIMER_SECONDS });
  const gcGraceSeconds = checkGcGrace(options.gcGraceSeconds ?? file?.gcGraceSeconds ?? DEFAULT_GC_GRACE_SECONDS, 'gcGraceSeconds (gc_grace)');
  if (options.lockWaitMs !== undefined && !(Number.isInteger(options.lockWaitMs) && options.lockWaitMs >= 0)) {
    throw new ConfigError(`lockWaitMs must be a non-negative integer, got ${String(options.lockWaitMs)}`);
  }
  const inlineMaxBytes = options.inlineMaxBytes ?? file?.inlineMaxBytes ?? DEFAULT_INLINE_MAX_BYTES;
  if (!(Number.isInteger(inlineMaxBytes) && inlineMaxBytes >= 0)) {
    throw new ConfigError(`inlineMaxBytes must be a non-negative integer, got ${String(inlineMaxBytes)}`);
  }
  const groupCommitOption = options.groupCommit ?? file?.groupCommit;
  const groupCommit = groupCommitOption === false ? false : validateGroupCommitOptions(groupCommitOption ?? {});
  const retryPolicy = compileRetryPolicy(options.retryPolicy ?? file?.retryPolicy ?? {}, options.retryPolicy ? 'retryPolicy' : file?.retryPolicy ? `${file.source}: retry_policy` : 'retryPolicy');
  const leaseMs = options.leaseMs ?? file?.worker?.leaseMs ?? 30_000;
  if (!Number.isInteger(leaseMs) || leaseMs < 300) throw new ConfigError(`leaseMs must be an integer of at least 300, got ${String(leaseMs)}`);

  // Compile the policies first: a bad config must fail before anything is opened.
  const ownPolicy = await loadPolicyResolver({
    solution: options.solutionConfig,
    platform: options.platformPolicy ?? (process.env.SYMPHAINY_PLATFORM_POLICY || undefined) ?? file?.platformPolicy,
    governance: options.governance,
  });

  const registry = new IntentRegistry();
  for (const realm of options.realms ?? []) registry.register(realm);

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => logger.error({ err }, 'closing failed'));
    cleanups.length = 0;
  };
  try {
    const settings = resolveBackendSettings(options, file);
    const opened = <T>(b: OpenedBackend<T>): T => {
      if (b.close) cleanups.push(b.close);
      return b.value;
    };

    let dataDir: string | null = null;
    let db: Db;
    let ownsDb = true;
    if (options.db) {
      db = options.db;
      ownsDb = false;
    } else if (settings.databaseUrl) {
      const { PgDb } = await loadPgDriver();
      const pgDb = await PgDb.open({
        url: settings.databaseUrl,
        ...(options.poolSize ? { poolSize: options.poolSize } : {}),
        ...resolveDatabaseTimeouts(options, file),
        onWait: ({ attempt, retryInMs, err }) => logger.warn({ attempt, retryInMs, err: err.message }, 'PostgreSQL does not answer yet; waiting'),
        onIdleError: (err) => logger.warn({ err }, 'a PostgreSQL connection failed; the pool replaces it'),
      });
      db = pgDb;
      cleanups.push(() => pgDb.close());
    } else if (options.memory) {
      db = await PgliteDb.open();
      cleanups.push(() => db.close());
    } else {
      dataDir = settings.dataDir;
      const lock = await DataDirLock.acquire(dataDir, options.lockWaitMs);
      cleanups.push(() => lock.release());
      db = await PgliteDb.open({ dataDir: join(dataDir, 'db') });
      cleanups.push(() => db.close());
    }
    await migrate(db);
    const databaseClock = await new DatabaseClock(db).start((err) => logger.warn({ err }, 'reading the database clock failed'));
    clock = databaseClock;
    cleanups.push(async () => databaseClock.stop());
    const blobStore = options.blobStore ?? opened(await openBlobStore(settings, options.memory === true));
    const cache = typeof options.cache === 'object' ? options.cache : opened(await openCache(settings, db, logger));
    const nats = await openEventSink(settings, logger);
    const externalSinks = [...(nats ? [opened(nats)] : []), ...(options.eventSinks ?? [])];

    const stateSurface = new StateSurface(db);
    const wal = new WriteAheadLog(db);
    const outbox = new TransactionalOutbox(db);
    const artifactIndex = new ArtifactIndex(db);
    const artifactContents = new ArtifactContents(db);
    const artifactStorage = new ArtifactStorage(blobStore, { contents: artifactContents, inlineMaxBytes });
    const bus = new InProcessEventBus(logger);
    const relay = new OutboxRelay({ outbox, sinks: [...externalSinks, bus], logger });
    const shutdown = new AbortController();
    // Every running handler listens for shutdown: many at once is normal, not a leak.
    setMaxListeners(0, shutdown.signal);
    const tenants = new TenantRegistry(db, now);
    const policies = new PolicyVersions(db);
    const lifecycle = new ArtifactLifecycle({ db, artifactIndex, artifactContents, wal, blobs: blobStore, cache, now: dbNow, gcGraceSeconds });
    // No policy of its own: the one last made active with `policy apply`, followed while running.
    const live = await LivePolicy.open({ own: ownPolicy, policies, logger, now, databaseUrl: options.db ? undefined : settings.databaseUrl });
    cleanups.push(() => live.close());
    const policyFor = (tenantId: string, solutionId: string | undefined) => live.current.resolve(tenantId, solutionId);
    const metrics = new RuntimeMetrics(async () => {
      const [executionsByStatus, backlog] = await Promise.all([stateSurface.countByStatus(), outbox.backlog(now())]);
      return { executionsByStatus, outboxUnpublished: backlog.unpublished, outboxOldestAgeSeconds: backlog.oldestAgeSeconds };
    });

    // Leases renew from a thread with its own connection where the store is a server reached by URL.
    const leases = new LeaseKeeper({ stateSurface, logger, databaseUrl: settings.databaseUrl && !options.db ? withDefaultUser(settings.databaseUrl) : undefined });
    cleanups.push(() => leases.close());
    const manager = new ExecutionLifecycleManager({
      leases, retryPolicy, leaseMs, ownerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      db, registry, stateSurface, wal, outbox, artifactIndex, artifactContents, artifactStorage, cache, relay, logger, now,
      clock: databaseClock,
      get policy() { return live.current.runtime; },
      policyFor,
      realmTimeoutMs, faults: options.faults ?? {}, shutdownSignal: shutdown.signal, observer: metrics,
      // Concurrent executions' writes share transactions (groupCommit: false — one transaction each).
      groupCommit,
    });
    const signals = new Signals({ db, wal, relay, now });
    // Recovery: with the embedded store this process is the only writer, so a
    // `running` execution belongs to a process that stopped mid-way. A server
    // is shared: there, only expired worker leases mean a process stopped.
    if (dataDir !== null || (ownsDb && !db.capabilities.multipleConnections)) await manager.recoverInterrupted();
    // On a server, direct executions whose process died (or lost the database) are recovered by any runtime.
    const recoverTimer = db.capabilities.multipleConnections
      ? setInterval(() => void manager.recoverInterrupted('expired').catch((err) => logger.warn({ err }, 'recovering interrupted executions failed')),
        Math.min(5000, Math.max(100, Math.floor(leaseMs / 2))))
      : null;
    recoverTimer?.unref();
    await cache.purgeExpired(dbNow()).catch((err) => logger.warn({ err }, 'cache purge failed'));
    const sweepSeconds = options.sweepIntervalSeconds === undefined ? undefined
      : durationOption('sweepIntervalSeconds', options.sweepIntervalSeconds, { subSecond: true, max: MAX_TIMER_SECONDS });
    const sweepTimer = sweepSeconds
      ? setInterval(() => void lifecycle.sweep().catch((err) => logger.warn({ err }, 'retention sweep failed')), sweepSeconds * 1000)
      : null;
    sweepTimer?.unref();
    const purgeTimer = setInterval(
      () => void cache.purgeExpired(dbNow()).catch((err) => logger.warn({ err }, 'cache purge failed')),
      purgeIntervalSeconds * 1000,
    );
    purgeTimer.unref();
    relay.kick(); // deliver anything committed but not yet published (by this or a previous process)
    // Other processes commit to a shared database too: look for their undelivered events now and then.
    const relayPollMs = options.relayPollIntervalMs !== undefined
      ? durationOption('relayPollIntervalMs', options.relayPollIntervalMs, { unit: 'ms', plain: 'ms', subSecond: true, max: MAX_TIMER_SECONDS })
      : (db.capabilities.multipleConnections || externalSinks.length > 0 ? 1000 : 0);
    const relayTimer = relayPollMs > 0 ? setInterval(() => relay.kick(), relayPollMs) : null;
    relayTimer?.unref();
    const workers = new Set<Worker>();
    const probe = new ReadinessProbe(
      () => db.query('SELECT 1').then(() => {}),
      () => [...externalSinks.map((s) => ({ name: `events:${s.name}`, part: s })), { name: `cache:${cache.name}`, part: cache }],
    );

    let closed = false;
    let closing: Promise<void> | null = null;
    const inFlight = new Set<Promise<unknown>>();
    const open = () => {
      if (closed) throw new RuntimeClosedError();
    };
    const track = <T>(p: Promise<T>): Promise<T> => {
      inFlight.add(p);
      return p.finally(() => inFlight.delete(p));
    };

    const runtime: Runtime = {
      dataDir,
      get policy() { return live.current.runtime; },
      get resolver() { return live.current; },
      inForcePolicy: async () => (open(), (await policies.active())?.resolver ?? live.current),
      tenants,
      metrics,
      storeKind: db.capabilities.multipleConnections ? 'postgres' : 'embedded',
      async execute(intent, opts) {
        open();
        if (opts?.policy) await policies.record(opts.policy, now());
        return track(manager.execute(intent, opts));
      },
      async submit(intent) {
        open();
        return track(manager.submit(intent));
      },
      signalExecution: async (executionId, name, scope, o) => (open(), track(signals.signal(executionId, scope.tenantId, name, o))),
      decideApproval: async (executionId, name, scope, o) => (open(), track(signals.decide(executionId, scope.tenantId, name, o))),
      listApprovals: async (scope, o) => (open(), signals.waitingApprovals(scope.tenantId, o?.limit)),
      retryExecution: async (executionId, scope, o) => (open(), track(manager.retryExecution(executionId, scope.tenantId, o.requestedBy))),
      startWorker(opts) {
        open();
        const worker = new Worker({ manager, stateSurface, logger }, opts).start();
        workers.add(worker);
        return worker;
      },
      async waitForExecution(executionId, scope, opts = {}) {
        const timeoutMs = opts.timeoutMs ?? 60_000;
        const deadline = Date.now() + timeoutMs;
        let pause = 50;
        for (;;) {
          const e = await runtime.getExecution(executionId, scope);
          if (e.status === 'completed' || e.status === 'failed' || e.status === 'dead') return e;
          if (Date.now() >= deadline) {
            throw new WaitTimeoutError(`execution ${executionId} is still ${e.status} after ${timeoutMs} ms`);
          }
          await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(1, deadline - Date.now()))));
          pause = Math.min(1000, pause * 2);
        }
      },
      subscribe: (handler, filter) => bus.subscribe(handler, filter),
      registerRealm: (realm) => registry.register(realm),
      intents: () => registry.list(),
      async getExecution(executionId, scope) {
        open();
        const e = await stateSurface.get(executionId, scope.tenantId);
        if (!e) throw new NotFoundError('execution', executionId);
        return e;
      },
      listExecutions: async (q) => (open(), stateSurface.list(q)),
      async getArtifact(artifactId, scope) {
        open();
        const a = await artifactIndex.get(artifactId, scope.tenantId);
        if (!a) throw new NotFoundError('artifact', artifactId);
        return a;
      },
      listArtifacts: async (q) => (open(), artifactIndex.list(q)),
      async readRendering(artifactId, name, scope) {
        const a = await runtime.getArtifact(artifactId, scope);
        if (a.deleted) {
          throw new NotFoundError('rendering', name, `artifact '${artifactId}' was deleted (${a.deleted.reason}) at ${a.deleted.at}; its tombstone remains`);
        }
        const ref = a.renderings.find((r) => r.name === name);
        if (!ref) {
          throw new NotFoundError('rendering', name, `artifact '${artifactId}' has renderings: ${a.renderings.map((r) => r.name).join(', ') || 'none'}`);
        }
        return { bytes: await artifactStorage.readRendering(ref, a.tenantId), contentType: ref.contentType };
      },
      holdArtifact: async (artifactId, scope, reason) => (open(), lifecycle.setHold(artifactId, scope.tenantId, { reason })),
      releaseArtifact: async (artifactId, scope) => (open(), lifecycle.setHold(artifactId, scope.tenantId, false)),
      sweep: async (o) => (open(), track(lifecycle.sweep(o))),
      keepCached: async (cacheId, scope) =>
        (open(), track(keepCached({ db, cache, artifactIndex, artifactContents, artifactStorage, wal, now: dbNow, policyFor }, cacheId, scope.tenantId))),
      erase: async (scope) => (open(), track(erase({ db, wal, artifactIndex, lifecycle, cache, now: dbNow }, scope))),
      listWal: async (q) => (open(), wal.list(q)),
      verifyWal: async (scope) => (open(), verifyWal(db, scope.tenantId)),
      listEvents: async (q) => (open(), outbox.list(q)),
      listCommittedEvents: async (q) => (open(), outbox.listCommitted(q)),
      eventPosition: async (eventId, tenantId) => (open(), outbox.positionOf(eventId, tenantId)),
      async ping() {
        open();
        await db.query('SELECT 1');
      },
      readiness: () => (closed ? Promise.resolve({ status: 'down', parts: [{ name: 'runtime', status: 'down', detail: 'closed' }] }) : probe.check()),
      getCached: async (lookup) => (open(), cache.get(lookup, dbNow())),
      explainPolicy: (input, opts) => asResolver(opts?.policy ?? live.current).explain({ ...input, solutionId: opts?.solutionId ?? null }),
      diffPolicy: async (candidate, o) => (open(), diffPolicyOverHistory(db, asResolver(candidate), o)),
      applyPolicy: async (candidate, o) => (open(), track(applyPolicy({ db, wal, artifactIndex, lifecycle, policies, now: dbNow, live }, asResolver(candidate), o))),
      async explainExecution(executionId, scope) {
        await runtime.getExecution(executionId, scope); // 404 unless it is the scope's
        return explainExecution({ wal, policies }, executionId, scope.tenantId);
      },
      flushEvents: () => relay.drain(),
      close() {
        closing ??= (async () => {
          closed = true;
          clearInterval(purgeTimer);
          if (sweepTimer) clearInterval(sweepTimer);
          if (relayTimer) clearInterval(relayTimer);
          if (recoverTimer) clearInterval(recoverTimer);
          // Workers finish what they claimed before handlers are cancelled.
          await Promise.allSettled([...workers].map((w) => w.stop()));
          shutdown.abort(new RuntimeClosedError());
          await Promise.allSettled([...inFlight]);
          await relay.close();
          await cleanup();
        })();
        return closing;
      },
    };
    return runtime;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** A compiled policy given on its own decides for every tenant and solution. */
function asResolver(p: PolicyResolver | CompiledPolicy): PolicyResolver {
  return 'resolve' in p ? p : resolverOf(p);
}
