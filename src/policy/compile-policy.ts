import { PolicyConfigError } from '../errors/index.ts';
import { formatIssues, IssueList, isPlainObject } from './config-issues.ts';
import {
  MATERIALIZATION_DECISIONS,
  PolicyLayer,
  type MaterializationDecision,
  type PolicyDecision,
  type PolicyInput,
} from './decision.ts';
import { DEFAULT_CACHE_TTL_SECONDS, DEFAULT_POLICY, PLATFORM_NATIVE_TYPES } from './default-policy.ts';
import { parseDuration, showValue } from './duration.ts';
import { intentTypeMatcher, validateGovernanceRules, type GovernanceRule } from './governance.ts';
import { compilePlan, compileRuleCheck, isConditional } from './compile-plan.ts';
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
import { parseSolutionConfig, type SolutionConfig, type SolutionRule } from './solution-config.ts';

/** What {@link compileMaterializationPolicy} combines. Every field is optional. */
export interface CompilePolicyOptions {
  /** The runtime's own config (the lowest config layer), e.g. from `loadSolutionConfig('config/mvp_materialization_policy.yaml')`. @default none */
  solution?: SolutionConfig;
  /**
   * Config layers above the runtime's, most specific first: the tenant's own
   * config, then the solution's (the platform policy's `tenants:` and
   * `solutions:`). Per result type the first config that names it decides;
   * a type it does not name falls through to the next config. @default []
   */
  attached?: readonly AttachedConfig[];
  /** The governance layer's rules, tried in order. Validated again here. @default [] */
  governance?: readonly GovernanceRule[];
  /** The default layer. Entries for platform-native types are ignored (the platform layer decides those). @default DEFAULT_POLICY */
  defaultPolicy?: Readonly<Record<string, MaterializationDecision>>;
  /**
   * TTL of `cache` decisions when neither the rule nor the solution config
   * sets one. A solution config always carries its own `cacheTtlSeconds`
   * (defaulting to {@link DEFAULT_CACHE_TTL_SECONDS} at load), so this only
   * applies when no solution is given.
   * @default DEFAULT_CACHE_TTL_SECONDS
   */
  defaultCacheTtlSeconds?: number;
}

/** A tenant's or solution's config, attached by the platform policy. */
export interface AttachedConfig {
  readonly scope: Exclude<ConfigScope, 'runtime'>;
  /** The tenant id or solution id. */
  readonly id: string;
  readonly config: SolutionConfig;
}

/** One config layer as compiled: where it came from and its per-type table. */
interface ConfigLayer {
  readonly scope: ConfigScope;
  readonly id?: string;
  readonly config: SolutionConfig;
  readonly table: ReadonlyMap<string, SolutionRule>;
}

/** What one layer said about an input in {@link CompiledPolicy.explain}. */
export interface LayerVerdict {
  readonly layer: PolicyLayer;
  /** The layer's decision, or `null` when it has no opinion on this input. */
  readonly decision: MaterializationDecision | null;
  /** One sentence: the reason it decides, or why it has no opinion. */
  readonly said: string;
  /** The governance rule that spoke, when one did. */
  readonly ruleId?: string;
  /** For a config layer: which config (`tenant:acme`, `solution:bot`, `runtime`). */
  readonly config?: string;
  /** TTL of a `cache` verdict. */
  readonly ttlSeconds?: number;
}

/** Every layer's verdict for one input, in order; the first with a decision won (`result.layer`). */
export interface PolicyExplanation {
  readonly input: PolicyInput;
  /** Exactly what `evaluate(input)` returns. */
  readonly result: PolicyDecision;
  /** Every layer, platform first, fallback last (one entry per config layer), including those below the winner. */
  readonly chain: readonly LayerVerdict[];
}

/** One row of the effective per-type table in {@link PolicyDescription}. */
export interface PolicyTypeSummary {
  readonly resultType: string;
  /** What happens to an artifact of this type with no tenant or intent type given. */
  readonly decision: MaterializationDecision;
  readonly layer: PolicyLayer;
  readonly reason: string;
  readonly ttlSeconds?: number;
  readonly ruleId?: string;
  readonly config?: string;
  /** Ids of governance rules with tenant or intent conditions that may decide otherwise for some artifacts. */
  readonly conditionalRules: readonly string[];
}

/** A JSON-able summary of a compiled policy, for `symphainy policy show`. */
export interface PolicyDescription {
  readonly version: string;
  readonly solutionName?: string;
  /** TTL of `cache` decisions that name none. */
  readonly cacheTtlSeconds: number;
  readonly layers: {
    readonly platform: { readonly persists: readonly string[] };
    readonly governance: readonly GovernanceRule[];
    readonly solution: {
      readonly source: string;
      readonly name?: string;
      readonly cacheTtlSeconds: number;
      readonly materializationPolicy: Readonly<Record<string, SolutionRule>>;
    } | null;
    /** Tenant and solution configs above the runtime's, most specific first (absent: none). */
    readonly attached?: readonly {
      readonly scope: Exclude<ConfigScope, 'runtime'>;
      readonly id: string;
      readonly source: string;
      readonly name?: string;
      readonly cacheTtlSeconds: number;
      readonly materializationPolicy: Readonly<Record<string, SolutionRule>>;
    }[];
    /** The default layer's table, without platform-native types (which it never decides). */
    readonly default: Readonly<Record<string, MaterializationDecision>>;
    readonly fallback: { readonly decision: 'discard' };
  };
  /** The effective decision for every type some layer names, sorted by type. */
  readonly types: readonly PolicyTypeSummary[];
  /** What happens to a type no layer names. */
  readonly otherTypes: Omit<PolicyTypeSummary, 'resultType' | 'reason'>;
}

/**
 * A materialization policy compiled into lookup tables. Immutable; safe to
 * share. `evaluate` and `explain` may be passed around detached.
 */
export interface CompiledPolicy {
  /** `sha256:` + 16 hex digits of the effective content; independent of file paths and key order. */
  readonly version: string;
  readonly solutionName?: string;
  /**
   * The decision for one artifact. The hot path: a Map lookup, plus one check
   * per governance rule with tenant/intent conditions that covers the type.
   * Returns shared frozen objects — the same object for the same outcome.
   */
  evaluate(input: PolicyInput): PolicyDecision;
  /** Every layer's verdict in order and the result; for `symphainy policy explain`. Not for the hot path. */
  explain(input: PolicyInput): PolicyExplanation;
  /**
   * Whether a cached artifact may be promoted to persisted on request: only
   * when the solution layer decides its type and allows `promote`, never
   * against a governance rule or the platform.
   */
  promotion(input: PolicyInput): { readonly allowed: boolean; readonly reason: string; readonly layer: PolicyLayer };
  /** The effective per-type table and the layers it came from. */
  describe(): PolicyDescription;
}

/** How many unnamed result types keep a precomputed plan; beyond this the oldest is dropped. */
const UNKNOWN_TYPE_PLANS = 1024;

/** A governance rule ready for matching: its intent test and explain check built once from the rule table. */
interface Matcher {
  readonly rule: GovernanceRule;
  readonly intent: ((intentType: string) => boolean) | null;
  /** Null when the rule matches the input, else why not (compile-plan.ts). */
  readonly check: (input: PolicyInput) => string | null;
  /** False when the rule has no condition beyond result type: it always matches its types. */
  readonly conditional: boolean;
}

/** Everything `evaluate` needs for one result type. */
interface TypePlan {
  /** Governance rules with tenant/intent conditions covering the type, in order, each with its decision. */
  readonly candidates: readonly { readonly matcher: Matcher; readonly decision: PolicyDecision }[];
  /** The decision when no candidate matches: an unconditional rule's, or a lower layer's. */
  readonly otherwise: PolicyDecision;
  /** The candidates and `otherwise` compiled into one function (compile-plan.ts). */
  readonly evaluate: (input: PolicyInput) => PolicyDecision;
}

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
  const governance = validateGovernanceRules(options.governance ?? [], 'governance rules');
  // Re-validate: a SolutionConfig built by hand (not loaded) must not slip past the platform rule.
  const solution = options.solution === undefined ? undefined : revalidateSolution(options.solution);
  const attached = (options.attached ?? []).map((a) => ({ scope: a.scope, id: a.id, config: revalidateSolution(a.config) }));
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
    this.version = contentVersion(this.#content());

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
    this.#description ??= deepFreeze(this.#buildDescription());
    return this.#description;
  };

  // ---- compile time ----

  /** The normalized content the version hashes: decisions, TTLs and rules — no paths, names or descriptions. */
  #content(): unknown {
    const sorted = (list: readonly string[] | undefined) => (list ? [...list].sort() : undefined);
    return {
      format: 1,
      platform: [...PLATFORM_NATIVE_TYPES].sort(),
      governance: this.#governance.map((rule) => ({
        id: rule.id,
        match: {
          resultType: sorted(rule.match.resultType),
          tenant: sorted(rule.match.tenant),
          intentType: rule.match.intentType,
          realm: sorted(rule.match.realm),
          sizeBytes: rule.match.sizeBytes,
          tags: rule.match.tags && { any: sorted(rule.match.tags.any), all: sorted(rule.match.tags.all) },
        },
        decision: rule.decision,
        ttlSeconds: rule.ttlSeconds,
        retentionSeconds: rule.retentionSeconds,
      })),
      solution: Object.fromEntries(
        Object.entries(this.#solution?.materializationPolicy ?? {}).filter(([type]) => !PLATFORM_NATIVE_TYPES.has(type)),
      ),
      default: Object.fromEntries(this.#defaultTable),
      cacheTtlSeconds: this.#cacheTtlSeconds,
      // Only when there are attached configs, so a runtime-only policy keeps the version it always had.
      ...(this.#configs.some((c) => c.scope !== 'runtime')
        ? {
            attached: this.#configs.filter((c) => c.scope !== 'runtime').map((c) => ({
              scope: c.scope, id: c.id, cacheTtlSeconds: c.config.cacheTtlSeconds,
              policy: Object.fromEntries([...c.table].filter(([type]) => !PLATFORM_NATIVE_TYPES.has(type))),
            })),
          }
        : {}),
    };
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
    return this.#decision(rule.decision, PolicyLayer.GOVERNANCE, governanceReason(rule, type, ttl), ttl, rule.id, rule.retentionSeconds);
  }

  /** A config's decision for a type it names; its TTL is the entry's, else that config's cache_ttl. */
  #configDecision(c: ConfigLayer, type: string): PolicyDecision | undefined {
    const rule = c.table.get(type);
    if (!rule) return undefined;
    const ttl = rule.decision === 'cache' ? (rule.cacheTtlSeconds ?? c.config.cacheTtlSeconds) : undefined;
    const reason = solutionReason(configLabel(c.scope, c.config, c.id), type, rule.decision, ttl, rule.retentionSeconds);
    return this.#decision(rule.decision, PolicyLayer.SOLUTION, reason, ttl, undefined, rule.retentionSeconds, configName(c.scope, c.id));
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

  // ---- describe ----

  #buildDescription(): PolicyDescription {
    const summary = (plan: TypePlan) => ({
      decision: plan.otherwise.decision,
      layer: plan.otherwise.layer,
      ...(plan.otherwise.ttlSeconds === undefined ? {} : { ttlSeconds: plan.otherwise.ttlSeconds }),
      ...(plan.otherwise.ruleId === undefined ? {} : { ruleId: plan.otherwise.ruleId }),
      ...(plan.otherwise.config === undefined ? {} : { config: plan.otherwise.config }),
      conditionalRules: plan.candidates.map((c) => c.matcher.rule.id),
    });
    const types = [...this.#known.keys()].sort().map((resultType) => {
      const plan = this.#known.get(resultType)!;
      return { resultType, ...summary(plan), reason: plan.otherwise.reason };
    });
    // A type name no layer can use (it fails the result-type pattern) stands for "any other type".
    const other = this.#plan('*');
    const solution = this.#solution;
    return {
      version: this.version,
      ...(this.solutionName === undefined ? {} : { solutionName: this.solutionName }),
      cacheTtlSeconds: this.#cacheTtlSeconds,
      layers: {
        platform: { persists: [...PLATFORM_NATIVE_TYPES].sort() },
        governance: this.#governance.map((rule) => ({ ...rule, match: { ...rule.match } })),
        solution: solution
          ? {
              source: solution.source,
              ...(solution.name === undefined ? {} : { name: solution.name }),
              cacheTtlSeconds: solution.cacheTtlSeconds,
              materializationPolicy: Object.fromEntries(
                Object.entries(solution.materializationPolicy).map(([type, rule]) => [type, { ...rule }]),
              ),
            }
          : null,
        ...(this.#configs.some((c) => c.scope !== 'runtime')
          ? {
              attached: this.#configs.filter((c) => c.scope !== 'runtime').map((c) => ({
                scope: c.scope as Exclude<ConfigScope, 'runtime'>, id: c.id!, source: c.config.source,
                ...(c.config.name === undefined ? {} : { name: c.config.name }),
                cacheTtlSeconds: c.config.cacheTtlSeconds,
                materializationPolicy: Object.fromEntries(Object.entries(c.config.materializationPolicy).map(([type, rule]) => [type, { ...rule }])),
              })),
            }
          : {}),
        default: Object.fromEntries(this.#defaultTable),
        fallback: { decision: 'discard' },
      },
      types,
      otherTypes: summary(other),
    };
  }
}

/** A rule's intent test and explain check, both from the rule table (compile-plan.ts). */
function compileMatcher(rule: GovernanceRule): Matcher {
  return {
    rule,
    intent: rule.match.intentType === undefined ? null : intentTypeMatcher(rule.match.intentType),
    check: compileRuleCheck(rule),
    conditional: isConditional(rule),
  };
}

function verdict(decision: PolicyDecision, said?: string): LayerVerdict;
function verdict(decision: PolicyDecision | undefined, said?: string): LayerVerdict | undefined;
function verdict(decision: PolicyDecision | undefined, said?: string): LayerVerdict | undefined {
  if (!decision) return undefined;
  return Object.freeze({
    layer: decision.layer,
    decision: decision.decision,
    said: said ?? decision.reason,
    ...(decision.ruleId === undefined ? {} : { ruleId: decision.ruleId }),
    ...(decision.config === undefined ? {} : { config: decision.config }),
    ...(decision.ttlSeconds === undefined ? {} : { ttlSeconds: decision.ttlSeconds }),
  });
}

function noOpinion(layer: PolicyLayer, said: string): LayerVerdict {
  return Object.freeze({ layer, decision: null, said });
}

// ---- option checks ----

function revalidateSolution(solution: SolutionConfig): SolutionConfig {
  const source = typeof solution?.source === 'string' ? solution.source : 'inline';
  if (!isPlainObject(solution) || !isPlainObject(solution.materializationPolicy)) {
    throw new PolicyConfigError(`${source}: expected a SolutionConfig (see parseSolutionConfig), got ${showValue(solution)}`, source);
  }
  // Back to the file's shape, so the one validator (and its messages) covers hand-built configs too.
  const raw = {
    name: solution.name,
    cache_ttl: solution.cacheTtlSeconds,
    materialization_policy: Object.fromEntries(
      Object.entries(solution.materializationPolicy).map(([type, rule]) => [
        type,
        isPlainObject(rule) ? { decision: rule.decision, cache_ttl: rule.cacheTtlSeconds, retention: rule.retentionSeconds, promote: rule.promote } : rule,
      ]),
    ),
  };
  return parseSolutionConfig(JSON.parse(JSON.stringify(raw)), source);
}

function checkDefaultPolicy(
  policy: Readonly<Record<string, MaterializationDecision>>,
): Readonly<Record<string, MaterializationDecision>> {
  const source = 'compileMaterializationPolicy';
  const issues = new IssueList();
  if (!isPlainObject(policy)) {
    issues.add([], 'defaultPolicy', `expected a mapping of result type to decision, got ${showValue(policy)}`);
  } else {
    for (const [type, decision] of Object.entries(policy)) {
      if (!(MATERIALIZATION_DECISIONS as readonly unknown[]).includes(decision)) {
        issues.add([], `defaultPolicy.${type}`, `unknown decision ${showValue(decision)} (expected persist, cache or discard)`);
      }
    }
  }
  if (!issues.empty) throw new PolicyConfigError(formatIssues(source, issues.items), undefined);
  return policy;
}

function checkDefaultTtl(value: number | undefined): number {
  if (value === undefined) return DEFAULT_CACHE_TTL_SECONDS;
  try {
    return parseDuration(value);
  } catch (err) {
    throw new PolicyConfigError(`compileMaterializationPolicy: defaultCacheTtlSeconds: ${(err as Error).message}`);
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
