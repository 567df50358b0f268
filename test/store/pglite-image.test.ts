import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRuntime } from '../../src/index.ts';
import { migrate } from '../../src/db/migrations/migrate.ts';
import { MIGRATIONS, type Migration } from '../../src/db/migrations/migrations.ts';
import { decodeImage, encodeImage, ImageRefused, readHeader } from '../../src/db/pglite/image-file.ts';
import { defaultImagePlaces, findImage, imageFileName, imageKey } from '../../src/db/pglite/migrated-image.ts';
import { PgliteDb } from '../../src/db/pglite/pglite-db.ts';
import { silentLogger, TEST_DRIVER } from '../support/test-runtime.ts';

/**
 * A new embedded database starts from the migrated image: the image is
 * used (no migration runs again), one of other migrations or another PGlite
 * is never loaded, a torn or altered file is refused, and processes that
 * all find no image at once each get a working database and leave one
 * whole image behind.
 */

const KEY = imageKey();
const versions = MIGRATIONS.map((m) => m.version);
const EXTRA: Migration = { version: 9001, name: 'image test extra', sql: 'CREATE TABLE symphainy.image_test_extra (x int)' };

async function migrationRows(db: PgliteDb): Promise<{ version: number; applied_at: Date }[]> {
  return db.query('SELECT version, applied_at FROM symphainy.schema_migrations ORDER BY version');
}

describe('migrated database image', { skip: TEST_DRIVER === 'postgres' ? 'the embedded store only' : false, timeout: 900_000 }, () => {
  let dir: string;
  /** A cache holding the image of MIGRATIONS, built once by the first test. */
  let cache: string;
  let counter = 0;
  const fresh = async (name: string) => {
    const d = join(dir, `${name}-${counter++}`);
    await mkdir(d, { recursive: true });
    return d;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-image-'));
    cache = join(dir, 'cache');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is built once into the cache, then used: a new in-memory database has every migration and runs none', async () => {
    const first = await PgliteDb.open({ image: { cacheDir: cache, shippedDir: null } });
    try {
      assert.equal(first.origin.from, 'image');
      assert.equal(first.origin.imageBuilt, true);
      assert.equal(first.origin.imageFile, join(cache, imageFileName(KEY)));
      assert.deepEqual(await migrate(first), []);
    } finally {
      await first.close();
    }
    assert.deepEqual(await readdir(cache), [imageFileName(KEY)], 'no temporary file left behind');

    const opening = new Date();
    const second = await PgliteDb.open({ image: { cacheDir: cache, shippedDir: null } });
    try {
      assert.equal(second.origin.from, 'image');
      assert.equal(second.origin.imageBuilt, undefined);
      assert.deepEqual(second.origin.imageRefused, []);
      const rows = await migrationRows(second);
      assert.deepEqual(rows.map((r) => Number(r.version)), versions);
      // Applied when the image was built, not by this open.
      for (const r of rows) assert.ok(r.applied_at < opening, `migration ${r.version} applied at ${r.applied_at.toISOString()}, after the open began`);
      assert.deepEqual(await migrate(second), []);
    } finally {
      await second.close();
    }
  });

  it('a new data dir is unpacked from the image, durable, synced, and reopens as it was', async () => {
    const dataDir = join(await fresh('datadir'), 'db');
    const db = await PgliteDb.open({ dataDir, image: { cacheDir: cache, shippedDir: null } });
    try {
      assert.equal(db.origin.from, 'image');
      assert.equal(db.durability, 'fsync');
      assert.ok(existsSync(join(dataDir, 'PG_VERSION')));
      assert.deepEqual(await migrate(db), []);
      await db.exec("CREATE TABLE public.kept (v text); INSERT INTO public.kept VALUES ('after the image')");
      assert.ok(db.syncs > 0, 'the commit was synced');
    } finally {
      await db.close();
    }
    const again = await PgliteDb.open({ dataDir, image: { cacheDir: cache, shippedDir: null } });
    try {
      assert.equal(again.origin.from, 'existing', 'an existing data dir is never overwritten by the image');
      assert.deepEqual(await again.query('SELECT v FROM public.kept'), [{ v: 'after the image' }]);
    } finally {
      await again.close();
    }
  });

  it('the shipped (gzipped) image is used and copied, plain, into the cache', async () => {
    const shipped = await fresh('shipped');
    const tar = decodeImage(await readFile(join(cache, imageFileName(KEY))), KEY);
    await writeFile(join(shipped, imageFileName(KEY)), encodeImage(KEY, tar, true));
    const ownCache = join(await fresh('cache'), 'c');
    const db = await PgliteDb.open({ image: { cacheDir: ownCache, shippedDir: shipped } });
    try {
      assert.equal(db.origin.from, 'image');
      assert.equal(db.origin.imageFile, join(shipped, imageFileName(KEY)));
      assert.deepEqual(await migrate(db), []);
    } finally {
      await db.close();
    }
    const copied = await readFile(join(ownCache, imageFileName(KEY)));
    assert.equal(readHeader(copied).header.payload, 'tar');
    assert.deepEqual(decodeImage(copied, KEY), tar);
  });

  it('an image of other migrations is never loaded: it is refused, and the next good one used', async () => {
    const tar = decodeImage(await readFile(join(cache, imageFileName(KEY))), KEY);
    const otherKey = imageKey([...MIGRATIONS, EXTRA]);
    assert.notEqual(otherKey, KEY);
    const stale = await fresh('stale');
    await writeFile(join(stale, imageFileName(KEY)), encodeImage(otherKey, tar, false));
    const db = await PgliteDb.open({ image: { cacheDir: stale, shippedDir: cache } });
    try {
      assert.equal(db.origin.from, 'image');
      assert.equal(db.origin.imageFile, join(cache, imageFileName(KEY)));
      assert.equal(db.origin.imageRefused.length, 1);
      assert.match(db.origin.imageRefused[0]!, new RegExp(`it holds ${otherKey}, not ${KEY}`));
    } finally {
      await db.close();
    }
    // The stale file was replaced by the good image.
    assert.deepEqual(decodeImage(await readFile(join(stale, imageFileName(KEY))), KEY), tar);
  });

  it('with no good image and nowhere to keep one, the database is created and migrated the usual way', async () => {
    const tar = decodeImage(await readFile(join(cache, imageFileName(KEY))), KEY);
    const stale = await fresh('stale-only');
    await writeFile(join(stale, imageFileName(KEY)), encodeImage('not-this-key', tar, true));
    const db = await PgliteDb.open({ image: { cacheDir: null, shippedDir: stale } });
    try {
      assert.equal(db.origin.from, 'initdb');
      assert.equal(db.origin.imageRefused.length, 1);
      assert.equal(await db.query('SELECT to_regclass($1)::text AS t', ['symphainy.schema_migrations']).then((r) => (r[0] as { t: string | null }).t), null);
      assert.deepEqual(await migrate(db), versions);
    } finally {
      await db.close();
    }
  });

  it('other migrations get their own image: the one of MIGRATIONS is not loaded for them', async () => {
    const own = await fresh('extra');
    await copyFile(join(cache, imageFileName(KEY)), join(own, imageFileName(KEY)));
    const withExtra = [...MIGRATIONS, EXTRA];
    const db = await PgliteDb.open({ image: { cacheDir: own, shippedDir: null, migrations: withExtra } });
    try {
      assert.equal(db.origin.imageBuilt, true);
      assert.deepEqual(await migrate(db, withExtra), []);
      assert.deepEqual((await migrationRows(db)).map((r) => Number(r.version)), [...versions, EXTRA.version]);
    } finally {
      await db.close();
    }
    assert.deepEqual((await readdir(own)).sort(), [imageFileName(KEY), imageFileName(imageKey(withExtra))].sort());
  });

  it('a torn or altered image file is refused before PGlite reads it', async () => {
    const good = await readFile(join(cache, imageFileName(KEY)));
    const { payloadAt } = readHeader(good);
    const flipped = Buffer.from(good);
    const at = payloadAt + Math.floor((flipped.length - payloadAt) / 2);
    flipped[at] = flipped[at]! ^ 0xff;
    const refusal = (bytes: Uint8Array) => {
      try {
        decodeImage(bytes, KEY);
        return 'accepted';
      } catch (err) {
        assert.ok(err instanceof ImageRefused, String(err));
        return err.message;
      }
    };
    assert.equal(refusal(flipped), 'its payload does not match its SHA-256');
    assert.match(refusal(good.subarray(0, good.length - 1000)), /^its payload is \d+ bytes, the header says \d+$/);
    assert.equal(refusal(Buffer.from('PGDATA?')), 'not a symphainy database image');
    assert.equal(refusal(Buffer.concat([Buffer.from('symphainy-pglite-image 1 {nope\n'), good.subarray(payloadAt)])), 'its header is not JSON');

    // Through open: the altered cache file is refused, the shipped one used, the cache repaired.
    const altered = await fresh('altered');
    await writeFile(join(altered, imageFileName(KEY)), flipped);
    const db = await PgliteDb.open({ image: { cacheDir: altered, shippedDir: cache } });
    try {
      assert.equal(db.origin.imageFile, join(cache, imageFileName(KEY)));
      assert.match(db.origin.imageRefused[0]!, /does not match its SHA-256/);
      assert.deepEqual(await migrate(db), []);
    } finally {
      await db.close();
    }
    assert.deepEqual(await readFile(join(altered, imageFileName(KEY))), good);
  });

  it('createRuntime({ memory: true }) starts from the image in the default cache', async () => {
    const runtime = await createRuntime({ memory: true, logger: silentLogger });
    await runtime.close();
    const places = defaultImagePlaces();
    assert.ok(places.cacheDir, 'a checkout has a cache folder');
    const lookup = await findImage(KEY, { cacheDir: places.cacheDir, shippedDir: null });
    assert.ok(lookup.found, `no image in ${places.cacheDir}: ${lookup.refused.join('; ')}`);
    const db = await PgliteDb.open({ image: true });
    try {
      assert.equal(db.origin.from, 'image');
      assert.equal(db.origin.imageBuilt, undefined);
    } finally {
      await db.close();
    }
  });

  it('processes that find no image at the same time each get a migrated database and leave one whole image', async () => {
    const shared = join(await fresh('concurrent'), 'cache');
    const module = new URL('../../src/db/pglite/pglite-db.ts', import.meta.url).href;
    const script = `
      const { PgliteDb } = await import(${JSON.stringify(module)});
      const db = await PgliteDb.open({ image: { cacheDir: ${JSON.stringify(shared)}, shippedDir: null } });
      const rows = await db.query('SELECT version FROM symphainy.schema_migrations ORDER BY version');
      process.stdout.write(JSON.stringify({ origin: db.origin, versions: rows.map((r) => Number(r.version)) }));
      await db.close();`;
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const run = () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (code) => resolve({ code, out, err }));
      });
    const results = await Promise.all([run(), run(), run()]);
    for (const r of results) {
      assert.equal(r.code, 0, r.err);
      const got = JSON.parse(r.out) as { origin: { from: string }; versions: number[] };
      assert.equal(got.origin.from, 'image');
      assert.deepEqual(got.versions, versions);
    }
    assert.deepEqual(await readdir(shared), [imageFileName(KEY)], 'one image, no temporary files');
    assert.ok((await findImage(KEY, { cacheDir: shared, shippedDir: null })).found);
  });
});
