import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/errors/index.ts';
import { PgliteDb, type EmbeddedDurability } from '../../src/db/pglite/pglite-db.ts';
import { TEST_DRIVER } from '../support/test-runtime.ts';

/** The embedded store's durability setting; the sync calls themselves are watched in test/faults/embedded-durability.test.ts. */
describe('PgliteDb durability', { skip: TEST_DRIVER === 'postgres' ? 'the embedded store only' : false, timeout: 300_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-pglite-durability-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a data dir is durable by default: PostgreSQL runs with fsync on and its syncs reach the disk", async () => {
    const db = await PgliteDb.open({ dataDir: join(dir, 'durable') });
    try {
      assert.equal(db.durability, 'fsync');
      const settings = await db.query<{ name: string; setting: string }>(
        "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'wal_sync_method', 'synchronous_commit') ORDER BY name",
      );
      assert.deepEqual(settings, [
        { name: 'fsync', setting: 'on' },
        { name: 'synchronous_commit', setting: 'on' },
        { name: 'wal_sync_method', setting: 'fsync' },
      ]);
      await db.exec('CREATE TABLE t (x int)');
      const before = db.syncs;
      await db.query('INSERT INTO t VALUES (1)');
      assert.equal(db.syncs, before + 1, 'one WAL sync for one commit');
      await db.query('SELECT * FROM t');
      assert.equal(db.syncs, before + 1, 'a read-only statement syncs nothing');
    } finally {
      await db.close();
    }
  });

  test("durability 'none' keeps PGlite's own setting (fsync off), and memory has nothing to sync", async () => {
    const db = await PgliteDb.open({ dataDir: join(dir, 'none'), durability: 'none' });
    try {
      assert.equal(db.durability, 'none');
      assert.deepEqual(await db.query("SELECT setting FROM pg_settings WHERE name = 'fsync'"), [{ setting: 'off' }]);
      await db.exec('CREATE TABLE t (x int); INSERT INTO t VALUES (1)');
      assert.equal(db.syncs, 0);
    } finally {
      await db.close();
    }
    const memory = await PgliteDb.open();
    assert.equal(memory.durability, 'none');
    await memory.close();
  });

  test('an unknown durability is a ConfigError naming the field and value', async () => {
    await assert.rejects(PgliteDb.open({ dataDir: join(dir, 'bad'), durability: 'sometimes' as EmbeddedDurability }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, 'SYM_ERR_CONFIG');
      assert.match(err.message, /durability must be one of fsync, none, got "sometimes"/);
      return true;
    });
  });
});
