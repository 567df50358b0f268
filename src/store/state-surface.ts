import type { Db, Queryable } from './db.ts';
import { ANY_TENANT, insertMany, iso, tenantParam, type PageKey, type TenantScope } from './sql.ts';

export const ExecutionStatus = {
  QUEUED: 'queued',
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
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
  /** How many times a worker claimed it (0 when run directly). */
  readonly attempts: number;
}

/** A worker's hold on a claimed execution; completion is recorded only while it still holds. */
export interface Lease {
  readonly owner: string;
  readonly attempt: number;
}

/** A queued (or abandoned) execution a worker has just claimed. */
export interface ClaimedExecution extends ExecutionRecord {
  readonly lease: Lease;
  /** The status before this claim: `queued`, or `running` when taken over from a worker whose lease expired. */
  readonly claimedFrom: 'queued' | 'running';
  readonly previousOwner: string | null;
}

export interface ExecutionQuery {
  readonly tenantId: TenantScope;
  readonly status?: ExecutionStatus;
  readonly intentType?: string;
  readonly sessionId?: string;
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
> & { readonly solutionId?: string | null };

/** A new execution, as {@link StateSurface.insertMany} takes it. */
export interface NewExecutionRow {
  readonly execution: NewExecution;
  readonly status: 'running' | 'queued';
  readonly at: string;
}

/** An outcome, as {@link StateSurface.finishMany} takes it. */
export interface FinishRow {
  readonly executionId: string;
  readonly status: 'completed' | 'failed';
  readonly state: ExecutionState | null;
  readonly result: unknown;
  readonly error: ExecutionRecord['error'];
  readonly finishedAt: string;
  /** The claiming worker's lease, for a claimed execution; null for one run directly. */
  readonly lease?: Lease | null;
}

const INSERT_COLUMNS = [
  { name: 'execution_id' }, { name: 'intent_id' }, { name: 'tenant_id' }, { name: 'session_id' }, { name: 'intent_type' },
  { name: 'realm' }, { name: 'status' }, { name: 'parameters', json: true }, { name: 'policy_version' },
  { name: 'intent_created_at' }, { name: 'submitted_at' }, { name: 'started_at' }, { name: 'solution_id' },
] as const;

const COLUMNS = `execution_id, intent_id, tenant_id, session_id, intent_type, realm, status, parameters, state, result,
                 error, policy_version, intent_created_at, submitted_at, started_at, finished_at, attempts, solution_id`;
const SELECT = `SELECT ${COLUMNS} FROM symphainy.executions`;

/**
 * General notes: the state surface owns the `executions` table — where an
 * execution stands and what it means. It does not write the WAL or the
 * outbox; the lifecycle manager puts all three in one transaction. Methods
 * taking `q` run in the caller's (tenant-scoped) transaction; the others
 * scope their own statement ({@link Db.scoped}).
 */
export class StateSurface {
  constructor(private readonly db: Db) {}

  /**
   * New executions, each `running` (run directly, from `at`) or `queued`
   * (submitted at `at`, for a worker), in one statement. Returns the ids
   * inserted: one whose tenant already used its intent id is left out
   * (`onTaken: 'fail'`: the statement fails instead, with a unique violation).
   */
  async insertMany(q: Queryable, items: readonly NewExecutionRow[], onTaken: 'skip' | 'fail' = 'skip'): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    const rows = await insertMany<{ execution_id: string }>(
      q,
      'symphainy.executions',
      INSERT_COLUMNS,
      items.map(({ execution: e, status, at }) => [
        e.executionId, e.intentId, e.tenantId, e.sessionId, e.intentType, e.realm, status, e.parameters, e.policyVersion,
        e.intentCreatedAt, status === 'queued' ? at : null, status === 'running' ? at : null, e.solutionId ?? null,
      ]),
      (insert) => `${insert}${onTaken === 'skip' ? ' ON CONFLICT (tenant_id, intent_id) DO NOTHING' : ''} RETURNING execution_id`,
    );
    return new Set(rows.map((r) => r.execution_id));
  }

  /**
   * Claims up to `limit` executions of the given intent types for `owner`:
   * queued ones, oldest first, and running ones whose worker's lease expired
   * (it died or lost the database). `FOR UPDATE SKIP LOCKED` lets many
   * workers claim at once without waiting on, or taking, each other's rows.
   * Leases use the database clock, so workers' clocks need not agree.
   */
  async claim(
    q: Queryable,
    c: { owner: string; intentTypes: readonly string[]; limit: number; leaseMs: number; policyVersion: string; startedAt: string },
  ): Promise<ClaimedExecution[]> {
    const rows = await q.query(
      `WITH next AS (
         SELECT execution_id, status AS prev_status, lease_owner AS prev_owner
           FROM symphainy.executions
          WHERE intent_type = ANY($2::text[])
            AND (status = 'queued' OR (status = 'running' AND lease_owner IS NOT NULL AND lease_expires_at < now()))
          ORDER BY submitted_at
          LIMIT $3
          FOR UPDATE SKIP LOCKED)
       UPDATE symphainy.executions e
          SET status = 'running', lease_owner = $1, lease_expires_at = now() + $4 * interval '1 millisecond',
              attempts = e.attempts + 1, started_at = COALESCE(e.started_at, $6), policy_version = $5
         FROM next
        WHERE e.execution_id = next.execution_id
       RETURNING e.*, next.prev_status, next.prev_owner`,
      [c.owner, c.intentTypes, c.limit, c.leaseMs, c.policyVersion, c.startedAt],
    );
    return rows.map((r) => {
      const record = toRecord(r);
      return {
        ...record,
        lease: { owner: c.owner, attempt: record.attempts },
        claimedFrom: r.prev_status as 'queued' | 'running',
        previousOwner: (r.prev_owner as string | null) ?? null,
      };
    });
  }

  /** Extends the owner's leases (of any tenant); returns the ids it still holds (a lost one was taken over). */
  async renewLeases(owner: string, executionIds: readonly string[], leaseMs: number): Promise<Set<string>> {
    if (executionIds.length === 0) return new Set();
    const rows = await this.db.scoped(ANY_TENANT).query<{ execution_id: string }>(
      `UPDATE symphainy.executions SET lease_expires_at = now() + $3 * interval '1 millisecond'
        WHERE execution_id = ANY($2::text[]) AND lease_owner = $1 AND status = 'running'
       RETURNING execution_id`,
      [owner, executionIds, leaseMs],
    );
    return new Set(rows.map((r) => r.execution_id));
  }

  /**
   * Records outcomes: each execution still `running` (and, for a claimed one,
   * still leased by the same worker and attempt) becomes `completed` or
   * `failed`, in one statement. Returns the ids finished; one that was not
   * running any more (recovered, or taken over after its lease expired) is left out:
   * the fence that keeps an execution from completing twice (`notRunning:
   * 'fail'`: the statement fails instead, SQLSTATE SY001).
   */
  async finishMany(q: Queryable, items: readonly FinishRow[], notRunning: 'skip' | 'fail' = 'skip'): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    const update = `UPDATE symphainy.executions e
          SET status = f.status, state = COALESCE(f.state, e.state), result = f.result, error = f.error,
              finished_at = f.finished_at, lease_expires_at = NULL
         FROM jsonb_to_recordset($1::jsonb) AS f(execution_id text, status text, state jsonb, result jsonb, error jsonb,
                                                 finished_at timestamptz, lease_owner text, attempt integer)
        WHERE e.execution_id = f.execution_id AND e.status = 'running'
          AND (f.lease_owner IS NULL OR (e.lease_owner = f.lease_owner AND e.attempts = f.attempt))
        RETURNING e.execution_id`;
    const finishes = JSON.stringify(items.map((f) => ({
      execution_id: f.executionId, status: f.status, state: f.state, result: f.result ?? null, error: f.error,
      finished_at: f.finishedAt, lease_owner: f.lease?.owner ?? null, attempt: f.lease?.attempt ?? 0,
    })));
    if (notRunning === 'fail') {
      // The aggregate always gives a row, so the check runs even when nothing matched.
      await q.query(`WITH finished AS (${update}) SELECT symphainy.expect_rows(count(*), $2, 'executions finished') FROM finished`, [
        finishes, items.length,
      ]);
      return new Set(items.map((f) => f.executionId));
    }
    const rows = await q.query<{ execution_id: string }>(update, [finishes]);
    return new Set(rows.map((r) => r.execution_id));
  }

  async get(executionId: string, tenant: TenantScope): Promise<ExecutionRecord | null> {
    const rows = await this.db.scoped(tenant).query(`${SELECT} WHERE execution_id = $1 AND ($2::text IS NULL OR tenant_id = $2)`, [
      executionId,
      tenantParam(tenant),
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async getByIntentId(intentId: string, tenantId: string): Promise<ExecutionRecord | null> {
    const rows = await this.db.scoped(tenantId).query(`${SELECT} WHERE intent_id = $1 AND tenant_id = $2`, [intentId, tenantId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Newest first (by when accepted); page on with `before` set to the last one's {@link acceptedAt} and id. */
  async list(query: ExecutionQuery): Promise<ExecutionRecord[]> {
    const rows = await this.db.scoped(query.tenantId).query(
      `${SELECT}
        WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR status = $2)
          AND ($3::text IS NULL OR intent_type = $3) AND ($4::text IS NULL OR session_id = $4)
          AND ($6::timestamptz IS NULL OR (COALESCE(submitted_at, started_at), execution_id) < ($6::timestamptz, $7::text))
        ORDER BY COALESCE(submitted_at, started_at) DESC, execution_id DESC
        LIMIT $5`,
      [tenantParam(query.tenantId), query.status ?? null, query.intentType ?? null, query.sessionId ?? null, query.limit ?? 50,
       query.before?.at ?? null, query.before?.id ?? null],
    );
    return rows.map(toRecord);
  }

  /** How many executions of every tenant are in each status (for metrics). */
  async countByStatus(): Promise<Record<ExecutionStatus, number>> {
    const rows = await this.db.scoped(ANY_TENANT).query<{ status: ExecutionStatus; n: string | number }>(
      'SELECT status, count(*) AS n FROM symphainy.executions GROUP BY status',
    );
    const counts = Object.fromEntries(Object.values(ExecutionStatus).map((s) => [s, 0])) as Record<ExecutionStatus, number>;
    for (const r of rows) counts[r.status] = Number(r.n);
    return counts;
  }

  /**
   * Executions run directly (not claimed from the queue) still marked
   * running, of every tenant: recovery after the embedded store's only
   * process stopped. Claimed ones are left to workers, which take them over
   * once their lease expires.
   */
  async listRunningUnleased(): Promise<ExecutionRecord[]> {
    const rows = await this.db.scoped(ANY_TENANT).query(`${SELECT} WHERE status = 'running' AND lease_owner IS NULL ORDER BY started_at`);
    return rows.map(toRecord);
  }
}

function toRecord(r: Record<string, unknown>): ExecutionRecord {
  return {
    executionId: r.execution_id as string,
    intentId: r.intent_id as string,
    tenantId: r.tenant_id as string,
    sessionId: r.session_id as string,
    intentType: r.intent_type as string,
    realm: r.realm as string,
    status: r.status as ExecutionStatus,
    parameters: r.parameters as Record<string, unknown>,
    state: (r.state ?? {}) as ExecutionState,
    result: r.result ?? null,
    error: (r.error as ExecutionRecord['error']) ?? null,
    policyVersion: r.policy_version as string,
    intentCreatedAt: iso(r.intent_created_at)!,
    solutionId: (r.solution_id as string | null) ?? null,
    submittedAt: iso(r.submitted_at),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    attempts: Number(r.attempts ?? 0),
  };
}
