import {
  PolicyLayer,
  type MaterializationDecision,
  type PolicyDecision,
  type PolicyInput,
} from './decision.ts';
import { DEFAULT_POLICY, PLATFORM_NATIVE_TYPES } from './default-policy.ts';
import { validateGovernanceRules, validateRecordedGovernanceRules, type GovernanceRule } from './governance.ts';
import { compilePlan } from './compile-plan.ts';
import {
  configLabel,
  configName,
  defaultReason,
  fallbackReason,
  governanceReason,
  platformReason,
  solutionReason,
  type ConfigScope,
} from './policy-reasons.ts';
import { contentVersion } from './policy-version.ts';
import { describePolicy, policyContent, type PolicyParts } from './policy-description.ts';
import { compileMatcher, noOpinion, verdict, UNKNOWN_TYPE_PLANS, type ConfigLayer, type Matcher, type TypePlan } from './policy-layers.ts';
import { checkDefaultPolicy, checkDefaultTtl, deepFreeze, revalidateSolution } from './compile-options.ts';
import { MAX_COUNT } from './config-issues.ts';
import type {
  AttachedConfig,
  CompiledPolicy,
  CompilePolicyOptions,
  LayerVerdict,
  PolicyDescription,
  PolicyExplanation,
} from './compiled-policy.ts';

export type {
  AttachedConfig,
  CompiledPolicy,
  CompilePolicyOptions,
  LayerVerdict,
  PolicyDescription,
  PolicyExplanation,
  PolicyTypeSummary,
} from './compiled-policy.ts';
import type { SolutionConfig } from './solution-config.ts';

/**
 * Validates and combines the policy layers into a {@link CompiledPolicy}.
 * Layers, first that decides wins: platform (platform-native types are always
 * persisted) > governance (first matching rule) > solution > default > fallback
 * (`discard`).
 *
 * A `cache` decision's TTL is the governance rule's, else the solution's
 * per-type `cache_ttl`, else the solution's `cache_ttl`, else
 * `defaultCacheTtlSeconds`.
 *
 * @throws PolicyConfigError when a layer is invalid (e.g. a rule or config that
 *   would make a platform-native type anything but `persist`).
 *
 * @example
 * ```ts
 * const policy = compileMaterializationPolicy({
 *   solution: await loadSolutionConfig('config/mvp_materialization_policy.yaml'),
 * });
 * policy.evaluate({ resultType: 'workflow' }).decision; // 'persist'
 * ```
 */
export function compileMaterializationPolicy(options: CompilePolicyOptions = {}): CompiledPolicy {
  return compile(options, false);
}

/**
 * {@link compileMaterializationPolicy} for a policy a store recorded: the
 * rules added since it was stored (an upper bound, a combination now
 * refused) are not applied, so what an earlier version accepted compiles to
 * the same version and its decisions stay explainable.
 *
 * @internal
 */
export function compileRecordedPolicy(options: CompilePolicyOptions): CompiledPolicy {
  return compile(options, true);
}

function compile(options: CompilePolicyOptions, recorded: boolean): CompiledPolicy {
  const governance = recorded
    ? validateRecordedGovernanceRules(options.governance ?? [], 'governance rules')
    : validateGovernanceRules(options.governance ?? [], 'governance rules');
  // Re-validate: a SolutionConfig built by hand (not loaded) must not slip past the platform rule.
  const solution = options.solution === undefined ? undefined : revalidateSolution(options.solution, recorded);
  const attached = (options.attached ?? []).map((a) => ({ scope: a.scope, id: a.id, config: revalidateSolution(a.config, recorded) }));
  const defaultPolicy = checkDefaultPolicy(options.defaultPolicy ?? DEFAULT_POLICY);
  const defaultCacheTtlSeconds = checkDefaultTtl(options.defaultCacheTtlSeconds);
  return new CompiledMaterializationPolicy(governance, solution, attached, defaultPolicy, defaultCacheTtlSeconds);
}

/**
 * General notes: owns the precomputed decisions and per-type plans. It does
 * not load files or validate (compileMaterializationPolicy did), and keeps no
 * per-call state apart from the bounded cache of plans for unnamed types.
 */
class CompiledMaterializationPolicy implements CompiledPolicy {
  readonly version: string;
  readonly solutionName?: string;

  readonly #governance: readonly GovernanceRule[];
  readonly #matchers: readonly Matcher[];
  /** Indexes of the rules naming each result type, and of those naming none (they cover every type): keeps compiling linear. */
  readonly #rulesByType = new Map<string, number[]>();
  readonly #rulesForAnyType: number[] = [];
  readonly #solution: SolutionConfig | undefined;
  /** The config layers in order: attached (tenant, solution), then the runtime's. */
  readonly #configs: readonly ConfigLayer[];
  readonly #defaultTable: ReadonlyMap<string, MaterializationDecision>;
  readonly #cacheTtlSeconds: number;
  readonly #known = new Map<string, TypePlan>();
  readonly #unknown = new Map<string, TypePlan>();
  #description: PolicyDescription | undefined;

  constructor(
    governance: readonly GovernanceRule[],
    solution: SolutionConfig | undefined,
    attached: readonly AttachedConfig[],
    defaultPolicy: Readonly<Record<string, MaterializationDecision>>,
    defaultCacheTtlSeconds: number,
  ) {
    this.#governance = governance;
    this.#matchers = governance.map(compileMatcher);
    governance.forEach((rule, k) => {
      if (!rule.match.resultType) return void this.#rulesForAnyType.push(k);
      for (const type of rule.match.resultType) {
        const list = this.#rulesByType.get(type);
        if (list) list.push(k);
        else this.#rulesByType.set(type, [k]);
      }
    });
    this.#solution = solution;
    const layer = (scope: ConfigScope, config: SolutionConfig, id?: string): ConfigLayer => ({
      scope, config, table: new Map(Object.entries(config.materializationPolicy)), ...(id === undefined ? {} : { id }),
    });
    this.#configs = [
      ...attached.map((a) => layer(a.scope, a.config, a.id)),
      ...(solution ? [layer('runtime', solution)] : []),
    ];
    // The default layer never speaks for platform-native types; dropping them keeps the version honest.
    this.#defaultTable = new Map(Object.entries(defaultPolicy).filter(([type]) => !PLATFORM_NATIVE_TYPES.has(type)));
    this.#cacheTtlSeconds = solution?.cacheTtlSeconds ?? defaultCacheTtlSeconds;
    if (solution?.name !== undefined) this.solutionName = solution.name;
    this.version = contentVersion(policyContent(this.#parts()));

    const known = new Set<string>([
      ...PLATFORM_NATIVE_TYPES,
      ...this.#configs.flatMap((c) => [...c.table.keys()]),
      ...this.#defaultTable.keys(),
      ...governance.flatMap((rule) => rule.match.resultType ?? []),
    ]);
    for (const type of known) this.#known.set(type, this.#plan(type));
  }

  readonly evaluate = (input: PolicyInput): PolicyDecision =>
    (this.#known.get(input.resultType) ?? this.#unknownPlan(input.resultType)).evaluate(input);

  readonly explain = (input: PolicyInput): PolicyExplanation => {
    const type = input.resultType;
    const result = this.evaluate(input);
    const chain: LayerVerdict[] = [
      this.#platformVerdict(type),
      this.#governanceVerdict(input),
      ...this.#configVerdicts(type),
      this.#defaultVerdict(type),
      // When the fallback wins, say exactly what the decision says; otherwise state the rule in general.
      result.layer === PolicyLayer.FALLBACK
        ? verdict(result)
        : verdict(this.#fallbackDecision(type), 'anything no other layer decides is discarded (safest default)'),
    ];
    return Object.freeze({ input, result, chain: Object.freeze(chain) });
  };

  readonly promotion = (input: PolicyInput): { allowed: boolean; reason: string; layer: PolicyLayer } => {
    const current = this.evaluate(input);
    const type = input.resultType;
    if (current.layer === PolicyLayer.GOVERNANCE) {
      return { allowed: false, layer: current.layer, reason: `governance rule '${current.ruleId}' decides ${current.decision} for '${type}'; a request cannot override it` };
    }
    const config = current.layer === PolicyLayer.SOLUTION ? this.#configFor(type) : undefined;
    const rule = config?.table.get(type);
    if (config && rule?.decision === 'cache' && rule.promote === true) {
      return { allowed: true, layer: PolicyLayer.SOLUTION, reason: `${configLabel(config.scope, config.config, config.id)} allows promoting '${type}' from cache to persist on request` };
    }
    return { allowed: false, layer: current.layer, reason: `no layer allows promoting '${type}' (a solution config entry with decision: cache and promote: true does)` };
  };

  readonly describe = (): PolicyDescription => {
    this.#description ??= deepFreeze(describePolicy({
      ...this.#parts(), version: this.version, known: this.#known, other: this.#plan('*'),
      ...(this.solutionName === undefined ? {} : { solutionName: this.solutionName }),
    }));
    return this.#description;
  };

  // ---- compile time ----

  #parts(): PolicyParts {
    return { governance: this.#governance, solution: this.#solution, configs: this.#configs, defaultTable: this.#defaultTable, cacheTtlSeconds: this.#cacheTtlSeconds };
  }

  #plan(type: string): TypePlan {
    const plan = (candidates: { matcher: Matcher; decision: PolicyDecision }[], otherwise: PolicyDecision): TypePlan => ({
      candidates, otherwise,
      evaluate: compilePlan(candidates.map((c) => ({ rule: c.matcher.rule, intent: c.matcher.intent, decision: c.decision })), otherwise),
    });
    if (PLATFORM_NATIVE_TYPES.has(type)) return plan([], this.#decision('persist', PolicyLayer.PLATFORM, platformReason(type)));
    const candidates: { matcher: Matcher; decision: PolicyDecision }[] = [];
    for (const k of this.#rulesCovering(type)) {
      const matcher = this.#matchers[k]!;
      const decision = this.#governanceDecision(matcher.rule, type);
      // A rule with no condition beyond result type always matches: rules after it can never decide.
      if (!matcher.conditional) return plan(candidates, decision);
      candidates.push({ matcher, decision });
    }
    return plan(candidates, this.#belowGovernance(type));
  }

  /** Indexes of the rules covering a type, in rule order: a merge of the two sorted index lists. */
  #rulesCovering(type: string): number[] {
    const named = this.#rulesByType.get(type) ?? [];
    const any = this.#rulesForAnyType;
    const out: number[] = [];
    let i = 0;
    let j = 0;
    while (i < named.length || j < any.length) {
      if (j >= any.length || (i < named.length && named[i]! < any[j]!)) out.push(named[i++]!);
      else out.push(any[j++]!);
    }
    return out;
  }

  #unknownPlan(type: string): TypePlan {
    let plan = this.#unknown.get(type);
    if (plan === undefined) {
      if (this.#unknown.size >= UNKNOWN_TYPE_PLANS) {
        // Map iterates in insertion order: drop the oldest so arbitrary input cannot grow memory.
        this.#unknown.delete(this.#unknown.keys().next().value!);
      }
      plan = this.#plan(type);
      this.#unknown.set(type, plan);
    }
    return plan;
  }

  /** The config, default or fallback decision for a non-platform type. */
  #belowGovernance(type: string): PolicyDecision {
    const config = this.#configFor(type);
    return (config && this.#configDecision(config, type)) ?? this.#defaultDecision(type) ?? this.#fallbackDecision(type);
  }

  /** The first config layer (most specific first) that names the type: per key, the rest fall through. */
  #configFor(type: string): ConfigLayer | undefined {
    for (const c of this.#configs) if (c.table.has(type)) return c;
    return undefined;
  }

  #governanceDecision(rule: GovernanceRule, type: string): PolicyDecision {
    // A rule without a TTL takes the type's own cache_ttl from the first config that sets one.
    const typeTtl = this.#configs.find((c) => c.table.get(type)?.cacheTtlSeconds !== undefined)?.table.get(type)?.cacheTtlSeconds;
    const ttl = rule.decision === 'cache' ? (rule.ttlSeconds ?? typeTtl ?? this.#cacheTtlSeconds) : undefined;
    const decision = this.#decision(rule.decision, PolicyLayer.GOVERNANCE, governanceReason(rule, type, ttl), ttl, rule.id, rule.retentionSeconds, undefined, rule.keepLatest);
    return withTrace(decision, rule.trace);
  }

  /** A config's decision for a type it names; its TTL is the entry's, else that config's cache_ttl. */
  #configDecision(c: ConfigLayer, type: string): PolicyDecision | undefined {
    const rule = c.table.get(type);
    if (!rule) return undefined;
    const ttl = rule.decision === 'cache' ? (rule.cacheTtlSeconds ?? c.config.cacheTtlSeconds) : undefined;
    const reason = solutionReason(configLabel(c.scope, c.config, c.id), type, rule.decision, ttl, rule.retentionSeconds, rule.keepLatest);
    const decision = this.#decision(rule.decision, PolicyLayer.SOLUTION, reason, ttl, undefined, rule.retentionSeconds, configName(c.scope, c.id), rule.keepLatest);
    return withTrace(decision, rule.trace);
  }

  #defaultDecision(type: string): PolicyDecision | undefined {
    const decision = this.#defaultTable.get(type);
    if (decision === undefined) return undefined;
    const ttl = decision === 'cache' ? this.#cacheTtlSeconds : undefined;
    return this.#decision(decision, PolicyLayer.DEFAULT, defaultReason(type, decision, ttl), ttl);
  }

  #fallbackDecision(type: string): PolicyDecision {
    return this.#decision('discard', PolicyLayer.FALLBACK, fallbackReason(type));
  }

  #decision(
    decision: MaterializationDecision,
    layer: PolicyLayer,
    reason: string,
    ttlSeconds?: number,
    ruleId?: string,
    retentionSeconds?: number,
    config?: string,
    keepLatest?: number,
  ): PolicyDecision {
    return Object.freeze({
      decision,
      layer,
      reason,
      policyVersion: this.version,
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      ...(ruleId === undefined ? {} : { ruleId }),
      ...(retentionSeconds === undefined ? {} : { retentionSeconds }),
      ...(config === undefined ? {} : { config }),
      // A recorded policy may keep more than a query's LIMIT holds (refused in new ones): as many is all of them.
      ...(keepLatest === undefined ? {} : { keepLatest: Math.min(keepLatest, MAX_COUNT) }),
    });
  }

  // ---- explain ----

  #platformVerdict(type: string): LayerVerdict {
    return PLATFORM_NATIVE_TYPES.has(type)
      ? verdict(this.#decision('persist', PolicyLayer.PLATFORM, platformReason(type)))
      : noOpinion(PolicyLayer.PLATFORM, `'${type}' is not a platform-native record`);
  }

  #governanceVerdict(input: PolicyInput): LayerVerdict {
    if (this.#matchers.length === 0) return noOpinion(PolicyLayer.GOVERNANCE, 'no governance rules are configured');
    const misses: string[] = [];
    for (const matcher of this.#matchers) {
      const { rule } = matcher;
      if (rule.match.resultType && !rule.match.resultType.includes(input.resultType)) continue;
      const miss = matcher.check(input);
      if (miss === null) return verdict(this.#governanceDecision(rule, input.resultType));
      misses.push(`'${rule.id}' ${miss}`);
    }
    return noOpinion(
      PolicyLayer.GOVERNANCE,
      misses.length === 0
        ? `no governance rule covers '${input.resultType}'`
        : `no governance rule matches: ${misses.join('; ')}`,
    );
  }

  /** One verdict per config layer, most specific first; a type it does not name falls through. */
  #configVerdicts(type: string): LayerVerdict[] {
    if (this.#configs.length === 0) return [noOpinion(PolicyLayer.SOLUTION, 'no solution config is loaded')];
    return this.#configs.map((c) => {
      const decision = PLATFORM_NATIVE_TYPES.has(type) ? undefined : this.#configDecision(c, type);
      if (decision) return verdict(decision);
      return Object.freeze({ ...noOpinion(PolicyLayer.SOLUTION, `${configLabel(c.scope, c.config, c.id)} does not name '${type}'`), config: configName(c.scope, c.id) });
    });
  }

  #defaultVerdict(type: string): LayerVerdict {
    if (PLATFORM_NATIVE_TYPES.has(type)) {
      return noOpinion(
        PolicyLayer.DEFAULT,
        `the platform default covers derived artifacts only; '${type}' is decided by the platform layer`,
      );
    }
    return verdict(this.#defaultDecision(type)) ?? noOpinion(PolicyLayer.DEFAULT, `the platform default does not name '${type}'`);
  }


}

/**
 * The decision with the rule's `trace`, except for a discard: content the
 * policy discards enters no trace, even under a policy recorded before
 * `trace: include` beside `discard` was refused.
 */
function withTrace(decision: PolicyDecision, trace: 'include' | undefined): PolicyDecision {
  return trace === undefined || decision.decision === 'discard' ? decision : Object.freeze({ ...decision, trace });
}
