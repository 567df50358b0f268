import type { KeyProvider } from '../crypto/key-provider.ts';
import type { Logger } from 'pino';
import type { BlobStore } from '../artifacts/blob-store.ts';
import type { CacheStore } from '../cache/cache-store.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { GovernanceRule } from '../policy/governance.ts';
import type { PlatformPolicy } from '../policy/platform-policy.ts';
import type { SolutionConfig } from '../policy/solution-config.ts';
import type { Realm } from '../realm/define-realm.ts';
import type { Db } from '../db/db.ts';
import type { GroupCommitOptions } from '../db/group-commit.ts';
import type { Faults } from '../execution/fault-points.ts';
import type { RuntimeConfigFile } from '../options/runtime-config-file.ts';
import type { RetryPolicy } from '../policy/retry-policy.ts';

/**
 * Options of {@link createRuntime}. Every field has a default; `createRuntime()` alone gives the embedded runtime.
 *
 * They are compiled with the environment and the runtime config file by
 * `compileRuntimeOptions` (src/options) before anything opens: one
 * ConfigError lists every bad or unknown option (`option poolSize: must be
 * an integer from 1 to 1000, got -3`). The defaults below are those of the
 * option table (`OPTION_SPECS`), which the README's table is generated from;
 * `runtime.options` holds the compiled result.
 */
export interface RuntimeOptions {
  /**
   * Directory of the embedded database (`db/`) and the artifact blobs
   * (`blobs/`). Locked while the runtime is open.
   * @default './.symphainy' (or $SYMPHAINY_DATA_DIR)
   */
  dataDir?: string;
  /** Keep everything in memory and in a temporary blob folder removed on close (tests, one-off runs). @default false */
  memory?: boolean;
  /**
   * Seal tenant content at rest (parameters, payloads, results, error messages, step results,
   * signals, stream chunks, WAL content) under per-tenant, session and subject data keys, so an
   * erasure destroys keys. @default true (or $SYMPHAINY_ENCRYPTION)
   */
  encryption?: boolean;
  /**
   * Directory of the wrapped data keys. Processes sharing a PostgreSQL server share it, with the
   * same KEK ($SYMPHAINY_KEK or $SYMPHAINY_KEK_FILE). @default $SYMPHAINY_KEY_DIR, else `<dataDir>/keys`
   */
  keyDir?: string;
  /** Wraps data keys instead of the local KEK (e.g. a `KmsKeyProvider`). @default the local KEK */
  keyProvider?: KeyProvider;
  /** Realms to register. The example realms are not registered unless listed (see `exampleRealms`). @default [] */
  realms?: readonly Realm[];
  /** The solution configuration: a loaded config or the path of a YAML file. @default none (platform default policy) */
  solutionConfig?: SolutionConfig | string;
  /** Governance rules, above any solution configuration (or give them in `platformPolicy`). @default [] */
  governance?: readonly GovernanceRule[];
  /**
   * The platform policy file (its `governance:` rules) or a loaded one (`loadPlatformPolicy`).
   * @default $SYMPHAINY_PLATFORM_POLICY, else the runtime config's `platform_policy`, else none
   */
  platformPolicy?: string | PlatformPolicy;
  /** Milliseconds a realm handler may run unless its intent sets `timeoutMs`. @default 30000 */
  realmTimeoutMs?: number;
  /** A pino logger. @default JSON on stderr at level $SYMPHAINY_LOG_LEVEL or `warn` */
  logger?: Logger;
  /**
   * A YAML runtime config file with the keys below in snake_case (`database_url`, `artifacts`,
   * `s3_endpoint`, `cache`, `events`, `data_dir`, `realm_timeout`, `worker`). Options and
   * environment variables win over it. A path, or a file loaded with `loadRuntimeConfig`.
   * @default $SYMPHAINY_RUNTIME_CONFIG, else none
   */
  runtimeConfig?: string | RuntimeConfigFile;
  /**
   * A PostgreSQL server (`postgres://user@host:port/db`) instead of the embedded store; many
   * runtime processes may share it. @default $SYMPHAINY_DATABASE_URL, else the embedded store
   */
  databaseUrl?: string;
  /** Connections in the PostgreSQL pool. @default 10 */
  poolSize?: number;
  /**
   * PostgreSQL: milliseconds a statement may run (server `statement_timeout`;
   * the client closes a connection that stays silent 2 s longer, so a
   * blackholed server fails requests with SYM_ERR_STORE instead of hanging them).
   * @default $SYMPHAINY_STATEMENT_TIMEOUT, else the runtime config's `database.statement_timeout`, else 30000
   */
  statementTimeoutMs?: number;
  /**
   * PostgreSQL: milliseconds to get a connection before an operation fails with SYM_ERR_STORE.
   * @default $SYMPHAINY_CONNECT_TIMEOUT, else `database.connect_timeout`, else 5000
   */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL: milliseconds start-up keeps trying an unreachable server (logged
   * exponential backoff) before failing; 0 fails at once.
   * @default $SYMPHAINY_DATABASE_WAIT, else `database.startup_wait`, else 30000
   */
  startupWaitMs?: number;
  /**
   * Group commit: concurrent executions' record, completion and failure writes
   * share transactions — at most `maxBatch` writes each (default 128), a batch
   * waiting at most `maxWaitMs` to fill while others are in flight (default 0;
   * never when idle), `maxConcurrentBatches` at once on a server (default 4; 1
   * embedded). Each write's promise resolves only after its transaction
   * commits; a write that fails is rolled back alone (savepoint). `false`: one
   * transaction per write. @default the runtime config's `group_commit`, else on with the defaults
   */
  groupCommit?: GroupCommitOptions | false;
  /** Use this database instead of opening one (it is migrated, not closed by the runtime). */
  db?: Db;
  /**
   * Where artifact renderings go: `s3://bucket/prefix` or a directory.
   * @default $SYMPHAINY_ARTIFACTS, else `<dataDir>/blobs`
   */
  artifacts?: string;
  /** Endpoint of an S3-compatible store (MinIO, …) for `s3://` artifacts. @default $SYMPHAINY_S3_ENDPOINT, else AWS */
  s3Endpoint?: string;
  /**
   * Renderings of at most this many bytes are stored in the database, with
   * their artifact's index row in the completion transaction, instead of the
   * blob store (no file, no fsync each); 0 sends every rendering to the blob
   * store. @default 16384
   */
  inlineMaxBytes?: number;
  /** Artifact blob store object; wins over `artifacts`. */
  blobStore?: BlobStore;
  /**
   * Cache tier for `cache` decisions: a store, `redis://host:port`, or `embedded`.
   * @default $SYMPHAINY_CACHE, else the embedded TTL table
   */
  cache?: CacheStore | string;
  /**
   * Publish every outbox event to NATS JetStream (`nats://host:port`), subject
   * `symphainy.<tenant>.<eventType>`, message id = event id. @default $SYMPHAINY_EVENTS, else in-process only
   */
  events?: string;
  /** More event sinks for the outbox relay, beside the in-process bus (and NATS when `events` is set). */
  eventSinks?: readonly EventSink[];
  /** Milliseconds between outbox checks for events committed by other processes. @default 1000 with a server or external sink */
  relayPollIntervalMs?: number;
  /**
   * Stamps records (state transitions, WAL `recordedAt`, event times, tenant
   * and policy records). Decides nothing: every deadline — retention, cache
   * expiry, sweeps, tombstones, erasure, leases — is the database's time.
   * @default the database's time (`DatabaseClock`, in `src/store/database-clock.ts`)
   */
  now?: () => Date;
  /** Seconds between retention sweeps while open (`serve` and `worker` set 300); fractions allowed, at most 24 days. @default none: sweep with `runtime.sweep()` */
  sweepIntervalSeconds?: number;
  /**
   * Grace period of the sweep's garbage collection, seconds: files in the
   * blob store that no index row references (crash leftovers) are removed
   * once older than this. @default the runtime config's `gc_grace`, else 3600
   */
  gcGraceSeconds?: number;
  /** Seconds between purges of expired cache entries while open; fractions allowed, at most 24 days. @default 60 */
  cachePurgeIntervalSeconds?: number;
  /** Milliseconds to wait for a data dir another process holds. @default 15000 */
  lockWaitMs?: number;
  /**
   * Retry policy of queued executions whose realm sets none (Temporal's
   * shape): `maximumAttempts` (5), `initialInterval` (1 s),
   * `backoffCoefficient` (2), `maximumInterval` (100 × initial),
   * `nonRetryableErrorCodes` ([]). Past the attempts an execution is `dead`.
   * @default the runtime config's `retry_policy`, else those defaults
   */
  retryPolicy?: RetryPolicy;
  /**
   * Milliseconds a direct execution's lease holds without renewal; renewed
   * every third of it while it runs. A server recovers one whose lease ran
   * out (its process died or lost the database). @default the runtime config's `worker.lease`, else 30000
   */
  leaseMs?: number;
  /** Test hooks at named points of the write path; see FaultPoint. */
  faults?: Faults;
}
