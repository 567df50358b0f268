import { z } from 'zod';
import { DEFAULT_HTTP_LIMITS, DEFAULT_HTTP_TIMEOUTS, DEFAULT_MAX_CONNECTIONS } from './http-options.ts';
import { MAX_DURATION_SECONDS } from '../policy/duration.ts';
import { ARTIFACTS, CACHE, DATABASE_URL, durationMs, durationSeconds, flag, httpUrl, integer, wordList, nonNegativeNumber, oneOf, S3_ENDPOINT, text, type OptionKind } from './option-kinds.ts';
import type { RuntimeConfigFile } from './runtime-config-file.ts';

/**
 * Every runtime option in one table: where it can be given (flag, option,
 * environment variable, runtime config key), what it accepts and its
 * default. {@link compileRuntimeOptions} reads values through it, and the
 * README's options table is generated from it (a test checks they agree),
 * so a default is written once, here.
 */
export interface OptionSpec {
  /** Where the value sits in the compiled options (`database.statementTimeoutMs`). */
  readonly name: string;
  /** What it sets, for the README table. */
  readonly doc: string;
  /** The `createRuntime` option. */
  readonly option?: string;
  /** Command-line flags that set it (`serve --worker-concurrency`, `worker --concurrency`). */
  readonly flags?: readonly string[];
  /** The environment variable. */
  readonly env?: string;
  /** The runtime config key (dotted) and how to read it from a parsed file. */
  readonly file?: { readonly key: string; readonly get: (file: RuntimeConfigFile) => unknown };
  readonly kind: OptionKind;
  /** The default value (undefined: unset; the runtime then does what `defaultText` says). */
  readonly default: unknown;
  /** What happens by default, for options whose default is not a value (undefined); others are shown from `default`. */
  readonly defaultText?: string;
  /**
   * Read only when this holds of the options compiled before it (table
   * order); otherwise the option is unused, so it is neither read nor
   * checked and keeps its default (the OTLP variables when no exporter is
   * `otlp`, as OpenTelemetry's SDKs leave them).
   */
  readonly onlyWhen?: (compiled: Readonly<Record<string, unknown>>) => boolean;
}

/** True when the compiled `OTEL_TRACES_EXPORTER` lists `otlp`. */
const exportsOtlp = (compiled: Readonly<Record<string, unknown>>): boolean =>
  String((compiled.telemetry as { tracesExporter?: unknown } | undefined)?.tracesExporter ?? '').split(',').includes('otlp');

/**
 * The values OpenTelemetry defines for `OTEL_TRACES_EXPORTER`, which the
 * runtime options accept (an embedding application's SDK may use them);
 * symphainy itself exports `otlp` only (`SPAN_EXPORTERS` of start-tracing.ts).
 */
export const OTEL_TRACES_EXPORTERS = ['otlp', 'zipkin', 'console', 'none'] as const;

/** The levels of the default (pino) logger. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Renderings up to this many bytes are kept in the database (16 KiB). */
export const DEFAULT_INLINE_MAX_BYTES = 16 * 1024;

/** Group commit defaults: batches of at most 128 writes, no waiting, 4 batches at once on a server. */
export const DEFAULT_GROUP_COMMIT = Object.freeze({ maxBatch: 128, maxWaitMs: 0, maxConcurrentBatches: 4 });

/** `serve` and `worker` sweep expired renderings this often (seconds). */
export const LONG_RUNNING_SWEEP_INTERVAL_SECONDS = 300;

const OPTION_SPECS_LIST: readonly OptionSpec[] = [
  { name: 'dataDir', doc: 'embedded database and default blob folder', option: 'dataDir', flags: ['--data-dir'], env: 'SYMPHAINY_DATA_DIR',
    file: { key: 'data_dir', get: (f) => f.dataDir }, kind: text('a directory'), default: './.symphainy' },
  { name: 'memory', doc: 'in-memory database and a temporary blob folder', option: 'memory', kind: flag(), default: false },
  { name: 'databaseUrl', doc: 'a PostgreSQL server instead of the embedded store', option: 'databaseUrl', flags: ['--database-url'],
    env: 'SYMPHAINY_DATABASE_URL', file: { key: 'database_url', get: (f) => f.databaseUrl },
    kind: DATABASE_URL, default: undefined, defaultText: 'embedded PGlite in the data dir' },
  { name: 'encryption', doc: 'seal tenant content at rest under per-tenant, session and subject keys', option: 'encryption',
    env: 'SYMPHAINY_ENCRYPTION', kind: flag(), default: true },
  { name: 'keyDir', doc: 'wrapped data keys (share it, with `SYMPHAINY_KEK`, between processes of one server)', option: 'keyDir',
    env: 'SYMPHAINY_KEY_DIR', kind: text('a directory'), default: undefined, defaultText: '`<data-dir>/keys` (in memory with `memory`)' },
  { name: 'poolSize', doc: 'connections in the PostgreSQL pool', option: 'poolSize', kind: integer(1, 1000), default: 10 },
  { name: 'database.statementTimeoutMs', doc: 'PostgreSQL statement timeout (the client closes a connection silent 2 s longer)',
    option: 'statementTimeoutMs', env: 'SYMPHAINY_STATEMENT_TIMEOUT', file: { key: 'database.statement_timeout', get: (f) => f.database?.statementTimeoutMs },
    kind: durationMs(), default: 30_000 },
  { name: 'database.connectTimeoutMs', doc: 'PostgreSQL connect timeout (a new or a free pooled connection)', option: 'connectTimeoutMs',
    env: 'SYMPHAINY_CONNECT_TIMEOUT', file: { key: 'database.connect_timeout', get: (f) => f.database?.connectTimeoutMs },
    kind: durationMs(), default: 5_000 },
  { name: 'database.startupWaitMs', doc: 'PostgreSQL start-up wait (logged backoff while unreachable; `0`: fail at once)', option: 'startupWaitMs',
    env: 'SYMPHAINY_DATABASE_WAIT', file: { key: 'database.startup_wait', get: (f) => f.database?.startupWaitMs },
    kind: durationMs({ zero: true }), default: 30_000 },
  { name: 'artifacts', doc: 'artifact renderings: `s3://bucket/prefix` or a directory', option: 'artifacts', flags: ['--artifacts'],
    env: 'SYMPHAINY_ARTIFACTS', file: { key: 'artifacts', get: (f) => f.artifacts },
    kind: ARTIFACTS, default: undefined, defaultText: '`<data-dir>/blobs`' },
  { name: 's3Endpoint', doc: 'S3-compatible endpoint for `s3://` artifacts', option: 's3Endpoint', flags: ['--s3-endpoint'], env: 'SYMPHAINY_S3_ENDPOINT',
    file: { key: 's3_endpoint', get: (f) => f.s3Endpoint }, kind: S3_ENDPOINT, default: undefined, defaultText: 'AWS' },
  { name: 'inlineMaxBytes', doc: 'renderings up to this size are kept in the database (`0`: none)', option: 'inlineMaxBytes',
    file: { key: 'inline_max_bytes', get: (f) => f.inlineMaxBytes }, kind: integer(0), default: DEFAULT_INLINE_MAX_BYTES },
  { name: 'cache', doc: "cache tier: `redis://host:port`, `rediss://host:port` (TLS) or `embedded` (or a CacheStore option)", option: 'cache', flags: ['--cache'], env: 'SYMPHAINY_CACHE',
    file: { key: 'cache', get: (f) => f.cache }, kind: CACHE,
    default: undefined, defaultText: 'embedded table' },
  { name: 'events', doc: 'also publish events to NATS JetStream', option: 'events', flags: ['--events'], env: 'SYMPHAINY_EVENTS',
    file: { key: 'events', get: (f) => f.events }, kind: text('a nats:// URL'), default: undefined, defaultText: 'in-process subscribers only' },
  { name: 'platformPolicy', doc: 'platform policy YAML (governance rules above every solution), or a loaded one', option: 'platformPolicy',
    flags: ['--platform-policy'], env: 'SYMPHAINY_PLATFORM_POLICY', file: { key: 'platform_policy', get: (f) => f.platformPolicy },
    kind: text('a file'), default: undefined, defaultText: 'none' },
  { name: 'runtimeConfig', doc: 'the runtime config YAML these keys are read from', option: 'runtimeConfig', flags: ['--runtime-config'],
    env: 'SYMPHAINY_RUNTIME_CONFIG', kind: text('a file'), default: undefined, defaultText: 'none' },
  { name: 'logLevel', doc: 'level of the default logger (JSON on stderr)', env: 'SYMPHAINY_LOG_LEVEL', kind: oneOf(LOG_LEVELS as unknown as [string, ...string[]]),
    default: 'warn' },
  { name: 'realmTimeoutMs', doc: 'how long a realm handler may run unless its intent sets `timeoutMs`', option: 'realmTimeoutMs',
    file: { key: 'realm_timeout', get: (f) => f.realmTimeoutMs }, kind: durationMs(), default: 30_000 },
  { name: 'leaseMs', doc: 'lease of a running execution without renewal (renewed every third)', option: 'leaseMs', flags: ['--lease'],
    file: { key: 'worker.lease', get: (f) => f.worker?.leaseMs }, kind: durationMs({ minMs: 300 }), default: 30_000 },
  { name: 'sweepIntervalSeconds', doc: 'retention sweeps while open', option: 'sweepIntervalSeconds', kind: durationSeconds(),
    default: undefined, defaultText: `none: \`runtime.sweep()\` (\`serve\`, \`worker\`: ${LONG_RUNNING_SWEEP_INTERVAL_SECONDS / 60} min)` },
  { name: 'gcGraceSeconds', doc: 'the sweep removes unreferenced blob-store files older than this', option: 'gcGraceSeconds',
    file: { key: 'gc_grace', get: (f) => f.gcGraceSeconds }, kind: nonNegativeNumber('seconds', MAX_DURATION_SECONDS), default: 3600 },
  { name: 'cachePurgeIntervalSeconds', doc: 'purges of expired cache entries while open', option: 'cachePurgeIntervalSeconds',
    kind: durationSeconds(), default: 60 },
  { name: 'relayPollIntervalMs', doc: 'outbox checks for events committed by other processes', option: 'relayPollIntervalMs',
    kind: durationMs(), default: undefined, defaultText: '1 s with a server or an external event sink, else none' },
  { name: 'lockWaitMs', doc: 'wait for a data dir another process holds', option: 'lockWaitMs', kind: integer(0), default: 15_000 },
  { name: 'worker.concurrency', doc: 'executions a worker runs at once', flags: ['--concurrency', '--worker-concurrency'],
    file: { key: 'worker.concurrency', get: (f) => f.worker?.concurrency }, kind: integer(1, 1024), default: 4 },
  { name: 'worker.pollIntervalMs', doc: 'worker pause when the queue is empty', flags: ['--poll-interval'],
    file: { key: 'worker.poll_interval', get: (f) => f.worker?.pollIntervalMs }, kind: durationMs(), default: 1000 },
  { name: 'drainTimeoutMs', doc: 'drain on SIGTERM/SIGINT (`serve`, `worker`)', flags: ['--drain-timeout'], env: 'SYMPHAINY_DRAIN_TIMEOUT',
    file: { key: 'drain_timeout', get: (f) => f.drainTimeoutMs }, kind: durationMs(), default: undefined, defaultText: 'realm timeout + 5 s' },
  { name: 'http.port', doc: '`serve`: port (0: any free one)', flags: ['--port'], file: { key: 'http.port', get: (f) => f.http?.port },
    kind: integer(0, 65535), default: 7070 },
  { name: 'http.host', doc: '`serve`: address to listen on', flags: ['--host'], file: { key: 'http.host', get: (f) => f.http?.host },
    kind: text('an address'), default: '127.0.0.1' },
  { name: 'http.adminKey', doc: '`serve`: admin key (at least 32 characters)', env: 'SYMPHAINY_ADMIN_KEY',
    file: { key: 'http.admin_key', get: (f) => f.http?.adminKey }, kind: secret(32), default: undefined, defaultText: 'none: admin routes off' },
  { name: 'http.limits.bodyBytes', doc: '`serve`: bytes of a request body', file: { key: 'http.limits.body', get: (f) => f.http?.limits?.bodyBytes },
    kind: integer(1), default: DEFAULT_HTTP_LIMITS.bodyBytes },
  { name: 'http.limits.parameterDepth', doc: '`serve`: nesting depth of intent parameters',
    file: { key: 'http.limits.parameter_depth', get: (f) => f.http?.limits?.parameterDepth }, kind: integer(1), default: DEFAULT_HTTP_LIMITS.parameterDepth },
  { name: 'http.limits.renderingBytes', doc: '`serve`: bytes of a served rendering',
    file: { key: 'http.limits.rendering', get: (f) => f.http?.limits?.renderingBytes }, kind: integer(1), default: DEFAULT_HTTP_LIMITS.renderingBytes },
  { name: 'http.limits.pageSize', doc: '`serve`: largest `limit` of a listing', file: { key: 'http.limits.page_size', get: (f) => f.http?.limits?.pageSize },
    kind: integer(1, 10_000), default: DEFAULT_HTTP_LIMITS.pageSize },
  { name: 'http.timeouts.headersMs', doc: "`serve`: time to receive a request's headers", file: { key: 'http.timeouts.headers', get: (f) => f.http?.timeouts?.headersMs },
    kind: durationMs(), default: DEFAULT_HTTP_TIMEOUTS.headersMs },
  { name: 'http.timeouts.requestMs', doc: '`serve`: time to receive a whole request', file: { key: 'http.timeouts.request', get: (f) => f.http?.timeouts?.requestMs },
    kind: durationMs(), default: DEFAULT_HTTP_TIMEOUTS.requestMs },
  { name: 'http.timeouts.keepAliveMs', doc: '`serve`: idle keep-alive connection', file: { key: 'http.timeouts.keep_alive', get: (f) => f.http?.timeouts?.keepAliveMs },
    kind: durationMs(), default: DEFAULT_HTTP_TIMEOUTS.keepAliveMs },
  { name: 'http.timeouts.idleSocketMs', doc: '`serve`: socket without any traffic (`0`: never)',
    file: { key: 'http.timeouts.idle_socket', get: (f) => f.http?.timeouts?.idleSocketMs }, kind: durationMs({ zero: true }),
    default: DEFAULT_HTTP_TIMEOUTS.idleSocketMs },
  { name: 'http.maxConnections', doc: '`serve`: open connections at once', file: { key: 'http.max_connections', get: (f) => f.http?.maxConnections },
    kind: integer(1), default: DEFAULT_MAX_CONNECTIONS },
  { name: 'telemetry.tracesExporter', doc: '`serve`, `run`, `submit`, `worker`: export spans (`otlp`: OTLP over HTTP, JSON) or not (`none`); other standard exporters (`zipkin`, `console`) pass the options, for an embedding application\'s SDK, and are refused by those commands',
    env: 'OTEL_TRACES_EXPORTER', kind: wordList(OTEL_TRACES_EXPORTERS), default: 'none' },
  { name: 'telemetry.endpoint', doc: 'OTLP endpoint; spans go to `<endpoint>/v1/traces` (read only when the exporter is `otlp`, as the next three)',
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT', kind: httpUrl(), default: undefined, defaultText: '`http://localhost:4318`', onlyWhen: exportsOtlp },
  { name: 'telemetry.tracesEndpoint', doc: 'OTLP traces URL, used as it is (over the endpoint)', env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    kind: httpUrl(), default: undefined, defaultText: '`<endpoint>/v1/traces`', onlyWhen: exportsOtlp },
  { name: 'telemetry.protocol', doc: 'OTLP protocol (only JSON over HTTP is built in)', env: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    kind: oneOf(['http/json']), default: 'http/json', onlyWhen: exportsOtlp },
  { name: 'telemetry.tracesProtocol', doc: 'OTLP protocol for traces (over the general one; only JSON over HTTP is built in)', env: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    kind: oneOf(['http/json']), default: undefined, defaultText: 'the general protocol', onlyWhen: exportsOtlp },
  { name: 'telemetry.serviceName', doc: '`service.name` of the exported spans', env: 'OTEL_SERVICE_NAME', kind: text('a name'), default: 'symphainy' },
];

/** Every option but the two sections compiled on their own (`groupCommit`, `retryPolicy`). */
export const OPTION_SPECS: readonly OptionSpec[] = Object.freeze(OPTION_SPECS_LIST.map((s) => Object.freeze(s)));

/**
 * `createRuntime` options that hold objects the runtime uses as they are
 * (realms, a logger, a database…): checked for their shape only, never
 * frozen or copied. Some also take text (`cache`, `platformPolicy`,
 * `runtimeConfig`), which {@link OPTION_SPECS} checks.
 */
export const OBJECT_OPTIONS: Readonly<Record<string, { readonly expected: string; readonly ok: (v: unknown) => boolean }>> = Object.freeze({
  realms: { expected: 'a list of realms', ok: Array.isArray },
  governance: { expected: 'a list of governance rules', ok: Array.isArray },
  eventSinks: { expected: 'a list of event sinks', ok: Array.isArray },
  solutionConfig: { expected: 'a file or a loaded solution config', ok: (v) => typeof v === 'string' || isObject(v) },
  platformPolicy: { expected: 'a file or a loaded platform policy', ok: (v) => typeof v === 'string' || isObject(v) },
  runtimeConfig: { expected: 'a file or a loaded runtime config', ok: (v) => typeof v === 'string' || isObject(v) },
  cache: { expected: 'redis://host:port, rediss://host:port, embedded or a CacheStore', ok: (v) => typeof v === 'string' || isObject(v) },
  logger: { expected: 'a pino logger', ok: isObject },
  db: { expected: 'a Db', ok: isObject },
  blobStore: { expected: 'a BlobStore', ok: isObject },
  faults: { expected: 'an object of fault hooks', ok: isObject },
  now: { expected: 'a function returning a Date', ok: (v) => typeof v === 'function' },
  keyProvider: { expected: 'a KeyProvider (e.g. a KmsKeyProvider)', ok: isObject },
});

/** Every `createRuntime` option name (what an unknown option is checked against). */
export const RUNTIME_OPTION_NAMES: readonly string[] = Object.freeze([
  ...new Set([...OPTION_SPECS.flatMap((s) => (s.option ? [s.option] : [])), ...Object.keys(OBJECT_OPTIONS), 'groupCommit', 'retryPolicy']),
].sort());

/** Every environment variable an option reads. */
export const OPTION_ENV_NAMES: readonly string[] = Object.freeze(OPTION_SPECS.flatMap((s) => (s.env ? [s.env] : [])));

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A secret of at least `min` characters; refusals never echo it. */
function secret(min: number): OptionKind {
  const schema = z.string({ error: 'must be text' }).min(min, `must be at least ${min} characters`);
  return { describe: `text, at least ${min} characters`, value: schema, text: schema };
}
