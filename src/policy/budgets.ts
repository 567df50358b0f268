import { isPlainObject, type IssueList } from './config-issues.ts';
import { showValue } from './duration.ts';
import { intentTypeMatcher } from './governance.ts';
import { SAFE_ID } from '../intent/intent.ts';

/** What a budget limits: tokens (input + output) and cost in US dollars. */
export interface BudgetLimits {
  readonly maxTokens?: number;
  readonly maxCostUsd?: number;
}

/**
 * One `budgets:` rule of the platform policy, written in snake_case:
 *
 * ```yaml
 * budgets:
 *   - id: acme-drafts
 *     match: { tenant: [acme], intent_type: 'content.*' }
 *     per_execution: { max_tokens: 20000, max_cost_usd: 0.50 }
 *     per_tenant_per_day: { max_tokens: 1000000, max_cost_usd: 20 }
 * ```
 *
 * Every rule that matches an execution applies (budgets are limits, not a
 * choice: unlike governance rules there is no "first match"). A day is a UTC
 * calendar day of the database's clock; the per-tenant total counts the
 * tenant's usage that day by executions this rule matches.
 */
export interface BudgetRule {
  readonly id: string;
  readonly match: { readonly tenant?: readonly string[]; readonly intentType?: string };
  readonly perExecution?: BudgetLimits;
  readonly perTenantPerDay?: BudgetLimits;
  readonly description?: string;
}

const RULE_KEYS = ['id', 'match', 'per_execution', 'per_tenant_per_day', 'description'] as const;
const MATCH_KEYS = ['tenant', 'intent_type'] as const;
const LIMIT_KEYS = ['max_tokens', 'max_cost_usd'] as const;
/** The largest dollar budget: a trillion, far below where a double stops holding cents exactly. */
const MAX_COST_USD = 1_000_000_000_000;

/** Checks a platform policy's `budgets:` list; each problem goes to `issues` at its key (for the line number). */
export function checkBudgetRules(raw: unknown, issues: IssueList): readonly BudgetRule[] {
  if (raw === undefined || raw === null) return Object.freeze([]);
  if (!Array.isArray(raw)) {
    issues.add(['budgets'], 'budgets', `expected a list of budget rules, got ${showValue(raw)}`);
    return Object.freeze([]);
  }
  const out: BudgetRule[] = [];
  const ids = new Set<string>();
  raw.forEach((item: unknown, i) => {
    const at = (path: (string | number)[], key: string, message: string) => issues.add(['budgets', i, ...path], `budgets[${i}]${key ? `.${key}` : ''}`, message);
    if (!isPlainObject(item)) return at([], '', `expected a budget rule (a mapping with id, match, per_execution, per_tenant_per_day), got ${showValue(item)}`);
    let ok = true;
    for (const key of Object.keys(item)) {
      if (!(RULE_KEYS as readonly string[]).includes(key)) {
        at([key], key, `unknown key '${key}' (expected one of: ${RULE_KEYS.join(', ')})`);
        ok = false;
      }
    }
    const id = item.id;
    if (typeof id !== 'string' || !SAFE_ID.test(id)) {
      at(['id'], 'id', `expected a rule id (letters, digits, '.', '_', '-'), got ${showValue(id)}`);
      ok = false;
    } else if (ids.has(id)) {
      at(['id'], 'id', `'${id}' is the id of an earlier budget rule`);
      ok = false;
    } else ids.add(id);
    const match = checkMatch(item.match, (path, key, message) => at(['match', ...path], key ? `match.${key}` : 'match', message));
    if (match === undefined) ok = false;
    const perExecution = checkLimits(item.per_execution, 'per_execution', at);
    const perTenantPerDay = checkLimits(item.per_tenant_per_day, 'per_tenant_per_day', at);
    if (perExecution === null || perTenantPerDay === null) ok = false;
    else if (!perExecution && !perTenantPerDay) {
      at([], '', 'a budget rule needs per_execution or per_tenant_per_day (or both)');
      ok = false;
    }
    if (item.description !== undefined && typeof item.description !== 'string') {
      at(['description'], 'description', `expected a string, got ${showValue(item.description)}`);
      ok = false;
    }
    if (!ok || match === undefined) return;
    out.push(Object.freeze({
      id: id as string, match,
      ...(perExecution ? { perExecution } : {}),
      ...(perTenantPerDay ? { perTenantPerDay } : {}),
      ...(typeof item.description === 'string' ? { description: item.description } : {}),
    }));
  });
  return Object.freeze(out);
}

function checkMatch(raw: unknown, at: (path: string[], key: string, message: string) => void): BudgetRule['match'] | undefined {
  if (raw === undefined) return Object.freeze({});
  if (!isPlainObject(raw)) {
    at([], '', `expected a mapping of ${MATCH_KEYS.join(', ')} ({} matches everything), got ${showValue(raw)}`);
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(raw)) {
    if (!(MATCH_KEYS as readonly string[]).includes(key)) {
      at([key], key, `unknown key '${key}' (expected one of: ${MATCH_KEYS.join(', ')})`);
      ok = false;
    }
  }
  // One tenant may be written without a list.
  const tenant = typeof raw.tenant === 'string' ? [raw.tenant] : raw.tenant;
  if (tenant !== undefined && (!Array.isArray(tenant) || tenant.length === 0 || tenant.some((t) => typeof t !== 'string' || t === ''))) {
    at(['tenant'], 'tenant', `expected a tenant id or a non-empty list of tenant ids, got ${showValue(raw.tenant)}`);
    ok = false;
  }
  const intentType = raw.intent_type;
  if (intentType !== undefined && (typeof intentType !== 'string' || intentType === '')) {
    at(['intent_type'], 'intent_type', `expected an intent type or glob such as 'content.*', got ${showValue(intentType)}`);
    ok = false;
  }
  if (!ok) return undefined;
  return Object.freeze({
    ...(tenant ? { tenant: Object.freeze([...(tenant as string[])]) } : {}),
    ...(intentType !== undefined ? { intentType: intentType as string } : {}),
  });
}

/** The limits at `key`; undefined when absent, null when invalid (reported). */
function checkLimits(
  raw: unknown, key: 'per_execution' | 'per_tenant_per_day', at: (path: (string | number)[], key: string, message: string) => void,
): BudgetLimits | undefined | null {
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) {
    at([key], key, `expected a mapping with ${LIMIT_KEYS.join(' and/or ')}, got ${showValue(raw)}`);
    return null;
  }
  let ok = true;
  for (const k of Object.keys(raw)) {
    if (!(LIMIT_KEYS as readonly string[]).includes(k)) {
      at([key, k], `${key}.${k}`, `unknown key '${k}' (expected one of: ${LIMIT_KEYS.join(', ')})`);
      ok = false;
    }
  }
  const tokens = raw.max_tokens;
  if (tokens !== undefined && !(typeof tokens === 'number' && Number.isSafeInteger(tokens) && tokens >= 0)) {
    at([key, 'max_tokens'], `${key}.max_tokens`, `expected a whole number of tokens from 0 to ${Number.MAX_SAFE_INTEGER}, got ${showValue(tokens)}`);
    ok = false;
  }
  const cost = raw.max_cost_usd;
  if (cost !== undefined && !(typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 && cost <= MAX_COST_USD)) {
    at([key, 'max_cost_usd'], `${key}.max_cost_usd`, `expected an amount of US dollars from 0 to ${MAX_COST_USD} such as 0.50, got ${showValue(cost)}`);
    ok = false;
  }
  if (ok && tokens === undefined && cost === undefined) {
    at([key], key, `expected max_tokens and/or max_cost_usd`);
    ok = false;
  }
  if (!ok) return null;
  return Object.freeze({
    ...(tokens !== undefined ? { maxTokens: tokens as number } : {}),
    ...(cost !== undefined ? { maxCostUsd: cost as number } : {}),
  });
}

/** The budget rules of a platform policy, ready to match executions. */
export class CompiledBudgets {
  readonly #rules: readonly { rule: BudgetRule; matches: (tenantId: string, intentType: string) => boolean }[];

  constructor(readonly rules: readonly BudgetRule[]) {
    this.#rules = rules.map((rule) => {
      const intentType = rule.match.intentType === undefined ? () => true : intentTypeMatcher(rule.match.intentType);
      const tenants = rule.match.tenant ? new Set(rule.match.tenant) : null;
      return { rule, matches: (tenantId: string, type: string) => (tenants === null || tenants.has(tenantId)) && intentType(type) };
    });
  }

  /** Every rule that applies to an execution of `intentType` for `tenantId`, in the file's order. */
  for(tenantId: string, intentType: string): BudgetRule[] {
    return this.#rules.filter((r) => r.matches(tenantId, intentType)).map((r) => r.rule);
  }

  /** True when `rule` (one of these) covers executions of `intentType` for `tenantId`. */
  covers(rule: BudgetRule, tenantId: string, intentType: string): boolean {
    return this.#rules.find((r) => r.rule === rule)?.matches(tenantId, intentType) ?? false;
  }

  get empty(): boolean {
    return this.#rules.length === 0;
  }
}
