import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { journey } from '../../src/examples/realms.ts';
import { parseS3Url, S3BlobStore, type S3BlobStoreOptions } from '../../src/artifacts/s3/s3-blob-store.ts';
import { ArtifactStorageError, ConfigError } from '../../src/errors/index.ts';
import { directResult, uid } from '../runtime/helpers.ts';
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from '../support/s3-server.ts';
import { MVP_CONFIG, SOP_TEXT, testRuntime } from '../support/test-runtime.ts';

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('S3BlobStore against s3rver', () => {
  let server: S3Server;
  let bucket: string;
  let store: S3BlobStore;
  const open = (options: Partial<S3BlobStoreOptions> = {}): S3BlobStore =>
    new S3BlobStore({ bucket, endpoint: server.endpoint, credentials: S3RVER_CREDENTIALS, ...options });

  beforeEach(async () => {
    server = await startS3Server();
    bucket = `test-${randomUUID()}`;
    await server.createBucket(bucket);
    store = open({ prefix: 'blobs' });
  });
  afterEach(async () => {
    await store.close();
    await server.close();
  });

  it('reads back the exact bytes it wrote, under the prefix', async () => {
    const bytes = randomBytes(64 * 1024);
    const key = `tenants/t1/sha256/${sha256(bytes).slice(0, 2)}/${sha256(bytes)}`;
    await store.put(key, bytes);
    assert.deepEqual(await store.get(key), new Uint8Array(bytes));
    assert.ok(server.requests.some((r) => r.method === 'PUT' && r.url.startsWith(`/${bucket}/blobs/${key}?`)), 'stored at <prefix>/<key>');
    // Content-addressed: writing the same key again is harmless.
    await store.put(key, bytes);
    assert.deepEqual(await store.get(key), new Uint8Array(bytes));
  });

  it('sends no flexible checksums, so S3-compatible servers store the plain bytes', async () => {
    await store.put('k', Buffer.from('hello'));
    await store.get('k');
    for (const r of server.requests) {
      const names = Object.keys(r.headers).filter((h) => h.startsWith('x-amz-checksum') || h.startsWith('x-amz-sdk-checksum') || h === 'x-amz-trailer');
      assert.deepEqual(names, [], `${r.method} ${r.url}`);
      assert.notEqual(r.headers['content-encoding'], 'aws-chunked', `${r.method} ${r.url}`);
    }
  });

  it('uploads a 20 MiB rendering in parts at the threshold and reads it back intact', async () => {
    const big = open({ multipartThresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB });
    try {
      const bytes = randomBytes(20 * MiB);
      await big.put('tenants/t1/sha256/ab/big', bytes);
      const parts = server.requests.filter((r) => r.method === 'PUT' && /[?&]partNumber=\d+/.test(r.url));
      assert.ok(server.requests.some((r) => r.method === 'POST' && /\?uploads\b/.test(r.url)), 'CreateMultipartUpload was sent');
      assert.equal(parts.length, 4, '20 MiB in 5 MiB parts');
      assert.equal(sha256(await big.get('tenants/t1/sha256/ab/big')), sha256(bytes));

      // Below the threshold it is a single PutObject.
      const before = server.requests.length;
      await big.put('small', randomBytes(5 * MiB - 1));
      assert.deepEqual(server.requests.slice(before).map((r) => r.method + ' ' + r.url.split('?')[0]), [`PUT /${bucket}/small`]);
    } finally {
      await big.close();
    }
  });

  it('exists says whether a key is there', async () => {
    assert.equal(await store.exists('tenants/t1/a'), false);
    await store.put('tenants/t1/a', Buffer.from('a'));
    assert.equal(await store.exists('tenants/t1/a'), true);
    // The prefix is part of the object key: the bare key is another object.
    assert.equal(await open().exists('tenants/t1/a'), false);
  });

  it('rejects a missing key with ArtifactStorageError naming it', async () => {
    await assert.rejects(store.get('tenants/t1/nope'), (err: Error) => {
      assert.ok(err instanceof ArtifactStorageError);
      assert.match(err.message, /blob 'tenants\/t1\/nope' is missing/);
      assert.match(err.message, new RegExp(`s3://${bucket}/blobs/tenants/t1/nope`));
      return true;
    });
  });

  it('names bucket, key and the S3 error for other failures, never the credentials', async () => {
    const other = open({ bucket: `missing-${randomUUID()}`, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'top-secret-value' } });
    try {
      await assert.rejects(other.put('k', Buffer.from('x')), (err: Error) => {
        assert.ok(err instanceof ArtifactStorageError);
        assert.match(err.message, /^cannot write blob 'k' at s3:\/\/missing-[0-9a-f-]+\/k: NoSuchBucket: .+\(HTTP 404\)$/);
        assert.doesNotMatch(err.message, /top-secret-value/);
        return true;
      });
      await assert.rejects(other.get('k'), /cannot read blob 'k' at s3:\/\/missing-.*NoSuchBucket/);
    } finally {
      await other.close();
    }
  });

  it('refuses unsafe keys before any request', async () => {
    const before = server.requests.length;
    for (const key of ['../x', '/abs', 'a//b', 'a/./b', '']) {
      await assert.rejects(store.put(key, Buffer.from('x')), TypeError, key);
      await assert.rejects(store.get(key), TypeError, key);
      await assert.rejects(store.exists(key), TypeError, key);
    }
    assert.equal(server.requests.length, before);
  });

  it('stores what the runtime persists under tenants/<tenant>/, and readRendering returns the realm bytes', async () => {
    const s3 = open();
    // Encryption off: the keys are the bytes' sha256 here; sealed S3 objects are checked in test/crypto-io.
    const t = await testRuntime({ blobStore: s3, solutionConfig: MVP_CONFIG, inlineMaxBytes: 0, encryption: false });
    try {
      const tenantId = uid('s3');
      const params = { sop_text: SOP_TEXT };
      const result = await t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: uid('s'), parameters: params });
      assert.equal(result.status, 'completed', JSON.stringify(result.error));
      const produced = (await directResult(journey, 'sop_to_workflow', params)).artifacts;
      assert.ok(produced.length > 0);

      const expectedKeys: string[] = [];
      for (const artifact of produced) {
        const o = result.artifacts.find((a) => a.key === artifact.key)!;
        assert.equal(o.stored, true, `${artifact.key}: ${o.storageError ?? ''}`);
        expectedKeys.push(o.storagePath!);
        for (const r of artifact.renderings) {
          const read = await t.runtime.readRendering(o.artifactId!, r.name, { tenantId });
          assert.deepEqual(new Uint8Array(read.bytes), new Uint8Array(r.bytes), `${artifact.key}/${r.name}`);
          expectedKeys.push(`tenants/${tenantId}/sha256/${sha256(r.bytes).slice(0, 2)}/${sha256(r.bytes)}`);
        }
      }

      const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...S3RVER_CREDENTIALS } });
      try {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `tenants/${tenantId}/` }));
        assert.deepEqual((listed.Contents ?? []).map((c) => c.Key).sort(), [...new Set(expectedKeys)].sort());
      } finally {
        client.destroy();
      }
    } finally {
      await t.close();
      await s3.close(); // the runtime closes only stores it created
    }
  });
});

describe('S3BlobStore failures without a server', () => {
  it('fails fast with ArtifactStorageError when the endpoint is unreachable', async () => {
    const store = new S3BlobStore({ bucket: 'unreachable', endpoint: 'http://127.0.0.1:1', credentials: S3RVER_CREDENTIALS, connectionTimeoutMs: 1000 });
    const started = Date.now();
    try {
      for (const op of [() => store.put('k', Buffer.from('x')), () => store.get('k'), () => store.exists('k')]) {
        await assert.rejects(op(), (err: Error) => {
          assert.ok(err instanceof ArtifactStorageError, String(err));
          assert.match(err.message, /s3:\/\/unreachable\/k: ECONNREFUSED/);
          return true;
        });
      }
    } finally {
      await store.close();
    }
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  it('validates its options', () => {
    const base = { bucket: 'ok-bucket' };
    assert.throws(() => new S3BlobStore({ bucket: '' }), ConfigError);
    assert.throws(() => new S3BlobStore({ bucket: 'Bad_Bucket' }), /S3 bucket 'Bad_Bucket' is not a valid bucket name/);
    assert.throws(() => new S3BlobStore({ ...base, prefix: 'a/../b' }), /S3 prefix 'a\/..\/b' is not a valid key prefix/);
    assert.throws(() => new S3BlobStore({ ...base, partSizeBytes: MiB }), /partSizeBytes must be at least 5242880/);
    assert.throws(() => new S3BlobStore({ ...base, multipartThresholdBytes: 0 }), /multipartThresholdBytes must be a positive integer, got 0/);
    assert.throws(() => new S3BlobStore({ ...base, maxAttempts: 1.5 }), /maxAttempts must be a positive integer, got 1.5/);
  });
});

describe('parseS3Url', () => {
  it('splits bucket and prefix', () => {
    assert.deepEqual(parseS3Url('s3://bucket/some/prefix'), { bucket: 'bucket', prefix: 'some/prefix' });
    assert.deepEqual(parseS3Url('s3://bucket/some/prefix/'), { bucket: 'bucket', prefix: 'some/prefix' });
    assert.deepEqual(parseS3Url('s3://my.bucket-1'), { bucket: 'my.bucket-1', prefix: '' });
    assert.deepEqual(parseS3Url('s3://my-bucket/'), { bucket: 'my-bucket', prefix: '' });
  });

  it('throws ConfigError naming the bad value', () => {
    const cases: [string, RegExp][] = [
      ['s3://', /no bucket/],
      ['s3:///prefix', /no bucket/],
      ['https://bucket/prefix', /expected s3:\/\/<bucket>/],
      ['bucket/prefix', /expected s3:\/\/<bucket>/],
      ['s3://Bad_Bucket/x', /bucket 'Bad_Bucket' is not a valid bucket name/],
      ['s3://ab', /bucket 'ab' is not a valid bucket name/],
      ['s3://192.168.0.1/x', /not a valid bucket name/],
      ['s3://bucket/a/../b', /prefix 'a\/..\/b' is not a valid key prefix/],
      ['s3://bucket/a//b', /not a valid key prefix/],
    ];
    for (const [url, message] of cases) {
      assert.throws(
        () => parseS3Url(url),
        (err: Error) => {
          assert.ok(err instanceof ConfigError, url);
          assert.ok(err.message.includes(`'${url}'`), `${err.message} names ${url}`);
          assert.match(err.message, message);
          return true;
        },
      );
    }
  });
});
