import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createRuntime, StoreError, type Db } from '../../src/index.ts';
import { migrate } from '../../src/db/migrations/migrate.ts';
import { MIGRATIONS, type Migration } from '../../src/db/migrations/migrations.ts';
import { freshDb, type TestDb, silentLogger } from '../support/test-runtime.ts';

const tableExists = async (db: Db, name: string) =>
  (await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name]))[0]?.t !== null;

describe('migrate', () => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(); // already migrated with MIGRATIONS
  });
  afterEach(() => db?.close());

  it('is idempotent: a second run applies nothing and changes nothing', async () => {
    const before = await db.query('SELECT version, name FROM symphainy.schema_migrations ORDER BY version');
    assert.deepEqual(before.map((r) => (r as { version: number }).version), MIGRATIONS.map((m) => m.version));
    assert.deepEqual(await migrate(db), []);
    assert.deepEqual(await migrate(db), []);
    assert.deepEqual(await db.query('SELECT version, name FROM symphainy.schema_migrations ORDER BY version'), before);
    for (const t of ['executions', 'wal', 'outbox', 'artifacts', 'cache_entries']) assert.ok(await tableExists(db, `symphainy.${t}`), t);
  });

  it('applies only the missing migrations, each once, in order', async () => {
    const next: Migration[] = [
      ...MIGRATIONS,
      { version: 100, name: 'add a', sql: 'CREATE TABLE symphainy.extra_a (x int PRIMARY KEY)' },
      { version: 101, name: 'add b', sql: 'CREATE TABLE symphainy.extra_b (y int REFERENCES symphainy.extra_a (x)); CREATE INDEX extra_b_y ON symphainy.extra_b (y)' },
    ];
    assert.deepEqual(await migrate(db, next), [100, 101]);
    assert.deepEqual(await migrate(db, next), []);
    assert.ok(await tableExists(db, 'symphainy.extra_a'));
    assert.ok(await tableExists(db, 'symphainy.extra_b'));
    const versions = await db.query<{ version: number; name: string }>('SELECT version, name FROM symphainy.schema_migrations WHERE version >= 100 ORDER BY version');
    assert.deepEqual(versions.map((v) => [Number(v.version), v.name]), [[100, 'add a'], [101, 'add b']]);
  });

  it('a failing migration is rolled back whole and not recorded', async () => {
    const broken: Migration[] = [
      ...MIGRATIONS,
      { version: 200, name: 'half', sql: 'CREATE TABLE symphainy.half (x int); SELECT no_such_function()' },
    ];
    await assert.rejects(migrate(db, broken));
    assert.equal(await tableExists(db, 'symphainy.half'), false);
    assert.deepEqual(await db.query('SELECT version FROM symphainy.schema_migrations WHERE version = 200'), []);
  });

  it('refuses a database whose schema is newer than this runtime knows', async () => {
    await db.query("INSERT INTO symphainy.schema_migrations (version, name) VALUES (9999, 'from the future')");
    await assert.rejects(migrate(db), (err: unknown) => {
      assert.ok(err instanceof StoreError, String(err));
      assert.equal(err.code, 'SYM_ERR_STORE');
      assert.match(err.message, /schema version 9999/);
      assert.match(err.message, /newer than this runtime knows/);
      assert.match(err.message, new RegExp(`\\(${Math.max(...MIGRATIONS.map((m) => m.version))}\\)`));
      return true;
    });
    // createRuntime refuses it the same way, and leaves the database as it was.
    await assert.rejects(createRuntime({ db, logger: silentLogger }), StoreError);
    assert.equal((await db.query('SELECT version FROM symphainy.schema_migrations')).length, MIGRATIONS.length + 1);
  });
});
