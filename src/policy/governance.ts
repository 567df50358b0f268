import { PolicyConfigError } from '../errors/index.ts';
import { dotted, formatIssues, IssueList, isPlainObject } from './config-issues.ts';
import { MATERIALIZATION_DECISIONS, type MaterializationDecision } from './decision.ts';
import { PLATFORM_NATIVE_TYPES } from './default-policy.ts';
import { parseDuration, showValue } from './duration.ts';

/**
 * When a governance rule applies. Every condition given must hold; a rule
 * with no conditions (`match: {}`) applies to every artifact. A condition
 * that needs an input field the artifact lacks (no tenant, no intent type)
 * does not hold.
 */
export interface GovernanceRuleMatch {
  /** Result types the rule covers (`['visual']`). Absent: every type. */
  readonly resultType?: readonly string[];
  /** Tenant ids the rule covers. Absent: every tenant. */
  readonly tenant?: readonly string[];
  /** Intent type glob; `*` matches any run of characters (`'content.*'`). Absent: every intent. */
  readonly intentType?: string;
}

/**
 * A rule of the governance layer (the plan's "Smart City governance rules"),
 * set above clients: it beats the solution config and the default policy,
 * but never the platform layer — platform-native records are always persisted.
 *
 * @example
 * ```ts
 * const rule: GovernanceRule = {
 *   id: 'acme-visuals-cached',
 *   match: { resultType: ['visual'], tenant: ['acme'] },
 *   decision: 'cache',
 *   ttlSeconds: 600,
 *   description: 'visuals for acme are kept for a session only',
 * };
 * ```
 */
export interface GovernanceRule {
  /** Unique among the rules; recorded with every decision the rule makes. */
  readonly id: string;
  readonly match: GovernanceRuleMatch;
  readonly decision: MaterializationDecision;
  /** Seconds a `cache` decision keeps renderings; only allowed with `cache`. @default the per-type or config cache TTL */
  readonly ttlSeconds?: number;
  /** Why the rule exists; quoted in the reasons of its decisions. */
  readonly description?: string;
}

const RULE_KEYS = ['id', 'match', 'decision', 'ttlSeconds', 'description'] as const;
const MATCH_KEYS = ['resultType', 'tenant', 'intentType'] as const;
/** Same spelling as solution config keys, so a rule and a config entry name types alike. */
const RESULT_TYPE = /^[a-z][a-z0-9_]*$/;
/** Ids are quoted in reasons and stored with decisions: keep them to one readable token. */
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/**
 * Validates governance rules and returns them normalized (lists de-duplicated)
 * and deep-frozen, in their original order — order matters: the first
 * matching rule decides.
 *
 * Rejects unknown keys, bad decisions and TTLs, duplicate ids, and any rule
 * whose `match.resultType` names a platform-native type with a decision other
 * than `persist` (such a rule could never take effect and says something the
 * platform does not allow). A rule with no `resultType` condition may decide
 * anything: it still never reaches platform-native records.
 *
 * `null`/`undefined` means no rules.
 *
 * @param source names the rules' origin at the start of each message.
 * @throws PolicyConfigError listing every problem, one per line, as
 *   `SOURCE: rules[2] ('no-pii'): match.tenant: problem`.
 */
export function validateGovernanceRules(rules: unknown, source = 'governance rules'): readonly GovernanceRule[] {
  if (rules === null || rules === undefined) return Object.freeze([]);
  const issues = new IssueList();
  if (!Array.isArray(rules)) {
    issues.add([], '', `expected a list of governance rules, got ${showValue(rules)}`);
    throw new PolicyConfigError(formatIssues(source, issues.items), source);
  }

  const out: GovernanceRule[] = [];
  const firstIndexOfId = new Map<string, number>();
  rules.forEach((raw, index) => {
    const rule = checkRule(raw, index, issues);
    if (!rule) return;
    const seen = firstIndexOfId.get(rule.id);
    if (seen !== undefined) {
      issues.add([index, 'id'], ruleLabel(index, rule.id), `id '${rule.id}' is already used by rules[${seen}]`);
      return;
    }
    firstIndexOfId.set(rule.id, index);
    out.push(rule);
  });

  if (!issues.empty) throw new PolicyConfigError(formatIssues(source, issues.items), source);
  return Object.freeze(out);
}

/**
 * A predicate for an intent type glob: `*` matches any run of characters
 * (dots included), everything else matches itself.
 */
export function intentTypeMatcher(glob: string): (intentType: string) => boolean {
  if (!glob.includes('*')) return (intentType) => intentType === glob;
  const source = glob
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${source}$`, 's');
  return (intentType) => re.test(intentType);
}

function ruleLabel(index: number, id: unknown): string {
  return typeof id === 'string' && id !== '' ? `rules[${index}] ('${id}')` : `rules[${index}]`;
}

function checkRule(raw: unknown, index: number, issues: IssueList): GovernanceRule | undefined {
  if (!isPlainObject(raw)) {
    issues.add([index], `rules[${index}]`, `expected a rule object with id, match and decision, got ${showValue(raw)}`);
    return undefined;
  }
  const label = ruleLabel(index, raw.id);
  const before = issues.items.length;
  const at = (field: readonly (string | number)[], message: string) =>
    issues.add([index, ...field], `${label}: ${dotted(field)}`, message);

  for (const key of Object.keys(raw)) {
    if (!(RULE_KEYS as readonly string[]).includes(key)) {
      issues.add([index, key], label, `unknown key '${key}' (expected one of: ${RULE_KEYS.join(', ')})`);
    }
  }

  if (typeof raw.id !== 'string' || !RULE_ID.test(raw.id)) {
    at(['id'], `expected an id (letters, digits, '_', '.', ':', '-'), got ${showValue(raw.id)}`);
  }

  let decision: MaterializationDecision | undefined;
  if (typeof raw.decision === 'string' && (MATERIALIZATION_DECISIONS as readonly string[]).includes(raw.decision)) {
    decision = raw.decision as MaterializationDecision;
  } else if (typeof raw.decision === 'string') {
    at(['decision'], `unknown decision '${raw.decision}' (expected persist, cache or discard)`);
  } else {
    at(['decision'], `expected persist, cache or discard, got ${showValue(raw.decision)}`);
  }

  let ttlSeconds: number | undefined;
  if (raw.ttlSeconds !== undefined) {
    if (decision !== undefined && decision !== 'cache') {
      at(['ttlSeconds'], `only allowed with decision 'cache' (this rule's decision is '${decision}')`);
    } else {
      try {
        ttlSeconds = parseDuration(raw.ttlSeconds);
      } catch (err) {
        at(['ttlSeconds'], (err as Error).message);
      }
    }
  }

  if (raw.description !== undefined && typeof raw.description !== 'string') {
    at(['description'], `expected a string, got ${showValue(raw.description)}`);
  }

  const match = checkMatch(raw.match, decision, at, (key, msg) => issues.add([index, 'match', key], `${label}: match`, msg));

  if (issues.items.length !== before || !match || decision === undefined) return undefined;
  const rule: GovernanceRule = {
    id: raw.id as string,
    match,
    decision,
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    ...(raw.description === undefined ? {} : { description: raw.description as string }),
  };
  return Object.freeze(rule);
}

function checkMatch(
  raw: unknown,
  decision: MaterializationDecision | undefined,
  at: (field: readonly (string | number)[], message: string) => void,
  unknownKey: (key: string, message: string) => void,
): GovernanceRuleMatch | undefined {
  if (!isPlainObject(raw)) {
    at(['match'], `expected an object of conditions (resultType, tenant, intentType; {} matches everything), got ${showValue(raw)}`);
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(raw)) {
    if (!(MATCH_KEYS as readonly string[]).includes(key)) {
      unknownKey(key, `unknown key '${key}' (expected one of: ${MATCH_KEYS.join(', ')})`);
      ok = false;
    }
  }

  const resultType = checkList(
    raw.resultType,
    ['match', 'resultType'],
    at,
    "a result type (lower-case letters, digits and '_', starting with a letter)",
    (t) => RESULT_TYPE.test(t),
  );
  if (resultType === null) ok = false;
  if (resultType && decision !== undefined && decision !== 'persist') {
    for (const type of resultType) {
      if (PLATFORM_NATIVE_TYPES.has(type)) {
        at(
          ['match', 'resultType'],
          `'${decision}' is not allowed for '${type}': it is a platform-native record and is always persisted`,
        );
        ok = false;
      }
    }
  }

  const tenant = checkList(raw.tenant, ['match', 'tenant'], at, 'a tenant id', (t) => t !== '');
  if (tenant === null) ok = false;

  if (raw.intentType !== undefined && (typeof raw.intentType !== 'string' || raw.intentType === '')) {
    at(['match', 'intentType'], `expected an intent type or glob such as 'content.*', got ${showValue(raw.intentType)}`);
    ok = false;
  }

  if (!ok) return undefined;
  return Object.freeze({
    ...(resultType ? { resultType } : {}),
    ...(tenant ? { tenant } : {}),
    ...(raw.intentType === undefined ? {} : { intentType: raw.intentType as string }),
  });
}

/** A non-empty list of valid strings, de-duplicated; `undefined` when absent, `null` when invalid (reported). */
function checkList(
  value: unknown,
  field: readonly string[],
  at: (field: readonly (string | number)[], message: string) => void,
  what: string,
  valid: (item: string) => boolean,
): readonly string[] | undefined | null {
  if (value === undefined) return undefined;
  // An empty list would match nothing: almost certainly a mistake, so refuse it rather than silently never applying.
  if (!Array.isArray(value) || value.length === 0) {
    at(field, `expected a non-empty list of strings, got ${showValue(value)}`);
    return null;
  }
  let ok = true;
  value.forEach((item, i) => {
    if (typeof item !== 'string' || !valid(item)) {
      at([...field, i], `expected ${what}, got ${showValue(item)}`);
      ok = false;
    }
  });
  return ok ? Object.freeze([...new Set(value as string[])]) : null;
}
