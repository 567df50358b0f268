import { resolve } from 'node:path';
import { ConfigError } from '../errors/index.ts';
import type { GroupCommitOptions } from '../db/group-commit.ts';
import { compileRetryPolicy, type CompiledRetryPolicy, type RetryPolicy } from '../policy/retry-policy.ts';
import { deepFreeze, type DeepReadonly } from './deep-freeze.ts';
import { closestName, editDistance, unknownName } from './did-you-mean.ts';
import type { HttpLimits, HttpTimeouts } from './http-options.ts';
import { integer, MAX_TIMER_MS, nonNegativeNumber, show, type OptionKind } from './option-kinds.ts';
import { checkRuntimeConfigYaml, type RuntimeConfigFile } from './runtime-config-file.ts';
import { DEFAULT_GROUP_COMMIT, OBJECT_OPTIONS, OPTION_ENV_NAMES, OPTION_SPECS, RUNTIME_OPTION_NAMES } from './runtime-option-specs.ts';

/**
 * Where the options come from, highest precedence first: command-line
 * flags, `createRuntime` options, environment variables, the runtime config
 * file; what none of them sets takes its default (see {@link OPTION_SPECS}).
 */
export interface RuntimeOptionsInput {
  /** Flag values by flag name (`{ '--data-dir': './x', '--port': 8080 }`): text, or what the flag's parser made of it. */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** `createRuntime` options (the RuntimeOptions object). */
  readonly options?: object;
  /** The environment (`process.env`). @default {} */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The runtime config: a parsed file, or a file's text (checked here, its
   * problems reported with the others, each with its line).
   */
  readonly file?: RuntimeConfigFile | { readonly path: string; readonly text: string };
}

/** Milliseconds the runtime treats its PostgreSQL server with. */
export interface DatabaseTimeouts {
  readonly statementTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly startupWaitMs: number;
}

/** The options after defaults and checks; deep-frozen. Absent (undefined) where the runtime decides by itself. */
export type CompiledRuntimeOptions = DeepReadonly<{
  dataDir: string;
  memory: boolean;
  encryption: boolean;
  keyDir: string | undefined;
  databaseUrl: string | undefined;
  poolSize: number;
  database: DatabaseTimeouts;
  artifacts: string | undefined;
  s3Endpoint: string | undefined;
  inlineMaxBytes: number;
  /** Text only; a CacheStore object stays in the options. */
  cache: string | undefined;
  events: string | undefined;
  /** A file only; a loaded policy stays in the options. */
  platformPolicy: string | undefined;
  /** The runtime config file read, if any. */
  runtimeConfig: string | undefined;
  logLevel: string;
  realmTimeoutMs: number;
  leaseMs: number;
  sweepIntervalSeconds: number | undefined;
  gcGraceSeconds: number;
  cachePurgeIntervalSeconds: number;
  /** Undefined: 1000 with a server or an external event sink, else no polling. */
  relayPollIntervalMs: number | undefined;
  lockWaitMs: number;
  groupCommit: Required<GroupCommitOptions> | false;
  retryPolicy: CompiledRetryPolicy;
  worker: { concurrency: number; pollIntervalMs: number };
  drainTimeoutMs: number;
  http: { port: number; host: string; adminKey: string | undefined; limits: HttpLimits; timeouts: HttpTimeouts; maxConnections: number };
  /** Span export of the CLI's long-running and run commands, from the standard OTEL_ variables (see `startTracing`). */
  telemetry: { tracesExporter: string; endpoint: string | undefined; tracesEndpoint: string | undefined; protocol: 'http/json'; tracesProtocol: 'http/json' | undefined; serviceName: string };
}>;

/**
 * Options → with defaults → compiled, in one step, before anything is
 * opened: reads every option from its sources (see {@link RuntimeOptionsInput}),
 * checks each value given in each source, fills in the defaults and returns
 * them deep-frozen.
 *
 * Throws one ConfigError (SYM_ERR_CONFIG) listing every problem, one per
 * line, each naming its source and field: `option poolSize: must be an
 * integer from 1 to 1000, got -3`, `flag --port: …`, `env
 * SYMPHAINY_STATEMENT_TIMEOUT: …`, `runtime.yaml:4: worker.lease: …`. Unknown
 * options and misspelt SYMPHAINY_ variables are problems too, with the name
 * meant when one is close.
 */
export function compileRuntimeOptions(input: RuntimeOptionsInput = {}): CompiledRuntimeOptions {
  const issues: string[] = [];
  const flags = input.flags ?? {};
  const options = (input.options ?? {}) as Readonly<Record<string, unknown>>;
  const env = input.env ?? {};
  let file: RuntimeConfigFile | undefined;
  if (input.file && 'text' in input.file) {
    const checked = checkRuntimeConfigYaml(input.file.text, input.file.path);
    issues.push(...checked.issues);
    file = checked.config;
  } else {
    file = input.file;
  }

  for (const [key, value] of Object.entries(options)) {
    if (!RUNTIME_OPTION_NAMES.includes(key)) issues.push(`option ${key}: ${unknownName('option', key, RUNTIME_OPTION_NAMES)}`);
    else if (value !== undefined && OBJECT_OPTIONS[key] && !OBJECT_OPTIONS[key].ok(value)) {
      issues.push(`option ${key}: must be ${OBJECT_OPTIONS[key].expected}, got ${show(value)}`);
    }
  }
  for (const name of Object.keys(env)) {
    // Only near misses: other tools (tests, benches) have SYMPHAINY_ variables of their own.
    if (!name.startsWith('SYMPHAINY_') || OPTION_ENV_NAMES.includes(name) || !env[name]) continue;
    const near = closestName(name, OPTION_ENV_NAMES);
    // A near miss is one or two letters off (SYMPHAINY_DATABSE_URL), not another tool's variable.
    if (near !== undefined && editDistance(name, near) <= 2) issues.push(`env ${name}: unknown variable, did you mean ${near}?`);
  }

  const out: Record<string, unknown> = {};
  const from = new Map<string, string>();
  for (const spec of OPTION_SPECS) {
    if (spec.onlyWhen && !spec.onlyWhen(out)) {
      setPath(out, spec.name, spec.default);
      continue;
    }
    const candidates: { label: string; value: unknown; text: boolean }[] = [];
    for (const f of spec.flags ?? []) if (flags[f] !== undefined) candidates.push({ label: `flag ${f}`, value: flags[f], text: typeof flags[f] === 'string' });
    const option = spec.option === undefined ? undefined : options[spec.option];
    // An object (a CacheStore, a loaded policy or config) is used as it is; OBJECT_OPTIONS checked it.
    if (option !== undefined && !(spec.option! in OBJECT_OPTIONS && typeof option === 'object' && option !== null)) {
      candidates.push({ label: `option ${spec.option}`, value: option, text: false });
    }
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    if (fromEnv !== undefined && fromEnv.trim() !== '') candidates.push({ label: `env ${spec.env}`, value: fromEnv, text: true });
    const fromFile = spec.file && file ? spec.file.get(file) : undefined;
    if (fromFile !== undefined) candidates.push({ label: `${file!.source}: ${spec.file!.key}`, value: fromFile, text: false });
    let chosen: { value: unknown } | undefined;
    for (const c of candidates) {
      const checked = (c.text ? spec.kind.text : spec.kind.value).safeParse(c.value);
      if (!checked.success) issues.push(`${c.label}: ${checked.error.issues[0]?.message ?? 'invalid'}`);
      else if (!chosen) {
        chosen = { value: checked.data };
        from.set(spec.name, c.label);
      }
    }
    setPath(out, spec.name, chosen ? chosen.value : spec.default);
  }

  // Across fields: what only a combination makes wrong.
  const artifacts = out.artifacts as string | undefined;
  if (out.s3Endpoint !== undefined && !artifacts?.startsWith('s3://')) {
    issues.push(`${from.get('s3Endpoint')}: is set but artifacts is not an s3:// URL`);
  }
  if (out.memory === true && from.has('dataDir')) {
    // An in-memory runtime keeps nothing in a data dir: one given beside it would be silently unused.
    // (memory with databaseUrl is fine: the server holds the database, blobs go to a temporary folder.)
    issues.push(`${from.get('dataDir')}: is set but memory is on (${from.get('memory')}); an in-memory runtime keeps nothing in a data dir, drop one of them`);
  }
  const timeouts = (out.http as { timeouts: HttpTimeouts }).timeouts;
  if (timeouts.headersMs > timeouts.requestMs) {
    // Node refuses a headers timeout above the request timeout.
    issues.push(`${from.get('http.timeouts.headersMs') ?? from.get('http.timeouts.requestMs')}: the headers timeout (${timeouts.headersMs} ms) must not exceed the request timeout (${timeouts.requestMs} ms)`);
  }
  out.dataDir = resolve(out.dataDir as string);
  out.drainTimeoutMs ??= (out.realmTimeoutMs as number) + 5000;
  out.groupCommit = compileGroupCommit(options.groupCommit, file, issues);
  out.retryPolicy = compileRetrySection(flags, options.retryPolicy, file, issues);

  if (issues.length > 0) throw new ConfigError(issues.join('\n'));
  return deepFreeze(out as CompiledRuntimeOptions);
}

const GROUP_COMMIT_FIELDS: Readonly<Record<keyof GroupCommitOptions, OptionKind>> = {
  maxBatch: integer(1),
  maxWaitMs: nonNegativeNumber('milliseconds', MAX_TIMER_MS),
  maxConcurrentBatches: integer(1),
};

/** `groupCommit` (the option wins whole over the file's `group_commit`): false, or every field filled in. */
function compileGroupCommit(option: unknown, file: RuntimeConfigFile | undefined, issues: string[]): Required<GroupCommitOptions> | false {
  if (option === undefined) {
    const fromFile = file?.groupCommit;
    return fromFile === false ? false : { ...DEFAULT_GROUP_COMMIT, ...fromFile };
  }
  if (option === false) return false;
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    issues.push(`option groupCommit: must be an object or false, got ${show(option)}`);
    return false;
  }
  const compiled: Record<string, unknown> = { ...DEFAULT_GROUP_COMMIT };
  for (const [key, value] of Object.entries(option)) {
    const kind = GROUP_COMMIT_FIELDS[key as keyof GroupCommitOptions];
    if (!kind) {
      issues.push(`option groupCommit.${key}: ${unknownName('field', key, Object.keys(GROUP_COMMIT_FIELDS))}`);
      continue;
    }
    if (value === undefined) continue;
    const checked = kind.value.safeParse(value);
    if (checked.success) compiled[key] = checked.data;
    else issues.push(`option groupCommit.${key}: ${checked.error.issues[0]?.message}`);
  }
  return compiled as Required<GroupCommitOptions>;
}

/** The retry policy flags of `worker`, each over the option's (or the file's) field of the same name. */
export const RETRY_FLAGS: Readonly<Record<string, keyof RetryPolicy>> = {
  '--max-attempts': 'maximumAttempts',
  '--retry-interval': 'initialInterval',
  '--retry-max-interval': 'maximumInterval',
  '--non-retryable': 'nonRetryableErrorCodes',
};

function compileRetrySection(
  flags: Readonly<Record<string, unknown>>, option: unknown, file: RuntimeConfigFile | undefined, issues: string[],
): CompiledRetryPolicy {
  const base = option ?? file?.retryPolicy ?? {};
  const where = option !== undefined ? 'option retryPolicy' : file?.retryPolicy ? `${file.source}: retry_policy` : 'retryPolicy';
  const fromFlags: Record<string, unknown> = {};
  for (const [f, field] of Object.entries(RETRY_FLAGS)) if (flags[f] !== undefined) fromFlags[field] = flags[f];
  const policy = typeof base === 'object' && base !== null && !Array.isArray(base) ? { ...base, ...fromFlags } : base;
  try {
    return compileRetryPolicy(policy as RetryPolicy, where);
  } catch (err) {
    issues.push((err as Error).message);
    return compileRetryPolicy({});
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}
