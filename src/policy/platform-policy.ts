import { PolicyConfigError } from '../errors/index.ts';
import { formatIssues, IssueList, isPlainObject, parseYamlConfig, readConfigFile, unstorableIssues } from './config-issues.ts';
import { formatDuration, parseDuration, showValue } from './duration.ts';
import { PLATFORM_NATIVE_TYPES } from './default-policy.ts';
import type { SolutionConfig } from './solution-config.ts';
import { SAFE_ID, TENANT_ID } from '../intent/intent.ts';
import { checkGovernanceRules, type GovernanceRule } from './governance.ts';
import { checkBudgetRules, type BudgetRule } from './budgets.ts';

/**
 * The platform's policy file: what the platform team sets above every
 * solution. Its `governance:` section is the ordered list of governance rules
 * (first match wins), written in snake_case:
 *
 * ```yaml
 * governance:
 *   - id: no-large-visuals
 *     match: { result_type: [visual], size_bytes: { gt: 5mb } }
 *     decision: discard
 *     description: visuals over 5 MiB are regenerated on demand
 *   - id: pii-short-lived
 *     match: { tags: { any: [pii] } }
 *     decision: cache
 *     ttl: 15m
 *   - id: acme-workflows-kept-a-year
 *     match: { tenant: [acme], result_type: [workflow], intent_type: 'journey.*' }
 *     decision: persist
 *     retention: 365d
 * ```
 */
export interface PlatformPolicy {
  /** The file it was read from, or `'inline'`. */
  readonly source: string;
  readonly governance: readonly GovernanceRule[];
  /** Limits every solution config (the runtime's own and each tenant's) must stay within. */
  readonly bounds: PolicyBounds;
  /** Tenant id → the solution config file (as written: relative to the platform file) its intents are decided under. */
  readonly tenants: Readonly<Record<string, string>>;
  /** Solution id → the solution config file for intents naming that solution (a tenant's own config wins). */
  readonly solutions: Readonly<Record<string, string>>;
  /** Model budgets (`budgets:`, see {@link BudgetRule}): every matching rule applies. */
  readonly budgets: readonly BudgetRule[];
  /**
   * Declared data subjects (`subjects: [customer_id]`): top-level intent
   * parameter names whose values each get their own encryption key, so
   * erasing one subject destroys its key. Empty when none.
   */
  readonly subjects: readonly string[];
}

export interface PolicyBounds {
  /** No cache TTL (a config's `cache_ttl` or a type's) may be longer. */
  readonly maxCacheTtlSeconds?: number;
  /** No type's `retention` may be longer, and a type set to `persist` must have one. */
  readonly maxRetentionSeconds?: number;
  /** Result types a solution config may not set to `persist`. */
  readonly noPersist?: readonly string[];
}

const TOP_LEVEL_KEYS = ['governance', 'bounds', 'tenants', 'solutions', 'budgets', 'subjects'] as const;
/** A subject is a top-level intent parameter name (same rule as an erasure's subject key). */
const SUBJECT_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const BOUND_KEYS = ['max_cache_ttl', 'max_retention', 'no_persist'] as const;

/** Validates a platform policy given as a plain object in the file's shape. */
export function parsePlatformPolicy(raw: unknown, source = 'inline'): PlatformPolicy {
  const issues = new IssueList();
  const policy = checkPlatformPolicy(raw, source, issues);
  if (!issues.empty) throw new PolicyConfigError(formatIssues(source, issues.items), source);
  return policy;
}

/** Parses a platform policy file's text; problems come back as `FILE:LINE: key: problem`. */
export function parsePlatformPolicyYaml(text: string, file: string): PlatformPolicy {
  const { raw, lineOf } = parseYamlConfig(text, file, (message, cause) => new PolicyConfigError(message, file, { cause }));
  const issues = new IssueList();
  const policy = checkPlatformPolicy(raw, file, issues);
  if (!issues.empty) throw new PolicyConfigError(formatIssues(file, issues.items, lineOf), file);
  return policy;
}

/** Reads and validates a platform policy file. */
export async function loadPlatformPolicy(file: string): Promise<PlatformPolicy> {
  const text = await readConfigFile(file, 'platform policy', (message, cause) => new PolicyConfigError(message, file, { cause }));
  return parsePlatformPolicyYaml(text, file);
}

function checkPlatformPolicy(raw: unknown, source: string, issues: IssueList): PlatformPolicy {
  unstorableIssues(raw, issues);
  const empty = Object.freeze({ source, governance: Object.freeze([]), bounds: Object.freeze({}), tenants: Object.freeze({}), solutions: Object.freeze({}), budgets: Object.freeze([]), subjects: Object.freeze([]) });
  if (raw === null || raw === undefined) return empty;
  if (!isPlainObject(raw)) {
    issues.add([], '', `expected a mapping at the top level (with keys ${TOP_LEVEL_KEYS.join(', ')}), got ${showValue(raw)}`);
    return empty;
  }
  for (const key of Object.keys(raw)) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
      issues.add([key], '', `unknown key '${key}' (expected one of: ${TOP_LEVEL_KEYS.join(', ')})`);
    }
  }
  const governance = checkGovernanceRules(raw.governance, issues.under(['governance']), 'file', 'governance');
  return Object.freeze({
    source, governance, bounds: checkBounds(raw.bounds, issues),
    tenants: checkAttachments(raw.tenants, 'tenants', TENANT_ID, issues), solutions: checkAttachments(raw.solutions, 'solutions', SAFE_ID, issues),
    budgets: checkBudgetRules(raw.budgets, issues), subjects: checkSubjects(raw.subjects, issues),
  });
}

/** `subjects:` — a list of distinct parameter names. */
function checkSubjects(raw: unknown, issues: IssueList): readonly string[] {
  if (raw === undefined || raw === null) return Object.freeze([]);
  if (!Array.isArray(raw)) {
    issues.add(['subjects'], 'subjects', `expected a list of intent parameter names (e.g. [customer_id]), got ${showValue(raw)}`);
    return Object.freeze([]);
  }
  const out: string[] = [];
  raw.forEach((name, i) => {
    if (typeof name !== 'string' || !SUBJECT_NAME.test(name)) {
      issues.add(['subjects', i], `subjects[${i}]`, `expected a parameter name (letters, digits, _ . -; at most 128), got ${showValue(name)}`);
    } else if (out.includes(name)) issues.add(['subjects', i], `subjects[${i}]`, `'${name}' is listed twice`);
    else out.push(name);
  });
  return Object.freeze(out);
}

function checkBounds(raw: unknown, issues: IssueList): PolicyBounds {
  if (raw === undefined || raw === null) return Object.freeze({});
  if (!isPlainObject(raw)) {
    issues.add(['bounds'], 'bounds', `expected a mapping with ${BOUND_KEYS.join(', ')}, got ${showValue(raw)}`);
    return Object.freeze({});
  }
  for (const key of Object.keys(raw)) {
    if (!(BOUND_KEYS as readonly string[]).includes(key)) issues.add(['bounds', key], 'bounds', `unknown key '${key}' (expected one of: ${BOUND_KEYS.join(', ')})`);
  }
  const duration = (key: string) => {
    if (raw[key] === undefined) return undefined;
    try {
      return parseDuration(raw[key]);
    } catch (err) {
      issues.add(['bounds', key], `bounds.${key}`, (err as Error).message);
      return undefined;
    }
  };
  const maxCacheTtlSeconds = duration('max_cache_ttl');
  const maxRetentionSeconds = duration('max_retention');
  let noPersist: string[] | undefined;
  if (raw.no_persist !== undefined) {
    if (!Array.isArray(raw.no_persist) || raw.no_persist.some((t) => typeof t !== 'string' || !/^[a-z][a-z0-9_]*$/.test(t))) {
      issues.add(['bounds', 'no_persist'], 'bounds.no_persist', `expected a list of result types, got ${showValue(raw.no_persist)}`);
    } else {
      noPersist = raw.no_persist as string[];
      for (const t of noPersist) {
        if (PLATFORM_NATIVE_TYPES.has(t)) issues.add(['bounds', 'no_persist'], 'bounds.no_persist', `'${t}' is a platform-native record: it is always persisted`);
      }
    }
  }
  return Object.freeze({
    ...(maxCacheTtlSeconds !== undefined ? { maxCacheTtlSeconds } : {}),
    ...(maxRetentionSeconds !== undefined ? { maxRetentionSeconds } : {}),
    ...(noPersist ? { noPersist: Object.freeze([...noPersist]) } : {}),
  });
}

/** `tenants:` or `solutions:` — an id → solution config file mapping. */
function checkAttachments(raw: unknown, key: 'tenants' | 'solutions', idPattern: RegExp, issues: IssueList): Readonly<Record<string, string>> {
  const what = key === 'tenants' ? 'tenant id' : 'solution id';
  if (raw === undefined || raw === null) return Object.freeze({});
  if (!isPlainObject(raw)) {
    issues.add([key], key, `expected a mapping of ${what} to solution config file, got ${showValue(raw)}`);
    return Object.freeze({});
  }
  const out: Record<string, string> = {};
  for (const [id, file] of Object.entries(raw)) {
    if (!idPattern.test(id)) issues.add([key, id], key, `'${id}' is not a valid ${what}`);
    else if (typeof file !== 'string' || file.trim() === '') issues.add([key, id], `${key}.${id}`, `expected a solution config file, got ${showValue(file)}`);
    else out[id] = file;
  }
  return Object.freeze(out);
}

/** Returns the solution config, or throws PolicyConfigError listing every bound it crosses. */
export function withinBounds(solution: SolutionConfig, platform: PlatformPolicy): SolutionConfig {
  const violations = boundViolations(solution, platform.bounds, platform.source);
  if (violations.length > 0) throw new PolicyConfigError(violations.map((v) => `${solution.source}: ${v}`).join('\n'), solution.source);
  return solution;
}

/**
 * The ways a solution config crosses the platform's bounds, one message
 * each naming the key, the value and the bound; empty when it stays within.
 */
export function boundViolations(solution: SolutionConfig, bounds: PolicyBounds, boundsSource: string): string[] {
  const out: string[] = [];
  const at = `the platform bound`;
  const max = bounds.maxCacheTtlSeconds;
  if (max !== undefined && solution.cacheTtlSeconds > max) {
    out.push(`cache_ttl: ${formatDuration(solution.cacheTtlSeconds)} is longer than ${at} max_cache_ttl (${formatDuration(max)}, ${boundsSource})`);
  }
  for (const [type, rule] of Object.entries(solution.materializationPolicy)) {
    const key = `materialization_policy.${type}`;
    if (rule.decision === 'persist' && bounds.noPersist?.includes(type)) {
      out.push(`${key}: 'persist' is not allowed by ${at} no_persist (${boundsSource})`);
    }
    if (max !== undefined && rule.cacheTtlSeconds !== undefined && rule.cacheTtlSeconds > max) {
      out.push(`${key}.cache_ttl: ${formatDuration(rule.cacheTtlSeconds)} is longer than ${at} max_cache_ttl (${formatDuration(max)}, ${boundsSource})`);
    }
    const maxRetention = bounds.maxRetentionSeconds;
    if (maxRetention !== undefined && rule.decision === 'persist' && !PLATFORM_NATIVE_TYPES.has(type)) {
      if (rule.retentionSeconds === undefined) out.push(`${key}: 'persist' needs a retention within ${at} max_retention (${formatDuration(maxRetention)}, ${boundsSource})`);
      else if (rule.retentionSeconds > maxRetention) {
        out.push(`${key}.retention: ${formatDuration(rule.retentionSeconds)} is longer than ${at} max_retention (${formatDuration(maxRetention)}, ${boundsSource})`);
      }
    }
  }
  return out;
}
