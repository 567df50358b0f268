import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ANY_TENANT, createRuntime, NotFoundError, parseSolutionConfig, type OutboxEvent, type Queryable, type Runtime } from '../../src/index.ts';
import { exampleRealms } from '../../src/examples/realms.ts';
import { PgDb } from '../../src/db/pg/pg-db.ts';
import { skipUnlessPostgres } from '../support/services.ts';
import { APP_ROLE, freshServerDb, silentLogger, SOP_TEXT, type ServerTestDb } from '../support/test-runtime.ts';
import { uid } from '../runtime/helpers.ts';

/**
 * Row-level security on the server: every tenant table admits only the rows
 * of the tenant set in `symphainy.tenant` for the transaction. Checked with
 * plain SQL as the role the runtime uses (no superuser, no BYPASSRLS), after
 * a runtime of that role recorded executions of two tenants.
 */
const skip = await skipUnlessPostgres();

const TENANT_TABLES = [
  'executions', 'wal', 'outbox', 'artifacts', 'cache_entries', 'wal_chain_heads', 'artifact_contents',
  'checkpoints', 'checkpoint_blobs', 'checkpoint_writes', 'checkpoint_holds',
] as const;
const PLATFORM_TABLES = ['tenants', 'api_keys', 'schema_migrations'] as const;
// Tenant tables this suite's executions leave no row in (no model usage, stream, step or signal); forced all the same.
const EMPTY_TENANT_TABLES = ['model_usage', 'stream_chunks', 'execution_steps', 'execution_signals'] as const;
// Every execution leaves a row in each tenant table: the workflow persisted, the visual cached.
const CONFIG = parseSolutionConfig({ materialization_policy: { workflow: 'persist', visual: { decision: 'cache', cache_ttl: '1h' }, checkpoint: 'persist' } });
const bytes = (text: string) => ({ type: 'json', bytes: new TextEncoder().encode(text) });
const sop = (tenantId: string) => ({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });

describe('row-level security (PostgreSQL server)', { skip }, () => {
  const A = uid('rls-a');
  const B = uid('rls-b');
  let db: ServerTestDb;
  let runtime: Runtime;
  /** Plain connections as the app role, one at a time (so consecutive transactions share a connection). */
  let app: pg.Pool;
  let executionOfB: string;

  /** Runs `fn` in a transaction with `symphainy.tenant` set to `tenant` (left unset when null); always rolled back. */
  async function as<T>(tenant: string | null, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await app.connect();
    try {
      await c.query('BEGIN');
      if (tenant !== null) await c.query("SELECT set_config('symphainy.tenant', $1, true)", [tenant]);
      return await fn(c);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  }
  const tenantsIn = async (c: pg.PoolClient, table: string) =>
    (await c.query<{ tenant_id: string }>(`SELECT * FROM symphainy.${table}`)).rows.map((r) => r.tenant_id);

  before(async () => {
    if (skip) return;
    db = await freshServerDb();
    runtime = await createRuntime({ databaseUrl: db.url, memory: true, realms: [...exampleRealms], solutionConfig: CONFIG, logger: silentLogger });
    for (const tenantId of [A, B]) {
      const r = await runtime.execute(sop(tenantId));
      assert.equal(r.status, 'completed');
      if (tenantId === B) executionOfB = r.executionId;
      // A LangGraph thread of the tenant: a checkpoint with a channel value, a pending write, a legal hold.
      const checkpoints = runtime.checkpoints(tenantId);
      const key = { threadId: 'thread-1', checkpointNs: '', checkpointId: 'cp-1' };
      await checkpoints.put({
        ...key, parentCheckpointId: null, channelVersions: { messages: 1 }, checkpoint: bytes('{}'), metadata: bytes('{}'),
        blobs: [{ channel: 'messages', version: '1', value: bytes('["hi"]') }], subjectValues: [], sizeBytes: 10,
      });
      await checkpoints.putWrites(key, [{ taskId: 'task', idx: 0, channel: 'messages', taskPath: '', value: bytes('"there"') }], false);
      await checkpoints.hold('thread-1', 'audit');
    }
    await runtime.flushEvents();
    app = new pg.Pool({ connectionString: db.url, max: 1 });
  });
  after(async () => {
    await app?.end();
    await runtime?.close();
    await db?.close();
  });

  test('the runtime connects as a role row-level security applies to, and only the tenant tables are forced', async () => {
    const role = await app.query('SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user');
    assert.deepEqual(role.rows, [{ name: APP_ROLE, rolsuper: false, rolbypassrls: false }]);
    const tables = await app.query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; owner: string }>(
      `SELECT relname, relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) AS owner
         FROM pg_class WHERE relnamespace = 'symphainy'::regnamespace AND relkind = 'r' ORDER BY relname`,
    );
    const forced = tables.rows.filter((t) => t.relrowsecurity && t.relforcerowsecurity).map((t) => t.relname);
    assert.deepEqual(forced.sort(), [...TENANT_TABLES, ...EMPTY_TENANT_TABLES].sort());
    for (const name of PLATFORM_TABLES) assert.ok(tables.rows.some((t) => t.relname === name && !t.relrowsecurity), name);
    // Owned by the role itself: FORCE is what holds the owner to the policies.
    assert.deepEqual([...new Set(tables.rows.map((t) => t.owner))], [APP_ROLE]);
  });

  test('set to one tenant, SELECT * without a WHERE returns only its rows, in every tenant table', async () => {
    for (const tenant of [A, B]) {
      await as(tenant, async (c) => {
        for (const table of TENANT_TABLES) {
          const tenants = await tenantsIn(c, table);
          assert.ok(tenants.length > 0, `${table}: ${tenant} has rows`);
          assert.deepEqual([...new Set(tenants)], [tenant], table);
        }
      });
    }
    // '*' (ANY_TENANT: relay, claims, recovery) sees both.
    await as('*', async (c) => {
      for (const table of TENANT_TABLES) assert.deepEqual([...new Set(await tenantsIn(c, table))].sort(), [A, B].sort(), table);
    });
    // Naming the other tenant in the query does not help.
    await as(A, async (c) => {
      assert.equal((await c.query('SELECT * FROM symphainy.executions WHERE tenant_id = $1', [B])).rowCount, 0);
      assert.equal((await c.query('SELECT * FROM symphainy.executions WHERE execution_id = $1', [executionOfB])).rowCount, 0);
    });
  });

  test('with the setting unset (or empty), no tenant table shows a row', async () => {
    for (const tenant of [null, '']) {
      await as(tenant, async (c) => {
        for (const table of TENANT_TABLES) assert.deepEqual(await tenantsIn(c, table), [], `${table} with ${JSON.stringify(tenant)}`);
      });
    }
    // The platform tables are not tenant-scoped: readable before a tenant is known.
    assert.ok(((await app.query('SELECT version FROM symphainy.schema_migrations')).rowCount ?? 0) >= 4);
  });

  test("set to A, writing B's rows is refused (policy violation) or touches nothing", async () => {
    const refused = { code: '42501', message: /row-level security/ };
    await as(A, (c) =>
      assert.rejects(c.query(
        `INSERT INTO symphainy.wal (tenant_id, record_type, payload, recorded_at) VALUES ($1, 'intent', '{}', now())`, [B]), refused));
    await as(A, (c) =>
      assert.rejects(c.query(
        `INSERT INTO symphainy.outbox (event_id, tenant_id, session_id, event_type, source, payload, created_at)
         VALUES ($1, $2, 's', 'x', 'runtime', '{}', now())`, [uid('e'), B]), refused));
    // Moving one's own row to another tenant fails the policy's check.
    await as(A, (c) => assert.rejects(c.query('UPDATE symphainy.executions SET tenant_id = $1 WHERE tenant_id = $2', [B, A]), refused));
    await as(A, async (c) => {
      assert.equal((await c.query("UPDATE symphainy.executions SET realm = 'x' WHERE tenant_id = $1", [B])).rowCount, 0);
      for (const table of ['cache_entries', 'artifacts', 'wal'] as const) {
        assert.equal((await c.query(`DELETE FROM symphainy.${table} WHERE tenant_id = $1`, [B])).rowCount, 0, table);
      }
      // An UPDATE without a WHERE (the bug row-level security is for) changes A's rows only.
      const updated = await c.query<{ tenant_id: string }>('UPDATE symphainy.outbox SET published_at = NULL RETURNING tenant_id');
      assert.ok(updated.rows.length > 0 && updated.rows.every((r) => r.tenant_id === A));
      await c.query("SELECT set_config('symphainy.tenant', '*', true)");
      assert.equal((await c.query('SELECT 1 FROM symphainy.outbox WHERE tenant_id = $1 AND published_at IS NULL', [B])).rowCount, 0);
    });
    // Unset, nothing can be written at all.
    await as(null, (c) =>
      assert.rejects(c.query(
        `INSERT INTO symphainy.wal (tenant_id, record_type, payload, recorded_at) VALUES ($1, 'intent', '{}', now())`, [A]), refused));
  });

  test('the setting ends with its transaction: the next transaction on the same pooled connection sees nothing', async () => {
    const c = await app.connect();
    try {
      await c.query('BEGIN');
      await c.query("SELECT set_config('symphainy.tenant', $1, true)", [A]);
      const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      assert.ok(((await c.query('SELECT 1 FROM symphainy.executions')).rowCount ?? 0) > 0);
      await c.query('COMMIT');
      c.release();
      // The pool holds one connection: this is the same one.
      assert.equal((await app.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid, pid);
      assert.equal((await app.query<{ t: string }>("SELECT current_setting('symphainy.tenant', true) AS t")).rows[0]!.t, '');
      assert.equal((await app.query('SELECT 1 FROM symphainy.executions')).rowCount, 0);
    } catch (err) {
      c.release();
      throw err;
    }
  });

  test('the driver: a scoped statement sees its tenant only, and leaves nothing behind on its pooled connection, also when it fails', async () => {
    const one = await PgDb.open({ url: db.url, poolSize: 1 });
    try {
      const tenantsOf = async (q: Queryable) =>
        [...new Set((await q.query<{ tenant_id: string }>('SELECT tenant_id FROM symphainy.executions')).map((r) => r.tenant_id))].sort();
      assert.deepEqual(await tenantsOf(one.scoped(A)), [A]);
      assert.deepEqual(await tenantsOf(one.scoped(ANY_TENANT)), [A, B].sort());
      assert.deepEqual(await tenantsOf(one), [], 'unscoped: no tenant rows');
      await assert.rejects(one.scoped(A).query('SELECT 1 / (count(*) - count(*)) FROM symphainy.executions'), { code: '22012' });
      // Rolled back and reset: not left in a transaction, not holding the tenant.
      assert.deepEqual(await one.query("SELECT current_setting('symphainy.tenant', true) AS t"), [{ t: '' }]);
      assert.deepEqual(await tenantsOf(one), []);
      assert.deepEqual(await tenantsOf(one.scoped(B)), [B]);
      // A transaction rolled back by its caller, then the next one: scoped afresh.
      await assert.rejects(one.scoped(A).transaction(async (tx) => {
        assert.deepEqual((await tx.query<{ t: string }>("SELECT current_setting('symphainy.tenant', true) AS t"))[0]!.t, A);
        throw new Error('boom');
      }), /boom/);
      assert.deepEqual(await one.scoped(B).transaction((tx) => tenantsOf(tx)), [B]);
      assert.throws(() => one.scoped('*'), TypeError);
      assert.throws(() => one.scoped(undefined as never), TypeError);
    } finally {
      await one.close();
    }
  });

  test('a runtime opened by URL as that role executes, queues, lists, reads and relays as usual', async () => {
    const events: OutboxEvent[] = [];
    const stop = runtime.subscribe((e) => void events.push(e), { tenantId: A });
    try {
      const direct = await runtime.execute(sop(A));
      assert.equal(direct.status, 'completed');
      const { executionId } = await runtime.submit(sop(B));
      const worker = runtime.startWorker({ pollIntervalMs: 20 });
      const queued = await runtime.waitForExecution(executionId, { tenantId: B }, { timeoutMs: 30_000 });
      await worker.stop();
      assert.equal(queued.status, 'completed');
      assert.equal(queued.attempts, 1);
      await runtime.flushEvents();

      const ofA = await runtime.listExecutions({ tenantId: A });
      assert.equal(ofA.length, 2);
      assert.ok(ofA.every((e) => e.tenantId === A));
      assert.equal((await runtime.listExecutions({ tenantId: ANY_TENANT })).length, 4);
      await assert.rejects(runtime.getExecution(executionOfB, { tenantId: A }), NotFoundError);
      assert.equal((await runtime.getExecution(executionOfB, { tenantId: B })).tenantId, B);
      assert.ok((await runtime.listWal({ tenantId: A })).every((r) => r.tenantId === A));
      const workflow = direct.artifacts.find((a) => a.key === 'workflow')!;
      assert.equal((await runtime.getArtifact(workflow.artifactId!, { tenantId: A })).tenantId, A);
      await assert.rejects(runtime.getArtifact(workflow.artifactId!, { tenantId: B }), NotFoundError);
      assert.ok((await runtime.getCached({ tenantId: A, executionId: direct.executionId })).length > 0);
      assert.deepEqual(await runtime.getCached({ tenantId: B, executionId: direct.executionId }), []);

      // Relayed: A's subscriber got A's lifecycle, and nothing is left unpublished.
      assert.ok(events.some((e) => e.executionId === direct.executionId && e.eventType === 'execution.completed'));
      assert.deepEqual(await db.scoped(ANY_TENANT).query('SELECT event_id FROM symphainy.outbox WHERE published_at IS NULL'), []);
    } finally {
      stop();
    }
  });
});
