import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ArtifactStorageError, FsBlobStore } from '../../src/index.ts';

describe('FsBlobStore', () => {
  it('concurrent puts into one directory (sharing its fsyncs) all land whole, with no temporary file left', async () => {
    const root = await mkdtemp(join(tmpdir(), 'symphainy-fs-blobs-'));
    try {
      const store = new FsBlobStore({ root });
      const keys = Array.from({ length: 120 }, (_, i) => `tenants/t/artifacts/a${i}.json`);
      await Promise.all(keys.map((k, i) => store.put(k, Buffer.from(`{"n":${i}}`))));
      for (const [i, k] of keys.entries()) assert.equal(Buffer.from(await store.get(k)).toString(), `{"n":${i}}`);
      const names = await readdir(join(root, 'tenants', 't', 'artifacts'));
      assert.equal(names.length, 120);
      assert.ok(names.every((n) => !n.endsWith('.tmp')));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a directory removed behind its back is created again on the next put', async () => {
    const root = await mkdtemp(join(tmpdir(), 'symphainy-fs-blobs-'));
    try {
      const store = new FsBlobStore({ root });
      await store.put('tenants/t/x/one', Buffer.from('1'));
      await rm(join(root, 'tenants'), { recursive: true });
      await store.put('tenants/t/x/two', Buffer.from('2'));
      assert.equal(Buffer.from(await store.get('tenants/t/x/two')).toString(), '2');
      await assert.rejects(store.get('tenants/t/x/one'), (err: unknown) => err instanceof ArtifactStorageError && /is missing/.test((err as Error).message));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
