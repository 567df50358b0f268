import type { MaterializationDecision } from './decision.ts';
import { PLATFORM_NATIVE_TYPES } from './default-policy.ts';
import type { GovernanceRule } from './governance.ts';
import type { PolicyDescription } from './compiled-policy.ts';
import type { ConfigLayer, TypePlan } from './policy-layers.ts';
import type { ConfigScope } from './policy-reasons.ts';
import type { SolutionConfig } from './solution-config.ts';

/** A compiled policy's layers, as its version hash and its description read them. */
export interface PolicyParts {
  readonly governance: readonly GovernanceRule[];
  readonly solution: SolutionConfig | undefined;
  readonly configs: readonly ConfigLayer[];
  readonly defaultTable: ReadonlyMap<string, MaterializationDecision>;
  readonly cacheTtlSeconds: number;
}

/** The normalized content the version hashes: decisions, TTLs and rules — no paths, names or descriptions. */
export function policyContent(p: PolicyParts): unknown {
  const sorted = (list: readonly string[] | undefined) => (list ? [...list].sort() : undefined);
  return {
    format: 1,
    platform: [...PLATFORM_NATIVE_TYPES].sort(),
    governance: p.governance.map((rule) => ({
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
      keepLatest: rule.keepLatest,
    })),
    solution: Object.fromEntries(
      Object.entries(p.solution?.materializationPolicy ?? {}).filter(([type]) => !PLATFORM_NATIVE_TYPES.has(type)),
    ),
    default: Object.fromEntries(p.defaultTable),
    cacheTtlSeconds: p.cacheTtlSeconds,
    // Only when there are attached configs, so a runtime-only policy keeps the version it always had.
    ...(p.configs.some((c) => c.scope !== 'runtime')
      ? {
          attached: p.configs.filter((c) => c.scope !== 'runtime').map((c) => ({
            scope: c.scope, id: c.id, cacheTtlSeconds: c.config.cacheTtlSeconds,
            policy: Object.fromEntries([...c.table].filter(([type]) => !PLATFORM_NATIVE_TYPES.has(type))),
          })),
        }
      : {}),
  };
}

/** What `policy show` prints: every layer, and each named type's decision with the rules that can change it. */
export function describePolicy(p: PolicyParts & { readonly version: string; readonly solutionName?: string; readonly known: ReadonlyMap<string, TypePlan>; readonly other: TypePlan }): PolicyDescription {
  const summary = (plan: TypePlan) => ({
    decision: plan.otherwise.decision,
    layer: plan.otherwise.layer,
    ...(plan.otherwise.ttlSeconds === undefined ? {} : { ttlSeconds: plan.otherwise.ttlSeconds }),
    ...(plan.otherwise.ruleId === undefined ? {} : { ruleId: plan.otherwise.ruleId }),
    ...(plan.otherwise.config === undefined ? {} : { config: plan.otherwise.config }),
    ...(plan.otherwise.trace === undefined ? {} : { trace: plan.otherwise.trace }),
    conditionalRules: plan.candidates.map((c) => c.matcher.rule.id),
  });
  const types = [...p.known.keys()].sort().map((resultType) => {
    const plan = p.known.get(resultType)!;
    return { resultType, ...summary(plan), reason: plan.otherwise.reason };
  });
  // A type name no layer can use (it fails the result-type pattern) stands for "any other type".
  const other = p.other;
  const solution = p.solution;
  return {
    version: p.version,
    ...(p.solutionName === undefined ? {} : { solutionName: p.solutionName }),
    cacheTtlSeconds: p.cacheTtlSeconds,
    layers: {
      platform: { persists: [...PLATFORM_NATIVE_TYPES].sort() },
      governance: p.governance.map((rule) => ({ ...rule, match: { ...rule.match } })),
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
      ...(p.configs.some((c) => c.scope !== 'runtime')
        ? {
            attached: p.configs.filter((c) => c.scope !== 'runtime').map((c) => ({
              scope: c.scope as Exclude<ConfigScope, 'runtime'>, id: c.id!, source: c.config.source,
              ...(c.config.name === undefined ? {} : { name: c.config.name }),
              cacheTtlSeconds: c.config.cacheTtlSeconds,
              materializationPolicy: Object.fromEntries(Object.entries(c.config.materializationPolicy).map(([type, rule]) => [type, { ...rule }])),
            })),
          }
        : {}),
      default: Object.fromEntries(p.defaultTable),
      fallback: { decision: 'discard' },
    },
    types,
    otherTypes: summary(other),
  };
}
