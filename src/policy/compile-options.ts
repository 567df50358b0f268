import { PolicyConfigError } from '../errors/index.ts';
import { formatIssues, IssueList, isPlainObject } from './config-issues.ts';
import { MATERIALIZATION_DECISIONS, type MaterializationDecision } from './decision.ts';
import { DEFAULT_CACHE_TTL_SECONDS } from './default-policy.ts';
import { parseDuration, showValue } from './duration.ts';
import { parseSolutionConfigObject, type SolutionConfig } from './solution-config.ts';

/*
 * The checks compileMaterializationPolicy runs on its options: a layer built
 * by hand (not loaded from a file) gets the same validation and messages.
 */


/** `recorded`: the config of a stored policy (see {@link parseSolutionConfigObject}). */
export function revalidateSolution(solution: SolutionConfig, recorded = false): SolutionConfig {
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
        isPlainObject(rule) ? { decision: rule.decision, cache_ttl: rule.cacheTtlSeconds, retention: rule.retentionSeconds, promote: rule.promote, keep_latest: rule.keepLatest, trace: rule.trace } : rule,
      ]),
    ),
  };
  return parseSolutionConfigObject(JSON.parse(JSON.stringify(raw)), source, recorded);
}

export function checkDefaultPolicy(
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

export function checkDefaultTtl(value: number | undefined): number {
  if (value === undefined) return DEFAULT_CACHE_TTL_SECONDS;
  try {
    return parseDuration(value);
  } catch (err) {
    throw new PolicyConfigError(`compileMaterializationPolicy: defaultCacheTtlSeconds: ${(err as Error).message}`);
  }
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
