import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, createRuntime, StoreError } from '../../src/index.ts';
import { PgDb } from '../../src/db/pg/pg-db.ts';
import { MIGRATIONS } from '../../src/db/migrations/migrations.ts';
import { skipUnlessPostgres } from '../support/services.ts';
import { dropServerDb, serverUrl, silentLogger } from '../support/test-runtime.ts';
import pg from 'pg';
import { withDefaultUser } from '../../src/db/pg/database-url.ts';

const skip = await skipUnlessPostgres();

async function emptyDatabase(): Promise<string> {
  const name = `symphainy_test_empty_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: withDefaultUser(serverUrl('postgres')) });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return name;
}

describe('PostgreSQL server driver', { skip }, () => {
  test('six runtimes starting together on an empty database migrate it once (advisory lock), and all work', async () => {
    const name = await emptyDatabase();
    try {
      const runtimes = await Promise.all(
        Array.from({ length: 6 }, () => createRuntime({ databaseUrl: serverUrl(name), memory: true, logger: silentLogger })),
      );
      try {
        const db = await PgDb.open({ url: serverUrl(name) });
        const versions = await db.query<{ version: number }>('SELECT version FROM symphainy.schema_migrations ORDER BY version');
        await db.close();
        assert.deepEqual(versions.map((v) => Number(v.version)), MIGRATIONS.map((m) => m.version));
        for (const rt of runtimes) assert.deepEqual(await rt.listExecutions({ tenantId: 'acme' }), []);
      } finally {
        await Promise.all(runtimes.map((rt) => rt.close()));
      }
    } finally {
      await dropServerDb(name);
    }
  });

  test('a malformed URL is a ConfigError that never echoes the password', async () => {
    for (const url of ['mysql://u:sekret@127.0.0.1/db', 'postgres//u:sekret@127.0.0.1/db', 'not a url sekret']) {
      await assert.rejects(createRuntime({ databaseUrl: url, logger: silentLogger }), (err: unknown) => {
        assert.ok(err instanceof ConfigError, `${url}: ${String(err)}`);
        assert.doesNotMatch(err.message, /sekret/);
        return true;
      });
    }
  });

  test('an unreachable server or a missing database is a StoreError naming the URL without the password', async () => {
    await assert.rejects(PgDb.open({ url: 'postgres://u:sekret@127.0.0.1:1/db', connectTimeoutMs: 2000 }), (err: unknown) => {
      assert.ok(err instanceof StoreError, String(err));
      assert.match(err.message, /cannot connect to PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/);
      assert.doesNotMatch(err.message, /sekret/);
      return true;
    });
    await assert.rejects(PgDb.open({ url: serverUrl('symphainy_no_such_database') }), (err: unknown) => {
      assert.ok(err instanceof StoreError, String(err));
      assert.match(err.message, /symphainy_no_such_database.*does not exist/);
      return true;
    });
  });

  test('a transaction that throws is rolled back, and the pool stays usable', async () => {
    const name = await emptyDatabase();
    const db = await PgDb.open({ url: serverUrl(name), poolSize: 2 });
    try {
      await db.query('CREATE TABLE t (x int PRIMARY KEY)');
      await assert.rejects(db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (1)');
        throw new Error('boom');
      }), /boom/);
      await assert.rejects(db.transaction((tx) => tx.query('INSERT INTO t VALUES (2), (2)')), { code: '23505' });
      for (let i = 0; i < 5; i++) await db.transaction((tx) => tx.query('INSERT INTO t VALUES ($1)', [10 + i]));
      assert.deepEqual((await db.query<{ x: number }>('SELECT x FROM t ORDER BY x')).map((r) => r.x), [10, 11, 12, 13, 14]);
    } finally {
      await db.close();
      await dropServerDb(name);
    }
  });
});
