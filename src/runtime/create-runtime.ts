import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { ArtifactStorage } from '../artifacts/artifact-storage.ts';
import { InProcessEventBus } from '../events/in-process-bus.ts';
import type { ContentCipher } from '../crypto/content-cipher.ts';
import { OutboxRelay } from '../events/outbox-relay.ts';
import { IntentRegistry } from '../realm/intent-registry.ts';
import { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import { loadPolicyResolver } from '../policy/policy-resolver.ts';
import { loadPlatformPolicy } from '../policy/platform-policy.ts';
import { openModelWork } from '../execution/model-work.ts';
import { Signals } from '../execution/signals.ts';
import { ArtifactLifecycle } from '../retention/artifact-lifecycle.ts';
import { Checkpoints } from '../checkpoints/checkpoint-governance.ts';
import { sweepCheckpoints } from '../checkpoints/checkpoint-store.ts';
import { ANY_TENANT } from '../db/tenant-scope.ts';
import { ArtifactContents } from '../store/artifact-contents.ts';
import { ArtifactIndex } from '../store/artifact-index.ts';
import type { DatabaseClock } from '../db/database-clock.ts';
import { TransactionalOutbox } from '../store/outbox.ts';
import { withDefaultUser } from '../db/pg/database-url.ts';
import { PolicyVersions } from '../store/policy-versions.ts';
import { StateSurface } from '../store/state-surface.ts';
import { WriteAheadLog } from '../store/write-ahead-log.ts';
import { TenantRegistry } from '../tenants/tenant-registry.ts';
import { LeaseKeeper } from '../execution/lease-keeper.ts';
import { startBackgroundLoops } from './background-loops.ts';
import { openBlobStore, openCache, openEventSink, type OpenedBackend } from './backends.ts';
import { ExecutionLifecycleManager } from '../execution/lifecycle-manager.ts';
import { LivePolicy } from '../store/live-policy.ts';
import { defaultLogger } from './logger.ts';
import { openStore } from './open-store.ts';
import { openCipher } from './open-cipher.ts';
import { RecordCipher } from '../store/record-cipher.ts';
import { StepJournal } from '../store/step-journal.ts';
import { ReadinessProbe } from '../health/readiness.ts';
import type { Runtime } from './runtime-api.ts';
import { runtimeFacade } from './runtime-facade.ts';
import { loadRuntimeOptions } from '../options/load-runtime-options.ts';
import type { RuntimeOptions } from './runtime-options.ts';

export type { Runtime, Scope } from './runtime-api.ts';

/** How the command line opens a runtime: its flags go through the same compile step, named as flags. @internal */
export interface RuntimeOpening {
  /** Flag values by flag name (`{ '--data-dir': './x' }`). */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Seals tenant content in blobs, the cache tier and outbox payloads (absent: plaintext). */
  readonly cipher?: ContentCipher;
}

/**
 * The composition root (the plan's "Public Works"): compiles the options
 * (every problem at once, before anything is opened), opens the store,
 * applies migrations, recovers interrupted executions, and wires registry,
 * policy, artifact storage, cache, outbox relay and the lifecycle manager.
 *
 * Throws ConfigError (SYM_ERR_CONFIG) listing every bad option, flag,
 * environment variable and runtime config key, without creating the data dir.
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
export async function createRuntime(options: RuntimeOptions = {}, opening: RuntimeOpening = {}): Promise<Runtime> {
  const o = await loadRuntimeOptions({ options, flags: opening.flags ?? {}, env: opening.env ?? process.env });
  const logger = options.logger ?? defaultLogger(o.logLevel);
  // Every deadline (retention, cache expiry, sweeps, tombstones, erasure) is the database's time
  // (`dbNow`, the DatabaseClock). `now` only stamps records, and defaults to the database's time too.
  let clock: DatabaseClock | undefined;
  const dbNow = (): Date => {
    if (!clock) throw new Error('the database clock is read before the database is open');
    return clock.now();
  };
  const now = options.now ?? dbNow;

  // Compile the policies first: a bad config must fail before anything is opened.
  // The platform policy is read once: its budgets and the resolver come from the same file.
  const platformSource = typeof options.platformPolicy === 'object' ? options.platformPolicy : o.platformPolicy;
  const platform = typeof platformSource === 'string' ? await loadPlatformPolicy(platformSource) : platformSource;
  const ownPolicy = await loadPolicyResolver({ solution: options.solutionConfig, platform, governance: options.governance });
  const registry = new IntentRegistry();
  for (const realm of options.realms ?? []) registry.register(realm);

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => logger.error({ err }, 'closing failed'));
    cleanups.length = 0;
  };
  try {
    const opened = <T>(b: OpenedBackend<T>): T => {
      if (b.close) cleanups.push(b.close);
      return b.value;
    };
    const { db, dataDir, ownsDb, clock: databaseClock } = await openStore(options.db, o, logger, cleanups);
    clock = databaseClock;
    // Tenant content is sealed before it is written (encryption on by default; docs/encryption.md):
    // `keys.cipher` is what every store of tenant content seals with.
    const keys = await openCipher(o, dataDir !== null ? 'embedded' : options.db ? 'given' : 'server', platform, options.keyProvider, (opening.env ?? process.env) as NodeJS.ProcessEnv, options.db);
    // A cipher handed in by the command line's opening (tests) replaces the runtime's own.
    const cipher = opening.cipher ?? keys?.cipher;
    const records = cipher ? new RecordCipher(cipher) : undefined;
    const blobStore = options.blobStore ?? opened(await openBlobStore(o, o.memory));
    const sealing = cipher ? { cipher } : {};
    const cache = typeof options.cache === 'object' ? options.cache : opened(await openCache(o, db, logger, cipher));
    const nats = await openEventSink(o, logger);
    const externalSinks = [...(nats ? [opened(nats)] : []), ...(options.eventSinks ?? [])];

    const stateSurface = new StateSurface(db, records);
    const wal = new WriteAheadLog(db, records);
    const stepJournal = new StepJournal(db, records);
    const outbox = new TransactionalOutbox(db, sealing);
    const artifactIndex = new ArtifactIndex(db);
    const artifactContents = new ArtifactContents(db);
    const artifactStorage = new ArtifactStorage(blobStore, { contents: artifactContents, inlineMaxBytes: o.inlineMaxBytes, ...sealing });
    const bus = new InProcessEventBus(logger, sealing);
    const relay = new OutboxRelay({ outbox, sinks: [...externalSinks, bus], logger });
    const shutdown = new AbortController();
    // Every running handler listens for shutdown: many at once is normal, not a leak.
    setMaxListeners(0, shutdown.signal);
    const tenants = new TenantRegistry(db, now);
    const policies = new PolicyVersions(db);
    const lifecycle = new ArtifactLifecycle({
      db, artifactIndex, artifactContents, wal, blobs: blobStore, cache, now: dbNow, gcGraceSeconds: o.gcGraceSeconds, sweepCheckpoints: () => sweepCheckpoints(db, ANY_TENANT),
    });
    // No policy of its own: the one last made active with `policy apply`, followed while running.
    const live = await LivePolicy.open({ own: ownPolicy, policies, logger, now, databaseUrl: options.db ? undefined : o.databaseUrl });
    cleanups.push(() => live.close());
    const policyFor = (tenantId: string, solutionId: string | undefined) => live.current.resolve(tenantId, solutionId);
    const checkpoints = new Checkpoints({ db, wal, policies, policyFor, now: dbNow, ...(cipher ? { cipher } : {}), warn: (fields, message) => logger.warn(fields, message) });
    const metrics = new RuntimeMetrics(async () => {
      const [executionsByStatus, backlog] = await Promise.all([stateSurface.countByStatus(), outbox.backlog(now())]);
      return { executionsByStatus, outboxUnpublished: backlog.unpublished, outboxOldestAgeSeconds: backlog.oldestAgeSeconds };
    });

    // Leases renew from a thread with its own connection where the store is a server reached by URL.
    const leases = new LeaseKeeper({ stateSurface, logger, databaseUrl: o.databaseUrl && !options.db ? withDefaultUser(o.databaseUrl) : undefined });
    cleanups.push(() => leases.close());
    const modelWork = openModelWork({ db, wal, now, budgets: platform?.budgets ?? [], observer: metrics.models, ...(records ? { cipher: records } : {}) });
    cleanups.push(() => modelWork.streams.flush());
    const manager = new ExecutionLifecycleManager({
      budgetGuard: modelWork.budgetGuard, stepHooks: modelWork.budgetGuard, streams: modelWork.streams,
      leases, retryPolicy: o.retryPolicy, leaseMs: o.leaseMs, ownerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      db, registry, stateSurface, wal, outbox, artifactIndex, artifactContents, artifactStorage, cache, relay, logger, now,
      clock: databaseClock, stepJournal, ...(records ? { cipher: records } : {}),
      get policy() { return live.current.runtime; },
      policyFor,
      realmTimeoutMs: o.realmTimeoutMs, faults: options.faults ?? {}, shutdownSignal: shutdown.signal, observer: metrics,
      // Concurrent executions' writes share transactions (groupCommit: false — one transaction each).
      groupCommit: o.groupCommit,
    });
    const signals = new Signals({ db, wal, relay, now, stepJournal, ...(records ? { cipher: records } : {}) });
    // Recovery: with the embedded store this process is the only writer, so a
    // `running` execution belongs to a process that stopped mid-way. A server
    // is shared: there, only expired worker leases mean a process stopped.
    if (dataDir !== null || (ownsDb && !db.capabilities.multipleConnections)) await manager.recoverInterrupted();
    const loops = await startBackgroundLoops(
      { manager, lifecycle, cache, relay, logger, dbNow, sharedStore: db.capabilities.multipleConnections, externalSinks: externalSinks.length }, o);
    cleanups.push(async () => loops.stop());
    const probe = new ReadinessProbe(
      () => db.query('SELECT 1').then(() => {}),
      () => [...externalSinks.map((s) => ({ name: `events:${s.name}`, part: s })), { name: `cache:${cache.name}`, part: cache }],
    );
    return runtimeFacade({
      options: o, dataDir, db, logger, cipher: cipher ?? null, keyring: keys?.keyring ?? null, records, stepJournal, registry, live, policies, policyFor, tenants, metrics, modelWork, manager, signals, stateSurface, wal, outbox,
      artifactIndex, artifactContents, artifactStorage, lifecycle, cache, bus, relay, probe, loops, shutdown, now, dbNow, cleanup, checkpoints,
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
}
