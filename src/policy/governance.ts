import { PolicyConfigError } from '../errors/index.ts';
import { dotted, formatIssues, IssueList, isPlainObject, unstorableIssues } from './config-issues.ts';
import { MATERIALIZATION_DECISIONS, type MaterializationDecision } from './decision.ts';
import { PLATFORM_NATIVE_TYPES } from './default-policy.ts';
import { parseByteSize } from './byte-size.ts';
import { parseDuration, showValue } from './duration.ts';
import { keepLatestProblem, TRACE_DISCARDED } from './solution-config.ts';

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
  /** Realms the rule covers (the realm that produced the artifact). Absent: every realm. */
  readonly realm?: readonly string[];
  /** Size of the artifact's renderings in bytes: more than `gt`, less than `lt` (either or both). */
  readonly sizeBytes?: SizeRange;
  /** Tags of the artifact (from the realm result or the intent): `any` one of them, and/or `all` of them. */
  readonly tags?: TagCondition;
}

export interface SizeRange {
  readonly gt?: number;
  readonly lt?: number;
}

export interface TagCondition {
  readonly any?: readonly string[];
  readonly all?: readonly string[];
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
  /** Seconds a `persist` decision keeps renderings before the sweeper may delete them; only allowed with `persist`. @default kept until deleted */
  readonly retentionSeconds?: number;
  /** Keeps only the latest N checkpoints of each thread; only allowed with `persist` and `match.resultType: ['checkpoint']`. @default all kept */
  readonly keepLatest?: number;
  /** Why the rule exists; quoted in the reasons of its decisions. */
  readonly description?: string;
  /** `include`: the content of the artifacts this rule decides enters traces. Absent: no content in traces. */
  readonly trace?: 'include';
}

/**
 * Rules are written camelCase in code (`resultType`, `ttlSeconds`) and
 * snake_case in governance files (`result_type`, `ttl`); messages name keys
 * as the author wrote them.
 */
export type RuleSpelling = 'api' | 'file';
const NAMES = {
  api: { resultType: 'resultType', intentType: 'intentType', sizeBytes: 'sizeBytes', ttl: 'ttlSeconds', retention: 'retentionSeconds', keepLatest: 'keepLatest' },
  file: { resultType: 'result_type', intentType: 'intent_type', sizeBytes: 'size_bytes', ttl: 'ttl', retention: 'retention', keepLatest: 'keep_latest' },
} as const;
type Names = (typeof NAMES)[RuleSpelling];
const ruleKeys = (n: Names) => ['id', 'match', 'decision', n.ttl, n.retention, n.keepLatest, 'description', 'trace'];
const matchKeys = (n: Names) => [n.resultType, 'tenant', n.intentType, 'realm', n.sizeBytes, 'tags'];
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
export function validateGovernanceRules(rules: unknown, source = 'governance rules', spelling: RuleSpelling = 'api'): readonly GovernanceRule[] {
  return validateRules(rules, source, spelling, false);
}

/** @internal {@link validateGovernanceRules} for a stored policy's rules: rules added since are not applied (see {@link IssueList}). */
export function validateRecordedGovernanceRules(rules: unknown, source: string): readonly GovernanceRule[] {
  return validateRules(rules, source, 'api', true);
}

function validateRules(rules: unknown, source: string, spelling: RuleSpelling, recorded: boolean): readonly GovernanceRule[] {
  const issues = new IssueList([], [], recorded);
  unstorableIssues(rules, issues, 'rules');
  const out = checkGovernanceRules(rules, issues, spelling, 'rules');
  if (!issues.empty) throw new PolicyConfigError(formatIssues(source, issues.items), source);
  return out;
}

/**
 * Checks a list of rules, adding every problem to `issues` (paths relative to
 * the list, labels `LIST[i] ('id')`), and returns the valid ones frozen.
 * For files, which report each problem with its line.
 *
 * @internal
 */
export function checkGovernanceRules(rules: unknown, issues: IssueList, spelling: RuleSpelling, list: string): readonly GovernanceRule[] {
  if (rules === null || rules === undefined) return Object.freeze([]);
  if (!Array.isArray(rules)) {
    issues.add([], '', `expected a list of governance rules, got ${showValue(rules)}`);
    return Object.freeze([]);
  }
  const names = NAMES[spelling];
  const out: GovernanceRule[] = [];
  const firstIndexOfId = new Map<string, number>();
  rules.forEach((raw, index) => {
    const rule = checkRule(raw, index, issues, names, list);
    if (!rule) return;
    const seen = firstIndexOfId.get(rule.id);
    if (seen !== undefined) {
      issues.add([index, 'id'], ruleLabel(list, index, rule.id), `id '${rule.id}' is already used by ${list}[${seen}]`);
      return;
    }
    firstIndexOfId.set(rule.id, index);
    out.push(rule);
  });
  return Object.freeze(out);
}

/**
 * A predicate for an intent type glob: `*` matches any run of characters
 * (dots included), everything else matches itself.
 */
export function intentTypeMatcher(glob: string): (intentType: string) => boolean {
  if (!glob.includes('*')) return (intentType) => intentType === glob;
  // One star at an end (the usual 'journey.*' or '*.generate'): a string test, no regular expression.
  const star = glob.indexOf('*');
  if (star === glob.lastIndexOf('*')) {
    if (star === glob.length - 1) {
      const prefix = glob.slice(0, -1);
      return (intentType) => intentType.startsWith(prefix);
    }
    if (star === 0) {
      const suffix = glob.slice(1);
      return (intentType) => intentType.endsWith(suffix);
    }
  }
  const source = glob
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('.*');
  const re = new RegExp(`^${source}$`, 's');
  return (intentType) => re.test(intentType);
}

function ruleLabel(list: string, index: number, id: unknown): string {
  return typeof id === 'string' && id !== '' ? `${list}[${index}] ('${id}')` : `${list}[${index}]`;
}

function checkRule(raw: unknown, index: number, issues: IssueList, n: Names, list: string): GovernanceRule | undefined {
  if (!isPlainObject(raw)) {
    issues.add([index], `${list}[${index}]`, `expected a rule object with id, match and decision, got ${showValue(raw)}`);
    return undefined;
  }
  const label = ruleLabel(list, index, raw.id);
  const before = issues.items.length;
  const at = (field: readonly (string | number)[], message: string) =>
    issues.add([index, ...field], `${label}: ${dotted(field)}`, message);

  const keys = ruleKeys(n);
  for (const key of Object.keys(raw)) {
    if (!keys.includes(key)) issues.add([index, key], label, `unknown key '${key}' (expected one of: ${keys.join(', ')})`);
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

  const durationFor = (key: string, only: MaterializationDecision): number | undefined => {
    if (raw[key] === undefined) return undefined;
    if (decision !== undefined && decision !== only) {
      at([key], `only allowed with decision '${only}' (this rule's decision is '${decision}')`);
      return undefined;
    }
    try {
      return parseDuration(raw[key]);
    } catch (err) {
      at([key], (err as Error).message);
      return undefined;
    }
  };
  const ttlSeconds = durationFor(n.ttl, 'cache');
  const retentionSeconds = durationFor(n.retention, 'persist');

  let keepLatest: number | undefined;
  if (raw[n.keepLatest] !== undefined) {
    // "The latest N per thread" only means something for checkpoints: the rule must cover exactly that type.
    const types = isPlainObject(raw.match) ? raw.match[n.resultType] : undefined;
    const only = Array.isArray(types) && types.length === 1 && typeof types[0] === 'string' ? types[0] : undefined;
    const problem = keepLatestProblem(raw[n.keepLatest], only ?? (Array.isArray(types) ? types.join("', '") : undefined), decision, issues.recorded);
    if (problem) at([n.keepLatest], problem);
    else keepLatest = raw[n.keepLatest] as number;
  }

  if (raw.description !== undefined && typeof raw.description !== 'string') {
    at(['description'], `expected a string, got ${showValue(raw.description)}`);
  }

  if (raw.trace !== undefined && raw.trace !== 'include') {
    at(['trace'], `expected 'include' (content of what this rule decides enters traces; leave it out to keep content out), got ${showValue(raw.trace)}`);
  } else if (raw.trace === 'include' && decision === 'discard' && !issues.recorded) {
    at(['trace'], TRACE_DISCARDED);
  }

  const match = checkMatch(raw.match, decision, n, at, (key, msg) => issues.add([index, 'match', key], `${label}: match`, msg));

  if (issues.items.length !== before || !match || decision === undefined) return undefined;
  const rule: GovernanceRule = {
    id: raw.id as string,
    match,
    decision,
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    ...(retentionSeconds === undefined ? {} : { retentionSeconds }),
    ...(keepLatest === undefined ? {} : { keepLatest }),
    ...(raw.description === undefined ? {} : { description: raw.description as string }),
    ...(raw.trace === 'include' ? { trace: 'include' as const } : {}),
  };
  return Object.freeze(rule);
}

function checkMatch(
  raw: unknown,
  decision: MaterializationDecision | undefined,
  n: Names,
  at: (field: readonly (string | number)[], message: string) => void,
  unknownKey: (key: string, message: string) => void,
): GovernanceRuleMatch | undefined {
  const keys = matchKeys(n);
  if (!isPlainObject(raw)) {
    at(['match'], `expected an object of conditions (${keys.join(', ')}; {} matches everything), got ${showValue(raw)}`);
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(raw)) {
    if (!keys.includes(key)) {
      unknownKey(key, `unknown key '${key}' (expected one of: ${keys.join(', ')})`);
      ok = false;
    }
  }

  const resultType = checkList(
    raw[n.resultType],
    ['match', n.resultType],
    at,
    "a result type (lower-case letters, digits and '_', starting with a letter)",
    (t) => RESULT_TYPE.test(t),
  );
  if (resultType === null) ok = false;
  if (resultType && decision !== undefined && decision !== 'persist') {
    for (const type of resultType) {
      if (PLATFORM_NATIVE_TYPES.has(type)) {
        at(
          ['match', n.resultType],
          `'${decision}' is not allowed for '${type}': it is a platform-native record and is always persisted`,
        );
        ok = false;
      }
    }
  }

  const tenant = checkList(raw.tenant, ['match', 'tenant'], at, 'a tenant id', (t) => t !== '');
  if (tenant === null) ok = false;

  const intentType = raw[n.intentType];
  if (intentType !== undefined && (typeof intentType !== 'string' || intentType === '')) {
    at(['match', n.intentType], `expected an intent type or glob such as 'content.*', got ${showValue(intentType)}`);
    ok = false;
  }

  // One realm may be written without a list.
  const realm = checkList(typeof raw.realm === 'string' ? [raw.realm] : raw.realm, ['match', 'realm'], at, 'a realm name', (r) => r !== '');
  if (realm === null) ok = false;

  const sizeBytes = checkSizeRange(raw[n.sizeBytes], ['match', n.sizeBytes], at);
  if (sizeBytes === null) ok = false;

  const tags = checkTags(raw.tags, at);
  if (tags === null) ok = false;

  if (!ok) return undefined;
  return Object.freeze({
    ...(resultType ? { resultType } : {}),
    ...(tenant ? { tenant } : {}),
    ...(intentType === undefined ? {} : { intentType: intentType as string }),
    ...(realm ? { realm } : {}),
    ...(sizeBytes ? { sizeBytes } : {}),
    ...(tags ? { tags } : {}),
  });
}

/** `{ gt, lt }` in bytes (numbers or sizes like '1mb'); `undefined` when absent, `null` when invalid (reported). */
function checkSizeRange(
  value: unknown,
  field: readonly string[],
  at: (field: readonly (string | number)[], message: string) => void,
): SizeRange | undefined | null {
  if (value === undefined) return undefined;
  if (!isPlainObject(value) || (value.gt === undefined && value.lt === undefined) || Object.keys(value).some((k) => k !== 'gt' && k !== 'lt')) {
    at(field, `expected { gt: SIZE, lt: SIZE } (either or both; sizes like 1048576 or '1mb'), got ${showValue(value)}`);
    return null;
  }
  const out: { gt?: number; lt?: number } = {};
  for (const bound of ['gt', 'lt'] as const) {
    if (value[bound] === undefined) continue;
    try {
      out[bound] = parseByteSize(value[bound], { allowZero: true });
    } catch (err) {
      at([...field, bound], (err as Error).message);
      return null;
    }
  }
  if (out.gt !== undefined && out.lt !== undefined && out.gt + 1 >= out.lt) {
    at(field, `gt ${out.gt} and lt ${out.lt} leave no size that matches`);
    return null;
  }
  return Object.freeze(out);
}

/** `{ any: [...], all: [...] }` (either or both); `undefined` when absent, `null` when invalid (reported). */
function checkTags(value: unknown, at: (field: readonly (string | number)[], message: string) => void): TagCondition | undefined | null {
  if (value === undefined) return undefined;
  if (!isPlainObject(value) || (value.any === undefined && value.all === undefined) || Object.keys(value).some((k) => k !== 'any' && k !== 'all')) {
    at(['match', 'tags'], `expected { any: [TAG, …], all: [TAG, …] } (either or both), got ${showValue(value)}`);
    return null;
  }
  const any = checkList(value.any, ['match', 'tags', 'any'], at, 'a tag', (t) => t !== '');
  const all = checkList(value.all, ['match', 'tags', 'all'], at, 'a tag', (t) => t !== '');
  if (any === null || all === null) return null;
  return Object.freeze({ ...(any ? { any } : {}), ...(all ? { all } : {}) });
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
