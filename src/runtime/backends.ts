import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { BlobStore } from '../artifacts/blob-store.ts';
import { FsBlobStore } from '../artifacts/fs/fs-blob-store.ts';
import type { CacheStore } from '../cache/cache-store.ts';
import { EmbeddedCache } from '../cache/embedded-cache.ts';
import type { RedisCache } from '../cache/redis/redis-cache.ts';
import { ConfigError, StoreError } from '../errors/index.ts';
import type { NatsEventSink } from '../events/nats/nats-sink.ts';
import { parseDuration } from '../policy/duration.ts';
import type { Db } from '../db/db.ts';
import type { RuntimeConfigFile } from './runtime-config.ts';
import type { RuntimeOptions } from './runtime-options.ts';
import { loadNatsDriver, loadRedisDriver, loadS3Driver } from './drivers.ts';

/** Where each part of the runtime lives, after flags, environment and config file are merged. */
export interface BackendSettings {
  readonly dataDir: string;
  readonly databaseUrl?: string;
  readonly artifacts?: string;
  readonly s3Endpoint?: string;
  readonly cache?: string;
  readonly events?: string;
}

/** Environment variables, one per setting (`SYMPHAINY_<KEY>`). */
export const BACKEND_ENV = {
  dataDir: 'SYMPHAINY_DATA_DIR',
  databaseUrl: 'SYMPHAINY_DATABASE_URL',
  artifacts: 'SYMPHAINY_ARTIFACTS',
  s3Endpoint: 'SYMPHAINY_S3_ENDPOINT',
  cache: 'SYMPHAINY_CACHE',
  events: 'SYMPHAINY_EVENTS',
} as const;

/** Per key: the option (a flag) wins over the environment, which wins over the config file. */
export function resolveBackendSettings(
  options: RuntimeOptions,
  file: RuntimeConfigFile | undefined,
  env: NodeJS.ProcessEnv = process.env,
): BackendSettings {
  const pick = (key: keyof typeof BACKEND_ENV, option: unknown): string | undefined => {
    if (typeof option === 'string') return option;
    const fromEnv = env[BACKEND_ENV[key]];
    if (fromEnv) return fromEnv;
    return file?.[key];
  };
  const settings: Record<string, string | undefined> = {
    dataDir: resolve(pick('dataDir', options.dataDir) ?? '.symphainy'),
    databaseUrl: pick('databaseUrl', options.databaseUrl),
    artifacts: pick('artifacts', options.artifacts),
    s3Endpoint: pick('s3Endpoint', options.s3Endpoint),
    cache: pick('cache', options.cache),
    events: pick('events', options.events),
  };
  for (const [k, v] of Object.entries(settings)) if (v === undefined) delete settings[k];
  return settings as unknown as BackendSettings;
}

/** How the runtime treats its PostgreSQL server (see {@link PgDbOptions}); all milliseconds. */
export interface DatabaseTimeouts {
  readonly statementTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly startupWaitMs: number;
}

/** Environment variables of {@link DatabaseTimeouts}: durations (`30s`, `2m`; `0` for no start-up wait). */
export const DATABASE_TIMEOUT_ENV = {
  statementTimeoutMs: 'SYMPHAINY_STATEMENT_TIMEOUT',
  connectTimeoutMs: 'SYMPHAINY_CONNECT_TIMEOUT',
  startupWaitMs: 'SYMPHAINY_DATABASE_WAIT',
} as const;

/** The defaults of a runtime (PgDb alone does not wait at start-up). */
export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = Object.freeze({ statementTimeoutMs: 30_000, connectTimeoutMs: 5_000, startupWaitMs: 30_000 });

/** Per key: the option wins over the environment, which wins over the config file's `database:` section. */
export function resolveDatabaseTimeouts(
  options: RuntimeOptions,
  file: RuntimeConfigFile | undefined,
  env: NodeJS.ProcessEnv = process.env,
): DatabaseTimeouts {
  const pick = (key: keyof DatabaseTimeouts): number => {
    const option = options[key];
    if (option !== undefined) return option;
    const fromEnv = env[DATABASE_TIMEOUT_ENV[key]]?.trim();
    if (fromEnv) {
      if (key === 'startupWaitMs' && fromEnv === '0') return 0;
      try {
        return parseDuration(fromEnv) * 1000;
      } catch (err) {
        throw new ConfigError(`${DATABASE_TIMEOUT_ENV[key]}: ${(err as Error).message}`);
      }
    }
    return file?.database?.[key] ?? DEFAULT_DATABASE_TIMEOUTS[key];
  };
  return { statementTimeoutMs: pick('statementTimeoutMs'), connectTimeoutMs: pick('connectTimeoutMs'), startupWaitMs: pick('startupWaitMs') };
}

/** What a runtime opened for itself (and closes); absent parts use the embedded defaults. */
export interface OpenedBackend<T> {
  readonly value: T;
  readonly close?: () => Promise<void>;
}

/** The blob store: S3 for `s3://bucket/prefix`, a directory for a path, else `<dataDir>/blobs` (or a temp dir in memory mode). */
export async function openBlobStore(settings: BackendSettings, memory: boolean): Promise<OpenedBackend<BlobStore>> {
  const where = settings.artifacts;
  if (where?.startsWith('s3://')) {
    const { parseS3Url, S3BlobStore } = await loadS3Driver();
    const store = new S3BlobStore({ ...parseS3Url(where), ...(settings.s3Endpoint ? { endpoint: settings.s3Endpoint } : {}) });
    return { value: store, close: () => store.close() };
  }
  if (where && /^[a-z][a-z0-9+.-]*:\/\//i.test(where)) {
    throw new ConfigError(`artifacts must be s3://bucket/prefix or a directory, got ${JSON.stringify(where)}`);
  }
  if (settings.s3Endpoint) throw new ConfigError('s3Endpoint is set but artifacts is not an s3:// URL');
  if (where) return { value: new FsBlobStore({ root: resolve(where) }) };
  if (memory) {
    // Blobs live as long as the records that point at them: with an in-memory store, a temp dir.
    const tmp = await mkdtemp(join(tmpdir(), 'symphainy-blobs-'));
    return { value: new FsBlobStore({ root: tmp }), close: () => rm(tmp, { recursive: true, force: true }) };
  }
  return { value: new FsBlobStore({ root: join(settings.dataDir, 'blobs') }) };
}

/** The cache tier: Redis for `redis://…`/`rediss://…` (optionally `?prefix=NAME`), else the embedded table in the runtime's database. */
export async function openCache(settings: BackendSettings, db: Db, logger?: Logger): Promise<OpenedBackend<CacheStore>> {
  const where = settings.cache;
  if (where === undefined || where === 'embedded') return { value: new EmbeddedCache(db) };
  if (/^rediss?:\/\//.test(where)) {
    // `?prefix=NAME` puts every key under NAME (default `symphainy`), so deployments can share a Redis.
    let url = where;
    let keyPrefix: string | undefined;
    try {
      const u = new URL(where);
      keyPrefix = u.searchParams.get('prefix') ?? undefined;
      u.searchParams.delete('prefix');
      url = u.toString();
    } catch {
      /* RedisCache names the malformed URL (without credentials) */
    }
    const { RedisCache } = await loadRedisDriver();
    let cache: RedisCache;
    try {
      cache = await RedisCache.connect({ url, ...(keyPrefix ? { keyPrefix } : {}) });
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      // Redis down at start is not fatal: the runtime starts with the cache tier degraded (cache
      // decisions fail with SYM_ERR_STORE) and the client keeps connecting.
      logger?.warn({ err: err.message }, 'Redis unreachable at start; the cache tier is degraded until it answers');
      cache = new RedisCache({ url, ...(keyPrefix ? { keyPrefix } : {}), retryFromStart: true });
      cache.connectInBackground();
    }
    return { value: cache, close: () => cache.close() };
  }
  throw new ConfigError(`cache must be redis://host:port or 'embedded', got ${JSON.stringify(where.replace(/\/\/[^@/]*@/, '//***@'))}`);
}

/** The external event sink for `nats://…` (JetStream), if any. */
export async function openEventSink(settings: BackendSettings, logger: Logger): Promise<OpenedBackend<NatsEventSink> | null> {
  if (settings.events === undefined) return null;
  const { NatsEventSink } = await loadNatsDriver();
  // NATS down at start is not fatal: the sink starts degraded and events wait in the outbox.
  const sink = await NatsEventSink.open({ servers: settings.events, logger });
  return { value: sink, close: () => sink.close() };
}
