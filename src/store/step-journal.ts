import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/db.ts';
import { tenantParam, type TenantScope } from '../db/tenant-scope.ts';
import { iso } from '../db/sql.ts';
import { openValue, signalRecordName, stepRecordName, type RecordCipher } from './record-cipher.ts';
import type { Lease } from './execution-record.ts';

/** What a journal row is: a step's result, a timer, a wait for a signal, an approval. */
export type StepKind = 'step' | 'sleep' | 'signal' | 'approval';

/** One journaled step (or wait) of an execution, at its position `seq` (from 0) in the handler's sequence. */
export interface StepRecord {
  readonly executionId: string;
  readonly tenantId: string;
  readonly seq: number;
  readonly name: string;
  /** The n-th step of this name in the execution, from 1. */
  readonly occurrence: number;
  readonly kind: StepKind;
  /** `done`: its result is journaled; `waiting`: a wait not resolved yet. */
  readonly status: 'done' | 'waiting';
  readonly result: unknown;
  /** The result type the materialization policy decides it under (`step` by default). */
  readonly resultType: string;
  readonly detail: Record<string, unknown> | null;
}

/** A journal row to write, fenced by the lease of the run that reached it. */
export interface StepRow extends StepRecord {
  readonly lease: Lease | null;
  /** A new wait's timer, from the database's now; absent or null: no timer (a kept row keeps its timer). */
  readonly wakeInMs?: number | null;
}

/** A journaled row as loaded for a run: `due` when its timer has passed (database clock). */
export type LoadedStep = StepRecord & { readonly due: boolean };

/** A signal (or approval decision) sent to an execution and not consumed yet. */
export interface OpenSignal {
  readonly signalId: string;
  readonly name: string;
  readonly data: unknown;
  readonly sentBy: string | null;
  readonly sentAt: string;
}

/** A waiting approval, as the approvals inbox lists it. */
export interface WaitingApproval {
  readonly executionId: string;
  readonly tenantId: string;
  readonly intentType: string;
  readonly name: string;
  readonly summary: string | null;
  /** When it times out (database clock), or null. */
  readonly timesOutAt: string | null;
  readonly onTimeout: string;
  readonly waitingSince: string;
}

/** What the signal name of an approval decision starts with (the rest is the approval's name). */
export const APPROVAL_SIGNAL_PREFIX = 'approval:';

/** The signal name an approval decision travels under. */
export const approvalSignal = (name: string): string => `${APPROVAL_SIGNAL_PREFIX}${name}`;

/**
 * General notes: the step journal owns `execution_steps` (each durable
 * step's result, each wait) and `execution_signals` (what was sent to an
 * execution, kept until a wait consumes it). Writes run in the execution
 * writer's transactions (`q`); they are fenced like completions: a row is
 * written only while its execution runs under the writer's lease.
 */
export class StepJournal {
  /** `cipher`: opens sealed results, details and signal data on read (writers seal beforehand). */
  constructor(private readonly db: Db, private readonly cipher?: RecordCipher) {}

  async #open(r: Record<string, unknown>): Promise<StepRecord> {
    const s = toStep(r);
    const record = stepRecordName(s.executionId, s.seq);
    return {
      ...s,
      result: await openValue(this.cipher, s.result, s.tenantId, record, 'result'),
      detail: (await openValue(this.cipher, s.detail, s.tenantId, record, 'detail')) as Record<string, unknown> | null,
    };
  }

  /** Every journaled row of an execution, in sequence order. */
  async load(executionId: string, tenant: TenantScope): Promise<LoadedStep[]> {
    const rows = await this.db.scoped(tenant).query(
      `SELECT *, (wake_at IS NOT NULL AND wake_at <= now()) AS due FROM symphainy.execution_steps
        WHERE execution_id = $1 AND ($2::text IS NULL OR tenant_id = $2) ORDER BY seq`,
      [executionId, tenantParam(tenant)],
    );
    return Promise.all(rows.map(async (r) => ({ ...(await this.#open(r)), due: r.due === true })));
  }

  /**
   * Journals rows (a new one, or a waiting one becoming done) of executions
   * still `running` under the rows' lease. Returns the ids of the executions
   * whose rows were written (`notRunning: 'fail'`: the statement fails
   * instead, SQLSTATE SY001).
   */
  async writeMany(q: Queryable, rows: readonly StepRow[], notRunning: 'skip' | 'fail' = 'skip'): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const upsert = `INSERT INTO symphainy.execution_steps
          (tenant_id, execution_id, seq, name, occurrence, kind, status, result, result_type, detail, wake_at)
        SELECT f.tenant_id, f.execution_id, f.seq, f.name, f.occurrence, f.kind, f.status, f.result, f.result_type, f.detail,
               CASE WHEN f.wake_in_ms IS NULL THEN NULL ELSE now() + f.wake_in_ms * interval '1 millisecond' END
          FROM jsonb_to_recordset($1::jsonb) AS f(tenant_id text, execution_id text, seq integer, name text, occurrence integer,
                 kind text, status text, result jsonb, result_type text, detail jsonb, wake_in_ms bigint, lease_owner text, attempt integer)
          JOIN symphainy.executions e ON e.execution_id = f.execution_id AND e.status = 'running'
           AND (f.lease_owner IS NULL OR (e.lease_owner = f.lease_owner AND e.attempts = f.attempt))
        ON CONFLICT (execution_id, seq) DO UPDATE SET status = EXCLUDED.status, result = EXCLUDED.result,
               wake_at = COALESCE(symphainy.execution_steps.wake_at, EXCLUDED.wake_at), recorded_at = now()
        RETURNING execution_id`;
    const json = JSON.stringify(rows.map((r) => ({
      tenant_id: r.tenantId, execution_id: r.executionId, seq: r.seq, name: r.name, occurrence: r.occurrence, kind: r.kind,
      status: r.status, result: r.result ?? null, result_type: r.resultType, detail: r.detail, wake_in_ms: r.wakeInMs ?? null,
      lease_owner: r.lease?.owner ?? null, attempt: r.lease?.attempt ?? 0,
    })));
    if (notRunning === 'fail') {
      await q.query(`WITH written AS (${upsert}) SELECT symphainy.expect_rows(count(*), $2, 'steps journaled') FROM written`, [json, rows.length]);
      return new Set(rows.map((r) => r.executionId));
    }
    const written = await q.query<{ execution_id: string }>(upsert, [json]);
    return new Set(written.map((r) => r.execution_id));
  }

  /** At completion: drops the journal rows the policy did not keep (`keep`: their seqs) and the execution's signals. */
  async dropMany(q: Queryable, drops: readonly { executionId: string; keep: readonly number[] }[]): Promise<void> {
    if (drops.length === 0) return;
    const ids = drops.map((d) => d.executionId);
    const kept = drops.flatMap((d) => d.keep.map((seq) => `${d.executionId}:${seq}`));
    // Both issued at once: a pipelined transaction takes its statements up front.
    await Promise.all([
      q.query(
        `DELETE FROM symphainy.execution_steps WHERE execution_id = ANY($1::text[]) AND NOT ((execution_id || ':' || seq) = ANY($2::text[]))`,
        [ids, kept],
      ),
      q.query('DELETE FROM symphainy.execution_signals WHERE execution_id = ANY($1::text[])', [ids]),
    ]);
  }

  /** Marks signals consumed by the wait at `seq` of their execution. */
  async consumeMany(q: Queryable, consumed: readonly { signalId: string; seq: number }[]): Promise<void> {
    if (consumed.length === 0) return;
    await q.query(
      `UPDATE symphainy.execution_signals s SET consumed_seq = f.seq
         FROM jsonb_to_recordset($1::jsonb) AS f(signal_id text, seq integer) WHERE s.signal_id = f.signal_id`,
      [JSON.stringify(consumed.map((c) => ({ signal_id: c.signalId, seq: c.seq })))],
    );
  }

  /** The oldest signal of this name sent to the execution and not consumed, if any. */
  async openSignal(executionId: string, name: string, tenant: TenantScope): Promise<OpenSignal | null> {
    const rows = await this.db.scoped(tenant).query(
      `SELECT * FROM symphainy.execution_signals WHERE execution_id = $1 AND name = $2 AND consumed_seq IS NULL
        ORDER BY sent_at, signal_id LIMIT 1`,
      [executionId, name],
    );
    const r = rows[0];
    const data = r ? await openValue(this.cipher, r.data ?? null, r.tenant_id as string, signalRecordName(executionId, name), 'data') : null;
    return r ? { signalId: r.signal_id as string, name: r.name as string, data, sentBy: (r.sent_by as string | null) ?? null, sentAt: iso(r.sent_at)! } : null;
  }

  /** Whether a signal of this name was ever sent to the execution (consumed or not). */
  async sent(q: Queryable, executionId: string, name: string): Promise<boolean> {
    const rows = await q.query('SELECT 1 FROM symphainy.execution_signals WHERE execution_id = $1 AND name = $2 LIMIT 1', [executionId, name]);
    return rows.length > 0;
  }

  /** Records a signal, in the caller's transaction; returns its id and when it was sent. */
  async send(q: Queryable, s: { tenantId: string; executionId: string; name: string; data: unknown; sentBy: string | null }): Promise<{ signalId: string; sentAt: string }> {
    const signalId = randomUUID();
    const rows = await q.query(
      `INSERT INTO symphainy.execution_signals (signal_id, tenant_id, execution_id, name, data, sent_by)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING sent_at`,
      [signalId, s.tenantId, s.executionId, s.name, JSON.stringify(s.data ?? null), s.sentBy],
    );
    return { signalId, sentAt: iso(rows[0]!.sent_at)! };
  }

  /**
   * Resumes a waiting execution now (available_at = now()) if it waits for
   * a signal it has been sent and not consumed: called after a signal is
   * sent, and after a wait commits (closing the race of a signal sent while
   * the wait was being recorded). Returns whether it woke one.
   */
  async wakeIfSignalled(q: Queryable, executionId: string): Promise<boolean> {
    const rows = await q.query(
      `UPDATE symphainy.executions e SET available_at = now()
        WHERE e.execution_id = $1 AND e.status = 'waiting' AND EXISTS (
          SELECT 1 FROM symphainy.execution_steps w JOIN symphainy.execution_signals s
              ON s.execution_id = w.execution_id AND s.consumed_seq IS NULL
             AND s.name = CASE WHEN w.kind = 'approval' THEN $2 || w.name ELSE w.name END
           WHERE w.execution_id = e.execution_id AND w.status = 'waiting' AND w.kind IN ('signal', 'approval'))
       RETURNING e.execution_id`,
      [executionId, APPROVAL_SIGNAL_PREFIX],
    );
    return rows.length > 0;
  }

  /** One execution's approvals by state, in the caller's transaction: those it waits for, and those ended (timed out). */
  async approvals(q: Queryable, executionId: string): Promise<{ waiting: string[]; done: string[] }> {
    const rows = await q.query<{ name: string; status: 'waiting' | 'done' }>(
      `SELECT name, status FROM symphainy.execution_steps WHERE execution_id = $1 AND kind = 'approval' ORDER BY seq`,
      [executionId],
    );
    return {
      waiting: rows.filter((r) => r.status === 'waiting').map((r) => r.name),
      done: rows.filter((r) => r.status === 'done').map((r) => r.name),
    };
  }

  /** The approvals executions of the scope wait for (oldest first): a tenant's inbox. */
  async waitingApprovals(tenant: TenantScope, limit = 100): Promise<WaitingApproval[]> {
    const rows = await this.db.scoped(tenant).query(
      `SELECT w.execution_id, w.tenant_id, w.seq, e.intent_type, w.name, w.detail, w.wake_at, w.recorded_at
         FROM symphainy.execution_steps w JOIN symphainy.executions e ON e.execution_id = w.execution_id
        WHERE w.kind = 'approval' AND w.status = 'waiting' AND e.status IN ('waiting', 'running', 'queued')
          AND ($1::text IS NULL OR w.tenant_id = $1)
          -- Decided, not yet resumed (no worker ran it since): no longer in the inbox.
          AND NOT EXISTS (SELECT 1 FROM symphainy.execution_signals s
                           WHERE s.execution_id = w.execution_id AND s.name = $3 || w.name)
        ORDER BY w.recorded_at, w.execution_id LIMIT $2`,
      [tenantParam(tenant), limit, APPROVAL_SIGNAL_PREFIX],
    );
    return Promise.all(rows.map(async (r) => {
      const record = stepRecordName(r.execution_id as string, Number(r.seq));
      const detail = ((await openValue(this.cipher, r.detail, r.tenant_id as string, record, 'detail')) ?? {}) as Record<string, unknown>;
      return {
        executionId: r.execution_id as string, tenantId: r.tenant_id as string, intentType: r.intent_type as string,
        name: r.name as string, summary: typeof detail.summary === 'string' ? detail.summary : null,
        timesOutAt: iso(r.wake_at), onTimeout: String(detail.onTimeout ?? 'reject'), waitingSince: iso(r.recorded_at)!,
      };
    }));
  }
}

function toStep(r: Record<string, unknown>): StepRecord {
  return {
    executionId: r.execution_id as string, tenantId: r.tenant_id as string, seq: Number(r.seq), name: r.name as string,
    occurrence: Number(r.occurrence), kind: r.kind as StepKind, status: r.status as 'done' | 'waiting', result: r.result ?? null,
    resultType: r.result_type as string, detail: (r.detail as Record<string, unknown> | null) ?? null,
  };
}
