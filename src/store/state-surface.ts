import type { Db, Queryable } from '../db/db.ts';
import { ANY_TENANT, tenantParam, type TenantScope } from '../db/tenant-scope.ts';
import { insertMany, iso } from '../db/sql.ts';
import { openValue, type RecordCipher } from './record-cipher.ts';
import { ExecutionStatus, acceptedAt, type ExecutionState, type ExecutionRecord, type ExecutionSummary, type Lease, type Claim, type ExecutionQuery, type NewExecutionRow, type FinishRow } from './execution-record.ts';
export { ExecutionStatus, acceptedAt } from './execution-record.ts';
export type { ExecutionState, ExecutionRecord, ExecutionSummary, Lease, ClaimedExecution, Claim, ExecutionQuery, NewExecution, NewExecutionRow, FinishRow } from './execution-record.ts';

const INSERT_COLUMNS = [
  { name: 'execution_id' }, { name: 'intent_id' }, { name: 'tenant_id' }, { name: 'session_id' }, { name: 'intent_type' },
  { name: 'realm' }, { name: 'status' }, { name: 'parameters', json: true }, { name: 'policy_version' },
  { name: 'intent_created_at' }, { name: 'submitted_at' }, { name: 'started_at' }, { name: 'solution_id' },
  { name: 'lease_owner' }, { name: 'lease_ms' }, { name: 'attempts' }, { name: 'retry_policy', json: true },
  { name: 'trace_id' }, { name: 'traceparent' }, { name: 'key_ids' },
] as const;

const COLUMNS = `execution_id, intent_id, tenant_id, session_id, intent_type, realm, status, parameters, state, result,
                 error, policy_version, intent_created_at, submitted_at, started_at, finished_at, attempts, solution_id, available_at,
                 trace_id`;
const SELECT = `SELECT ${COLUMNS} FROM symphainy.executions`;
/** Everything clear: no content column, so nothing sealed is read. */
const SUMMARY_COLUMNS = `execution_id, intent_id, tenant_id, session_id, intent_type, realm, status, error->>'code' AS error_code, policy_version,
                 intent_created_at, submitted_at, started_at, finished_at, attempts, solution_id, available_at, trace_id`;

/**
 * General notes: the state surface owns the `executions` table — where an
 * execution stands and what it means. It does not write the WAL or the
 * outbox; the lifecycle manager puts all three in one transaction. Methods
 * taking `q` run in the caller's (tenant-scoped) transaction; the others
 * scope their own statement ({@link Db.scoped}).
 */
export class StateSurface {
  /** `cipher`: opens sealed content on read (encryption on); writers hand in rows sealed beforehand (`sealed`). */
  constructor(private readonly db: Db, private readonly cipher?: RecordCipher) {}

  async #open(r: Record<string, unknown>): Promise<ExecutionRecord> {
    return openRecord(this.cipher, toRecord(r));
  }

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
      items.map(({ execution: e, status, at, lease, retryPolicy, sealed }) => [
        e.executionId, e.intentId, e.tenantId, e.sessionId, e.intentType, e.realm, status, sealed?.parameters ?? e.parameters, e.policyVersion,
        e.intentCreatedAt, status === 'queued' ? at : null, status === 'running' ? at : null, e.solutionId ?? null,
        status === 'running' ? (lease?.owner ?? null) : null, status === 'running' ? (lease?.leaseMs ?? null) : null,
        status === 'running' ? 1 : 0, retryPolicy ?? null, e.trace?.traceId ?? null, e.trace?.traceparent ?? null, sealed ? [...sealed.keyIds] : null,
      ]),
      (insert) => `${insert}${onTaken === 'skip' ? ' ON CONFLICT (tenant_id, intent_id) DO NOTHING' : ''} RETURNING execution_id`,
    );
    return new Set(rows.map((r) => r.execution_id));
  }

  /**
   * Claims up to `limit` executions of the given intent types for `owner`:
   * queued ones whose backoff has passed, in the order they were accepted,
   * and queued-origin running ones whose worker's lease expired (it died or
   * lost the database) — each claim counts an attempt. An abandoned one whose
   * retry policy has no attempt left is not claimed but returned as
   * `exhausted`, still locked, for the caller to record `dead`. `FOR UPDATE
   * SKIP LOCKED` lets many workers claim at once without waiting on, or
   * taking, each other's rows. Leases use the database clock. `exclude`:
   * executions this process runs (never taken over from itself). An
   * abandoned execution is claimed only with `takeover` (an idle claimer),
   * and then alone (`isolated`): it may be what killed its last worker.
   */
  async claim(
    q: Queryable,
    c: {
      owner: string; intentTypes: readonly string[]; limit: number; leaseMs: number; policyVersion: string; startedAt: string;
      defaultMaximumAttempts: number; exclude?: readonly string[];
      /** May take over an abandoned execution (the claimer runs nothing else): it is then claimed alone. */
      takeover: boolean;
    },
  ): Promise<Claim> {
    const exhaustedSql = `(attempts - retry_base >= COALESCE((retry_policy->>'maximumAttempts')::int, $4))`;
    const abandoned = `status = 'running' AND submitted_at IS NOT NULL AND lease_owner IS NOT NULL AND lease_expires_at < now()`;
    let exhausted: Claim['exhausted'] = [];
    let take: Record<string, unknown>[] = [];
    if (c.takeover) {
      // An abandoned execution may be what killed its worker: it runs alone, so it cannot take others down with it.
      const found = await q.query(
        `SELECT *, ${exhaustedSql} AS exhausted FROM symphainy.executions
          WHERE intent_type = ANY($1::text[]) AND ${abandoned} AND NOT (execution_id = ANY($3::text[]))
          ORDER BY COALESCE(submitted_at, started_at) LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [c.intentTypes, Math.max(c.limit, 16), c.exclude ?? [], c.defaultMaximumAttempts],
      );
      exhausted = await Promise.all(found.filter((r) => r.exhausted === true).map(async (r) => ({
        ...(await this.#open(r)), lease: { owner: r.lease_owner as string, attempt: Number(r.attempts) }, retryPolicy: r.retry_policy ?? null,
        retryBase: Number(r.retry_base ?? 0),
      })));
      take = found.filter((r) => r.exhausted !== true).slice(0, 1);
    }
    let takeoverPending = false;
    if (take.length === 0) {
      take = await q.query(
        `SELECT * FROM symphainy.executions
          WHERE intent_type = ANY($1::text[])
            AND ((status = 'queued' AND (available_at IS NULL OR available_at <= now())) OR (status = 'waiting' AND available_at <= now()))
            AND NOT (execution_id = ANY($3::text[]))
          ORDER BY COALESCE(submitted_at, started_at) LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [c.intentTypes, c.limit, c.exclude ?? []],
      );
      if (!c.takeover) {
        const pending = await q.query(
          `SELECT 1 FROM symphainy.executions WHERE intent_type = ANY($1::text[]) AND ${abandoned} AND NOT (execution_id = ANY($2::text[])) LIMIT 1`,
          [c.intentTypes, c.exclude ?? []],
        );
        takeoverPending = pending.length > 0;
      }
    }
    if (take.length === 0) return { claimed: [], exhausted, isolated: false, takeoverPending };
    const prev = new Map(take.map((r) => [r.execution_id as string, r]));
    const rows = await q.query(
      `UPDATE symphainy.executions e
          SET status = 'running', lease_owner = $1, lease_ms = $3::int, lease_expires_at = now() + $3::int * interval '1 millisecond',
              attempts = e.attempts + 1, started_at = COALESCE(e.started_at, $5), policy_version = $4, available_at = NULL,
              -- Resuming a wait is not a retry: it does not count against the retry policy's attempts.
              retry_base = CASE WHEN e.status = 'waiting' THEN e.retry_base + 1 ELSE e.retry_base END
        WHERE e.execution_id = ANY($2::text[])
       RETURNING e.*`,
      [c.owner, [...prev.keys()], c.leaseMs, c.policyVersion, c.startedAt],
    );
    const claimed = await Promise.all(rows.map(async (r) => {
      const record = await this.#open(r);
      const before = prev.get(record.executionId)!;
      return {
        ...record,
        lease: { owner: c.owner, attempt: record.attempts },
        claimedFrom: before.status as 'queued' | 'running' | 'waiting',
        previousOwner: (before.lease_owner as string | null) ?? null,
        retryPolicy: r.retry_policy ?? null,
        retryBase: Number(r.retry_base ?? 0),
        leaseMs: c.leaseMs,
        traceparent: (r.traceparent as string | null) ?? null,
      };
    }));
    return { claimed, exhausted, isolated: claimed.some((r) => r.claimedFrom === 'running'), takeoverPending };
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
              content_trace_ids = CASE WHEN f.content_trace_id IS NULL OR f.content_trace_id = ANY(e.content_trace_ids) THEN e.content_trace_ids
                                       ELSE array_append(e.content_trace_ids, f.content_trace_id) END,
              finished_at = CASE WHEN f.status IN ('queued', 'waiting') THEN NULL ELSE f.finished_at END, lease_expires_at = NULL,
              available_at = CASE WHEN f.status = 'queued' THEN now() + f.retry_in_ms * interval '1 millisecond'
                                  WHEN f.status = 'waiting' THEN (SELECT w.wake_at FROM symphainy.execution_steps w
                                                                  WHERE w.execution_id = e.execution_id AND w.seq = f.wait_seq) END
         FROM jsonb_to_recordset($1::jsonb) AS f(execution_id text, status text, state jsonb, result jsonb, error jsonb,
                                                 finished_at timestamptz, lease_owner text, attempt integer, retry_in_ms integer,
                                                 wait_seq integer, content_trace_id text)
        WHERE e.execution_id = f.execution_id AND e.status = 'running'
          AND (f.lease_owner IS NULL OR (e.lease_owner = f.lease_owner AND e.attempts = f.attempt))
        RETURNING e.execution_id`;
    const finishes = JSON.stringify(items.map((f) => ({
      execution_id: f.executionId, status: f.status, state: f.sealed ? f.sealed.state : f.state, result: (f.sealed ? f.sealed.result : f.result) ?? null,
      error: f.sealed ? f.sealed.error : f.error,
      finished_at: f.finishedAt, lease_owner: f.lease?.owner ?? null, attempt: f.lease?.attempt ?? 0, retry_in_ms: f.retryInMs ?? 0, wait_seq: f.waitSeq ?? null,
      content_trace_id: f.contentTraceId ?? null,
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
    return rows[0] ? this.#open(rows[0]) : null;
  }

  async getByIntentId(intentId: string, tenantId: string): Promise<ExecutionRecord | null> {
    const rows = await this.db.scoped(tenantId).query(`${SELECT} WHERE intent_id = $1 AND tenant_id = $2`, [intentId, tenantId]);
    return rows[0] ? this.#open(rows[0]) : null;
  }

  /** Newest first (by when accepted); page on with `before` set to the last one's {@link acceptedAt} and id. */
  async list(query: ExecutionQuery): Promise<ExecutionRecord[]> {
    const rows = await this.#listRows(query, COLUMNS);
    return Promise.all(rows.map((r) => this.#open(r)));
  }

  /** {@link list} without content: opens nothing sealed, so it needs no key. */
  async listSummaries(query: ExecutionQuery): Promise<ExecutionSummary[]> {
    const rows = await this.#listRows(query, SUMMARY_COLUMNS);
    return rows.map((r) => {
      const { parameters: _p, state: _s, result: _r, error: _e, ...summary } = toRecord(r);
      return { ...summary, errorCode: (r.error_code as string | null) ?? null };
    });
  }

  async #listRows(query: ExecutionQuery, columns: string): Promise<Record<string, unknown>[]> {
    return this.db.scoped(query.tenantId).query(
      `SELECT ${columns} FROM symphainy.executions
        WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR status = $2)
          AND ($3::text IS NULL OR intent_type = $3) AND ($4::text IS NULL OR session_id = $4)
          AND ($6::timestamptz IS NULL OR (COALESCE(submitted_at, started_at), execution_id) < ($6::timestamptz, $7::text))
          AND ($8::timestamptz IS NULL OR COALESCE(submitted_at, started_at) >= $8::timestamptz)
          AND ($9::timestamptz IS NULL OR COALESCE(submitted_at, started_at) < $9::timestamptz)
        ORDER BY COALESCE(submitted_at, started_at) DESC, execution_id DESC
        LIMIT $5`,
      [tenantParam(query.tenantId), query.status ?? null, query.intentType ?? null, query.sessionId ?? null, query.limit ?? 50,
       query.before?.at ?? null, query.before?.id ?? null, query.since ?? null, query.until ?? null],
    );
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
   * Executions run directly (not from the queue) still `running` whose
   * process is gone, of every tenant, each with the lease it had: `expired`,
   * those whose lease ran out (database clock) — a server's recovery; `all`,
   * every one — the embedded store's recovery at open, when this process is
   * the only one. Queued-origin ones are left to workers, which take them
   * over once their lease expires.
   */
  async listInterruptedDirect(which: 'expired' | 'all', exclude: readonly string[] = []): Promise<(ExecutionRecord & { lease: Lease | null })[]> {
    const rows = await this.db.scoped(ANY_TENANT).query(
      `SELECT ${COLUMNS}, lease_owner FROM symphainy.executions
        WHERE status = 'running' AND submitted_at IS NULL
          AND ($1 OR (lease_owner IS NOT NULL AND lease_expires_at < now())) AND NOT (execution_id = ANY($2::text[]))
        ORDER BY started_at`,
      [which === 'all', exclude],
    );
    return Promise.all(rows.map(async (r) => ({ ...(await this.#open(r)), lease: r.lease_owner ? { owner: r.lease_owner as string, attempt: Number(r.attempts) } : null })));
  }

  /**
   * Re-queues a `dead` or `failed` execution of the scope (an operator's
   * retry): it is claimed again at once, with a fresh attempt budget. Returns
   * it with its status before, or null when it is not the scope's or not
   * dead or failed (`status` says which).
   */
  async retry(q: Queryable, executionId: string, tenant: TenantScope): Promise<{ record: ExecutionRecord; from: ExecutionStatus } | { status: ExecutionStatus | null; erased?: boolean }> {
    const rows = await q.query(
      `WITH prev AS (
         SELECT execution_id, status FROM symphainy.executions
          WHERE execution_id = $1 AND ($2::text IS NULL OR tenant_id = $2) FOR UPDATE)
       UPDATE symphainy.executions e
          SET status = 'queued', available_at = NULL, retry_base = e.attempts, finished_at = NULL, result = NULL, error = NULL,
              lease_owner = NULL, lease_expires_at = NULL
         FROM prev
        WHERE e.execution_id = prev.execution_id AND prev.status IN ('dead', 'failed')
          -- An erased execution has nothing left to run: its parameters are a redaction marker.
          AND NOT (jsonb_typeof(e.parameters) = 'object' AND e.parameters ? 'redacted')
       RETURNING e.*, prev.status AS prev_status`,
      [executionId, tenantParam(tenant)],
    );
    if (rows[0]) return { record: await this.#open(rows[0]), from: rows[0].prev_status as ExecutionStatus };
    const found = await q.query<{ status: ExecutionStatus; erased: boolean }>(
      `SELECT status, (jsonb_typeof(parameters) = 'object' AND parameters ? 'redacted') AS erased
         FROM symphainy.executions WHERE execution_id = $1 AND ($2::text IS NULL OR tenant_id = $2)`, [executionId, tenantParam(tenant)]);
    return { status: found[0]?.status ?? null, erased: found[0]?.erased === true };
  }

  /**
   * Starts a new attempt of a direct execution whose process stopped
   * (`failed` with SYM_ERR_INTERRUPTED) for `owner`, if its retry policy has
   * an attempt left: it is `running` again under a new lease. Null when it
   * does not qualify (any more).
   */
  async resumeInterrupted(
    q: Queryable, executionId: string, c: { owner: string; leaseMs: number; defaultMaximumAttempts: number; startedAt: string },
  ): Promise<(ExecutionRecord & { lease: Lease }) | null> {
    const rows = await q.query(
      `UPDATE symphainy.executions e
          SET status = 'running', lease_owner = $2, lease_ms = $3::int, lease_expires_at = now() + $3::int * interval '1 millisecond',
              attempts = e.attempts + 1, error = NULL, result = NULL, finished_at = NULL, started_at = COALESCE(e.started_at, $5)
        WHERE e.execution_id = $1 AND e.status = 'failed' AND e.error->>'code' = 'SYM_ERR_INTERRUPTED'
          AND e.attempts - e.retry_base < COALESCE((e.retry_policy->>'maximumAttempts')::int, $4)
       RETURNING e.*`,
      [executionId, c.owner, c.leaseMs, c.defaultMaximumAttempts, c.startedAt],
    );
    return rows[0] ? { ...(await this.#open(rows[0])), lease: { owner: c.owner, attempt: Number(rows[0].attempts) } } : null;
  }

  /**
   * Resumes a `waiting` execution whose timer fired or signal came
   * (`available_at` passed) for `owner`, run directly: `running` under a new
   * lease (not counted against its retry policy). Null when it is not due.
   */
  async resumeWaiting(q: Queryable, executionId: string, c: { owner: string; leaseMs: number }): Promise<(ExecutionRecord & { lease: Lease }) | null> {
    const rows = await q.query(
      `UPDATE symphainy.executions e
          SET status = 'running', lease_owner = $2, lease_ms = $3::int, lease_expires_at = now() + $3::int * interval '1 millisecond',
              attempts = e.attempts + 1, retry_base = e.retry_base + 1, available_at = NULL
        WHERE e.execution_id = $1 AND e.status = 'waiting' AND e.available_at <= now()
       RETURNING e.*`,
      [executionId, c.owner, c.leaseMs],
    );
    return rows[0] ? { ...(await this.#open(rows[0])), lease: { owner: c.owner, attempt: Number(rows[0].attempts) } } : null;
  }
}

/**
 * An execution record with its sealed content opened: parameters, result,
 * error message and each semantic payload (record `execution:<id>`).
 */
export async function openRecord(cipher: RecordCipher | undefined, rec: ExecutionRecord): Promise<ExecutionRecord> {
  const t = rec.tenantId;
  const record = `execution:${rec.executionId}`;
  const parameters = (await openValue(cipher, rec.parameters, t, record, 'parameters')) as Record<string, unknown>;
  const result = await openValue(cipher, rec.result, t, record, 'result');
  const error = rec.error
    ? { ...rec.error, message: messageText(await openValue(cipher, rec.error.message, t, record, 'error.message')) }
    : null;
  let state = rec.state;
  const semantic = (state as ExecutionState).semantic;
  if (semantic && typeof semantic === 'object') {
    const opened: ExecutionState['semantic'] = {};
    for (const [key, s] of Object.entries(semantic)) {
      opened[key] = { ...s, payload: (await openValue(cipher, s.payload, t, record, `state.semantic.${key}`)) as Record<string, unknown> | null };
    }
    state = { ...(state as ExecutionState), semantic: opened };
  }
  return { ...rec, parameters, result, error, state };
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
    availableAt: iso(r.available_at),
    traceId: (r.trace_id as string | null) ?? null,
  };
}

/** An opened error message; an erased one (its key destroyed) says so. */
function messageText(m: unknown): string {
  return typeof m === 'string' ? m : `(erased: data key '${(m as { keyId?: string } | null)?.keyId ?? '?'}' was destroyed)`;
}
