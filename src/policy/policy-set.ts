import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors/index.ts';
import { compileMaterializationPolicy, type CompiledPolicy } from './compile-policy.ts';
import type { GovernanceRule } from './governance.ts';
import { loadPlatformPolicy, withinBounds, type PlatformPolicy } from './platform-policy.ts';
import { loadSolutionConfig, type SolutionConfig } from './solution-config.ts';

/**
 * The policies a runtime decides under: its own (solution config plus the
 * platform's governance rules) and those of tenants and solutions the
 * platform policy attaches configs to — every solution config checked
 * against the platform's bounds.
 */
export interface PolicySet {
  /** The runtime's own policy. */
  readonly policy: CompiledPolicy;
  /** False when neither a solution config nor governance rules were given (a stored active policy may stand in). */
  readonly configured: boolean;
  /** Most specific first: the tenant's own config, then the solution's, then `policy`. */
  for(tenantId: string | undefined, solutionId?: string | null): CompiledPolicy;
  /** The tenants' and solutions' policies. */
  readonly attached: readonly CompiledPolicy[];
  /** The same set with another policy as the runtime's own. */
  withPolicy(policy: CompiledPolicy): PolicySet;
}

export interface PolicySources {
  readonly solution?: SolutionConfig | string | undefined;
  readonly platform?: PlatformPolicy | string | undefined;
  /** Rules given in code; not together with a platform policy. */
  readonly governance?: readonly GovernanceRule[] | undefined;
}

export async function loadPolicySet(sources: PolicySources): Promise<PolicySet> {
  const solution = typeof sources.solution === 'string' ? await loadSolutionConfig(sources.solution) : sources.solution;
  const platform = typeof sources.platform === 'string' ? await loadPlatformPolicy(sources.platform) : sources.platform;
  if (platform && sources.governance) {
    throw new ConfigError(`give governance rules either in the platform policy (${platform.source}) or as the governance option, not both`);
  }
  const governance = platform?.governance ?? sources.governance;
  const within = (s: SolutionConfig) => (platform ? withinBounds(s, platform) : s);
  const compile = (s: SolutionConfig | undefined) =>
    compileMaterializationPolicy({ ...(s ? { solution: within(s) } : {}), ...(governance ? { governance } : {}) });
  const tenants = new Map<string, CompiledPolicy>();
  const solutions = new Map<string, CompiledPolicy>();
  if (platform) {
    // Attached files are named relative to the platform file.
    const attached = async (file: string) =>
      compile(await loadSolutionConfig(platform.source === 'inline' ? file : resolve(dirname(platform.source), file)));
    for (const [tenantId, file] of Object.entries(platform.tenants)) tenants.set(tenantId, await attached(file));
    for (const [solutionId, file] of Object.entries(platform.solutions)) solutions.set(solutionId, await attached(file));
  }
  const make = (policy: CompiledPolicy): PolicySet => ({
    policy,
    configured: solution !== undefined || governance !== undefined,
    attached: [...tenants.values(), ...solutions.values()],
    for: (tenantId, solutionId) =>
      (tenantId ? tenants.get(tenantId) : undefined) ?? (solutionId ? solutions.get(solutionId) : undefined) ?? policy,
    withPolicy: make,
  });
  return make(compile(solution));
}
