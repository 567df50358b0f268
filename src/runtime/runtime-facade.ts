import type { ArtifactStorage } from '../artifacts/artifact-storage.ts';
import type { CacheStore } from '../cache/cache-store.ts';
import { NotFoundError, RuntimeClosedError, WaitTimeoutError } from '../errors/index.ts';
import { erase } from '../erasure/erase.ts';
import type { ContentCipher } from '../crypto/content-cipher.ts';
import type { Keyring } from '../crypto/keyring.ts';
import type { RecordCipher } from '../store/record-cipher.ts';
import type { InProcessEventBus } from '../events/in-process-bus.ts';
import type { OutboxRelay } from '../events/outbox-relay.ts';
import type { IntentRegistry } from '../realm/intent-registry.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import type { ModelWork } from '../execution/model-work.ts';
import type { Signals } from '../execution/signals.ts';
import type { CompiledRuntimeOptions } from '../options/compile-runtime-options.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import { resolverOf, type PolicyResolver } from '../policy/policy-resolver.ts';
import { applyPolicy } from '../retention/apply-policy.ts';
import type { ArtifactLifecycle } from '../retention/artifact-lifecycle.ts';
import type { Checkpoints } from '../checkpoints/checkpoint-governance.ts';
import { keepCached } from '../retention/promote.ts';
import type { ArtifactContents } from '../store/artifact-contents.ts';
import type { ArtifactIndex } from '../store/artifact-index.ts';
import type { Db } from '../db/db.ts';
import type { TransactionalOutbox } from '../store/outbox.ts';
import type { PolicyVersions } from '../store/policy-versions.ts';
import type { StateSurface } from '../store/state-surface.ts';
import type { StepJournal } from '../store/step-journal.ts';
import { verifyWal } from '../store/wal-verify.ts';
import type { WriteAheadLog } from '../store/write-ahead-log.ts';
import type { TenantRegistry } from '../tenants/tenant-registry.ts';
import { Worker } from '../worker/worker.ts';
import type { Logger } from 'pino';
import type { BackgroundLoops } from './background-loops.ts';
import type { ExecutionLifecycleManager } from '../execution/lifecycle-manager.ts';
import { explainExecution } from './explain-execution.ts';
import { checkInputs } from './runtime-inputs.ts';
import type { LivePolicy } from '../store/live-policy.ts';
import { diffPolicyOverHistory } from './policy-diff-over-history.ts';
import type { ReadinessProbe } from '../health/readiness.ts';
import type { Runtime } from './runtime-api.ts';

/** Everything a runtime's methods use, wired by {@link createRuntime}. */
export interface RuntimeParts {
  readonly options: CompiledRuntimeOptions;
  readonly dataDir: string | null;
  readonly db: Db;
  /** What writers seal tenant content with (null: encryption off). */
  readonly cipher: ContentCipher | null;
  readonly keyring: Keyring | null;
  readonly records: RecordCipher | undefined;
  /** The durable steps' journal the lifecycle writes (read here for an execution's steps). */
  readonly stepJournal: StepJournal;
  readonly logger: Logger;
  readonly registry: IntentRegistry;
  readonly live: LivePolicy;
  readonly policies: PolicyVersions;
  readonly policyFor: (tenantId: string, solutionId: string | undefined) => CompiledPolicy;
  readonly tenants: TenantRegistry;
  readonly metrics: RuntimeMetrics;
  readonly modelWork: ModelWork;
  readonly manager: ExecutionLifecycleManager;
  /** Signals and approval decisions for waiting executions. */
  readonly signals: Signals;
  readonly stateSurface: StateSurface;
  readonly wal: WriteAheadLog;
  readonly outbox: TransactionalOutbox;
  readonly artifactIndex: ArtifactIndex;
  readonly artifactContents: ArtifactContents;
  readonly artifactStorage: ArtifactStorage;
  readonly lifecycle: ArtifactLifecycle;
  readonly cache: CacheStore;
  /** LangGraph checkpoints, governed per tenant. */
  readonly checkpoints: Checkpoints;
  readonly bus: InProcessEventBus;
  readonly relay: OutboxRelay;
  readonly probe: ReadinessProbe;
  readonly loops: BackgroundLoops;
  /** Aborted on close: running handlers are cancelled. */
  readonly shutdown: AbortController;
  /** Stamps records. */
  readonly now: () => Date;
  /** The database's time (deadlines). */
  readonly dbNow: () => Date;
  /** Closes what was opened, last first. */
  readonly cleanup: () => Promise<void>;
}

/**
 * The runtime's methods over its wired parts: each refuses once the runtime
 * is closed, and writes are tracked so `close()` waits for them.
 */
export function runtimeFacade(parts: RuntimeParts): Runtime {
  const {
    dataDir, db, logger, registry, live, policies, policyFor, tenants, metrics, manager, stateSurface, wal, outbox,
    artifactIndex, artifactContents, artifactStorage, lifecycle, cache, bus, relay, probe, loops, shutdown, now, dbNow, cleanup,
  } = parts;
  const { stepJournal } = parts;
  const workers = new Set<Worker>();
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
    options: parts.options,
    dataDir,
    cipher: parts.cipher,
    keyring: parts.keyring,
    get policy() { return live.current.runtime; },
    get resolver() { return live.current; },
    inForcePolicy: async () => (open(), (await policies.active())?.resolver ?? live.current),
    tenants,
    metrics,
    modelWork: parts.modelWork,
    storeKind: db.capabilities.multipleConnections ? 'postgres' : 'embedded',
    async execute(intent, opts) {
      open();
      checkInputs({ traceparent: opts?.traceparent });
      if (opts?.policy) await policies.record(opts.policy, now());
      return track(manager.execute(intent, opts));
    },
    async submit(intent, opts) {
      open();
      checkInputs({ traceparent: opts?.traceparent });
      return track(manager.submit(intent, opts));
    },
    signalExecution: async (executionId, name, scope, o) =>
      (open(), checkInputs({ executionId, name, ...scope, ...o }), track(parts.signals.signal(executionId, scope.tenantId, name, o))),
    decideApproval: async (executionId, name, scope, o) =>
      (open(), checkInputs({ executionId, name, ...scope, ...o }), track(parts.signals.decide(executionId, scope.tenantId, name, o))),
    listApprovals: async (scope, o) => (open(), checkInputs({ ...scope, ...o }), parts.signals.waitingApprovals(scope.tenantId, o?.limit)),
    retryExecution: async (executionId, scope, o) =>
      (open(), checkInputs({ executionId, ...scope, ...o }), track(manager.retryExecution(executionId, scope.tenantId, o.requestedBy))),
    startWorker(opts) {
      open();
      const worker = new Worker({ manager, logger }, opts).start();
      workers.add(worker);
      return worker;
    },
    async waitForExecution(executionId, scope, opts = {}) {
      checkInputs({ executionId, ...scope, ...opts });
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
      checkInputs({ executionId, ...scope });
      const e = await stateSurface.get(executionId, scope.tenantId);
      if (!e) throw new NotFoundError('execution', executionId);
      return e;
    },
    listExecutions: async (q) => (open(), checkInputs(q), stateSurface.list(q)),
    listExecutionSummaries: async (q) => (open(), checkInputs(q), stateSurface.listSummaries(q)),
    async getArtifact(artifactId, scope) {
      open();
      checkInputs({ artifactId, ...scope });
      const a = await artifactIndex.get(artifactId, scope.tenantId);
      if (!a) throw new NotFoundError('artifact', artifactId);
      return a;
    },
    listArtifacts: async (q) => (open(), checkInputs(q), artifactIndex.list(q)),
    listRetentionDue: async (scope, o) => (open(), checkInputs({ ...scope, ...o }), artifactIndex.dueWithin(scope.tenantId, o.withinSeconds, o.limit ?? 100)),
    async listSteps(executionId, scope) {
      await runtime.getExecution(executionId, scope); // NotFoundError unless it is the scope's
      const steps = await stepJournal.load(executionId, scope.tenantId);
      return steps.map(({ due: _due, ...step }) => step);
    },
    async readRendering(artifactId, name, scope) {
      checkInputs({ artifactId, rendering: name });
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
    holdArtifact: async (artifactId, scope, reason) =>
      (open(), checkInputs({ artifactId, ...scope, reason }), lifecycle.setHold(artifactId, scope.tenantId, { reason })),
    releaseArtifact: async (artifactId, scope) => (open(), checkInputs({ artifactId, ...scope }), lifecycle.setHold(artifactId, scope.tenantId, false)),
    sweep: async (o) => (open(), track(lifecycle.sweep(o))),
    keepCached: async (cacheId, scope) =>
      (open(), checkInputs({ cacheId, ...scope }), track(keepCached({ db, cache, artifactIndex, artifactContents, artifactStorage, wal, now: dbNow, policyFor, ...(parts.records ? { records: parts.records } : {}) }, cacheId, scope.tenantId))),
    erase: async (scope) => (open(), checkInputs(scope), track(erase({
      db, wal, artifactIndex, lifecycle, cache, checkpoints: parts.checkpoints, now: dbNow, keyring: parts.keyring, embedded: dataDir !== null,
      ...(parts.records ? { records: parts.records } : {}),
    }, scope))),
    checkpoints: (tenantId) => (open(), parts.checkpoints.forTenant(tenantId)),
    listWal: async (q) => (open(), checkInputs(q), wal.list(q)),
    verifyWal: async (scope) => (open(), checkInputs(scope), verifyWal(db, scope.tenantId)),
    listEvents: async (q) => (open(), checkInputs(q), outbox.list(q)),
    listCommittedEvents: async (q) => (open(), checkInputs(q), outbox.listCommitted(q)),
    eventPosition: async (eventId, tenantId) => (open(), checkInputs({ eventId, tenantId }), outbox.positionOf(eventId, tenantId)),
    async ping() {
      open();
      await db.query('SELECT 1');
    },
    readiness: () => (closed ? Promise.resolve({ status: 'down', parts: [{ name: 'runtime', status: 'down', detail: 'closed' }] }) : probe.check()),
    getCached: async (lookup) => (open(), checkInputs(lookup), cache.get(lookup, dbNow())),
    explainPolicy: (input, opts) => asResolver(opts?.policy ?? live.current).explain({ ...input, solutionId: opts?.solutionId ?? null }),
    diffPolicy: async (candidate, o) => (open(), checkInputs({ tenantId: o.tenantId, since: o.since }), diffPolicyOverHistory(db, asResolver(candidate), o)),
    applyPolicy: async (candidate, o) => (open(), track(applyPolicy({ db, wal, artifactIndex, lifecycle, policies, now: dbNow, live }, asResolver(candidate), o))),
    async explainExecution(executionId, scope) {
      await runtime.getExecution(executionId, scope); // 404 unless it is the scope's
      return explainExecution({ wal, policies }, executionId, scope.tenantId);
    },
    flushEvents: () => relay.drain(),
    close() {
      closing ??= (async () => {
        closed = true;
        loops.stop();
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
}

/** A compiled policy given on its own decides for every tenant and solution. */
function asResolver(p: PolicyResolver | CompiledPolicy): PolicyResolver {
  return 'resolve' in p ? p : resolverOf(p);
}
