import type { Db, Queryable } from '../db/db.ts';
import { BudgetExceededError } from '../errors/index.ts';
import type { BudgetLimits, BudgetRule, CompiledBudgets } from '../policy/budgets.ts';
import { addTotals, ZERO_USAGE, type ModelUsage, type ModelUsageStore, type UsageTotals } from '../store/model-usage.ts';
import { WalRecordType, type WriteAheadLog } from '../store/write-ahead-log.ts';
import type { StepAt, StepHooks } from './step-hooks.ts';

/** The execution a usage or a step belongs to. */
export interface UsageAt {
  readonly executionId: string;
  readonly intentId: string;
  readonly tenantId: string;
  readonly intentType: string;
}

/** Told of every recorded usage and every budget that stopped an execution (the metrics). */
export interface UsageObserver {
  usage(u: ModelUsage): void;
  budgetExceeded(ruleId: string): void;
}

/** Which limit of which rule was crossed, with the amounts. */
export interface BudgetVerdict {
  readonly rule: BudgetRule;
  readonly scope: 'execution' | 'tenant_day';
  readonly limit: 'max_tokens' | 'max_cost_usd';
  /** The limit: tokens, or US dollars. */
  readonly max: number;
  /** What was used: tokens, or US dollars. */
  readonly used: number;
}

export interface BudgetGuardDeps {
  readonly db: Db;
  readonly wal: WriteAheadLog;
  readonly usage: ModelUsageStore;
  /** The budget rules in force (read at each check). */
  readonly budgets: () => CompiledBudgets;
  readonly observer?: UsageObserver;
  /** The database's clock, for the WAL record's time. */
  readonly now: () => Date;
}

/**
 * General notes: records model usage and enforces the platform policy's
 * `budgets:` (the {@link StepHooks} of durable steps). Usage is written in
 * its own tenant-scoped transaction, not through the execution write path:
 * it happens while the handler runs, when no execution write is pending,
 * and it must stay recorded whatever the execution's outcome (the tokens
 * were paid for) — while the execution writer commits an execution's
 * records together with its start or its outcome. The same transaction takes
 * a per-tenant advisory lock, so two executions of one tenant cannot both
 * pass a daily budget that only one of them fits in, and appends the
 * `governance_decision` WAL record when a budget is crossed.
 *
 * When a limit is crossed: `recordUsage` records the usage, then fails
 * (BudgetExceededError); `beforeStep` refuses a step once a limit is reached
 * (a step's cost is not known before it runs, so "would exceed" means no
 * budget is left). The execution is remembered as over budget, so a handler
 * that catches the error still fails ({@link takeExceeded}).
 */
export class BudgetGuard implements StepHooks {
  readonly #exceeded = new Map<string, BudgetExceededError>();

  constructor(private readonly d: BudgetGuardDeps) {}

  /**
   * Records one model call's usage (already checked, see checkUsage), then
   * checks the budgets with it counted.
   * @throws BudgetExceededError when a matching budget is now exceeded (the usage stays recorded).
   */
  async record(at: UsageAt, usage: ModelUsage): Promise<void> {
    const rules = this.d.budgets().for(at.tenantId, at.intentType);
    const verdict = await this.d.db.scoped(at.tenantId).transaction(async (tx) => {
      if (rules.some((r) => r.perTenantPerDay)) await lockTenant(tx, at.tenantId);
      await this.d.usage.insert(tx, { ...at, ...usage });
      const v = await this.#check(tx, at, rules, (used, max) => used > max);
      if (v) await this.#recordDecision(tx, at, v, { when: 'record_usage', model: usage.model });
      return v;
    });
    this.d.observer?.usage(usage);
    if (verdict) this.#fail(at, verdict);
  }

  /** Before a step runs: refuses it (BudgetExceededError) when a matching budget has nothing left. */
  async beforeStep(at: StepAt): Promise<void> {
    const known = this.#exceeded.get(at.executionId);
    if (known) throw known;
    const rules = this.d.budgets().for(at.tenantId, at.intentType);
    if (rules.length === 0) return;
    const verdict = await this.d.db.scoped(at.tenantId).transaction(async (tx) => {
      const v = await this.#check(tx, at, rules, (used, max) => used >= max);
      if (v) await this.#recordDecision(tx, { ...at, intentId: null }, v, { when: 'before_step', step: at.step, occurrence: at.occurrence });
      return v;
    });
    if (verdict) this.#fail(at, verdict);
  }

  /** The error an execution crossed a budget with, if it did (forgotten once taken): its handler must not complete. */
  takeExceeded(executionId: string): BudgetExceededError | undefined {
    const err = this.#exceeded.get(executionId);
    this.#exceeded.delete(executionId);
    return err;
  }

  #fail(at: { executionId: string }, v: BudgetVerdict): never {
    const err = new BudgetExceededError(v.rule.id, describeVerdict(v));
    this.#exceeded.set(at.executionId, err);
    this.d.observer?.budgetExceeded(v.rule.id);
    throw err;
  }

  /** The first limit (rules in file order; per execution before per tenant) that `over` says is crossed. */
  async #check(
    tx: Queryable, at: Pick<UsageAt, 'executionId' | 'tenantId' | 'intentType'>, rules: readonly BudgetRule[], over: (used: number, max: number) => boolean,
  ): Promise<BudgetVerdict | undefined> {
    if (rules.length === 0) return undefined;
    const execution = rules.some((r) => r.perExecution) ? await this.d.usage.executionTotals(tx, at.executionId) : ZERO_USAGE;
    const day = rules.some((r) => r.perTenantPerDay) ? await this.d.usage.tenantTodayByIntentType(tx, at.tenantId) : new Map<string, UsageTotals>();
    const budgets = this.d.budgets();
    for (const rule of rules) {
      const e = rule.perExecution && crossed(rule, 'execution', rule.perExecution, execution, over);
      if (e) return e;
      if (rule.perTenantPerDay) {
        const covered = addTotals([...day].filter(([type]) => budgets.covers(rule, at.tenantId, type)).map(([, t]) => t));
        const t = crossed(rule, 'tenant_day', rule.perTenantPerDay, covered, over);
        if (t) return t;
      }
    }
    return undefined;
  }

  async #recordDecision(tx: Queryable, at: Omit<UsageAt, 'intentId'> & { intentId: string | null }, v: BudgetVerdict, extra: Record<string, unknown>): Promise<void> {
    await this.d.wal.append(tx, [{
      tenantId: at.tenantId, executionId: at.executionId, intentId: at.intentId, recordType: WalRecordType.GOVERNANCE_DECISION,
      recordedAt: this.d.now().toISOString(),
      payload: budgetDecisionPayload(v, at.intentType, extra),
    }]);
  }
}

/** The payload of a budget's `governance_decision` WAL record (`kind: 'budget'`; artifact decisions have none). */
export function budgetDecisionPayload(v: BudgetVerdict, intentType: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'budget', decision: 'fail', layer: 'platform', ruleId: v.rule.id, scope: v.scope, limit: v.limit, max: v.max, used: v.used,
    intentType, reason: describeVerdict(v), ...(v.rule.description ? { description: v.rule.description } : {}), ...extra,
  };
}

function crossed(
  rule: BudgetRule, scope: BudgetVerdict['scope'], limits: BudgetLimits, used: UsageTotals, over: (used: number, max: number) => boolean,
): BudgetVerdict | undefined {
  if (limits.maxTokens !== undefined && over(used.totalTokens, limits.maxTokens)) {
    return { rule, scope, limit: 'max_tokens', max: limits.maxTokens, used: used.totalTokens };
  }
  // Cents of a cent: sums of floats must not cross a limit they only touch.
  if (limits.maxCostUsd !== undefined && over(round(used.costUsd), limits.maxCostUsd)) {
    return { rule, scope, limit: 'max_cost_usd', max: limits.maxCostUsd, used: round(used.costUsd) };
  }
  return undefined;
}

function round(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}

/** E.g. `budget 'acme-drafts' per_execution.max_tokens (1000) exceeded: 1200 tokens used`. */
export function describeVerdict(v: BudgetVerdict): string {
  const key = `${v.scope === 'execution' ? 'per_execution' : 'per_tenant_per_day'}.${v.limit}`;
  const used = v.limit === 'max_tokens' ? `${v.used} tokens` : `$${v.used}`;
  const what = v.scope === 'execution' ? 'by this execution' : "by the tenant today (the database's UTC day)";
  return `budget '${v.rule.id}' ${key} (${v.max}) ${v.used > v.max ? 'exceeded' : 'used up'}: ${used} used ${what}`;
}

/** Serializes a tenant's usage transactions (released at commit), so daily totals are checked one at a time. */
async function lockTenant(tx: Queryable, tenantId: string): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('symphainy.model_usage'), hashtext($1))", [tenantId]);
}
