import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { FsBlobStore } from '../../src/artifacts/fs/fs-blob-store.ts';
import { S3BlobStore } from '../../src/artifacts/s3/s3-blob-store.ts';
import type { BlobStore } from '../../src/artifacts/blob-store.ts';
import { defineRealm, type ExecutionResult } from '../../src/index.ts';
import { blobFile, filesUnder, uid } from '../runtime/helpers.ts';
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from '../support/s3-server.ts';
import { MVP_CONFIG, TEST_DRIVER, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

/**
 * `sweep` collects crash leftovers: blobs and manifests no index row
 * references and temporary/staged files, once older than the grace period —
 * never what a live or held artifact references, never a young file.
 */

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const HOUR = 3600_000;
const FIXED = Buffer.alloc(20 * 1024, 7);

/** Each run: one artifact with a 20 KiB rendering (blob store + manifest) and a small one (in the database). */
const big = defineRealm({
  name: 'big',
  intents: {
    emit: { handler: () => ({ artifacts: { w: { resultType: 'workflow', renderings: { bin: randomBytes(20 * 1024), small: 'tiny' } } } }) },
    fixed: { handler: () => ({ artifacts: { w: { resultType: 'workflow', renderings: { bin: FIXED } } } }) },
  },
});

/** Orphans as a crash leaves them, for tenant `t`: an unindexed blob and manifest, and temporary files. */
function orphanKeys(t: string) {
  const bytes = randomBytes(32);
  const h = sha256(bytes);
  return {
    blob: { key: `tenants/${t}/sha256/${h.slice(0, 2)}/${h}`, bytes },
    manifest: { key: `tenants/${t}/artifacts/art_${randomUUID()}.json`, bytes: Buffer.from('{"artifactId":"gone"}') },
    putTemp: { key: `tenants/${t}/sha256/${h.slice(0, 2)}/${h}.0a1b2c3d4e5f.tmp`, bytes },
    staged: { key: `.staging/${randomBytes(8).toString('hex')}.tmp`, bytes },
  };
}

async function runs(t: TestRuntime, tenantId: string, n: number): Promise<ExecutionResult[]> {
  const out: ExecutionResult[] = [];
  for (let i = 0; i < n; i++) out.push(await t.runtime.execute({ intentType: 'big.emit', tenantId, sessionId: 's', parameters: {} }));
  return out;
}

/** Every stored rendering of these executions still reads back (its sha256 checked on read). */
async function assertReadable(t: TestRuntime, results: ExecutionResult[]): Promise<void> {
  for (const r of results) {
    const a = await t.runtime.getArtifact(r.artifacts[0]!.artifactId!, { tenantId: r.tenantId });
    for (const ref of a.renderings) await t.runtime.readRendering(a.artifactId, ref.name, { tenantId: r.tenantId });
  }
}

describe(`garbage collection on the filesystem blob store (${TEST_DRIVER})`, () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [big], solutionConfig: MVP_CONFIG });
  });
  after(() => t?.close());

  it('removes old unreferenced blobs, manifests and temporary files; keeps live, held and young ones', async () => {
    const tenantId = uid('gc');
    const live = await runs(t, tenantId, 2);
    const held = live[1]!;
    await t.runtime.holdArtifact(held.artifacts[0]!.artifactId!, { tenantId }, 'case 17');
    const liveFiles = await filesUnder(t.blobRoot);
    const old = new Date(Date.now() - 2 * HOUR);
    // Everything referenced is old too: only the index protects it.
    for (const f of liveFiles) await utimes(blobFile(t.blobRoot, f), old, old);
    const orphans = orphanKeys(tenantId);
    for (const { key, bytes } of Object.values(orphans)) {
      await mkdir(dirname(blobFile(t.blobRoot, key)), { recursive: true });
      await writeFile(blobFile(t.blobRoot, key), bytes);
      await utimes(blobFile(t.blobRoot, key), old, old);
    }
    const young = orphanKeys(tenantId);
    for (const { key, bytes } of [young.blob, young.putTemp]) {
      await mkdir(dirname(blobFile(t.blobRoot, key)), { recursive: true });
      await writeFile(blobFile(t.blobRoot, key), bytes);
    }
    const unknown = 'somebody-elses/file.txt';
    await mkdir(dirname(blobFile(t.blobRoot, unknown)), { recursive: true });
    await writeFile(blobFile(t.blobRoot, unknown), 'not ours');
    await utimes(blobFile(t.blobRoot, unknown), old, old);

    const report = await t.runtime.sweep();
    const g = report.garbage;
    assert.equal(g.supported, true);
    assert.equal(g.graceSeconds, 3600);
    assert.deepEqual([g.blobsRemoved, g.manifestsRemoved, g.tempFilesRemoved, g.keptYoung], [1, 1, 2, 2]);
    assert.deepEqual(g.failures, []);
    assert.deepEqual(
      await filesUnder(t.blobRoot),
      [...liveFiles, young.blob.key, young.putTemp.key, unknown].sort(),
    );
    await assertReadable(t, live);

    // A second sweep finds nothing more; with --gc-grace 0 the young orphans go too.
    const again = await t.runtime.sweep();
    assert.deepEqual([again.garbage.blobsRemoved, again.garbage.manifestsRemoved, again.garbage.tempFilesRemoved], [0, 0, 0]);
    const now = await t.runtime.sweep({ gcGraceSeconds: 0 });
    assert.deepEqual([now.garbage.blobsRemoved, now.garbage.tempFilesRemoved], [1, 1]);
    assert.deepEqual(await filesUnder(t.blobRoot), [...liveFiles, unknown].sort());
    await assertReadable(t, live);
  });

  it('a blob touched or rewritten after it was listed is not removed (deleteIfOlder looks again after moving it aside)', async () => {
    const store = new FsBlobStore({ root: t.blobRoot, fsync: false });
    const { blob } = orphanKeys(uid('race'));
    await store.put(blob.key, blob.bytes);
    const old = new Date(Date.now() - 2 * HOUR);
    await utimes(blobFile(t.blobRoot, blob.key), old, old);
    const cutoff = new Date(Date.now() - HOUR);
    assert.equal(await store.touch(blob.key), true);
    assert.equal(await store.deleteIfOlder(blob.key, cutoff), false);
    assert.deepEqual(Buffer.from(await store.get(blob.key)), blob.bytes);
    assert.equal(await store.deleteIfOlder(blob.key, new Date(Date.now() + HOUR)), true);
    assert.equal(await store.exists(blob.key), false);
    assert.equal(await store.touch(blob.key), false, 'touching a missing blob says so (the writer then puts it)');
    assert.ok(!(await filesUnder(t.blobRoot)).some((f) => f.endsWith('.gc')), 'nothing left aside');
  });
});

describe(`garbage collection on S3 (${TEST_DRIVER})`, () => {
  let server: S3Server;
  let store: BlobStore;
  let t: TestRuntime;
  before(async () => {
    server = await startS3Server();
    const bucket = `gc-${randomUUID()}`;
    await server.createBucket(bucket);
    store = new S3BlobStore({ bucket, prefix: 'blobs', endpoint: server.endpoint, credentials: S3RVER_CREDENTIALS });
    // Encryption off: this checks clear content addressing (equal bytes share one key, refreshed by a
    // copy onto itself); sealed blobs at keyed addresses are collected in test/crypto-io.
    t = await testRuntime({ realms: [big], solutionConfig: MVP_CONFIG, blobStore: store, encryption: false });
  });
  after(async () => {
    await t?.close();
    await store?.close?.();
    await server?.close();
  });

  const keys = async () => {
    const out: string[] = [];
    for await (const { key } of store.list!()) out.push(key);
    return out.sort();
  };

  it('removes unreferenced objects past the grace period and keeps every object a live or held artifact references', async () => {
    const tenantId = uid('gc');
    const live = await runs(t, tenantId, 2);
    await t.runtime.holdArtifact(live[1]!.artifacts[0]!.artifactId!, { tenantId }, 'case 17');
    const liveKeys = await keys();
    assert.equal(liveKeys.length, 4, `two blobs and two manifests: ${liveKeys.join(', ')}`);
    const orphans = orphanKeys(tenantId);
    for (const { key, bytes } of Object.values(orphans)) await store.put(key, bytes);

    // Nothing is old yet: the grace period spares every orphan.
    const early = await t.runtime.sweep();
    assert.deepEqual([early.garbage.blobsRemoved, early.garbage.manifestsRemoved, early.garbage.tempFilesRemoved], [0, 0, 0]);
    assert.equal(early.garbage.keptYoung, 8, 'four live objects and four orphans, all young');

    // With no grace period every object is old (S3 times have whole seconds: wait past this one),
    // so only the references keep the live objects: the orphans go.
    await new Promise((r) => setTimeout(r, 1500));
    const report = await t.runtime.sweep({ gcGraceSeconds: 0 });
    assert.deepEqual(
      [report.garbage.blobsRemoved, report.garbage.manifestsRemoved, report.garbage.tempFilesRemoved, report.garbage.failures.length],
      [1, 1, 2, 0],
    );
    assert.deepEqual(await keys(), liveKeys);
    await assertReadable(t, live);
  });

  it('a new artifact reusing an existing blob refreshes its time (CopyObject onto itself), so the grace period covers it', async () => {
    const tenantId = uid('reuse');
    const key = `tenants/${tenantId}/sha256/${sha256(FIXED).slice(0, 2)}/${sha256(FIXED)}`;
    await store.put(key, FIXED);
    const from = server.requests.length;
    const r = await t.runtime.execute({ intentType: 'big.fixed', tenantId, sessionId: 's', parameters: {} });
    assert.equal(r.status, 'completed', JSON.stringify(r.error));
    const sent = server.requests.slice(from).filter((q) => q.url.includes(key));
    assert.ok(sent.some((q) => q.method === 'PUT' && q.headers['x-amz-copy-source'] !== undefined), `a copy onto itself: ${sent.map((q) => q.method).join(', ')}`);
    await assertReadable(t, [r]);
  });

  it('deleteIfOlder spares an object touched since the cutoff; touch answers false for a missing one', async () => {
    const { blob } = orphanKeys(uid('race'));
    await store.put(blob.key, blob.bytes);
    assert.equal(await store.touch!(blob.key), true);
    assert.equal(await store.deleteIfOlder!(blob.key, new Date(Date.now() - HOUR)), false);
    assert.equal(await store.deleteIfOlder!(blob.key, new Date(Date.now() + HOUR)), true);
    assert.equal(await store.exists(blob.key), false);
    assert.equal(await store.touch!(blob.key), false);
  });
});

describe('symphainy sweep --gc-grace (embedded data dir)', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  let dir: string;
  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(root, 'bin/symphainy.js'), '--data-dir', join(dir, 'data'), ...args], { cwd: root }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-gc-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reports the counts; the default grace spares a fresh orphan, --gc-grace 0s removes it; a bad value is an error naming the flag', async () => {
    assert.equal((await cli(['sweep', '--json'])).code, 0);
    const { blob } = orphanKeys('acme');
    const file = join(dir, 'data', 'blobs', ...blob.key.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, blob.bytes);
    const spared = await cli(['sweep', '--json']);
    assert.equal(spared.code, 0, spared.stderr);
    assert.deepEqual(JSON.parse(spared.stdout).garbage.blobsRemoved, 0);
    const removed = await cli(['sweep', '--gc-grace', '0s']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /garbage \(unreferenced, older than 0 s\): 1 blobs, 0 manifests, 0 temporary files removed/);
    const bad = await cli(['sweep', '--gc-grace', 'soon']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--gc-grace "soon": expected a duration/);
  });
});
