import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ANY_TENANT, defineRealm, type ExecutionContext, type ExecutionResult } from '../../src/index.ts';
import { MVP_CONFIG, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { count, filesUnder, journeyOf, uid, until } from './helpers.ts';

let hungContext: ExecutionContext | undefined;
let closingContext: ExecutionContext | undefined;

const flaky = defineRealm({
  name: 'flaky',
  intents: {
    boom: {
      handler: () => {
        throw new Error('kaboom: the model is down');
      },
    },
    async_boom: {
      handler: async () => {
        await Promise.resolve();
        throw new TypeError('async kaboom');
      },
    },
    hang: {
      timeoutMs: 50,
      handler: (_params, ctx) => {
        hungContext = ctx;
        return new Promise(() => {});
      },
    },
    hang_long: {
      handler: (_params, ctx) => {
        closingContext = ctx;
        return new Promise(() => {});
      },
    },
    artifacts_not_object: { handler: () => ({ artifacts: 5 }) as never },
    unknown_field: { handler: () => ({ artifacts: { workflow: { steps: [] } }, verdict: 'ok' }) as never },
    bad_event: { handler: () => ({ artifacts: {}, events: [{ data: 1 }] }) as never },
  },
});

describe('realm failures', () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [flaky], solutionConfig: MVP_CONFIG });
  });
  after(() => t?.close());

  const run = (intent: string, tenantId = uid('flaky')) =>
    t.runtime.execute({ intentType: `flaky.${intent}`, tenantId, sessionId: 's', parameters: {} });

  /** A failed execution is fully recorded: row, WAL journey, execution.failed event; nothing stored. */
  async function assertRecordedFailure(result: ExecutionResult, code: string): Promise<void> {
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, code);
    assert.deepEqual(result.artifacts, []);
    const { tenantId, executionId } = result;

    const e = await t.runtime.getExecution(executionId, { tenantId });
    assert.equal(e.status, 'failed');
    assert.deepEqual(e.error, result.error);
    assert.ok(e.finishedAt);
    const rows = await t.db.scoped(ANY_TENANT).query<{ status: string; error: { code: string } }>(
      'SELECT status, error FROM symphainy.executions WHERE execution_id = $1',
      [executionId],
    );
    assert.equal(rows[0]?.status, 'failed');
    assert.equal(rows[0]?.error.code, code);

    const wal = await t.runtime.listWal({ tenantId, executionId });
    assert.deepEqual(wal.map((r) => r.recordType), ['intent', 'state_transition', 'state_transition']);
    assert.deepEqual(journeyOf(wal), ['accepted→running', 'running→failed']);
    assert.deepEqual((wal[2]!.payload.error as { code: string }).code, code);

    assert.deepEqual(await t.runtime.listArtifacts({ tenantId }), []);
    assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.artifacts WHERE execution_id = $1', [executionId]), 0);

    await t.runtime.flushEvents();
    const events = await t.runtime.listEvents({ tenantId, executionId });
    assert.deepEqual(events.map((ev) => ev.eventType), ['execution.started', 'execution.failed']);
    assert.deepEqual((events[1]!.payload as { error: unknown }).error, result.error);
    assert.deepEqual(result.events.map((ev) => ev.eventId), [events[1]!.eventId]);
  }

  it('a handler that throws → failed with SYM_ERR_REALM_FAILED and its message', async () => {
    const result = await run('boom');
    await assertRecordedFailure(result, 'SYM_ERR_REALM_FAILED');
    assert.match(result.error!.message, /kaboom: the model is down/);
    assert.match(result.error!.message, /flaky\.boom/);
    assert.deepEqual(await filesUnder(t.blobRoot), []);
  });

  it('a handler that rejects asynchronously → the same', async () => {
    const result = await run('async_boom');
    await assertRecordedFailure(result, 'SYM_ERR_REALM_FAILED');
    assert.match(result.error!.message, /async kaboom/);
  });

  it("a handler that never settles → SYM_ERR_REALM_TIMEOUT after the intent's timeoutMs, and its signal is aborted", async () => {
    hungContext = undefined;
    const result = await run('hang');
    await assertRecordedFailure(result, 'SYM_ERR_REALM_TIMEOUT');
    assert.match(result.error!.message, /50 ms/);
    const ctx = hungContext as ExecutionContext | undefined;
    assert.ok(ctx, 'the handler ran');
    assert.equal(ctx.executionId, result.executionId);
    assert.equal(ctx.signal.aborted, true);
    assert.equal((ctx.signal.reason as { code?: string }).code, 'SYM_ERR_REALM_TIMEOUT');
  });

  for (const intent of ['artifacts_not_object', 'unknown_field', 'bad_event']) {
    it(`a malformed result (${intent}) → failed with SYM_ERR_REALM_RESULT; nothing stored`, async () => {
      const result = await run(intent);
      await assertRecordedFailure(result, 'SYM_ERR_REALM_RESULT');
    });
  }

  it('a failure is returned, not thrown, and the runtime keeps working', async () => {
    const tenantId = uid('after');
    await run('boom', tenantId);
    const failed = await t.runtime.listExecutions({ tenantId, status: 'failed' });
    assert.equal(failed.length, 1);
    assert.equal((await run('artifacts_not_object', tenantId)).status, 'failed');
    assert.equal((await t.runtime.listExecutions({ tenantId })).length, 2);
  });
});

describe('closing the runtime while a handler runs', () => {
  it('cancels the handler (signal aborted) and records the execution as failed', async () => {
    const t = await testRuntime({ realms: [flaky] });
    try {
      const tenantId = uid('closing');
      closingContext = undefined;
      const pending = t.runtime.execute({ intentType: 'flaky.hang_long', tenantId, sessionId: 's', parameters: {} });
      await until(() => closingContext !== undefined);
      await t.runtime.close();
      const result = await pending;
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'SYM_ERR_RUNTIME_CLOSED');
      assert.equal(closingContext!.signal.aborted, true);
      const rows = await t.db.scoped(ANY_TENANT).query<{ status: string }>('SELECT status FROM symphainy.executions WHERE execution_id = $1', [result.executionId]);
      assert.deepEqual(rows, [{ status: 'failed' }]);
    } finally {
      await t.close();
    }
  });
});
