import type { PolicyDecision, PolicyInput } from './decision.ts';
import type { GovernanceRule } from './governance.ts';

/** One governance rule that may decide for a result type, with the decision it gives. */
export interface Candidate {
  readonly rule: GovernanceRule;
  /** The rule's intent type test, built once (see intentTypeMatcher). */
  readonly intent: ((intentType: string) => boolean) | null;
  readonly decision: PolicyDecision;
}

/**
 * Compiles one result type's candidate rules into a single function of
 * straight-line tests — the rules' literals inlined (JSON-quoted, so any
 * string is safe), cheapest conditions first — so a decision costs a few
 * comparisons per rule, with no allocation and no per-rule call.
 */
export function compilePlan(candidates: readonly Candidate[], otherwise: PolicyDecision): (input: PolicyInput) => PolicyDecision {
  if (candidates.length === 0) return () => otherwise;
  const lines: string[] = [];
  candidates.forEach((c, k) => {
    const m = c.rule.match;
    const tests: string[] = [];
    if (m.sizeBytes?.gt !== undefined) tests.push(`i.sizeBytes !== undefined && i.sizeBytes > ${m.sizeBytes.gt}`);
    if (m.sizeBytes?.lt !== undefined) tests.push(`i.sizeBytes !== undefined && i.sizeBytes < ${m.sizeBytes.lt}`);
    if (m.tenant) tests.push(`(${m.tenant.map((t) => `i.tenantId === ${JSON.stringify(t)}`).join(' || ')})`);
    if (m.realm) tests.push(`(${m.realm.map((r) => `i.realm === ${JSON.stringify(r)}`).join(' || ')})`);
    if (c.intent) tests.push(`i.intentType !== undefined && intent[${k}](i.intentType)`);
    if (m.tags?.any) tests.push(`i.tags !== undefined && (${m.tags.any.map((t) => `i.tags.indexOf(${JSON.stringify(t)}) !== -1`).join(' || ')})`);
    if (m.tags?.all) tests.push(`i.tags !== undefined && ${m.tags.all.map((t) => `i.tags.indexOf(${JSON.stringify(t)}) !== -1`).join(' && ')}`);
    lines.push(`if (${tests.join(' && ') || 'true'}) return decisions[${k}];`);
  });
  const body = `return function evaluate(i) {\n${lines.join('\n')}\nreturn otherwise;\n};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source is built above from validated rules only
  const make = new Function('decisions', 'intent', 'otherwise', body) as (
    d: readonly PolicyDecision[], f: readonly (((s: string) => boolean) | null)[], o: PolicyDecision,
  ) => (input: PolicyInput) => PolicyDecision;
  return make(candidates.map((c) => c.decision), candidates.map((c) => c.intent), otherwise);
}
