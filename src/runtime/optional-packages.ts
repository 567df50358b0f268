import { MissingPackageError } from '../errors/index.ts';

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
  importOptional(() => import('../store/pg/pg-db.ts'), ['pg'], 'a postgres:// database URL');

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

/**
 * Runs `load`; when it fails because one of `packages` cannot be resolved,
 * throws MissingPackageError naming every package of the set (they are
 * installed together). Any other failure propagates as it is.
 */
export async function importOptional<T>(load: () => Promise<T>, packages: readonly string[], purpose: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : '';
    // Node: "Cannot find package 'pg' imported from …/pg-db.js".
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && packages.some((p) => message.includes(`'${p}'`))) {
      throw new MissingPackageError(packages, purpose, { cause: err });
    }
    throw err;
  }
}
