import type { PolicyDecision, PolicyInput, PolicyLayer } from './decision.ts';
import { intentTypeMatcher, type GovernanceRule } from './governance.ts';
import { compileRuleCheck, isConditional } from './compile-plan.ts';
import type { LayerVerdict } from './compiled-policy.ts';
import type { ConfigScope } from './policy-reasons.ts';
import type { SolutionConfig, SolutionRule } from './solution-config.ts';

/** The compiled policy's building blocks: its layers, per-type plans, and the verdicts explain shows. */

/** One config layer as compiled: where it came from and its per-type table. */
export interface ConfigLayer {
  readonly scope: ConfigScope;
  readonly id?: string;
  readonly config: SolutionConfig;
  readonly table: ReadonlyMap<string, SolutionRule>;
}

/** How many unnamed result types keep a precomputed plan; beyond this the oldest is dropped. */
export const UNKNOWN_TYPE_PLANS = 1024;

/** A governance rule ready for matching: its intent test and explain check built once from the rule table. */
export interface Matcher {
  readonly rule: GovernanceRule;
  readonly intent: ((intentType: string) => boolean) | null;
  /** Null when the rule matches the input, else why not (compile-plan.ts). */
  readonly check: (input: PolicyInput) => string | null;
  /** False when the rule has no condition beyond result type: it always matches its types. */
  readonly conditional: boolean;
}

/** Everything `evaluate` needs for one result type. */
export interface TypePlan {
  /** Governance rules with tenant/intent conditions covering the type, in order, each with its decision. */
  readonly candidates: readonly { readonly matcher: Matcher; readonly decision: PolicyDecision }[];
  /** The decision when no candidate matches: an unconditional rule's, or a lower layer's. */
  readonly otherwise: PolicyDecision;
  /** The candidates and `otherwise` compiled into one function (compile-plan.ts). */
  readonly evaluate: (input: PolicyInput) => PolicyDecision;
}

/** A rule's intent test and explain check, both from the rule table (compile-plan.ts). */
export function compileMatcher(rule: GovernanceRule): Matcher {
  return {
    rule,
    intent: rule.match.intentType === undefined ? null : intentTypeMatcher(rule.match.intentType),
    check: compileRuleCheck(rule),
    conditional: isConditional(rule),
  };
}

/** A layer's verdict, from the decision it makes (`said`: what to say instead of its reason). */
export function verdict(decision: PolicyDecision, said?: string): LayerVerdict;
export function verdict(decision: PolicyDecision | undefined, said?: string): LayerVerdict | undefined;
export function verdict(decision: PolicyDecision | undefined, said?: string): LayerVerdict | undefined {
  if (!decision) return undefined;
  return Object.freeze({
    layer: decision.layer,
    decision: decision.decision,
    said: said ?? decision.reason,
    ...(decision.ruleId === undefined ? {} : { ruleId: decision.ruleId }),
    ...(decision.config === undefined ? {} : { config: decision.config }),
    ...(decision.ttlSeconds === undefined ? {} : { ttlSeconds: decision.ttlSeconds }),
    ...(decision.trace === undefined ? {} : { trace: decision.trace }),
  });
}

/** A layer that does not decide, and why. */
export function noOpinion(layer: PolicyLayer, said: string): LayerVerdict {
  return Object.freeze({ layer, decision: null, said });
}
