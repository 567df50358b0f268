import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Queryable } from '../../src/index.ts';
import { ANY_TENANT, tenantParam, tenantSetting } from '../../src/db/tenant-scope.ts';
import { insertMany, iso } from '../../src/db/sql.ts';
import { freshDb, type TestDb } from '../support/test-runtime.ts';

describe('insertMany', () => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb();
    await db.query(`CREATE TABLE symphainy.things (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, n int, doc jsonb NOT NULL)`);
  });
  afterEach(() => db?.close());

  const COLUMNS = [{ name: 'name' }, { name: 'n' }, { name: 'doc', json: true }] as const;

  it('writes every row, in the given order, with json columns as jsonb', async () => {
    const rows = [
      ['zeta', 3, { a: [1, 2] }],
      ['alpha', null, 'just a string'],
      ["o'quote $1", 1, null],
      ['last', 2, { nested: { deep: true } }],
    ];
    await insertMany(db, 'symphainy.things', COLUMNS, rows);
    const back = await db.query<{ name: string; n: number | null; doc: unknown }>('SELECT name, n, doc FROM symphainy.things ORDER BY seq');
    assert.deepEqual(back.map((r) => [r.name, r.n, r.doc]), rows);
  });

  it('sends one statement for many rows, and none for no rows', async () => {
    const sent: string[] = [];
    const spy: Queryable = {
      query: async (sql, params) => {
        sent.push(sql);
        return db.query(sql, params);
      },
      exec: (sql) => db.exec(sql),
    };
    await insertMany(spy, 'symphainy.things', COLUMNS, []);
    assert.deepEqual(sent, []);
    await insertMany(spy, 'symphainy.things', COLUMNS, Array.from({ length: 50 }, (_, i) => [`r${i}`, i, { i }]));
    assert.equal(sent.length, 1);
    const back = await db.query<{ n: number }>('SELECT n FROM symphainy.things ORDER BY seq');
    assert.deepEqual(back.map((r) => r.n), Array.from({ length: 50 }, (_, i) => i));
  });

  it('splits rows over statements below PostgreSQL\'s 65 535-parameter limit, keeping their order', async () => {
    const sent: unknown[][] = [];
    const spy: Queryable = {
      query: async (sql, params) => {
        sent.push([...(params ?? [])]);
        return db.query(sql, params);
      },
      exec: (sql) => db.exec(sql),
    };
    const rows = Array.from({ length: 30_000 }, (_, i) => [`r${i}`, i, { i }]);
    await insertMany(spy, 'symphainy.things', COLUMNS, rows);
    assert.equal(sent.length, 2);
    assert.ok(sent.every((p) => p.length <= 65_535));
    const back = await db.query<{ n: number }>('SELECT n FROM symphainy.things ORDER BY seq');
    assert.deepEqual(back.map((r) => r.n), rows.map((r) => r[1]));
  });

  it('is all or nothing: one bad row inserts none', async () => {
    await assert.rejects(insertMany(db, 'symphainy.things', COLUMNS, [['ok', 1, {}], [null, 2, {}]]));
    assert.deepEqual(await db.query('SELECT * FROM symphainy.things'), []);
  });
});

describe('tenant scope and timestamps', () => {
  it('tenantParam: a tenant id, or null for ANY_TENANT; never empty or missing', () => {
    assert.equal(tenantParam('acme'), 'acme');
    assert.equal(tenantParam(ANY_TENANT), null);
    assert.throws(() => tenantParam(''), TypeError);
    assert.throws(() => tenantParam(undefined as never), TypeError);
    assert.throws(() => tenantParam(null as never), TypeError);
  });

  it("tenantSetting: the tenant id, or '*' for ANY_TENANT; '*' is no tenant's id", () => {
    assert.equal(tenantSetting('acme'), 'acme');
    assert.equal(tenantSetting(ANY_TENANT), '*');
    assert.throws(() => tenantSetting('*'), TypeError);
    assert.throws(() => tenantSetting(''), TypeError);
    assert.throws(() => tenantSetting(undefined as never), TypeError);
  });

  it('iso: Date or string to ISO-8601, null stays null', () => {
    assert.equal(iso(new Date('2030-01-02T03:04:05.678Z')), '2030-01-02T03:04:05.678Z');
    assert.equal(iso('2030-01-02 03:04:05.678+00'), '2030-01-02T03:04:05.678Z');
    assert.equal(iso(null), null);
    assert.equal(iso(undefined), null);
  });
});
