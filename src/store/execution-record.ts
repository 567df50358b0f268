import type { PageKey } from '../db/sql.ts';
import type { TenantScope } from '../db/tenant-scope.ts';

/** The shapes of an execution as the `executions` table holds it: status, record, lease, claim, rows written. */
export const ExecutionStatus = {
  QUEUED: 'queued',
  RUNNING: 'running',
  /** Suspended in `ctx.sleep`, `waitFor` or `approval`: holds no lease and no worker; resumed when its timer fires or its signal arrives. */
  WAITING: 'waiting',
  COMPLETED: 'completed',
  FAILED: 'failed',
  /** Terminal: its retry policy's attempts are used up (`executions retry` re-queues it). */
  DEAD: 'dead',
} as const;
export type ExecutionStatus = (typeof ExecutionStatus)[keyof typeof ExecutionStatus];

/**
 * The platform memory of one execution: references to persisted artifacts
 * (the plan's `<key>_artifact_id` / `<key>_storage_path`) and every
 * artifact's semantic payload, whatever its materialization decision.
 */
export interface ExecutionState {
  readonly semantic: Record<string, { resultType: string; payload: Record<string, unknown> | null }>;
  readonly references: Record<string, string>;
}

export interface ExecutionRecord {
  readonly executionId: string;
  readonly intentId: string;
  readonly tenantId: string;
  readonly sessionId: string;
  readonly intentType: string;
  readonly realm: string;
  readonly status: ExecutionStatus;
  readonly parameters: Record<string, unknown>;
  readonly state: ExecutionState | Record<string, never>;
  /** The result returned to the caller, recorded with the completion. */
  readonly result: unknown;
  readonly error: { code: string; message: string } | null;
  readonly policyVersion: string;
  readonly intentCreatedAt: string;
  /** The solution the intent came from, when it named one. */
  readonly solutionId: string | null;
  /** When submitted to the queue; null for an execution run directly. */
  readonly submittedAt: string | null;
  /** When it first started running; null while queued. */
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** Attempts made: claims by workers, or runs of a direct execution (the first is 1). */
  readonly attempts: number;
  /** A queued retry is not claimed before this (database clock); null: at once. */
  readonly availableAt: string | null;
  /** The W3C trace id (32 hex digits) its spans belong to; null when it ran outside any trace. */
  readonly traceId: string | null;
}

/**
 * An execution without its content (parameters, state, result, error
 * message): what a listing that shows no content reads, so it opens no
 * sealed value and needs no key — an unreadable key does not hide the rest.
 */
export type ExecutionSummary = Omit<ExecutionRecord, 'parameters' | 'state' | 'result' | 'error'> & {
  /** The failure's code (clear), null unless it failed. */
  readonly errorCode: string | null;
};

/** The hold of a worker (or of the process running it directly) on an execution; an outcome is recorded only while it still holds. */
export interface Lease {
  readonly owner: string;
  readonly attempt: number;
}

/** A queued (or abandoned) execution a worker has just claimed. */
export interface ClaimedExecution extends ExecutionRecord {
  readonly lease: Lease;
  /** The status before this claim: `queued`, `waiting` (resumed), or `running` when taken over from a worker whose lease expired. */
  readonly claimedFrom: 'queued' | 'running' | 'waiting';
  readonly previousOwner: string | null;
  /** The compiled retry policy recorded with it (null: the claiming runtime's). */
  readonly retryPolicy: unknown;
  /** Attempts made before the last operator retry (not counted against the policy). */
  readonly retryBase: number;
  /** The length of the lease, in milliseconds. */
  readonly leaseMs: number;
  /** The W3C traceparent recorded when it was submitted: the claiming worker's spans continue that trace. */
  readonly traceparent: string | null;
}

/** What {@link StateSurface.claim} found: executions now leased to the claimer, and abandoned ones whose attempts are used up. */
export interface Claim {
  readonly claimed: ClaimedExecution[];
  /** Still `running` under the expired lease (locked by this transaction): the caller records them `dead`. */
  readonly exhausted: (ExecutionRecord & { readonly lease: Lease; readonly retryPolicy: unknown; readonly retryBase: number })[];
  /** The claim is one abandoned execution, to be run alone. */
  readonly isolated: boolean;
  /** (A claim without takeover) an abandoned execution waits for an idle worker. */
  readonly takeoverPending: boolean;
}

export interface ExecutionQuery {
  readonly tenantId: TenantScope;
  readonly status?: ExecutionStatus;
  readonly intentType?: string;
  readonly sessionId?: string;
  /** Only executions accepted at or after this instant (ISO-8601). */
  readonly since?: string;
  /** Only executions accepted before this instant (ISO-8601). */
  readonly until?: string;
  /** Only executions accepted before this one (keyset paging, newest first). */
  readonly before?: PageKey;
  /** @default 50 */
  readonly limit?: number;
}

/** When an execution was accepted (submitted, or started directly): its place in listings, never changes. */
export const acceptedAt = (e: Pick<ExecutionRecord, 'submittedAt' | 'startedAt' | 'intentCreatedAt'>): string =>
  e.submittedAt ?? e.startedAt ?? e.intentCreatedAt;

export type NewExecution = Pick<
  ExecutionRecord,
  'executionId' | 'intentId' | 'tenantId' | 'sessionId' | 'intentType' | 'realm' | 'parameters' | 'policyVersion' | 'intentCreatedAt'
> & {
  readonly solutionId?: string | null;
  /** The trace its spans join: the id, and the W3C traceparent a worker continues it from. */
  readonly trace?: { readonly traceId: string; readonly traceparent: string } | null;
};

/** A new execution, as {@link StateSurface.insertMany} takes it. */
export interface NewExecutionRow {
  readonly execution: NewExecution;
  readonly status: 'running' | 'queued';
  readonly at: string;
  /** A direct execution's hold: it expires `leaseMs` after the insert (database clock) unless renewed. */
  readonly lease?: { readonly owner: string; readonly leaseMs: number } | null;
  /** The compiled retry policy it runs under (JSON). */
  readonly retryPolicy?: unknown;
  /** With encryption on: the sealed parameters (written instead of `execution.parameters`) and the ids of the keys covering it. */
  readonly sealed?: { readonly parameters: string; readonly keyIds: readonly string[] };
}

/** An outcome, as {@link StateSurface.finishMany} takes it. */
export interface FinishRow {
  readonly executionId: string;
  /**
   * `queued`: the attempt failed and another one is due after `retryInMs` (database clock).
   * `waiting`: suspended; resumed at the timer of its journal row `waitSeq` (none: only a signal resumes it).
   */
  readonly status: 'completed' | 'failed' | 'dead' | 'queued' | 'waiting';
  readonly retryInMs?: number;
  readonly waitSeq?: number;
  readonly state: ExecutionState | null;
  readonly result: unknown;
  readonly error: ExecutionRecord['error'];
  readonly finishedAt: string;
  /** The claiming worker's lease, for a claimed execution; null for one run directly. */
  readonly lease?: Lease | null;
  /** The trace whose spans carried this execution's content (a policy's `trace: include`): recorded for erasure. */
  readonly contentTraceId?: string | null;
  /** With encryption on: state (semantic payloads sealed), result and error (message sealed), written instead of the clear ones. */
  readonly sealed?: { readonly state: unknown; readonly result: unknown; readonly error: unknown };
}
