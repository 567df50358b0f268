import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { ArtifactStorageError, FsBlobStore } from '../../src/index.ts';
import { ArtifactStorage } from '../../src/artifacts/artifact-storage.ts';
import { PgliteDb } from '../../src/db/pglite/pglite-db.ts';
import { ArtifactContents } from '../../src/store/artifact-contents.ts';
import { migrate } from '../../src/db/migrations/migrate.ts';

/** Runs `fn` with a fresh blob root, removed afterwards. */
async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'symphainy-fs-blobs-'));
  try {
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('FsBlobStore', () => {
  it('concurrent puts into one directory (sharing its fsyncs) all land whole, with no temporary file left', async () => {
    await withRoot(async (root) => {
      const store = new FsBlobStore({ root });
      const keys = Array.from({ length: 120 }, (_, i) => `tenants/t/artifacts/a${i}.json`);
      await Promise.all(keys.map((k, i) => store.put(k, Buffer.from(`{"n":${i}}`))));
      for (const [i, k] of keys.entries()) assert.equal(Buffer.from(await store.get(k)).toString(), `{"n":${i}}`);
      const names = await readdir(join(root, 'tenants', 't', 'artifacts'));
      assert.equal(names.length, 120);
      assert.ok(names.every((n) => !n.endsWith('.tmp')));
    });
  });

  it('a directory removed behind its back is created again on the next put', async () => {
    await withRoot(async (root) => {
      const store = new FsBlobStore({ root });
      await store.put('tenants/t/x/one', Buffer.from('1'));
      await rm(join(root, 'tenants'), { recursive: true });
      await store.put('tenants/t/x/two', Buffer.from('2'));
      assert.equal(Buffer.from(await store.get('tenants/t/x/two')).toString(), '2');
      await assert.rejects(store.get('tenants/t/x/one'), (err: unknown) => err instanceof ArtifactStorageError && /is missing/.test((err as Error).message));
    });
  });

  it('staged bytes (written before their key is known) land under the key on commit; discard leaves nothing', async () => {
    await withRoot(async (root) => {
      const store = new FsBlobStore({ root });
      const kept = store.stage(Buffer.from('kept bytes'));
      const dropped = store.stage(Buffer.from('dropped bytes'));
      await kept.commit('tenants/t/sha256/ab/abc');
      await dropped.discard();
      assert.equal(Buffer.from(await store.get('tenants/t/sha256/ab/abc')).toString(), 'kept bytes');
      // Committing the same content address again replaces it harmlessly.
      await store.stage(Buffer.from('kept bytes')).commit('tenants/t/sha256/ab/abc');
      assert.equal(Buffer.from(await store.get('tenants/t/sha256/ab/abc')).toString(), 'kept bytes');
      assert.deepEqual(await readdir(join(root, '.staging')), [], 'no staged file left behind');
    });
  });

  it('ArtifactStorage: a large rendering goes to the blob store (staged, hashed meanwhile), a small one to the database', async () => {
    await withRoot(async (root) => {
      const db = await PgliteDb.open();
      try {
        await migrate(db);
        const storage = new ArtifactStorage(new FsBlobStore({ root }), { contents: new ArtifactContents(db), inlineMaxBytes: 1024 });
        const big = Buffer.alloc(200_000, 7);
        const stored = await storage.storeCompositeArtifact('visual', [
          { name: 'png', contentType: 'image/png', bytes: big },
          { name: 'alt', contentType: 'text/plain', bytes: Buffer.from('a picture') },
        ], 't', {});
        const [png, alt] = stored.renderings;
        assert.equal(png!.sha256, createHash('sha256').update(big).digest('hex'));
        assert.equal(png!.path, `tenants/t/sha256/${png!.sha256.slice(0, 2)}/${png!.sha256}`);
        assert.match(alt!.path, /^inline:tenants\/t\/sha256\//);
        assert.deepEqual(stored.inline.map((c) => c.sha256), [alt!.sha256]);
        assert.match(stored.storagePath, /^tenants\/t\/artifacts\/art_.*\.json$/, 'a manifest file, since a rendering is a blob');
        assert.deepEqual(Buffer.from(await storage.readRendering(png!, 't')), big);
        assert.deepEqual(await readdir(join(root, '.staging')), []);
      } finally {
        await db.close();
      }
    });
  });
});
