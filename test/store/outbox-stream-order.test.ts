import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Queryable } from '../../src/db/db.ts';
import { TransactionalOutbox, type OutboxEvent } from '../../src/store/outbox.ts';
import { freshDb, TEST_DRIVER, type TestDb } from '../support/test-runtime.ts';
import { eventually } from '../support/eventually.ts';

const event = (tenantId: string, eventType: string): OutboxEvent => ({
  eventId: randomUUID(), eventType, source: 'runtime', tenantId, sessionId: 's', executionId: null, payload: { eventType },
  createdAt: new Date().toISOString(),
});

/** Runs `fn` in a transaction scoped to the tenant (row-level security admits its rows only). */
const asTenant = (db: TestDb, tenantId: string, fn: (tx: Queryable) => Promise<void>) => db.scoped(tenantId).transaction(fn);

/**
 * Transaction ids are server-wide: any transaction still open on the server (another test's
 * CREATE DATABASE, say) holds committed events back a moment. Look until they show, or give up.
 */
describe('outbox stream order (live event streams)', () => {
  let db: TestDb;
  let outbox: TransactionalOutbox;
  beforeEach(async () => {
    db = await freshDb();
    outbox = new TransactionalOutbox(db);
  });
  afterEach(() => db?.close());

  it('pages a tenant\'s events in order, resuming after a position, and finds an event\'s position', async () => {
    for (const type of ['a', 'b', 'c']) await asTenant(db, 't1', (tx) => outbox.insert(tx, [event('t1', type)]));
    await asTenant(db, 't2', (tx) => outbox.insert(tx, [event('t2', 'other')]));
    const first = await eventually(() => outbox.listCommitted({ tenantId: 't1', after: null, limit: 2 }), 2);
    assert.deepEqual(first.map((e) => e.eventType), ['a', 'b']);
    const rest = await eventually(() => outbox.listCommitted({ tenantId: 't1', after: first[1]!.position, limit: 10 }), 1);
    assert.deepEqual(rest.map((e) => e.eventType), ['c']);
    assert.deepEqual(await outbox.positionOf(first[1]!.eventId, 't1'), first[1]!.position);
    assert.equal(await outbox.positionOf(first[1]!.eventId, 't2'), null, "another tenant's event has no position for t2");
  });

  it('holds back an event whose transaction commits after an older one still open, so a reader never skips the older', { skip: TEST_DRIVER !== 'postgres' && 'needs concurrent transactions (PostgreSQL server driver)' }, async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let older!: () => void;
    const olderWrote = new Promise<void>((r) => (older = r));
    // T1 writes first (older transaction id) and stays open; T2 writes and commits.
    const t1 = asTenant(db, 't1', async (tx) => {
      await outbox.insert(tx, [event('t1', 'older')]);
      older();
      await gate;
    });
    await olderWrote;
    await asTenant(db, 't1', (tx) => outbox.insert(tx, [event('t1', 'newer')]));
    // The newer event is committed, but showing it now would let a reader move past the older one.
    assert.deepEqual((await outbox.listCommitted({ tenantId: 't1', after: null, limit: 10 })).map((e) => e.eventType), []);
    release();
    await t1;
    const all = await eventually(() => outbox.listCommitted({ tenantId: 't1', after: null, limit: 10 }), 2);
    assert.deepEqual(all.map((e) => e.eventType), ['older', 'newer']);
  });
});
