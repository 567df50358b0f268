/**
 * The materialization policy: decides, per artifact, whether its renderings
 * are persisted, cached or discarded, and says which layer decided and why.
 *
 * @module
 * @example
 * ```ts
 * import { compileMaterializationPolicy, loadSolutionConfig } from './policy/index.ts';
 *
 * const policy = compileMaterializationPolicy({
 *   solution: await loadSolutionConfig('config/mvp_materialization_policy.yaml'),
 * });
 * policy.evaluate({ resultType: 'workflow' });
 * // { decision: 'persist', layer: 'solution', reason: "solution config (config/…) sets workflow: persist", policyVersion: 'sha256:…' }
 * ```
 */
export {
  MATERIALIZATION_DECISIONS,
  MaterializationDecision,
  POLICY_LAYERS,
  PolicyLayer,
} from './decision.ts';
export type { PolicyDecision, PolicyInput } from './decision.ts';
export {
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_POLICY,
  MVP_POLICY_OVERRIDE,
  PLATFORM_NATIVE_TYPES,
} from './default-policy.ts';
export { formatDuration, parseDuration } from './duration.ts';
export { loadSolutionConfig, parseSolutionConfig, parseSolutionConfigYaml } from './solution-config.ts';
export type { SolutionConfig, SolutionRule } from './solution-config.ts';
export { intentTypeMatcher, validateGovernanceRules } from './governance.ts';
export type { GovernanceRule, GovernanceRuleMatch, SizeRange, TagCondition } from './governance.ts';
export { loadPlatformPolicy, parsePlatformPolicy, parsePlatformPolicyYaml } from './platform-policy.ts';
export type { PlatformPolicy } from './platform-policy.ts';
export { compileMaterializationPolicy } from './compile-policy.ts';
export type {
  CompiledPolicy,
  CompilePolicyOptions,
  LayerVerdict,
  PolicyDescription,
  PolicyExplanation,
  PolicyTypeSummary,
} from './compile-policy.ts';
export { formatExplanation } from './format-explanation.ts';
export { keepAttached, loadPolicyResolver, resolverOf } from './policy-resolver.ts';
export type { PolicyResolver, PolicySources, ResolverInput } from './policy-resolver.ts';
export type { AttachedConfig } from './compile-policy.ts';
