import type { MaterializationDecision, PolicyDecision, PolicyInput, PolicyLayer } from './decision.ts';
import type { GovernanceRule } from './governance.ts';
import type { ConfigScope } from './policy-reasons.ts';
import type { SolutionConfig, SolutionRule } from './solution-config.ts';

/*
 * The shapes of a compiled materialization policy (compile-policy.ts builds
 * them): its options, decisions explained layer by layer, and its description.
 */

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
  /** `include` when this verdict lets the type's content into traces. */
  readonly trace?: 'include';
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
  /** `include` when this type's content enters traces. */
  readonly trace?: 'include';
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
