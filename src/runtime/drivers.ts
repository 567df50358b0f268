import { importOptional } from '../package/optional-packages.ts';

/**
 * The drivers of the optional backends, loaded only when a URL or option asks
 * for one. Their packages (`pg`, `@aws-sdk/client-s3` with
 * `@aws-sdk/lib-storage`, `ioredis`, `nats`) are optional peer dependencies:
 * the embedded runtime never loads them, and a missing one is reported as
 * {@link MissingPackageError} naming what to install, not as a module
 * resolution stack trace.
 */

/** PostgreSQL through `pg`, for a `postgres://` database URL. */
export const loadPgDriver = () =>
  importOptional(() => import('../db/pg/pg-db.ts'), ['pg'], 'a postgres:// database URL');

/** S3 through the AWS SDK, for artifacts at `s3://bucket/prefix`. */
export const loadS3Driver = () =>
  importOptional(
    () => import('../artifacts/s3/s3-blob-store.ts'),
    ['@aws-sdk/client-s3', '@aws-sdk/lib-storage'],
    'artifacts at s3://',
  );

/** Redis through `ioredis`, for a `redis://` cache. */
export const loadRedisDriver = () =>
  importOptional(() => import('../cache/redis/redis-cache.ts'), ['ioredis'], 'a redis:// cache');

/** NATS JetStream through `nats`, for a `nats://` event sink. */
export const loadNatsDriver = () =>
  importOptional(() => import('../events/nats/nats-sink.ts'), ['nats'], 'a nats:// event sink');

