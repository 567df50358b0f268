import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Queryable } from '../../src/index.ts';
import { freshDb, TEST_DRIVER, type TestDb } from '../support/test-runtime.ts';
import { uid } from '../runtime/helpers.ts';

/** One tenant's outbox rows, the table these tests write (any tenant table would do). */
const insert = (tx: Queryable, tenantId: string, eventId: string) =>
  tx.query(
    `INSERT INTO symphainy.outbox (event_id, tenant_id, session_id, execution_id, event_type, source, payload, created_at)
     VALUES ($1, $2, 's', NULL, 'test', 'runtime', '{}'::jsonb, now()) RETURNING event_id`,
    [eventId, tenantId],
  );

describe(`pipelined transactions (${TEST_DRIVER})`, () => {
  let db: TestDb;
  before(async () => {
    db = await freshDb();
  });
  after(() => db?.close());

  const rows = async (tenantId: string) =>
    (await db.scoped(tenantId).query<{ event_id: string }>('SELECT event_id FROM symphainy.outbox WHERE tenant_id = $1 ORDER BY seq', [tenantId])).map((r) => r.event_id);

  it('commits every statement and returns their results in order', async () => {
    const tenantId = uid('pipe');
    const outcome = await db.scoped(tenantId).pipelined!((tx) => [insert(tx, tenantId, `${tenantId}-1`), insert(tx, tenantId, `${tenantId}-2`)]);
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.results, [[{ event_id: `${tenantId}-1` }], [{ event_id: `${tenantId}-2` }]]);
    assert.deepEqual(await rows(tenantId), [`${tenantId}-1`, `${tenantId}-2`]);
  });

  it('a failing statement rolls back all of them and is reported, not thrown; the connection stays usable', async () => {
    const tenantId = uid('pipe');
    const outcome = await db.scoped(tenantId).pipelined!((tx) => [
      insert(tx, tenantId, `${tenantId}-a`),
      insert(tx, tenantId, `${tenantId}-a`), // the same event id: a unique violation
      insert(tx, tenantId, `${tenantId}-b`),
    ]);
    assert.equal(outcome.ok, false);
    assert.equal((outcome as { error: { code?: string } }).error.code, '23505', 'the failing statement, not the ones refused after it');
    assert.deepEqual(await rows(tenantId), [], 'nothing committed');
    for (let i = 0; i < 12; i++) assert.ok((await db.scoped(tenantId).pipelined!((tx) => [insert(tx, tenantId, `${tenantId}-${i}`)])).ok);
    assert.equal((await rows(tenantId)).length, 12);
  });

  it('expect_rows fails a statement that changed fewer rows than it must', async () => {
    const tenantId = uid('pipe');
    const outcome = await db.scoped(tenantId).pipelined!((tx) => [
      insert(tx, tenantId, `${tenantId}-x`),
      tx.query(`WITH gone AS (DELETE FROM symphainy.outbox WHERE event_id = 'nothing-like-this' RETURNING 1)
                SELECT symphainy.expect_rows(count(*), 1, 'rows deleted') FROM gone`),
    ]);
    assert.equal(outcome.ok, false);
    assert.equal((outcome as { error: { code?: string } }).error.code, 'SY001');
    assert.deepEqual(await rows(tenantId), []);
  });

  it('on a server, a statement issued after the COMMIT was sent is refused, and the rest still commits', { skip: TEST_DRIVER !== 'postgres' }, async () => {
    const tenantId = uid('pipe');
    let late: Promise<unknown> | undefined;
    const outcome = await db.scoped(tenantId).pipelined!((tx) => {
      const first = insert(tx, tenantId, `${tenantId}-1`);
      late = first.then(() => insert(tx, tenantId, `${tenantId}-late`));
      late.catch(() => {}); // asserted below
      return [first];
    });
    assert.ok(outcome.ok);
    await assert.rejects(late!, /takes its statements up front/);
    assert.deepEqual(await rows(tenantId), [`${tenantId}-1`]);
  });
});
