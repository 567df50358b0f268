/**
 * A COMMIT the server carried out whose reply never arrived: the connection
 * drops after the statements reached PostgreSQL. The outcome is unknown to
 * the client, so it must neither report "rolled back" nor run the write
 * again (which found the intent id taken and refused the caller's own
 * intent as a duplicate). A TCP proxy in front of the shared server drops
 * the replies, then cuts the connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createRuntime, StoreError, type Runtime } from '../../src/index.ts';
import { withDefaultUser } from '../../src/db/pg/database-url.ts';
import { PgDb } from '../../src/db/pg/pg-db.ts';
import { exampleRealms } from '../../src/examples/realms.ts';
import { uid } from '../runtime/helpers.ts';
import { skipUnlessPostgres } from '../support/services.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { freshServerDb, serverUrl, silentLogger, SOP_TEXT, TEST_DRIVER, type ServerTestDb } from '../support/test-runtime.ts';

const skip = TEST_DRIVER !== 'postgres' ? 'PostgreSQL faults run with SYMPHAINY_TEST_DRIVER=postgres' : await skipUnlessPostgres();

describe('a commit whose reply is lost', { skip, timeout: 120_000 }, () => {
  let db: ServerTestDb;
  let admin: pg.Client;
  let proxy: TcpProxy;
  let viaProxy: PgDb;

  before(async () => {
    db = await freshServerDb();
    admin = new pg.Client({ connectionString: withDefaultUser(serverUrl(new URL(db.url).pathname.slice(1))) });
    await admin.connect();
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const u = new URL(db.url);
    u.port = String(proxy.port);
    viaProxy = await PgDb.open({ url: u.toString(), connectTimeoutMs: 2000 });
  });
  after(async () => {
    await viaProxy?.close();
    await proxy?.close();
    await admin?.end();
    await db?.close();
  });

  /** Polls (as the superuser, past row-level security) until `sql` finds a row; the server has committed. */
  async function committed(sql: string, params: unknown[]): Promise<void> {
    const deadline = Date.now() + 20_000;
    while ((await admin.query(sql, params)).rowCount === 0) {
      if (Date.now() > deadline) throw new Error(`not committed within 20 s: ${sql}`);
      await sleep(20);
    }
  }

  test('a pipelined transaction throws a retryable StoreError (outcome unknown) instead of reporting a rollback', async () => {
    const tenantId = uid('lost');
    proxy.muteReplies();
    const outcome = viaProxy.scoped(tenantId).pipelined!((tx) => [
      tx.query(
        `INSERT INTO symphainy.outbox (event_id, tenant_id, session_id, execution_id, event_type, source, payload, created_at)
         VALUES ($1, $2, 's', NULL, 'test', 'runtime', '{}'::jsonb, now())`,
        [`${tenantId}-1`, tenantId],
      ),
    ]);
    const settled = outcome.then((o) => ({ resolved: o }), (err: unknown) => ({ rejected: err }));
    await committed('SELECT 1 FROM symphainy.outbox WHERE event_id = $1', [`${tenantId}-1`]);
    proxy.cut();
    proxy.restore();
    const s = await settled;
    assert.ok('rejected' in s, `a committed transaction was reported as ${JSON.stringify((s as { resolved: unknown }).resolved)}`);
    assert.ok(s.rejected instanceof StoreError, String(s.rejected));
    assert.match(s.rejected.message, /retryable/);
  });

  test("execute: the caller gets SYM_ERR_STORE for its intent, never a duplicate of itself, and the execution is recorded once", async () => {
    const runtime: Runtime = await createRuntime({ db: viaProxy, realms: [...exampleRealms], logger: silentLogger, memory: true });
    try {
      const tenantId = uid('lost');
      const intentId = uid('intent');
      // A warm pool: the write goes out on a connection that exists.
      await runtime.listExecutions({ tenantId });
      proxy.muteReplies();
      const run = runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', intentId, parameters: { sop_text: SOP_TEXT } });
      const settled = run.then((r) => ({ resolved: r }), (err: unknown) => ({ rejected: err }));
      await committed('SELECT 1 FROM symphainy.executions WHERE tenant_id = $1 AND intent_id = $2', [tenantId, intentId]);
      proxy.cut();
      proxy.restore();
      const s = await settled;
      assert.ok('rejected' in s, 'the start was not acknowledged');
      const code = (s.rejected as { code?: string }).code;
      assert.equal(code, 'SYM_ERR_STORE', String(s.rejected));
      const rows = await admin.query('SELECT status FROM symphainy.executions WHERE tenant_id = $1 AND intent_id = $2', [tenantId, intentId]);
      assert.equal(rows.rowCount, 1, 'recorded once');
    } finally {
      await runtime.close();
    }
  });

  test('the completion: its caller gets the completed result that was recorded, never a failure that was not', async () => {
    const tenantId = uid('lost');
    const intentId = uid('intent');
    let cutting: Promise<void> | undefined;
    const runtime: Runtime = await createRuntime({
      db: viaProxy, realms: [...exampleRealms], logger: silentLogger, memory: true,
      faults: {
        // The completion's statements are written; its COMMIT goes out next, and its reply is lost.
        beforeCompleteCommit: () => {
          proxy.muteReplies();
          cutting = committed("SELECT 1 FROM symphainy.executions WHERE tenant_id = $1 AND intent_id = $2 AND status = 'completed'", [tenantId, intentId])
            .then(() => {
              proxy.cut();
              proxy.restore();
            });
        },
      },
    });
    try {
      const result = await runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', intentId, parameters: { sop_text: SOP_TEXT } })
        .catch((err: unknown) => err as Error);
      await cutting;
      const rows = await admin.query<{ status: string }>('SELECT status FROM symphainy.executions WHERE tenant_id = $1 AND intent_id = $2', [tenantId, intentId]);
      assert.deepEqual(rows.rows.map((r) => r.status), ['completed']);
      if (result instanceof Error) {
        // The pool's other connections went with the cut, so recording the failure may fail too: then
        // the outcome was unknown when it answered, a retryable SYM_ERR_STORE. Never a failure result.
        assert.equal((result as { code?: string }).code, 'SYM_ERR_STORE', String(result));
      } else {
        assert.equal(result.status, 'completed', JSON.stringify(result.error));
        assert.equal(result.executionId, (await runtime.listExecutions({ tenantId }))[0]?.executionId);
      }
    } finally {
      await runtime.close();
    }
  });
});
