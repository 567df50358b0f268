/** What happens to an artifact's renderings. */
export const MaterializationDecision = {
  /** Stored in the artifact store and indexed, until retention says otherwise. */
  PERSIST: 'persist',
  /** Kept in the cache until its TTL passes, then gone. */
  CACHE: 'cache',
  /** Not stored at all (the semantic payload and the decision record remain). */
  DISCARD: 'discard',
} as const;
export type MaterializationDecision = (typeof MaterializationDecision)[keyof typeof MaterializationDecision];

export const MATERIALIZATION_DECISIONS: readonly MaterializationDecision[] = Object.values(MaterializationDecision);

/**
 * The layer that made a decision. Layers are consulted in this order and the
 * first that decides wins.
 */
export const PolicyLayer = {
  /** Platform-native records are always persisted; no configuration changes that. */
  PLATFORM: 'platform',
  /** Rules set above clients (the plan's "Smart City governance rules"). */
  GOVERNANCE: 'governance',
  /**
   * The config layers' `materialization_policy` maps, most specific first: the
   * tenant's own config, the solution's, the runtime's. Per result type the
   * first that names it decides; the decision's `config` says which.
   */
  SOLUTION: 'solution',
  /** The platform default policy (derived artifacts are ephemeral). */
  DEFAULT: 'default',
  /** Anything no layer names: discarded. */
  FALLBACK: 'fallback',
} as const;
export type PolicyLayer = (typeof PolicyLayer)[keyof typeof PolicyLayer];

export const POLICY_LAYERS: readonly PolicyLayer[] = Object.values(PolicyLayer);

/** The outcome of evaluating the policy for one artifact, and why. */
export interface PolicyDecision {
  readonly decision: MaterializationDecision;
  readonly layer: PolicyLayer;
  /** One sentence a person can read: why this layer decided this. */
  readonly reason: string;
  /** Content hash of the effective policy that decided; recorded with every decision. */
  readonly policyVersion: string;
  /** Seconds a `cache` decision keeps the renderings; absent for other decisions. */
  readonly ttlSeconds?: number;
  /** Id of the governance rule that decided, when one did. */
  readonly ruleId?: string;
  /** Seconds a `persist` decision keeps the renderings (the deciding layer's `retention`); absent: until deleted. */
  readonly retentionSeconds?: number;
  /** For result type `checkpoint` with `persist`: only the latest N checkpoints of each thread are kept (the rule's `keep_latest`); absent: all. */
  readonly keepLatest?: number;
  /** When a config layer decided: which config — `tenant:acme`, `solution:bot` or `runtime`. */
  readonly config?: string;
  /** `include` when the deciding config entry or governance rule lets this content into traces (`trace: include`); absent: no content in traces. */
  readonly trace?: 'include';
}

/** What the policy looks at for one artifact. Only `resultType` is required. */
export interface PolicyInput {
  readonly resultType: string;
  readonly tenantId?: string;
  readonly intentType?: string;
  readonly realm?: string;
  readonly sizeBytes?: number;
  readonly tags?: readonly string[];
}
