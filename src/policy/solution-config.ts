import { PolicyConfigError } from '../errors/index.ts';
import { formatIssues, IssueList, isPlainObject, MAX_COUNT, parseYamlConfig, readConfigFile, unstorableIssues } from './config-issues.ts';
import { MATERIALIZATION_DECISIONS, type MaterializationDecision } from './decision.ts';
import { DEFAULT_CACHE_TTL_SECONDS, PLATFORM_NATIVE_TYPES } from './default-policy.ts';
import { parseDuration, showValue } from './duration.ts';

/** What the solution config says about one result type. */
export interface SolutionRule {
  readonly decision: MaterializationDecision;
  /** Seconds a `cache` decision keeps renderings; only set (and only allowed) for `cache`. */
  readonly cacheTtlSeconds?: number;
  /** Seconds a `persist` decision keeps renderings before the sweeper deletes them; only for `persist`. */
  readonly retentionSeconds?: number;
  /** A cached artifact of this type may be promoted to persisted on request (`artifacts keep`); only for `cache`. */
  readonly promote?: boolean;
  /** Only the latest N checkpoints of each thread are kept (older ones are pruned); only for result type `checkpoint` with `persist`. */
  readonly keepLatest?: number;
  /**
   * `include`: this type's content (semantic payload and text renderings)
   * enters the execution's trace spans. Absent: traces carry no content of
   * it (the default for every type).
   */
  readonly trace?: TraceContent;
}

/** What the policy lets a trace carry of a result type's content. */
export type TraceContent = 'include';

/**
 * A validated, deep-frozen solution configuration: the plan's
 * `materialization_policy` map plus a name and a default cache TTL.
 *
 * Produced by {@link loadSolutionConfig}, {@link parseSolutionConfigYaml} or
 * {@link parseSolutionConfig}; consumed by `compileMaterializationPolicy()`.
 */
export interface SolutionConfig {
  /** The file it was read from, or `'inline'` for objects; named in reasons and errors. */
  readonly source: string;
  /** The config's `name`, shown in reasons (`solution config 'mvp' …`). */
  readonly name?: string;
  /** Result type → what to do with its renderings. Platform-native types can only be `persist`. */
  readonly materializationPolicy: Readonly<Record<string, SolutionRule>>;
  /**
   * TTL of `cache` decisions that set none of their own.
   * @default DEFAULT_CACHE_TTL_SECONDS (one hour)
   */
  readonly cacheTtlSeconds: number;
}

/** Top-level keys of a solution config file, in the order they are documented. */
const TOP_LEVEL_KEYS = ['name', 'cache_ttl', 'materialization_policy'] as const;
/** Keys of the object form of one entry (`visual: { decision: cache, cache_ttl: 10m }`). */
const RULE_KEYS = ['decision', 'cache_ttl', 'retention', 'promote', 'keep_latest', 'trace'] as const;
/** Result type names: the plan's snake_case (`state_transition`, `governance_decision`). */
const RESULT_TYPE = /^[a-z][a-z0-9_]*$/;
const DECISION_WORDS = 'persist, cache or discard';

const EMPTY_POLICY: Readonly<Record<string, SolutionRule>> = Object.freeze({});

/**
 * Validates a solution config given as a plain object in the YAML file's
 * shape (snake_case keys) and returns it deep-frozen.
 *
 * `null`/`undefined` is an empty config (no overrides), like an empty file.
 *
 * @throws PolicyConfigError listing every problem, one per line, each as
 *   `SOURCE: key: problem` (no line numbers: objects have none).
 *
 * @example
 * ```ts
 * parseSolutionConfig({ name: 'mvp', materialization_policy: { workflow: 'persist' } });
 * ```
 */
export function parseSolutionConfig(raw: unknown, source = 'inline'): SolutionConfig {
  return parseSolutionConfigObject(raw, source, false);
}

/**
 * {@link parseSolutionConfig} for a config a stored policy recorded: rules
 * added since it was stored are not applied (see {@link IssueList}).
 *
 * @internal
 */
export function parseSolutionConfigObject(raw: unknown, source: string, recorded: boolean): SolutionConfig {
  const issues = new IssueList([], [], recorded);
  const config = checkSolutionConfig(raw, source, issues);
  if (!config) throw new PolicyConfigError(formatIssues(source, issues.items), source);
  return config;
}

/**
 * Parses and validates a solution config file's text. Problems are reported
 * with the line of the offending key: `FILE:LINE: key: problem`.
 *
 * An empty document (or one with only comments) is an empty config.
 *
 * @param file named in errors and in the config's `source`; not read.
 * @throws PolicyConfigError listing every problem (YAML syntax errors as `FILE:LINE:COL: invalid YAML: …`).
 */
export function parseSolutionConfigYaml(text: string, file: string): SolutionConfig {
  const { raw, lineOf } = parseYamlConfig(text, file, (message, cause) => new PolicyConfigError(message, file, { cause }));
  const issues = new IssueList();
  const config = checkSolutionConfig(raw, file, issues);
  if (!config) throw new PolicyConfigError(formatIssues(file, issues.items, lineOf), file);
  return config;
}

/**
 * Reads and validates a solution config YAML file (e.g.
 * `config/mvp_materialization_policy.yaml`).
 *
 * @throws PolicyConfigError naming the file when it is missing or unreadable, or invalid.
 */
export async function loadSolutionConfig(file: string): Promise<SolutionConfig> {
  const text = await readConfigFile(file, 'solution config', (message, cause) => new PolicyConfigError(message, file, { cause }));
  return parseSolutionConfigYaml(text, file);
}

/** Checks `raw`, adding problems to `issues`; returns the frozen config only when there were none. */
function checkSolutionConfig(raw: unknown, source: string, issues: IssueList): SolutionConfig | undefined {
  unstorableIssues(raw, issues);
  if (raw === null || raw === undefined) {
    return Object.freeze({ source, materializationPolicy: EMPTY_POLICY, cacheTtlSeconds: DEFAULT_CACHE_TTL_SECONDS });
  }
  if (!isPlainObject(raw)) {
    issues.add(
      [],
      '',
      `expected a mapping at the top level (with keys ${TOP_LEVEL_KEYS.join(', ')}), got ${showValue(raw)}`,
    );
    return undefined;
  }

  for (const key of Object.keys(raw)) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
      issues.add([key], '', `unknown key '${key}' (expected one of: ${TOP_LEVEL_KEYS.join(', ')})`);
    }
  }

  let name: string | undefined;
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || raw.name.trim() === '') {
      issues.add(['name'], 'name', `expected a non-empty string, got ${showValue(raw.name)}`);
    } else {
      name = raw.name;
    }
  }

  let cacheTtlSeconds = DEFAULT_CACHE_TTL_SECONDS;
  if (raw.cache_ttl !== undefined) {
    const ttl = checkDuration(raw.cache_ttl, ['cache_ttl'], issues);
    if (ttl !== undefined) cacheTtlSeconds = ttl;
  }

  const policy = checkPolicyMap(raw.materialization_policy, issues);

  if (!issues.empty) return undefined;
  return Object.freeze({
    source,
    ...(name === undefined ? {} : { name }),
    materializationPolicy: policy,
    cacheTtlSeconds,
  });
}

/** Checks the `materialization_policy` map; returns it frozen (meaningful only when no issue was added). */
function checkPolicyMap(value: unknown, issues: IssueList): Readonly<Record<string, SolutionRule>> {
  // A key with every entry commented out (`materialization_policy:` then nothing) reads as null: no overrides.
  if (value === undefined || value === null) return EMPTY_POLICY;
  const key = 'materialization_policy';
  if (!isPlainObject(value)) {
    issues.add([key], key, `expected a mapping of result type to decision (${DECISION_WORDS}), got ${showValue(value)}`);
    return EMPTY_POLICY;
  }

  const policy: Record<string, SolutionRule> = {};
  for (const [resultType, entry] of Object.entries(value)) {
    const path = [key, resultType];
    if (!RESULT_TYPE.test(resultType)) {
      issues.add(
        path,
        key,
        `invalid result type '${resultType}' (expected lower-case letters, digits and '_', starting with a letter)`,
      );
      continue;
    }
    const rule = checkRule(entry, path, issues);
    if (rule) policy[resultType] = rule;
  }
  return Object.freeze(policy);
}

/** Checks one entry: a decision word, or `{ decision, cache_ttl? }`. */
function checkRule(entry: unknown, path: readonly string[], issues: IssueList): SolutionRule | undefined {
  const label = path.join('.');
  const resultType = path[path.length - 1] ?? '';

  let decision: MaterializationDecision | undefined;
  let cacheTtlSeconds: number | undefined;
  let retentionSeconds: number | undefined;
  let promote: boolean | undefined;
  let keepLatest: number | undefined;
  let trace: TraceContent | undefined;

  if (typeof entry === 'string') {
    decision = checkDecision(entry, path, label, issues);
  } else if (isPlainObject(entry)) {
    let ok = true;
    for (const k of Object.keys(entry)) {
      if (!(RULE_KEYS as readonly string[]).includes(k)) {
        issues.add([...path, k], label, `unknown key '${k}' (expected one of: ${RULE_KEYS.join(', ')})`);
        ok = false;
      }
    }
    if (entry.decision === undefined) {
      issues.add(path, label, `missing key 'decision' (expected ${DECISION_WORDS})`);
      ok = false;
    } else {
      decision = checkDecision(entry.decision, [...path, 'decision'], `${label}.decision`, issues);
    }
    if (entry.cache_ttl !== undefined) {
      if (decision !== undefined && decision !== 'cache') {
        issues.add(
          [...path, 'cache_ttl'],
          `${label}.cache_ttl`,
          `only allowed with decision 'cache' (this entry's decision is '${decision}')`,
        );
        ok = false;
      } else {
        cacheTtlSeconds = checkDuration(entry.cache_ttl, [...path, 'cache_ttl'], issues);
        if (cacheTtlSeconds === undefined) ok = false;
      }
    }
    if (entry.promote !== undefined) {
      if (typeof entry.promote !== 'boolean') {
        issues.add([...path, 'promote'], `${label}.promote`, `expected true or false, got ${showValue(entry.promote)}`);
        ok = false;
      } else if (decision !== undefined && decision !== 'cache') {
        issues.add([...path, 'promote'], `${label}.promote`, `only allowed with decision 'cache' (this entry's decision is '${decision}')`);
        ok = false;
      } else {
        promote = entry.promote;
      }
    }
    if (entry.trace !== undefined) {
      // One word for now; absent is the closed default (no content in traces).
      if (entry.trace !== 'include') {
        issues.add([...path, 'trace'], `${label}.trace`, `expected 'include' (content of this type enters traces; leave it out to keep content out), got ${showValue(entry.trace)}`);
        ok = false;
      } else if (decision === 'discard' && !issues.recorded) {
        issues.add([...path, 'trace'], `${label}.trace`, TRACE_DISCARDED);
        ok = false;
      } else {
        trace = 'include';
      }
    }
    if (entry.retention !== undefined) {
      if (decision !== undefined && decision !== 'persist') {
        issues.add([...path, 'retention'], `${label}.retention`, `only allowed with decision 'persist' (this entry's decision is '${decision}')`);
        ok = false;
      } else {
        retentionSeconds = checkDuration(entry.retention, [...path, 'retention'], issues);
        if (retentionSeconds === undefined) ok = false;
      }
    }
    if (entry.keep_latest !== undefined) {
      const problem = keepLatestProblem(entry.keep_latest, resultType, decision, issues.recorded);
      if (problem) {
        issues.add([...path, 'keep_latest'], `${label}.keep_latest`, problem);
        ok = false;
      } else {
        keepLatest = entry.keep_latest as number;
      }
    }
    if (!ok) return undefined;
  } else {
    issues.add(
      path,
      label,
      `expected ${DECISION_WORDS} (or a mapping with decision, cache_ttl, retention, promote, keep_latest, trace), got ${showValue(entry)}`,
    );
    return undefined;
  }

  if (decision === undefined) return undefined;
  if (PLATFORM_NATIVE_TYPES.has(resultType) && decision !== 'persist') {
    issues.add(
      path,
      label,
      `'${decision}' is not allowed: '${resultType}' is a platform-native record and is always persisted`,
    );
    return undefined;
  }
  return Object.freeze({
    decision,
    ...(cacheTtlSeconds === undefined ? {} : { cacheTtlSeconds }),
    ...(retentionSeconds === undefined ? {} : { retentionSeconds }),
    ...(promote === undefined ? {} : { promote }),
    ...(keepLatest === undefined ? {} : { keepLatest }),
    ...(trace === undefined ? {} : { trace }),
  });
}

/**
 * Why `trace: include` is refused beside `decision: discard` (solution
 * configs and governance rules alike): a trace is kept by a tracing backend
 * the runtime cannot delete from.
 *
 * @internal
 */
export const TRACE_DISCARDED =
  "not allowed with decision 'discard': content the policy discards is kept nowhere, traces included (keep it with cache or persist, or leave trace out)";

/** The one result type `keep_latest` applies to: checkpoints are kept per thread, so "the latest N" has a meaning. */
export const KEEP_LATEST_RESULT_TYPE = 'checkpoint';

/**
 * Why a `keep_latest` value cannot be used for `resultType` with `decision`,
 * or null when it can: an integer from 1 to {@link MAX_COUNT}, on result type `checkpoint`, with
 * decision `persist`. Shared by solution configs and governance rules.
 * `recorded`: a stored policy's, whose count predates the upper bound.
 *
 * @internal
 */
export function keepLatestProblem(value: unknown, resultType: string | undefined, decision: MaterializationDecision | undefined, recorded = false): string | null {
  if (resultType !== KEEP_LATEST_RESULT_TYPE) {
    return `only allowed for result type '${KEEP_LATEST_RESULT_TYPE}' (it keeps the latest N checkpoints of each thread), not for ${resultType === undefined ? 'every result type' : `'${resultType}'`}`;
  }
  if (decision !== undefined && decision !== 'persist') return `only allowed with decision 'persist' (this entry's decision is '${decision}')`;
  // The count is a query's LIMIT: a bigint there, an integer everywhere it is kept.
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || (value > MAX_COUNT && !recorded)) {
    return `expected a whole number of checkpoints from 1 to ${MAX_COUNT}, got ${showValue(value)}`;
  }
  return null;
}

function checkDecision(
  value: unknown,
  path: readonly string[],
  label: string,
  issues: IssueList,
): MaterializationDecision | undefined {
  if (typeof value !== 'string') {
    issues.add(path, label, `expected ${DECISION_WORDS}, got ${showValue(value)}`);
    return undefined;
  }
  if (!(MATERIALIZATION_DECISIONS as readonly string[]).includes(value)) {
    issues.add(path, label, `unknown decision '${value}' (expected ${DECISION_WORDS})`);
    return undefined;
  }
  return value as MaterializationDecision;
}

function checkDuration(value: unknown, path: readonly string[], issues: IssueList): number | undefined {
  try {
    return parseDuration(value);
  } catch (err) {
    issues.add(path, path.join('.'), (err as Error).message);
    return undefined;
  }
}
