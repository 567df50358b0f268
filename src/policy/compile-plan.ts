import type { PolicyDecision, PolicyInput } from './decision.ts';
import { intentTypeMatcher, type GovernanceRule } from './governance.ts';

/**
 * One condition of a governance rule: the JavaScript test the compiled
 * evaluator inlines, and the sentence explain gives when it fails. The only
 * description of what a rule's conditions mean — the hot path and `explain`
 * are both generated from it, so they cannot disagree.
 */
export interface RuleCondition {
  /** A boolean expression over `i` (the input) and `intent[k]` (the rule's intent type test). */
  readonly code: string;
  /** Why the condition failed for an input, naming what the input had. */
  readonly miss: (input: PolicyInput) => string;
}

/** One governance rule that may decide for a result type, with the decision it gives. */
export interface Candidate {
  readonly rule: GovernanceRule;
  /** The rule's intent type test, built once (see intentTypeMatcher). */
  readonly intent: ((intentType: string) => boolean) | null;
  readonly decision: PolicyDecision;
}

const got = (v: unknown) => (v === undefined ? 'none' : typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/**
 * The rule table: a rule's conditions beyond result type, cheapest first
 * (numbers, then string comparisons, then lists). Literals are JSON-quoted,
 * so any string is safe to inline. `k` names the rule's intent test slot.
 */
export function ruleConditions(rule: GovernanceRule, k: number): RuleCondition[] {
  const m = rule.match;
  const out: RuleCondition[] = [];
  if (m.sizeBytes?.gt !== undefined || m.sizeBytes?.lt !== undefined) {
    const { gt, lt } = m.sizeBytes;
    const tests = [gt !== undefined ? `i.sizeBytes > ${gt}` : '', lt !== undefined ? `i.sizeBytes < ${lt}` : ''].filter(Boolean);
    const range = [gt !== undefined ? `more than ${gt}` : '', lt !== undefined ? `less than ${lt}` : ''].filter(Boolean).join(' and ');
    out.push({ code: `i.sizeBytes !== undefined && ${tests.join(' && ')}`, miss: (i) => `needs size ${range} bytes (got ${got(i.sizeBytes)})` });
  }
  if (m.tenant) {
    out.push({ code: `(${m.tenant.map((t) => `i.tenantId === ${JSON.stringify(t)}`).join(' || ')})`, miss: (i) => `needs tenant ${m.tenant!.join(' or ')} (got ${got(i.tenantId)})` });
  }
  if (m.realm) {
    out.push({ code: `(${m.realm.map((r) => `i.realm === ${JSON.stringify(r)}`).join(' || ')})`, miss: (i) => `needs realm ${m.realm!.join(' or ')} (got ${got(i.realm)})` });
  }
  if (m.intentType !== undefined) {
    out.push({ code: `i.intentType !== undefined && intent[${k}](i.intentType)`, miss: (i) => `needs intent type ${m.intentType} (got ${got(i.intentType)})` });
  }
  const tags = (i: PolicyInput) => (i.tags?.length ? i.tags.join(', ') : 'no tags');
  if (m.tags?.any) {
    out.push({ code: `i.tags !== undefined && (${m.tags.any.map((t) => `i.tags.indexOf(${JSON.stringify(t)}) !== -1`).join(' || ')})`, miss: (i) => `needs any of tags ${m.tags!.any!.join(', ')} (got ${tags(i)})` });
  }
  if (m.tags?.all) {
    out.push({ code: `i.tags !== undefined && ${m.tags.all.map((t) => `i.tags.indexOf(${JSON.stringify(t)}) !== -1`).join(' && ')}`, miss: (i) => `needs all of tags ${m.tags!.all!.join(', ')} (got ${tags(i)})` });
  }
  return out;
}

/** Whether a rule has a condition beyond result type (else it always matches its types). */
export function isConditional(rule: GovernanceRule): boolean {
  return ruleConditions(rule, 0).length > 0;
}

type Test = (input: PolicyInput) => boolean;

function build(body: string, ...names: string[]): (...args: unknown[]) => unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source is built from validated rules only (ruleConditions)
  return new Function(...names, body) as (...args: unknown[]) => unknown;
}

/**
 * For `explain`: the rule's conditions compiled one by one from the same
 * table the evaluator inlines. Returns null when the rule matches the input,
 * else why not (the first condition that failed).
 */
export function compileRuleCheck(rule: GovernanceRule): (input: PolicyInput) => string | null {
  const intent = [rule.match.intentType === undefined ? null : intentTypeMatcher(rule.match.intentType)];
  const checks = ruleConditions(rule, 0).map((c) => ({
    test: build(`return function test(i) { return ${c.code}; };`, 'intent')(intent) as Test,
    miss: c.miss,
  }));
  return (input) => {
    for (const c of checks) if (!c.test(input)) return c.miss(input);
    return null;
  };
}

/**
 * Compiles one result type's candidate rules into a single function of
 * straight-line tests (the rule table's conditions, inlined), so a decision
 * costs a few comparisons per rule, with no allocation and no per-rule call.
 */
export function compilePlan(candidates: readonly Candidate[], otherwise: PolicyDecision): (input: PolicyInput) => PolicyDecision {
  if (candidates.length === 0) return () => otherwise;
  const lines = candidates.map((c, k) => {
    const tests = ruleConditions(c.rule, k).map((t) => t.code);
    return `if (${tests.join(' && ') || 'true'}) return decisions[${k}];`;
  });
  const body = `return function evaluate(i) {\n${lines.join('\n')}\nreturn otherwise;\n};`;
  const make = build(body, 'decisions', 'intent', 'otherwise') as (
    d: readonly PolicyDecision[], f: readonly (((s: string) => boolean) | null)[], o: PolicyDecision,
  ) => (input: PolicyInput) => PolicyDecision;
  return make(candidates.map((c) => c.decision), candidates.map((c) => c.intent), otherwise);
}
