/**
 * `symphainy/s3`: artifact renderings in S3 or an S3-compatible store, as a
 * `blobStore` object. Needs the optional peer dependencies
 * `@aws-sdk/client-s3` and `@aws-sdk/lib-storage`. The `artifacts:
 * 's3://bucket/prefix'` option alone does not need this entry point.
 *
 * @example
 * ```ts
 * import { createRuntime } from 'symphainy';
 * import { S3BlobStore, parseS3Url } from 'symphainy/s3';
 * const runtime = await createRuntime({ blobStore: new S3BlobStore({ ...parseS3Url('s3://bucket/symphainy') }) });
 * ```
 * @module
 */
export { S3BlobStore, parseS3Url, type S3BlobStoreOptions } from './s3-blob-store.ts';
