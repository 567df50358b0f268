import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ArtifactStorageError, ConfigError } from '../../errors/index.ts';
import { assertSafeKey, type BlobListing, type BlobStore } from '../blob-store.ts';

const MiB = 1024 * 1024;
/** S3's smallest allowed part (except the last); lib-storage refuses smaller ones. */
const MIN_PART_SIZE = 5 * MiB;

export interface S3BlobStoreOptions {
  bucket: string;
  /** Folder inside the bucket that all keys go under (no leading or trailing `/`). @default none */
  prefix?: string;
  /** An S3-compatible endpoint (MinIO, s3rver, R2…). @default AWS's regional endpoint */
  endpoint?: string;
  /** @default $AWS_REGION, else `us-east-1` */
  region?: string;
  /** Address buckets as `<endpoint>/<bucket>` rather than `<bucket>.<endpoint>`. @default true when `endpoint` is set */
  forcePathStyle?: boolean;
  /** Static keys. @default the SDK's default provider chain (environment, profile, instance role…) */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Blobs of at least this many bytes go up as a multipart upload. @default 8 MiB */
  multipartThresholdBytes?: number;
  /** Part size of multipart uploads; at least 5 MiB. @default 8 MiB */
  partSizeBytes?: number;
  /** Attempts per request, including the first. @default 3 */
  maxAttempts?: number;
  /** Give up connecting after this long. @default 5000 */
  connectionTimeoutMs?: number;
  /** Give up on a socket idle for this long (a stalled server). @default 60000 */
  socketTimeoutMs?: number;
}

/**
 * General notes: S3BlobStore keeps blobs as objects in one bucket, each at
 * `<prefix>/<key>`. It only moves bytes: keys, hashing and manifests are
 * {@link ArtifactStorage}'s. Keys are content-addressed, so a repeated `put`
 * rewrites identical bytes and needs no conditional write; an object becomes
 * visible only once PutObject or CompleteMultipartUpload succeeds, so readers
 * never see half a blob. A failed multipart upload is aborted by lib-storage.
 * Every failure surfaces as {@link ArtifactStorageError} naming the object and
 * S3's error, never the credentials.
 */
export class S3BlobStore implements BlobStore {
  readonly name = 's3';
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #threshold: number;
  readonly #partSize: number;

  constructor(options: S3BlobStoreOptions) {
    if (!options?.bucket) throw new ConfigError('S3BlobStore needs a bucket');
    assertBucketName(options.bucket, `S3 bucket '${options.bucket}'`);
    this.#bucket = options.bucket;
    this.#prefix = normalizePrefix(options.prefix ?? '', `S3 prefix '${options.prefix}'`);
    this.#threshold = positiveInt(options.multipartThresholdBytes, 8 * MiB, 'multipartThresholdBytes');
    this.#partSize = positiveInt(options.partSizeBytes, 8 * MiB, 'partSizeBytes');
    if (this.#partSize < MIN_PART_SIZE) {
      throw new ConfigError(`S3BlobStore partSizeBytes must be at least ${MIN_PART_SIZE} (5 MiB), got ${this.#partSize}`);
    }
    const { endpoint, credentials } = options;
    this.#client = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(endpoint ? { endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
      // A copy: the SDK writes bookkeeping (`$source`) into the object it is given.
      ...(credentials ? { credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey } } : {}),
      maxAttempts: positiveInt(options.maxAttempts, 3, 'maxAttempts'),
      requestHandler: {
        connectionTimeout: positiveInt(options.connectionTimeoutMs, 5000, 'connectionTimeoutMs'),
        socketTimeout: positiveInt(options.socketTimeoutMs, 60_000, 'socketTimeoutMs'),
      },
      // Since 3.729 the SDK puts a CRC32 checksum header on every upload and
      // sends streamed bodies `aws-chunked` with a trailing checksum. Many
      // S3-compatible stores reject these (R2 answers HTTP 501), and s3rver
      // 3.7 ignores the header but stores an aws-chunked body's framing as the
      // object's bytes. Send only checksums an operation requires; integrity
      // is checked by ArtifactStorage's sha256 on read.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const objectKey = this.#objectKey(key);
    const params = { Bucket: this.#bucket, Key: objectKey, Body: bytes, ContentType: 'application/octet-stream' };
    try {
      if (bytes.byteLength < this.#threshold) {
        await this.#client.send(new PutObjectCommand(params));
      } else {
        await new Upload({ client: this.#client, params, partSize: this.#partSize, queueSize: 4 }).done();
      }
    } catch (err) {
      throw this.#failure('cannot write', key, objectKey, err);
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const objectKey = this.#objectKey(key);
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
      if (!res.Body) throw new Error('GetObject returned no body');
      return await res.Body.transformToByteArray();
    } catch (err) {
      if (errorName(err) === 'NoSuchKey') {
        throw new ArtifactStorageError(`blob '${key}' is missing (${this.#location(objectKey)})`, { cause: err });
      }
      throw this.#failure('cannot read', key, objectKey, err);
    }
  }

  async exists(key: string): Promise<boolean> {
    const objectKey = this.#objectKey(key);
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
      return true;
    } catch (err) {
      // HEAD responses have no body, so S3 reports a missing object only by its status.
      if (errorName(err) === 'NotFound' || errorName(err) === 'NoSuchKey' || httpStatus(err) === 404) return false;
      throw this.#failure('cannot check', key, objectKey, err);
    }
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.#objectKey(key);
    try {
      // S3 answers a delete of a missing key with success too.
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
    } catch (err) {
      throw this.#failure('cannot delete', key, objectKey, err);
    }
  }

  /** Every object under the prefix, in pages of 1000, with its LastModified. */
  async *list(): AsyncIterable<BlobListing> {
    const prefix = this.#prefix ? `${this.#prefix}/` : '';
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      } catch (err) {
        throw this.#failure('cannot list', prefix, prefix, err);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key && o.LastModified) yield { key: o.Key.slice(prefix.length), modifiedAt: o.LastModified };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** A copy onto itself with new metadata: S3's way to refresh LastModified without sending the bytes again. */
  async touch(key: string): Promise<boolean> {
    const objectKey = this.#objectKey(key);
    try {
      await this.#client.send(new CopyObjectCommand({
        Bucket: this.#bucket, Key: objectKey, CopySource: `${this.#bucket}/${encodeURIComponent(objectKey).replace(/%2F/g, '/')}`,
        MetadataDirective: 'REPLACE', ContentType: 'application/octet-stream', Metadata: { touched: new Date().toISOString() },
      }));
      return true;
    } catch (err) {
      if (httpStatus(err) === 404 || errorName(err) === 'NoSuchKey') return false;
      throw this.#failure('cannot touch', key, objectKey, err);
    }
  }

  /**
   * HEAD, then DELETE when LastModified is before `before`. S3 has no
   * conditional delete everywhere, so a blob touched between the two requests
   * (one round trip) could still go; the grace period makes that a blob
   * reused at the very moment it became collectable.
   */
  async deleteIfOlder(key: string, before: Date): Promise<boolean> {
    const objectKey = this.#objectKey(key);
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
      if (!head.LastModified || head.LastModified >= before) return false;
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
      return true;
    } catch (err) {
      if (httpStatus(err) === 404 || errorName(err) === 'NotFound') return false;
      throw this.#failure('cannot remove', key, objectKey, err);
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  #objectKey(key: string): string {
    assertSafeKey(key);
    return this.#prefix ? `${this.#prefix}/${key}` : key;
  }

  #location(objectKey: string): string {
    return `s3://${this.#bucket}/${objectKey}`;
  }

  #failure(what: string, key: string, objectKey: string, err: unknown): ArtifactStorageError {
    const status = httpStatus(err);
    const detail = `${errorName(err)}: ${(err as Error)?.message ?? String(err)}${status ? ` (HTTP ${status})` : ''}`;
    return new ArtifactStorageError(`${what} blob '${key}' at ${this.#location(objectKey)}: ${detail}`, { cause: err });
  }
}

/**
 * Splits `s3://bucket[/prefix]` into its bucket and key prefix (`''` when
 * absent; a trailing `/` is dropped). Throws ConfigError naming the value.
 */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(String(url));
  if (!m) throw new ConfigError(`invalid S3 URL '${url}': expected s3://<bucket>[/<prefix>]`);
  const [, bucket = '', rawPrefix = ''] = m;
  if (!bucket) throw new ConfigError(`invalid S3 URL '${url}': no bucket (expected s3://<bucket>[/<prefix>])`);
  assertBucketName(bucket, `invalid S3 URL '${url}': bucket '${bucket}'`);
  return { bucket, prefix: normalizePrefix(rawPrefix, `invalid S3 URL '${url}': prefix '${rawPrefix}'`) };
}

// S3's general-purpose bucket rules: 3–63 of a-z 0-9 . -, starting and ending alphanumeric, no `..`, not an IP address.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function assertBucketName(bucket: string, subject: string): void {
  if (!BUCKET.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    throw new ConfigError(`${subject} is not a valid bucket name (3-63 lowercase letters, digits, dots and hyphens)`);
  }
}

function normalizePrefix(prefix: string, subject: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (!trimmed) return '';
  try {
    assertSafeKey(trimmed);
  } catch {
    throw new ConfigError(`${subject} is not a valid key prefix ('/'-separated segments of A-Z a-z 0-9 . _ : @ -, no '..')`);
  }
  return trimmed;
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(`S3BlobStore ${name} must be a positive integer, got ${value}`);
  return value;
}

function errorName(err: unknown): string {
  const e = err as { name?: unknown; code?: unknown } | null;
  // Network failures are plain Errors; their code (ECONNREFUSED…) says more than the name.
  if (e?.name === 'Error' && typeof e.code === 'string') return e.code;
  return typeof e?.name === 'string' ? e.name : 'Error';
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}
