import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/index.ts';
import { formatIssues, IssueList, lineOfPath, readConfigFile, unstorableIssues, type ConfigIssue } from '../policy/config-issues.ts';
import { MAX_TIMER_SECONDS, parseDurationMs } from '../policy/duration.ts';
import { parseByteSize } from '../policy/byte-size.ts';
import type { HttpLimits, HttpTimeouts } from './http-options.ts';
import { unknownName } from './did-you-mean.ts';
import { ARTIFACTS, CACHE, DATABASE_URL, integer, MAX_TIMER_MS, nonNegativeNumber, S3_ENDPOINT } from './option-kinds.ts';

/** Whole numbers, refused in the words every option uses. */
const int = (min: number, max?: number) => integer(min, max).value as z.ZodType<number>;
import type { GroupCommitOptions } from '../db/group-commit.ts';
import { compileRetryPolicy, type RetryPolicy } from '../policy/retry-policy.ts';

/**
 * A runtime config file (YAML): where the runtime keeps things and how a
 * worker runs. Every key is optional; a flag or environment variable wins
 * over the file, which wins over the default.
 *
 * ```yaml
 * database_url: postgres://127.0.0.1/symphainy   # absent: embedded store in data_dir
 * artifacts: s3://my-bucket/symphainy             # or a directory; absent: <data_dir>/blobs
 * s3_endpoint: http://127.0.0.1:9000              # S3-compatible stores
 * cache: redis://127.0.0.1:6379                   # or `embedded`
 * events: nats://127.0.0.1:4222                   # JetStream; absent: in-process only
 * platform_policy: config/platform.yaml           # governance rules above every solution
 * gc_grace: 1h                                    # sweep removes unreferenced blob-store files older than this
 * worker: { concurrency: 16, lease: 30s, poll_interval: 1s }
 * group_commit: { max_batch: 128, max_wait_ms: 0, max_concurrent_batches: 4 }   # or false
 * database: { statement_timeout: 30s, connect_timeout: 5s, startup_wait: 30s }   # PostgreSQL server only
 * drain_timeout: 35s                              # serve/worker: SIGTERM waits this long for in-flight work
 * retry_policy: { maximum_attempts: 5, initial_interval: 1s, backoff_coefficient: 2, maximum_interval: 100s,
 *                 non_retryable_error_codes: [SYM_ERR_REALM_RESULT] }     # queued executions
 * http:                                           # symphainy serve
 *   port: 7070
 *   host: 127.0.0.1
 *   admin_key: …                                  # at least 32 characters; SYMPHAINY_ADMIN_KEY wins
 *   limits: { body: 1mb, parameter_depth: 32, rendering: 32mb, page_size: 500 }
 *   timeouts: { headers: 15s, request: 30s, keep_alive: 72s, idle_socket: 0 }   # 0: none
 *   max_connections: 1024
 * ```
 */
export interface RuntimeConfigFile {
  readonly source: string;
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly artifacts?: string;
  readonly s3Endpoint?: string;
  readonly inlineMaxBytes?: number;
  readonly cache?: string;
  readonly events?: string;
  readonly realmTimeoutMs?: number;
  /** `gc_grace`: the sweep's garbage collection spares blob-store files younger than this (seconds). */
  readonly gcGraceSeconds?: number;
  readonly platformPolicy?: string;
  readonly worker?: { readonly concurrency?: number; readonly leaseMs?: number; readonly pollIntervalMs?: number };
  readonly groupCommit?: GroupCommitOptions | false;
  readonly database?: { readonly statementTimeoutMs?: number; readonly connectTimeoutMs?: number; readonly startupWaitMs?: number };
  readonly drainTimeoutMs?: number;
  readonly retryPolicy?: RetryPolicy;
  readonly http?: {
    readonly port?: number;
    readonly host?: string;
    readonly adminKey?: string;
    readonly limits?: Partial<HttpLimits>;
    readonly timeouts?: Partial<HttpTimeouts>;
    readonly maxConnections?: number;
  };
}

const durationMs = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    // Timers: sub-second allowed (`200ms`, `0.2`), at most what a timer can wait.
    return parseDurationMs(value, { subSecond: true, max: MAX_TIMER_SECONDS });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
/** A duration, or 0 for "none". */
const durationOrZeroMs = z.union([z.literal(0), z.literal('0'), durationMs]).transform((v) => (v === 0 || v === '0' ? 0 : v));
const text = z.string().trim().min(1, 'must not be empty');
/** A size (`512kb`, `1mb`, bytes); `allowZero` where 0 means "none". */
const sizeOf = (options: { allowZero?: boolean } = {}) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    try {
      return parseByteSize(value, options);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
const bytes = sizeOf();

const Schema = z.strictObject({
  data_dir: text.optional(),
  database_url: (DATABASE_URL.value as z.ZodType<string>).optional(),
  artifacts: (ARTIFACTS.value as z.ZodType<string>).optional(),
  s3_endpoint: (S3_ENDPOINT.value as z.ZodType<string>).optional(),
  inline_max_bytes: sizeOf({ allowZero: true }).optional(),
  cache: (CACHE.value as z.ZodType<string>).optional(),
  events: text.optional(),
  realm_timeout: durationMs.optional(),
  gc_grace: durationMs.optional(),
  platform_policy: text.optional(),
  group_commit: z
    .union([
      z.literal(false),
      z.strictObject({
        max_batch: int(1).optional(),
        max_wait_ms: (nonNegativeNumber('milliseconds', MAX_TIMER_MS).value as z.ZodType<number>).optional(),
        max_concurrent_batches: int(1).optional(),
      }),
    ])
    .optional(),
  database: z
    .strictObject({ statement_timeout: durationMs.optional(), connect_timeout: durationMs.optional(), startup_wait: durationOrZeroMs.optional() })
    .optional(),
  drain_timeout: durationMs.optional(),
  retry_policy: z
    .strictObject({
      maximum_attempts: z.number().optional(),
      initial_interval: z.union([z.string(), z.number()]).optional(),
      backoff_coefficient: z.number({ error: (i) => `must be a finite number, got ${String(i.input)}` }).optional(),
      maximum_interval: z.union([z.string(), z.number()]).optional(),
      non_retryable_error_codes: z.array(z.string()).optional(),
    })
    .transform((r, ctx) => {
      const policy: RetryPolicy = {
        ...(r.maximum_attempts !== undefined ? { maximumAttempts: r.maximum_attempts } : {}),
        ...(r.initial_interval !== undefined ? { initialInterval: r.initial_interval } : {}),
        ...(r.backoff_coefficient !== undefined ? { backoffCoefficient: r.backoff_coefficient } : {}),
        ...(r.maximum_interval !== undefined ? { maximumInterval: r.maximum_interval } : {}),
        ...(r.non_retryable_error_codes !== undefined ? { nonRetryableErrorCodes: r.non_retryable_error_codes } : {}),
      };
      try {
        compileRetryPolicy(policy);
      } catch (err) {
        // Named in the file's own words: RetryPolicy.maximumAttempts -> maximum_attempts.
        ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^RetryPolicy\.(\w+)/, (_, f: string) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) });
        return z.NEVER;
      }
      return policy;
    })
    .optional(),
  worker: z
    .strictObject({
      concurrency: int(1, 1024).optional(),
      // A lease is renewed every third of it: shorter than 300 ms leaves no room for a renewal's round trip.
      lease: durationMs.refine((ms) => ms >= 300, { message: 'must be at least 300ms' }).optional(),
      poll_interval: durationMs.optional(),
    })
    .optional(),
  http: z
    .strictObject({
      port: int(0, 65535).optional(),
      host: text.optional(),
      admin_key: z.string().min(32, 'must be at least 32 characters').optional(),
      limits: z
        .strictObject({
          body: bytes.optional(),
          parameter_depth: int(1).optional(),
          rendering: bytes.optional(),
          page_size: int(1, 10_000).optional(),
        })
        .optional(),
      timeouts: z
        .strictObject({
          headers: durationMs.optional(),
          request: durationMs.optional(),
          keep_alive: durationMs.optional(),
          idle_socket: durationOrZeroMs.optional(),
        })
        .optional(),
      max_connections: int(1).optional(),
    })
    .optional(),
});

/** Reads and validates a runtime config file; problems come back as `FILE:LINE: key: problem`. */
export async function loadRuntimeConfig(file: string): Promise<RuntimeConfigFile> {
  return parseRuntimeConfigYaml(await readRuntimeConfigText(file), file);
}

/** The text of a runtime config file; a ConfigError naming the file when it cannot be read. */
export function readRuntimeConfigText(file: string): Promise<string> {
  return readConfigFile(file, 'runtime config', (message, cause) => new ConfigError(message, { cause }));
}

/** Validates a runtime config's text; throws one ConfigError listing every problem (`FILE:LINE: key: problem`). */
export function parseRuntimeConfigYaml(source: string, file: string): RuntimeConfigFile {
  const checked = checkRuntimeConfigYaml(source, file);
  if (checked.issues.length > 0) throw new ConfigError(checked.issues.join('\n'));
  return checked.config;
}

/**
 * Validates a runtime config's text and collects its problems instead of
 * throwing, so {@link compileRuntimeOptions} reports them with those of the
 * options, flags and environment: each `FILE:LINE: key: problem`, in the
 * file's order. `config` holds only what is valid (empty when the YAML is not).
 */
export function checkRuntimeConfigYaml(source: string, file: string): { config: RuntimeConfigFile; issues: string[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      config: Object.freeze({ source: file }),
      issues: doc.errors.map((e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: invalid YAML: ${e.message}`),
    };
  }
  const raw = doc.toJS() ?? {};
  // A string the store cannot keep (a NUL from YAML's "\0") is refused here, like every config's.
  const unstorable = new IssueList();
  unstorableIssues(raw, unstorable);
  if (!unstorable.empty) {
    return { config: Object.freeze({ source: file }), issues: formatIssues(file, unstorable.items, (p) => lineOfPath(doc, lineCounter, p)).split('\n') };
  }
  const parsed = Schema.safeParse(raw);
  if (!parsed.success) {
    const issues: ConfigIssue[] = parsed.error.issues.flatMap(withinUnions).flatMap((i) => {
      const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
      // Zod reports the unknown keys of one object together: one line each, at its own line.
      const keys = i.code === 'unrecognized_keys' ? i.keys : [undefined];
      return keys.map((key) => {
        const at = key === undefined ? path : [...path, key];
        const label = at.map(String).join('.');
        const message = key !== undefined
          ? `${unknownName('key', key, knownKeys(path))} (known: ${knownKeys(path).join(', ')})`
          // `false` or a mapping (group_commit): neither matched, so say both.
          : i.code === 'invalid_union' && knownKeys(path).length > 0 ? `must be false or a mapping of ${knownKeys(path).join(', ')}` : i.message;
        return { path: at, message: label ? `${label}: ${message}` : message };
      });
    });
    return {
      config: Object.freeze({ source: file }),
      issues: formatIssues(file, issues, (p) => lineOfPath(doc, lineCounter, p)).split('\n'),
    };
  }
  const c = parsed.data;
  const worker = c.worker
    ? {
        ...(c.worker.concurrency !== undefined ? { concurrency: c.worker.concurrency } : {}),
        ...(c.worker.lease !== undefined ? { leaseMs: c.worker.lease } : {}),
        ...(c.worker.poll_interval !== undefined ? { pollIntervalMs: c.worker.poll_interval } : {}),
      }
    : undefined;
  const gc = c.group_commit;
  const groupCommit =
    gc === false
      ? false
      : gc
        ? {
            ...(gc.max_batch !== undefined ? { maxBatch: gc.max_batch } : {}),
            ...(gc.max_wait_ms !== undefined ? { maxWaitMs: gc.max_wait_ms } : {}),
            ...(gc.max_concurrent_batches !== undefined ? { maxConcurrentBatches: gc.max_concurrent_batches } : {}),
          }
        : undefined;
  const h = c.http;
  const limits = h?.limits
    ? {
        ...(h.limits.body !== undefined ? { bodyBytes: h.limits.body } : {}),
        ...(h.limits.parameter_depth !== undefined ? { parameterDepth: h.limits.parameter_depth } : {}),
        ...(h.limits.rendering !== undefined ? { renderingBytes: h.limits.rendering } : {}),
        ...(h.limits.page_size !== undefined ? { pageSize: h.limits.page_size } : {}),
      }
    : undefined;
  const timeouts = h?.timeouts
    ? {
        ...(h.timeouts.headers !== undefined ? { headersMs: h.timeouts.headers } : {}),
        ...(h.timeouts.request !== undefined ? { requestMs: h.timeouts.request } : {}),
        ...(h.timeouts.keep_alive !== undefined ? { keepAliveMs: h.timeouts.keep_alive } : {}),
        ...(h.timeouts.idle_socket !== undefined ? { idleSocketMs: h.timeouts.idle_socket } : {}),
      }
    : undefined;
  const d = c.database;
  const database = d
    ? {
        ...(d.statement_timeout !== undefined ? { statementTimeoutMs: d.statement_timeout } : {}),
        ...(d.connect_timeout !== undefined ? { connectTimeoutMs: d.connect_timeout } : {}),
        ...(d.startup_wait !== undefined ? { startupWaitMs: d.startup_wait as number } : {}),
      }
    : undefined;
  const http = h
    ? {
        ...(timeouts ? { timeouts } : {}),
        ...(h.max_connections !== undefined ? { maxConnections: h.max_connections } : {}),
        ...(h.port !== undefined ? { port: h.port } : {}),
        ...(h.host !== undefined ? { host: h.host } : {}),
        ...(h.admin_key !== undefined ? { adminKey: h.admin_key } : {}),
        ...(limits ? { limits } : {}),
      }
    : undefined;
  const config: RuntimeConfigFile = Object.freeze({
    source: file,
    ...(c.data_dir !== undefined ? { dataDir: c.data_dir } : {}),
    ...(c.database_url !== undefined ? { databaseUrl: c.database_url } : {}),
    ...(c.artifacts !== undefined ? { artifacts: c.artifacts } : {}),
    ...(c.s3_endpoint !== undefined ? { s3Endpoint: c.s3_endpoint } : {}),
    ...(c.inline_max_bytes !== undefined ? { inlineMaxBytes: c.inline_max_bytes } : {}),
    ...(c.cache !== undefined ? { cache: c.cache } : {}),
    ...(c.events !== undefined ? { events: c.events } : {}),
    ...(c.realm_timeout !== undefined ? { realmTimeoutMs: c.realm_timeout } : {}),
    ...(c.gc_grace !== undefined ? { gcGraceSeconds: c.gc_grace / 1000 } : {}),
    ...(c.platform_policy !== undefined ? { platformPolicy: c.platform_policy } : {}),
    ...(worker ? { worker } : {}),
    ...(groupCommit !== undefined ? { groupCommit } : {}),
    ...(c.retry_policy !== undefined ? { retryPolicy: c.retry_policy } : {}),
    ...(http ? { http } : {}),
    ...(database ? { database } : {}),
    ...(c.drain_timeout !== undefined ? { drainTimeoutMs: c.drain_timeout } : {}),
  });
  return { config, issues: [] };
}

/** The top-level keys of a runtime config file. */
export const RUNTIME_CONFIG_KEYS: readonly string[] = Object.freeze(knownKeys([]));

/** The keys allowed at `path` (an object's keys, walking optional sections). */
function knownKeys(path: readonly (string | number)[]): string[] {
  let node: z.ZodType | undefined = Schema;
  for (const key of path) {
    const object = objectOf(node);
    if (!object) return [];
    node = (object.shape as Record<string, z.ZodType>)[String(key)];
  }
  return Object.keys(objectOf(node)?.shape ?? {});
}

/**
 * A union's failure as the issues of the option the value was meant for: a
 * mapping given for `false`-or-a-mapping is reported field by field. When
 * every option refused the value's very type, the union issue stays.
 */
function withinUnions(i: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (i.code !== 'invalid_union') return [i];
  const meant = i.errors.find((option) => option.length > 0 && option.every((o) => o.path.length > 0 || o.code === 'unrecognized_keys'));
  return meant ? meant.map((o) => ({ ...o, path: [...i.path, ...o.path] })).flatMap(withinUnions) : [i];
}

/** The mapping a key's schema takes: through optional, and the mapping option of a union (`false` or a mapping). */
function objectOf(node: z.ZodType | undefined): z.ZodObject | undefined {
  while (node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
  if (node instanceof z.ZodUnion) return (node.options as z.ZodType[]).map(objectOf).find((o) => o !== undefined);
  return node instanceof z.ZodObject ? node : undefined;
}
