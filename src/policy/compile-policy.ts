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
import { compilePlan } from './compile-plan.ts';
import {
  defaultReason,
  fallbackReason,
  governanceReason,
  platformReason,
  solutionLabel,
  solutionReason,
} from './policy-reasons.ts';
import { contentVersion } from './policy-version.ts';
import { parseSolutionConfig, type SolutionConfig, type SolutionRule } from './solution-config.ts';

/** What {@link compileMaterializationPolicy} combines. Every field is optional. */
export interface CompilePolicyOptions {
  /** The solution layer, e.g. from `loadSolutionConfig('config/mvp_materialization_policy.yaml')`. @default none */
  solution?: SolutionConfig;
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

/** What one layer said about an input in {@link CompiledPolicy.explain}. */
export interface LayerVerdict {
  readonly layer: PolicyLayer;
  /** The layer's decision, or `null` when it has no opinion on this input. */
  readonly decision: MaterializationDecision | null;
  /** One sentence: the reason it decides, or why it has no opinion. */
  readonly said: string;
  /** The governance rule that spoke, when one did. */
  readonly ruleId?: string;
  /** TTL of a `cache` verdict. */
  readonly ttlSeconds?: number;
}

/** Every layer's verdict for one input, in order; the first with a decision won (`result.layer`). */
export interface PolicyExplanation {
  readonly input: PolicyInput;
  /** Exactly what `evaluate(input)` returns. */
  readonly result: PolicyDecision;
  /** All five layers, platform first, fallback last, including those below the winner. */
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

/** A governance rule ready for matching: its condition sets built once. */
interface Matcher {
  readonly rule: GovernanceRule;
  readonly tenants: ReadonlySet<string> | null;
  readonly intent: ((intentType: string) => boolean) | null;
  readonly realms: ReadonlySet<string> | null;
  readonly gt: number | null;
  readonly lt: number | null;
  readonly anyTag: readonly string[] | null;
  readonly allTags: readonly string[] | null;
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
  const defaultPolicy = checkDefaultPolicy(options.defaultPolicy ?? DEFAULT_POLICY);
  const defaultCacheTtlSeconds = checkDefaultTtl(options.defaultCacheTtlSeconds);
  return new CompiledMaterializationPolicy(governance, solution, defaultPolicy, defaultCacheTtlSeconds);
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
  readonly #solution: SolutionConfig | undefined;
  readonly #solutionTable: ReadonlyMap<string, SolutionRule>;
  readonly #defaultTable: ReadonlyMap<string, MaterializationDecision>;
  readonly #cacheTtlSeconds: number;
  readonly #known = new Map<string, TypePlan>();
  readonly #unknown = new Map<string, TypePlan>();
  #description: PolicyDescription | undefined;

  constructor(
    governance: readonly GovernanceRule[],
    solution: SolutionConfig | undefined,
    defaultPolicy: Readonly<Record<string, MaterializationDecision>>,
    defaultCacheTtlSeconds: number,
  ) {
    this.#governance = governance;
    this.#matchers = governance.map(compileMatcher);
    this.#solution = solution;
    this.#solutionTable = new Map(Object.entries(solution?.materializationPolicy ?? {}));
    // The default layer never speaks for platform-native types; dropping them keeps the version honest.
    this.#defaultTable = new Map(Object.entries(defaultPolicy).filter(([type]) => !PLATFORM_NATIVE_TYPES.has(type)));
    this.#cacheTtlSeconds = solution?.cacheTtlSeconds ?? defaultCacheTtlSeconds;
    if (solution?.name !== undefined) this.solutionName = solution.name;
    this.version = contentVersion(this.#content());

    const known = new Set<string>([
      ...PLATFORM_NATIVE_TYPES,
      ...this.#solutionTable.keys(),
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
      this.#solutionVerdict(type),
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
    const rule = this.#solutionTable.get(type);
    if (current.layer === PolicyLayer.SOLUTION && rule?.decision === 'cache' && rule.promote === true && this.#solution) {
      return { allowed: true, layer: PolicyLayer.SOLUTION, reason: `${solutionLabel(this.#solution)} allows promoting '${type}' from cache to persist on request` };
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
        [...this.#solutionTable].filter(([type]) => !PLATFORM_NATIVE_TYPES.has(type)),
      ),
      default: Object.fromEntries(this.#defaultTable),
      cacheTtlSeconds: this.#cacheTtlSeconds,
    };
  }

  #plan(type: string): TypePlan {
    const plan = (candidates: { matcher: Matcher; decision: PolicyDecision }[], otherwise: PolicyDecision): TypePlan => ({
      candidates, otherwise,
      evaluate: compilePlan(candidates.map((c) => ({ rule: c.matcher.rule, intent: c.matcher.intent, decision: c.decision })), otherwise),
    });
    if (PLATFORM_NATIVE_TYPES.has(type)) return plan([], this.#decision('persist', PolicyLayer.PLATFORM, platformReason(type)));
    const candidates: { matcher: Matcher; decision: PolicyDecision }[] = [];
    for (const matcher of this.#matchers) {
      const covers = matcher.rule.match.resultType;
      if (covers && !covers.includes(type)) continue;
      const decision = this.#governanceDecision(matcher.rule, type);
      // A rule with no condition beyond result type always matches: rules after it can never decide.
      if (!matcher.conditional) return plan(candidates, decision);
      candidates.push({ matcher, decision });
    }
    return plan(candidates, this.#belowGovernance(type));
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

  /** The solution, default or fallback decision for a non-platform type. */
  #belowGovernance(type: string): PolicyDecision {
    return this.#solutionDecision(type) ?? this.#defaultDecision(type) ?? this.#fallbackDecision(type);
  }

  #governanceDecision(rule: GovernanceRule, type: string): PolicyDecision {
    const ttl =
      rule.decision === 'cache'
        ? (rule.ttlSeconds ?? this.#solutionTable.get(type)?.cacheTtlSeconds ?? this.#cacheTtlSeconds)
        : undefined;
    return this.#decision(rule.decision, PolicyLayer.GOVERNANCE, governanceReason(rule, type, ttl), ttl, rule.id, rule.retentionSeconds);
  }

  #solutionDecision(type: string): PolicyDecision | undefined {
    const rule = this.#solutionTable.get(type);
    if (!rule || !this.#solution) return undefined;
    const ttl = rule.decision === 'cache' ? (rule.cacheTtlSeconds ?? this.#cacheTtlSeconds) : undefined;
    return this.#decision(rule.decision, PolicyLayer.SOLUTION, solutionReason(this.#solution, type, rule.decision, ttl, rule.retentionSeconds), ttl, undefined, rule.retentionSeconds);
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
  ): PolicyDecision {
    return Object.freeze({
      decision,
      layer,
      reason,
      policyVersion: this.version,
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      ...(ruleId === undefined ? {} : { ruleId }),
      ...(retentionSeconds === undefined ? {} : { retentionSeconds }),
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
      if (matches(matcher, input)) return verdict(this.#governanceDecision(rule, input.resultType));
      misses.push(`'${rule.id}' ${missReason(matcher, input)}`);
    }
    return noOpinion(
      PolicyLayer.GOVERNANCE,
      misses.length === 0
        ? `no governance rule covers '${input.resultType}'`
        : `no governance rule matches: ${misses.join('; ')}`,
    );
  }

  #solutionVerdict(type: string): LayerVerdict {
    const decision = this.#solutionDecision(type);
    if (decision) return verdict(decision);
    return noOpinion(
      PolicyLayer.SOLUTION,
      this.#solution ? `${solutionLabel(this.#solution)} does not name '${type}'` : 'no solution config is loaded',
    );
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
        default: Object.fromEntries(this.#defaultTable),
        fallback: { decision: 'discard' },
      },
      types,
      otherTypes: summary(other),
    };
  }
}

/** Whether a rule's tenant and intent conditions hold; a missing input field fails a condition that needs it. */
function compileMatcher(rule: GovernanceRule): Matcher {
  const m = rule.match;
  const matcher = {
    rule,
    tenants: m.tenant ? new Set(m.tenant) : null,
    intent: m.intentType === undefined ? null : intentTypeMatcher(m.intentType),
    realms: m.realm ? new Set(m.realm) : null,
    gt: m.sizeBytes?.gt ?? null,
    lt: m.sizeBytes?.lt ?? null,
    anyTag: m.tags?.any ?? null,
    allTags: m.tags?.all ?? null,
  };
  const conditional = [matcher.tenants, matcher.intent, matcher.realms, matcher.gt, matcher.lt, matcher.anyTag, matcher.allTags].some((c) => c !== null);
  return { ...matcher, conditional };
}

/** Whether every condition of the rule holds (its result types were checked by the plan). No allocation: this runs per artifact. */
function matches(matcher: Matcher, input: PolicyInput): boolean {
  // Cheapest tests first: numbers, then set lookups, then strings and lists.
  if (matcher.gt !== null && !(input.sizeBytes !== undefined && input.sizeBytes > matcher.gt)) return false;
  if (matcher.lt !== null && !(input.sizeBytes !== undefined && input.sizeBytes < matcher.lt)) return false;
  if (matcher.tenants !== null && (input.tenantId === undefined || !matcher.tenants.has(input.tenantId))) return false;
  if (matcher.realms !== null && (input.realm === undefined || !matcher.realms.has(input.realm))) return false;
  if (matcher.intent !== null && (input.intentType === undefined || !matcher.intent(input.intentType))) return false;
  if (matcher.anyTag !== null || matcher.allTags !== null) {
    const tags = input.tags;
    if (tags === undefined) return false;
    if (matcher.anyTag !== null && !containsAny(tags, matcher.anyTag)) return false;
    if (matcher.allTags !== null && !containsAll(tags, matcher.allTags)) return false;
  }
  return true;
}

// Plain loops: no closure per call on the hot path.
function containsAny(tags: readonly string[], wanted: readonly string[]): boolean {
  for (let i = 0; i < wanted.length; i++) if (tags.indexOf(wanted[i]!) !== -1) return true;
  return false;
}

function containsAll(tags: readonly string[], wanted: readonly string[]): boolean {
  for (let i = 0; i < wanted.length; i++) if (tags.indexOf(wanted[i]!) === -1) return false;
  return true;
}

/** Why a rule did not match, naming the first condition that failed and what the input had. */
function missReason(matcher: Matcher, input: PolicyInput): string {
  const { match } = matcher.rule;
  const got = (v: unknown) => (v === undefined ? 'none' : typeof v === 'string' ? `'${v}'` : JSON.stringify(v));
  if (matcher.tenants !== null && (input.tenantId === undefined || !matcher.tenants.has(input.tenantId))) {
    return `needs tenant ${match.tenant!.join(' or ')} (got ${got(input.tenantId)})`;
  }
  if (matcher.intent !== null && (input.intentType === undefined || !matcher.intent(input.intentType))) {
    return `needs intent type ${match.intentType} (got ${got(input.intentType)})`;
  }
  if (matcher.realms !== null && (input.realm === undefined || !matcher.realms.has(input.realm))) {
    return `needs realm ${match.realm!.join(' or ')} (got ${got(input.realm)})`;
  }
  if (matcher.gt !== null || matcher.lt !== null) {
    const size = input.sizeBytes;
    if (size === undefined || (matcher.gt !== null && !(size > matcher.gt)) || (matcher.lt !== null && !(size < matcher.lt))) {
      const range = [matcher.gt !== null ? `more than ${matcher.gt}` : '', matcher.lt !== null ? `less than ${matcher.lt}` : ''].filter(Boolean).join(' and ');
      return `needs size ${range} bytes (got ${got(size)})`;
    }
  }
  const want = [match.tags?.any ? `any of tags ${match.tags.any.join(', ')}` : '', match.tags?.all ? `all of tags ${match.tags.all.join(', ')}` : ''];
  return `needs ${want.filter(Boolean).join(' and ')} (got ${input.tags?.length ? input.tags.join(', ') : 'no tags'})`;
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
