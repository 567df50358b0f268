import type { Queryable } from './db.ts';
import { iso, tenantParam, type TenantScope } from './sql.ts';

export const ExecutionStatus = {
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
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

export interface ExecutionQuery {
  readonly tenantId: TenantScope;
  readonly status?: ExecutionStatus;
  readonly intentType?: string;
  readonly sessionId?: string;
  /** @default 50 */
  readonly limit?: number;
}

const SELECT = `SELECT execution_id, intent_id, tenant_id, session_id, intent_type, realm, status, parameters,
                       state, result, error, policy_version, intent_created_at, started_at, finished_at
                  FROM symphainy.executions`;

/**
 * General notes: the state surface owns the `executions` table — where an
 * execution stands and what it means. It does not write the WAL or the
 * outbox; the lifecycle manager puts all three in one transaction.
 */
export class StateSurface {
  constructor(private readonly db: Queryable) {}

  async insertStarted(
    q: Queryable,
    e: Pick<
      ExecutionRecord,
      'executionId' | 'intentId' | 'tenantId' | 'sessionId' | 'intentType' | 'realm' | 'parameters' | 'policyVersion' | 'intentCreatedAt' | 'startedAt'
    >,
  ): Promise<void> {
    await q.query(
      `INSERT INTO symphainy.executions (execution_id, intent_id, tenant_id, session_id, intent_type, realm, status,
                                         parameters, policy_version, intent_created_at, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'running', $7::jsonb, $8, $9, $10)`,
      [e.executionId, e.intentId, e.tenantId, e.sessionId, e.intentType, e.realm, JSON.stringify(e.parameters),
       e.policyVersion, e.intentCreatedAt, e.startedAt],
    );
  }

  /** Records the end of a running execution. False when it was not running (already finished elsewhere). */
  async finish(
    q: Queryable,
    f: { executionId: string; status: 'completed' | 'failed'; state: ExecutionState | null; result: unknown; error: ExecutionRecord['error']; finishedAt: string },
  ): Promise<boolean> {
    const rows = await q.query(
      `UPDATE symphainy.executions
          SET status = $2, state = COALESCE($3::jsonb, state), result = $4::jsonb, error = $5::jsonb, finished_at = $6
        WHERE execution_id = $1 AND status = 'running'
        RETURNING execution_id`,
      [f.executionId, f.status, f.state ? JSON.stringify(f.state) : null, JSON.stringify(f.result ?? null),
       f.error ? JSON.stringify(f.error) : null, f.finishedAt],
    );
    return rows.length === 1;
  }

  async get(executionId: string, tenant: TenantScope): Promise<ExecutionRecord | null> {
    const rows = await this.db.query(`${SELECT} WHERE execution_id = $1 AND ($2::text IS NULL OR tenant_id = $2)`, [
      executionId,
      tenantParam(tenant),
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async getByIntentId(intentId: string, tenantId: string): Promise<ExecutionRecord | null> {
    const rows = await this.db.query(`${SELECT} WHERE intent_id = $1 AND tenant_id = $2`, [intentId, tenantId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async list(query: ExecutionQuery): Promise<ExecutionRecord[]> {
    const rows = await this.db.query(
      `${SELECT}
        WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR status = $2)
          AND ($3::text IS NULL OR intent_type = $3) AND ($4::text IS NULL OR session_id = $4)
        ORDER BY started_at DESC, execution_id
        LIMIT $5`,
      [tenantParam(query.tenantId), query.status ?? null, query.intentType ?? null, query.sessionId ?? null, query.limit ?? 50],
    );
    return rows.map(toRecord);
  }

  /** Executions still marked running, of every tenant (for recovery after a process stopped). */
  async listRunning(): Promise<ExecutionRecord[]> {
    return (await this.db.query(`${SELECT} WHERE status = 'running' ORDER BY started_at`)).map(toRecord);
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
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
  };
}
