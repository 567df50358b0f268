import { PolicyConfigError } from '../errors/index.ts';
import { formatIssues, IssueList, isPlainObject, parseYamlConfig, readConfigFile } from './config-issues.ts';
import { showValue } from './duration.ts';
import { checkGovernanceRules, type GovernanceRule } from './governance.ts';

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
}

const TOP_LEVEL_KEYS = ['governance'] as const;

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
  if (raw === null || raw === undefined) return Object.freeze({ source, governance: Object.freeze([]) });
  if (!isPlainObject(raw)) {
    issues.add([], '', `expected a mapping at the top level (with keys ${TOP_LEVEL_KEYS.join(', ')}), got ${showValue(raw)}`);
    return Object.freeze({ source, governance: Object.freeze([]) });
  }
  for (const key of Object.keys(raw)) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
      issues.add([key], '', `unknown key '${key}' (expected one of: ${TOP_LEVEL_KEYS.join(', ')})`);
    }
  }
  const governance = checkGovernanceRules(raw.governance, issues.under(['governance']), 'file', 'governance');
  return Object.freeze({ source, governance });
}
