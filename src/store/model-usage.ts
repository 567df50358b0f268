import type { Db, Queryable } from '../db/db.ts';
import { tenantParam, type TenantScope } from '../db/tenant-scope.ts';
import type { ModelUsage } from '../intent/execution-context.ts';

export type { ModelUsage };

/** Sums of recorded usage. `costUsd` in US dollars; `calls` counts `recordUsage` calls. */
export interface UsageTotals {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** inputTokens + outputTokens: what `max_tokens` limits. */
  readonly totalTokens: number;
  readonly costUsd: number;
  readonly calls: number;
}

/** Totals, overall and per model. */
export interface UsageSummary {
  readonly totals: UsageTotals;
  readonly byModel: readonly (UsageTotals & { readonly model: string })[];
}

export interface UsageQuery {
  readonly tenantId: TenantScope;
  /** Only this execution's usage. */
  readonly executionId?: string;
  /** Only usage recorded at or after this instant (ISO 8601). */
  readonly since?: string;
}

export const ZERO_USAGE: UsageTotals = Object.freeze({ inputTokens: 0, outputTokens: 0, totalTokens: 0, costUsd: 0, calls: 0 });

const SUMS = `COALESCE(sum(input_tokens), 0)::float8 AS input_tokens, COALESCE(sum(output_tokens), 0)::float8 AS output_tokens,
              COALESCE(sum(cost_usd), 0)::float8 AS cost_usd, count(*)::int AS calls`;

/** The start of the database's current UTC day, as SQL. */
const TODAY = `(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`;

type SumRow = { input_tokens: number | string; output_tokens: number | string; cost_usd: number | string; calls: number | string };

function totalsOf(r: SumRow | undefined): UsageTotals {
  if (!r) return ZERO_USAGE;
  const inputTokens = Number(r.input_tokens);
  const outputTokens = Number(r.output_tokens);
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, costUsd: Number(r.cost_usd), calls: Number(r.calls) };
}

/**
 * General notes: owns the `model_usage` table (migration 17): one row per
 * recorded model call, never updated. Sums are computed when asked; a
 * tenant's rows are indexed by time for the daily budget.
 */
export class ModelUsageStore {
  constructor(private readonly db: Db) {}

  /** Inserts one usage row in `tx` (the caller's tenant-scoped transaction); its time is the database's `now()`. */
  async insert(tx: Queryable, row: { tenantId: string; executionId: string; intentType: string } & ModelUsage): Promise<void> {
    await tx.query(
      `INSERT INTO symphainy.model_usage (tenant_id, execution_id, intent_type, model, input_tokens, output_tokens, cost_usd)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [row.tenantId, row.executionId, row.intentType, row.model, row.inputTokens, row.outputTokens, row.costUsd ?? null],
    );
  }

  /** One execution's totals, read in `tx`. */
  async executionTotals(tx: Queryable, executionId: string): Promise<UsageTotals> {
    const rows = await tx.query<SumRow>(`SELECT ${SUMS} FROM symphainy.model_usage WHERE execution_id = $1`, [executionId]);
    return totalsOf(rows[0]);
  }

  /** A tenant's totals for the database's current UTC day, per intent type, read in `tx`. */
  async tenantTodayByIntentType(tx: Queryable, tenantId: string): Promise<Map<string, UsageTotals>> {
    const rows = await tx.query<SumRow & { intent_type: string }>(
      `SELECT intent_type, ${SUMS} FROM symphainy.model_usage
        WHERE tenant_id = $1 AND recorded_at >= ${TODAY} GROUP BY intent_type`,
      [tenantId],
    );
    return new Map(rows.map((r) => [r.intent_type, totalsOf(r)]));
  }

  /**
   * Totals and per-model totals of the usage `q` selects, for the state
   * surface. `since: 'today'` means the database's current UTC day.
   */
  async summary(q: Omit<UsageQuery, 'since'> & { since?: string | 'today' }): Promise<UsageSummary> {
    const params: unknown[] = [tenantParam(q.tenantId)];
    const where = ['($1::text IS NULL OR tenant_id = $1)'];
    if (q.executionId !== undefined) {
      params.push(q.executionId);
      where.push(`execution_id = $${params.length}`);
    }
    if (q.since === 'today') where.push(`recorded_at >= ${TODAY}`);
    else if (q.since !== undefined) {
      params.push(q.since);
      where.push(`recorded_at >= $${params.length}::timestamptz`);
    }
    const rows = await this.db.scoped(q.tenantId).query<SumRow & { model: string }>(
      `SELECT model, ${SUMS} FROM symphainy.model_usage WHERE ${where.join(' AND ')} GROUP BY model ORDER BY model`,
      params,
    );
    const byModel = rows.map((r) => ({ model: r.model, ...totalsOf(r) }));
    return { totals: addTotals(byModel), byModel };
  }
}

/** The sum of several totals. */
export function addTotals(all: Iterable<UsageTotals>): UsageTotals {
  let inputTokens = 0, outputTokens = 0, costUsd = 0, calls = 0;
  for (const t of all) {
    inputTokens += t.inputTokens;
    outputTokens += t.outputTokens;
    costUsd += t.costUsd;
    calls += t.calls;
  }
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, costUsd, calls };
}
