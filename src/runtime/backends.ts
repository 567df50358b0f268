import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { BlobStore } from '../artifacts/blob-store.ts';
import { FsBlobStore } from '../artifacts/fs/fs-blob-store.ts';
import type { CacheStore } from '../cache/cache-store.ts';
import type { ContentCipher } from '../crypto/content-cipher.ts';
import { EmbeddedCache } from '../cache/embedded-cache.ts';
import type { RedisCache } from '../cache/redis/redis-cache.ts';
import { ConfigError, StoreError } from '../errors/index.ts';
import type { NatsEventSink } from '../events/nats/nats-sink.ts';
import type { Db } from '../db/db.ts';
import { compileRuntimeOptions, type DatabaseTimeouts } from '../options/compile-runtime-options.ts';
import { redact } from '../options/option-kinds.ts';
import type { RuntimeConfigFile } from '../options/runtime-config-file.ts';
export type { DatabaseTimeouts } from '../options/compile-runtime-options.ts';
import type { RuntimeOptions } from './runtime-options.ts';
import { loadNatsDriver, loadRedisDriver, loadS3Driver } from './drivers.ts';

/** Where each part of the runtime lives, after flags, environment and config file are merged (the compiled options have these fields). */
export interface BackendSettings {
  readonly dataDir: string;
  readonly databaseUrl?: string;
  readonly artifacts?: string;
  readonly s3Endpoint?: string;
  readonly cache?: string;
  readonly events?: string;
}

/**
 * Per key: the option (a flag) wins over the environment, which wins over
 * the config file. Reads through {@link compileRuntimeOptions}, so a bad
 * value anywhere is a ConfigError naming its source.
 */
export function resolveBackendSettings(
  options: RuntimeOptions,
  file: RuntimeConfigFile | undefined,
  env: NodeJS.ProcessEnv = process.env,
): BackendSettings {
  const o = compileRuntimeOptions({ options, env, ...(file ? { file } : {}) });
  const settings: Record<string, string | undefined> = {
    dataDir: o.dataDir, databaseUrl: o.databaseUrl, artifacts: o.artifacts, s3Endpoint: o.s3Endpoint, cache: o.cache, events: o.events,
  };
  for (const [k, v] of Object.entries(settings)) if (v === undefined) delete settings[k];
  return settings as unknown as BackendSettings;
}

/** Per key: the option wins over the environment, which wins over the config file's `database:` section (see {@link compileRuntimeOptions}). */
export function resolveDatabaseTimeouts(
  options: RuntimeOptions,
  file: RuntimeConfigFile | undefined,
  env: NodeJS.ProcessEnv = process.env,
): DatabaseTimeouts {
  return compileRuntimeOptions({ options, env, ...(file ? { file } : {}) }).database;
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
  // Compiled settings: `artifacts` is s3:// or a directory, and `s3Endpoint` only comes with s3://.
  if (where) return { value: new FsBlobStore({ root: resolve(where) }) };
  if (memory) {
    // Blobs live as long as the records that point at them: with an in-memory store, a temp dir.
    const tmp = await mkdtemp(join(tmpdir(), 'symphainy-blobs-'));
    return { value: new FsBlobStore({ root: tmp }), close: () => rm(tmp, { recursive: true, force: true }) };
  }
  return { value: new FsBlobStore({ root: join(settings.dataDir, 'blobs') }) };
}

/** The cache tier: Redis for `redis://…`/`rediss://…` (optionally `?prefix=NAME`), else the embedded table in the runtime's database. */
export async function openCache(settings: BackendSettings, db: Db, logger?: Logger, cipher?: ContentCipher): Promise<OpenedBackend<CacheStore>> {
  const where = settings.cache;
  const sealing = cipher ? { cipher } : {};
  if (where === undefined || where === 'embedded') return { value: new EmbeddedCache(db, sealing) };
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
      cache = await RedisCache.connect({ url, ...(keyPrefix ? { keyPrefix } : {}), ...sealing });
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      // Redis down at start is not fatal: the runtime starts with the cache tier degraded (cache
      // decisions fail with SYM_ERR_STORE) and the client keeps connecting.
      logger?.warn({ err: err.message }, 'Redis unreachable at start; the cache tier is degraded until it answers');
      cache = new RedisCache({ url, ...(keyPrefix ? { keyPrefix } : {}), retryFromStart: true, ...sealing });
      cache.connectInBackground();
    }
    return { value: cache, close: () => cache.close() };
  }
  // Compiled settings never get here (the compile step refuses other values).
  throw new ConfigError(`cache must be redis://host:port, rediss://host:port or 'embedded', got ${JSON.stringify(redact(where))}`);
}

/** The external event sink for `nats://…` (JetStream), if any. */
export async function openEventSink(settings: BackendSettings, logger: Logger): Promise<OpenedBackend<NatsEventSink> | null> {
  if (settings.events === undefined) return null;
  const { NatsEventSink } = await loadNatsDriver();
  // NATS down at start is not fatal: the sink starts degraded and events wait in the outbox.
  const sink = await NatsEventSink.open({ servers: settings.events, logger });
  return { value: sink, close: () => sink.close() };
}
