/**
 * The sentences that explain decisions. Kept in one place so the wording of
 * `PolicyDecision.reason`, `explain()` and `policy show` stays consistent.
 *
 * @internal not re-exported from the policy module.
 */
import type { MaterializationDecision } from './decision.ts';
import { formatDuration } from './duration.ts';
import type { GovernanceRule } from './governance.ts';
import type { SolutionConfig } from './solution-config.ts';

/** `cache (ttl 10m)` for cache decisions, the bare word otherwise. */
export function decisionText(decision: MaterializationDecision, ttlSeconds: number | undefined): string {
  return decision === 'cache' && ttlSeconds !== undefined ? `cache (ttl ${formatDuration(ttlSeconds)})` : decision;
}

export function platformReason(resultType: string): string {
  return `'${resultType}' is a platform-native record; the platform always persists it`;
}

export function governanceReason(rule: GovernanceRule, resultType: string, ttlSeconds: number | undefined): string {
  const retention = rule.retentionSeconds === undefined ? '' : ` (retention ${formatDuration(rule.retentionSeconds)})`;
  const base = `governance rule '${rule.id}' decides ${decisionText(rule.decision, ttlSeconds)}${retention}${keepLatestText(rule.keepLatest)} for '${resultType}'`;
  return rule.description ? `${base} (${rule.description})` : base;
}

/** Which config layer: a tenant's own, a solution's (both attached by the platform policy), or the runtime's. */
export type ConfigScope = 'tenant' | 'solution' | 'runtime';

/** `solution config 'mvp' (config/mvp.yaml)`, or without the name when the config has none. */
export function solutionLabel(solution: SolutionConfig): string {
  return solution.name === undefined
    ? `solution config (${solution.source})`
    : `solution config '${solution.name}' (${solution.source})`;
}

/**
 * How reasons name a config layer: the runtime's config as before
 * (`solution config 'mvp' (FILE)`), an attached one by whose it is
 * (`tenant 'acme' config (FILE)`, `solution 'bot' config (FILE)`).
 */
export function configLabel(scope: ConfigScope, config: SolutionConfig, id: string | undefined): string {
  return scope === 'runtime' ? solutionLabel(config) : `${scope} '${id}' config (${config.source})`;
}

/** The `config` field of a decision: `tenant:acme`, `solution:bot` or `runtime`. */
export function configName(scope: ConfigScope, id: string | undefined): string {
  return scope === 'runtime' ? 'runtime' : `${scope}:${id}`;
}

export function solutionReason(
  label: string,
  resultType: string,
  decision: MaterializationDecision,
  ttlSeconds: number | undefined,
  retentionSeconds?: number,
  keepLatest?: number,
): string {
  const retention = retentionSeconds === undefined ? '' : ` (retention ${formatDuration(retentionSeconds)})`;
  return `${label} sets ${resultType}: ${decisionText(decision, ttlSeconds)}${retention}${keepLatestText(keepLatest)}`;
}

/** ` (keep latest 5 per thread)`, or nothing. */
function keepLatestText(keepLatest: number | undefined): string {
  return keepLatest === undefined ? '' : ` (keep latest ${keepLatest} per thread)`;
}

export function defaultReason(
  resultType: string,
  decision: MaterializationDecision,
  ttlSeconds: number | undefined,
): string {
  switch (decision) {
    case 'discard':
      return `platform default: derived artifact '${resultType}' is ephemeral (discard)`;
    case 'persist':
      return `platform default: derived artifact '${resultType}' is persisted (persist)`;
    case 'cache':
      return `platform default: derived artifact '${resultType}' is cached for ${formatDuration(ttlSeconds ?? 0)} (cache)`;
  }
}

export function fallbackReason(resultType: string): string {
  return `no policy layer names result type '${resultType}'; discarded (safest default)`;
}
