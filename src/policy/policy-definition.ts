import { PolicyConfigError } from '../errors/index.ts';
import { compileRecordedPolicy, type AttachedConfig, type CompiledPolicy, type PolicyDescription } from './compile-policy.ts';
import type { MaterializationDecision } from './decision.ts';
import type { GovernanceRule } from './governance.ts';

/**
 * Everything a compiled policy was built from, as plain JSON: enough to
 * compile the same policy (same version, same reasons) again later — e.g. to
 * explain a decision recorded under a policy that is no longer active.
 */
export interface PolicyDefinition {
  readonly version: string;
  readonly governance: readonly GovernanceRule[];
  readonly solution: PolicyDescription['layers']['solution'];
  /** Tenant and solution configs above the runtime's (absent in definitions without any). */
  readonly attached?: PolicyDescription['layers']['attached'];
  readonly defaultPolicy: Readonly<Record<string, MaterializationDecision>>;
  readonly cacheTtlSeconds: number;
}

export function definitionOf(policy: CompiledPolicy): PolicyDefinition {
  const d = policy.describe();
  return {
    version: d.version,
    governance: d.layers.governance,
    solution: d.layers.solution,
    ...(d.layers.attached ? { attached: d.layers.attached } : {}),
    defaultPolicy: d.layers.default,
    cacheTtlSeconds: d.cacheTtlSeconds,
  };
}

/** Compiles a stored definition; refuses one that no longer yields its recorded version. */
export function compileDefinition(def: PolicyDefinition): CompiledPolicy {
  const attached: AttachedConfig[] = (def.attached ?? []).map((a) => ({
    scope: a.scope, id: a.id,
    config: { source: a.source, ...(a.name === undefined ? {} : { name: a.name }), cacheTtlSeconds: a.cacheTtlSeconds, materializationPolicy: a.materializationPolicy },
  }));
  const policy = compileRecordedPolicy({
    governance: def.governance,
    ...(def.solution ? { solution: { ...def.solution } } : { defaultCacheTtlSeconds: def.cacheTtlSeconds }),
    ...(attached.length > 0 ? { attached } : {}),
    defaultPolicy: def.defaultPolicy,
  });
  if (policy.version !== def.version) {
    throw new PolicyConfigError(`stored policy ${def.version} compiles to ${policy.version}: it was recorded by an incompatible runtime version`);
  }
  return policy;
}
