import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ArtifactStorage } from '../../src/artifacts/artifact-storage.ts';
import type { BlobStore } from '../../src/artifacts/blob-store.ts';
import { FsBlobStore } from '../../src/artifacts/fs/fs-blob-store.ts';
import { S3BlobStore } from '../../src/artifacts/s3/s3-blob-store.ts';
import { ArtifactStorageError, KeyDestroyedError } from '../../src/errors/index.ts';
import { rawFiles } from '../crypto/crypto-fixtures.ts';
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from '../support/s3-server.ts';
import { freshCipher, holds, marker } from './cipher-fixtures.ts';

/**
 * Renderings in the blob store are sealed under the covering execution's
 * keys, at keyed addresses: the raw bytes and the paths confirm nothing
 * about the content, reading back works, dedupe holds within a cover, and
 * destroying a covering key makes the blob unreadable.
 */

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const rendering = (text: string) => ({ name: 'doc', contentType: 'text/plain', bytes: Buffer.from(text.padEnd(40_000, ' .'), 'utf8') });

type Backend = { store: BlobStore; raw: () => Promise<{ key: string; bytes: Buffer }[]>; close: () => Promise<void> };

async function fsBackend(): Promise<Backend> {
  const root = await mkdtemp(join(tmpdir(), 'sym-sealed-blobs-'));
  return {
    store: new FsBlobStore({ root, fsync: false }),
    raw: async () => (await rawFiles(root)).map((f) => ({ key: f.path.slice(root.length + 1), bytes: f.bytes })),
    close: () => rm(root, { recursive: true, force: true }),
  };
}

async function s3Backend(server: S3Server): Promise<Backend> {
  const bucket = `sealed-${randomUUID()}`;
  await server.createBucket(bucket);
  const store = new S3BlobStore({ bucket, endpoint: server.endpoint, credentials: S3RVER_CREDENTIALS, prefix: 'blobs' });
  const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  return {
    store,
    raw: async () => {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return Promise.all((listed.Contents ?? []).map(async (o) => {
        const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
        return { key: o.Key!, bytes: Buffer.from(await got.Body!.transformToByteArray()) };
      }));
    },
    close: async () => {
      client.destroy();
      await store.close();
    },
  };
}

for (const kind of ['fs', 's3'] as const) {
  describe(`sealed renderings in the ${kind} blob store`, () => {
    let server: S3Server | undefined;
    let backend: Backend;
    let fx: Awaited<ReturnType<typeof freshCipher>>;
    let storage: ArtifactStorage;
    before(async () => {
      fx = await freshCipher();
      if (kind === 's3') server = await startS3Server();
      backend = kind === 's3' ? await s3Backend(server!) : await fsBackend();
      storage = new ArtifactStorage(backend.store, { cipher: fx.cipher });
    });
    after(async () => {
      await backend?.close();
      await server?.close();
      await fx?.cleanup();
    });

    it('stores only ciphertext at keyed addresses, reads back the bytes, and dedupes within a cover', async () => {
      const secret = marker('blob');
      const r = rendering(secret);
      const execution = { tenantId: 'acme', sessionId: 's1', parameters: { customer_id: '42' } };
      const a = await storage.storeCompositeArtifact('workflow', [r], 'acme', { note: secret }, execution);
      const ref = a.renderings[0]!;
      assert.match(ref.path, /^tenants\/acme\/hk1\/[0-9a-f]{2}\/[0-9a-f]{64}$/);
      assert.ok(!ref.path.includes(sha256(r.bytes)) && ref.sha256 !== sha256(r.bytes), 'no plain content hash in the address');
      const raw = await backend.raw();
      assert.equal(raw.length, 2, 'the rendering and the manifest');
      for (const f of raw) {
        assert.ok(!holds(f.bytes, secret), `${f.key} holds the content in clear`);
        assert.ok(!f.key.includes(sha256(r.bytes)));
      }
      assert.deepEqual(Buffer.from(await storage.readRendering(ref, 'acme')), r.bytes);
      const manifest = await storage.readManifest(a.storagePath, 'acme', a.artifactId);
      assert.deepEqual(manifest?.metadata, { note: secret });

      // The same bytes under the same cover share the blob; under another session they get their own.
      const again = await storage.storeCompositeArtifact('workflow', [r], 'acme', {}, execution);
      assert.equal(again.renderings[0]!.path, ref.path);
      const other = await storage.storeCompositeArtifact('workflow', [r], 'acme', {}, { ...execution, sessionId: 's2' });
      assert.notEqual(other.renderings[0]!.path, ref.path);
      assert.equal((await backend.raw()).filter((f) => f.key.includes('/hk1/')).length, 2);
    });

    it('a blob whose covering key was destroyed does not open; another cover with the same bytes still does', async () => {
      const r = rendering(marker('erase'));
      const s1 = await storage.storeCompositeArtifact('workflow', [r], 'acme', {}, { tenantId: 'acme', sessionId: 'gone', parameters: { customer_id: '7' } });
      const s2 = await storage.storeCompositeArtifact('workflow', [r], 'acme', {}, { tenantId: 'acme', sessionId: 'kept', parameters: { customer_id: '8' } });
      await fx.keyring.destroy({ kind: 'subject', tenantId: 'acme', name: 'customer_id', value: '7' });
      await assert.rejects(storage.readRendering(s1.renderings[0]!, 'acme'), (err: unknown) => {
        assert.ok(err instanceof KeyDestroyedError);
        assert.match(err.message, /^data key 'u\.[0-9a-f]{24}\.[0-9a-f]{24}\.1' was destroyed/);
        assert.match(err.message, new RegExp(`record 'acme/blob:${s1.renderings[0]!.sha256}#rendering'`));
        return true;
      });
      assert.deepEqual(Buffer.from(await storage.readRendering(s2.renderings[0]!, 'acme')), r.bytes);
    });

    it('a sealed blob moved to another address, or read without keys, fails with a clear error', async () => {
      const a = await storage.storeCompositeArtifact('workflow', [rendering(marker('a'))], 'acme', {}, { tenantId: 'acme' });
      const b = await storage.storeCompositeArtifact('workflow', [rendering(marker('b'))], 'acme', {}, { tenantId: 'acme' });
      // b's index entry pointing at a's blob: the seal names its address.
      await assert.rejects(storage.readRendering({ ...b.renderings[0]!, path: a.renderings[0]!.path }, 'acme'), /cannot open record 'acme\/blob:[0-9a-f]{64}#rendering'.*authentication failed/);
      await assert.rejects(new ArtifactStorage(backend.store).readRendering(a.renderings[0]!, 'acme'), (err: unknown) =>
        err instanceof ArtifactStorageError && /is sealed, and this runtime has no encryption keys/.test(err.message));
    });
  });
}
