import type { RecordCipher } from '../store/record-cipher.ts';
import type { Logger } from 'pino';
import type { ArtifactStorage } from '../artifacts/artifact-storage.ts';
import type { CacheStore } from '../cache/cache-store.ts';
import type { Db } from '../db/db.ts';
import type { DatabaseClock } from '../db/database-clock.ts';
import type { GroupCommitOptions } from '../db/group-commit.ts';
import { StoreError } from '../errors/index.ts';
import type { OutboxRelay } from '../events/outbox-relay.ts';
import type { Intent } from '../intent/intent.ts';
import type { CompiledPolicy } from '../policy/compile-policy.ts';
import type { CompiledRetryPolicy } from '../policy/retry-policy.ts';
import type { IntentRegistry, RegisteredIntent } from '../realm/intent-registry.ts';
import type { ArtifactContents } from '../store/artifact-contents.ts';
import type { ArtifactIndex } from '../store/artifact-index.ts';
import type { OutboxEvent, TransactionalOutbox } from '../store/outbox.ts';
import type { ClaimedExecution, ExecutionStatus, Lease, StateSurface } from '../store/state-surface.ts';
import type { WriteAheadLog } from '../store/write-ahead-log.ts';
import type { StepJournal } from '../store/step-journal.ts';
import type { StepHooks } from './step-hooks.ts';
import type { ExecutionObserver } from './execution-observer.ts';
import type { RetryState } from './execution-retries.ts';
import type { Faults } from './fault-points.ts';
import type { LeaseKeeper } from './lease-keeper.ts';
import type { BudgetGuard } from './budget-guard.ts';
import type { ExecutionStreams } from './execution-stream.ts';
import type { RunTrace } from './execution-trace.ts';

/** The shapes an execution's lifecycle works with: what it needs from the runtime, and what it answers. */

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
  /** Model usage and budgets: `ctx.recordUsage`. */
  readonly budgetGuard?: BudgetGuard;
  /** Asked before each durable step that has no journaled result (the budget guard). */
  readonly stepHooks?: StepHooks;
  /** Partial output: `ctx.emit`, and what the policy keeps of it when the execution ends. */
  readonly streams?: ExecutionStreams;
  /** The journal of durable steps and waits (sealing with `cipher` when encryption is on). */
  readonly stepJournal: StepJournal;
  /** Seals tenant content before it is written (encryption on); absent: stored in clear. */
  readonly cipher?: RecordCipher;
}

export interface ExecuteOptions {
  /** Evaluate this execution under another compiled policy (e.g. a solution's). */
  readonly policy?: CompiledPolicy;
  /** Milliseconds the handler may run, overriding the intent's `timeoutMs` and the runtime default. */
  readonly timeoutMs?: number;
  /**
   * The caller's W3C `traceparent`: the execution's spans join that trace.
   * Absent or malformed: the active OpenTelemetry context's trace, else a new one.
   */
  readonly traceparent?: string;
}

/** Options of {@link ExecutionLifecycleManager.submit}. */
export interface SubmitOptions {
  /** The caller's W3C `traceparent`: recorded with the queued execution, so the worker that runs it continues the trace. */
  readonly traceparent?: string;
}

/** The identity fields of an intent, as records and events carry them. */
export type IntentRef = Pick<Intent, 'intentId' | 'intentType' | 'tenantId' | 'sessionId'>;
/** An execution to record a failure for: a just-run intent, or a recovered record. */
export type ExecutionRef = IntentRef & {
  readonly executionId: string; readonly policyVersion: string; readonly lease?: Lease | null;
  /** Its intent parameters: the declared subjects among them cover what is written for it. */
  readonly parameters?: unknown;
};

/** One run of an execution: direct (no `retry`) or claimed from the queue. */
export interface RunArgs {
  intent: Intent; entry: RegisteredIntent; params: unknown; policy: CompiledPolicy; executionId: string;
  started: OutboxEvent; timeoutMs?: number | undefined; lease: Lease;
  /** The lease's length; default: the runtime's direct lease. */
  leaseMs?: number | undefined;
  /** A queued-origin execution's retry policy and budget; absent for a direct run (a failure is final). */
  retry?: RetryState | undefined;
  /** The run's `execute` span, under which its stages' spans go. */
  trace?: RunTrace | undefined;
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
export class CompletionOutcomeUnknown extends StoreError {}
