import { dirname, resolve as resolvePath } from 'node:path';
import { ConfigError, PolicyConfigError } from '../errors/index.ts';
import { compileMaterializationPolicy, type AttachedConfig, type CompiledPolicy, type PolicyExplanation } from './compile-policy.ts';
import type { PolicyDecision, PolicyInput, PolicyLayer } from './decision.ts';
import type { GovernanceRule } from './governance.ts';
import { compileDefinition, definitionOf, type PolicyDefinition } from './policy-definition.ts';
import { loadPlatformPolicy, withinBounds, type PlatformPolicy } from './platform-policy.ts';
import { contentVersion } from './policy-version.ts';
import { loadSolutionConfig, type SolutionConfig } from './solution-config.ts';

/** What the resolver looks at: one artifact's policy inputs plus the solution its intent names. */
export interface ResolverInput extends PolicyInput {
  /** The intent's `solutionId`: picks the solution's config when the platform policy attaches one. */
  readonly solutionId?: string | null;
}

/**
 * The one place that answers "for this tenant, solution and result type
 * (and intent type, realm, size, tags), which layers decide and in which
 * order". Execution (direct and queued), `policy explain`, `policy diff`,
 * `policy apply --retroactive`, `artifacts keep` and the decision record all
 * ask it.
 *
 * Precedence, per result type, first that decides wins:
 * platform > governance (first matching rule) > the tenant's config > the
 * solution's config > the runtime's config > default > fallback (`discard`).
 * The three config layers merge per key: a config decides only the types it
 * names; every other type falls through to the next. The decision's `layer`
 * is `solution` for every config layer and its `config` says which one
 * (`tenant:acme`, `solution:bot`, `runtime`). Every config stays within the
 * platform policy's bounds (checked at load).
 */
export interface PolicyResolver {
  /**
   * Version of the whole set (runtime config, governance and attached
   * configs): the runtime policy's own version when nothing is attached.
   */
  readonly version: string;
  /** False when neither a solution config nor governance rules were given (the active policy may stand in). */
  readonly configured: boolean;
  /** The runtime's own policy: governance over the runtime config, for a tenant and solution with no config of their own. */
  readonly runtime: CompiledPolicy;
  /** Tenant ids with a config of their own. */
  readonly tenants: readonly string[];
  /** Solution ids with a config of their own. */
  readonly solutions: readonly string[];
  /** The attached configs by tenant id and by solution id. */
  readonly attached: { readonly tenants: ReadonlyMap<string, SolutionConfig>; readonly solutions: ReadonlyMap<string, SolutionConfig> };
  /** The compiled policy a tenant's intent (naming `solutionId`, if any) is decided under. Cached per combination. */
  resolve(tenantId: string | undefined, solutionId?: string | null): CompiledPolicy;
  /** `resolve(input.tenantId, input.solutionId).evaluate(input)`. */
  evaluate(input: ResolverInput): PolicyDecision;
  /** `resolve(...).explain(input)`: exactly what `evaluate` decides, with every layer's verdict. */
  explain(input: ResolverInput): PolicyExplanation;
  /** `resolve(...).promotion(input)`: whether `artifacts keep` may persist a cached artifact. */
  promotion(input: ResolverInput): { readonly allowed: boolean; readonly reason: string; readonly layer: PolicyLayer };
  /** Every policy the resolver can answer with: the runtime's, each tenant's, each solution's and each pair's. */
  policies(): CompiledPolicy[];
  /** The set as JSON, to store under {@link version}; {@link resolverFromDefinition} rebuilds it. */
  definition(): PolicySetDefinition | PolicyDefinition;
}

/** A stored policy set with attached configs (a plain {@link PolicyDefinition} has none). */
export interface PolicySetDefinition {
  readonly kind: 'policy-set';
  readonly version: string;
  /** The runtime's own policy. */
  readonly runtime: PolicyDefinition;
  readonly tenants: Readonly<Record<string, SolutionConfig>>;
  readonly solutions: Readonly<Record<string, SolutionConfig>>;
}

export interface PolicySources {
  readonly solution?: SolutionConfig | string | undefined;
  readonly platform?: PlatformPolicy | string | undefined;
  /** Rules given in code; not together with a platform policy. */
  readonly governance?: readonly GovernanceRule[] | undefined;
}

interface Parts {
  readonly governance: readonly GovernanceRule[] | undefined;
  readonly runtimeConfig: SolutionConfig | undefined;
  readonly tenants: ReadonlyMap<string, SolutionConfig>;
  readonly solutions: ReadonlyMap<string, SolutionConfig>;
  readonly configured: boolean;
  /** The runtime policy when already compiled (a stored one, with its own default table). */
  readonly runtime?: CompiledPolicy;
}

/**
 * Loads and checks a policy set: the runtime config, the platform policy's
 * governance rules and bounds, and the configs it attaches to tenants and
 * solutions (named relative to the platform file). Every config is checked
 * against the bounds.
 *
 * @throws PolicyConfigError for an invalid file or a config outside the bounds;
 *   ConfigError when governance rules come both from a platform policy and in code.
 */
export async function loadPolicyResolver(sources: PolicySources): Promise<PolicyResolver> {
  const solution = typeof sources.solution === 'string' ? await loadSolutionConfig(sources.solution) : sources.solution;
  const platform = typeof sources.platform === 'string' ? await loadPlatformPolicy(sources.platform) : sources.platform;
  if (platform && sources.governance) {
    throw new ConfigError(`give governance rules either in the platform policy (${platform.source}) or as the governance option, not both`);
  }
  const within = (s: SolutionConfig) => (platform ? withinBounds(s, platform) : s);
  const tenants = new Map<string, SolutionConfig>();
  const solutions = new Map<string, SolutionConfig>();
  if (platform) {
    const attached = async (file: string) =>
      within(await loadSolutionConfig(platform.source === 'inline' ? file : resolvePath(dirname(platform.source), file)));
    for (const [tenantId, file] of Object.entries(platform.tenants)) tenants.set(tenantId, await attached(file));
    for (const [solutionId, file] of Object.entries(platform.solutions)) solutions.set(solutionId, await attached(file));
  }
  const governance = platform?.governance ?? sources.governance;
  return makeResolver({
    governance, runtimeConfig: solution ? within(solution) : undefined, tenants, solutions,
    configured: solution !== undefined || governance !== undefined,
  });
}

/** A resolver with nothing attached: `policy` decides for every tenant and solution. */
export function resolverOf(policy: CompiledPolicy, configured = true): PolicyResolver {
  return makeResolver({ governance: undefined, runtimeConfig: undefined, tenants: new Map(), solutions: new Map(), configured, runtime: policy });
}

/**
 * A candidate that attaches no configs of its own keeps those of the set in
 * force: a new runtime config or new governance rules must not silently drop
 * a tenant's own config (and with it, in `apply --retroactive`, its data).
 */
export function keepAttached(candidate: PolicyResolver, inForce: PolicyResolver): PolicyResolver {
  if (candidate.tenants.length + candidate.solutions.length > 0) return candidate;
  if (inForce.tenants.length + inForce.solutions.length === 0) return candidate;
  return makeResolver({
    governance: undefined, runtimeConfig: undefined, runtime: candidate.runtime, configured: candidate.configured,
    tenants: inForce.attached.tenants, solutions: inForce.attached.solutions,
  });
}

/** Rebuilds a stored set (or a single stored policy); refuses one that no longer yields its version. */
export function resolverFromDefinition(def: PolicySetDefinition | PolicyDefinition): PolicyResolver {
  if (!('kind' in def)) return resolverOf(compileDefinition(def));
  const runtime = compileDefinition(def.runtime);
  const resolver = makeResolver({
    governance: def.runtime.governance, runtimeConfig: undefined, runtime, configured: true,
    tenants: new Map(Object.entries(def.tenants)), solutions: new Map(Object.entries(def.solutions)),
  });
  if (resolver.version !== def.version) {
    throw new PolicyConfigError(`stored policy set ${def.version} compiles to ${resolver.version}: it was recorded by an incompatible runtime version`);
  }
  return resolver;
}

function makeResolver(parts: Parts): PolicyResolver {
  const runtimeDef = parts.runtime ? definitionOf(parts.runtime) : undefined;
  // Attached configs compile with the runtime policy's own layers under them (its default table and TTL too).
  const compile = (attached: AttachedConfig[]): CompiledPolicy =>
    runtimeDef
      ? compileMaterializationPolicy({
          governance: runtimeDef.governance,
          ...(runtimeDef.solution ? { solution: { ...runtimeDef.solution } } : { defaultCacheTtlSeconds: runtimeDef.cacheTtlSeconds }),
          defaultPolicy: runtimeDef.defaultPolicy,
          ...(attached.length > 0 ? { attached } : {}),
        })
      : compileMaterializationPolicy({
          ...(parts.runtimeConfig ? { solution: parts.runtimeConfig } : {}),
          ...(parts.governance ? { governance: parts.governance } : {}),
          ...(attached.length > 0 ? { attached } : {}),
        });
  const runtime = parts.runtime ?? compile([]);
  const cache = new Map<string, CompiledPolicy>([['\u0000', runtime]]);
  const resolve = (tenantId: string | undefined, solutionId?: string | null): CompiledPolicy => {
    const t = tenantId !== undefined && parts.tenants.has(tenantId) ? tenantId : undefined;
    const s = solutionId != null && parts.solutions.has(solutionId) ? solutionId : undefined;
    if (t === undefined && s === undefined) return runtime;
    const key = `${t ?? ''}\u0000${s ?? ''}`;
    let policy = cache.get(key);
    if (policy === undefined) {
      policy = compile([
        ...(t === undefined ? [] : [{ scope: 'tenant' as const, id: t, config: parts.tenants.get(t)! }]),
        ...(s === undefined ? [] : [{ scope: 'solution' as const, id: s, config: parts.solutions.get(s)! }]),
      ]);
      cache.set(key, policy);
    }
    return policy;
  };
  const tenants = [...parts.tenants.keys()].sort();
  const solutions = [...parts.solutions.keys()].sort();
  const attached = tenants.length + solutions.length > 0;
  const version = attached
    ? contentVersion({
        format: 1,
        runtime: runtime.version,
        tenants: Object.fromEntries(tenants.map((t) => [t, resolve(t).version])),
        solutions: Object.fromEntries(solutions.map((s) => [s, resolve(undefined, s).version])),
      })
    : runtime.version;
  return {
    version,
    configured: parts.configured,
    runtime,
    tenants,
    solutions,
    attached: { tenants: parts.tenants, solutions: parts.solutions },
    resolve,
    evaluate: (input) => resolve(input.tenantId, input.solutionId).evaluate(input),
    explain: ({ solutionId, ...input }) => resolve(input.tenantId, solutionId).explain(input),
    promotion: (input) => resolve(input.tenantId, input.solutionId).promotion(input),
    policies: () => [
      runtime,
      ...tenants.map((t) => resolve(t)),
      ...solutions.map((s) => resolve(undefined, s)),
      ...tenants.flatMap((t) => solutions.map((s) => resolve(t, s))),
    ],
    definition: () =>
      attached
        ? {
            kind: 'policy-set', version, runtime: definitionOf(runtime),
            tenants: Object.fromEntries(tenants.map((t) => [t, parts.tenants.get(t)!])),
            solutions: Object.fromEntries(solutions.map((s) => [s, parts.solutions.get(s)!])),
          }
        : definitionOf(runtime),
  };
}
