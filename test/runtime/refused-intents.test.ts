import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { exampleRealms } from '../../src/examples/realms.ts';
import { ANY_TENANT, defineRealm, InvalidIntentError, UnknownIntentError, type IntentInput } from '../../src/index.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { count, uid } from './helpers.ts';

let calls = 0;
const probe = defineRealm({
  name: 'probe',
  intents: {
    count: {
      params: z.strictObject({ n: z.number().int() }),
      handler: () => {
        calls++;
        return {};
      },
    },
  },
});

describe('refused intents', () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [...exampleRealms, probe] });
  });
  after(() => t?.close());

  /** Nothing was recorded as executed for the tenant: no execution, no `intent` record, no event. */
  async function assertNothingExecuted(tenantId: string): Promise<void> {
    assert.deepEqual(await t.runtime.listExecutions({ tenantId }), []);
    assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.executions WHERE tenant_id = $1', [tenantId]), 0);
    assert.deepEqual(await t.runtime.listWal({ tenantId, recordType: 'intent' }), []);
    assert.deepEqual(await t.runtime.listWal({ tenantId, recordType: 'state_transition' }), []);
    await t.runtime.flushEvents();
    assert.deepEqual(await t.runtime.listEvents({ tenantId }), []);
  }

  it('an unknown intent type → UnknownIntentError, an intent_rejected WAL record, no execution', async () => {
    const tenantId = uid('unk');
    const intentId = uid('intent');
    await assert.rejects(
      t.runtime.execute({ intentId, intentType: 'nosuch.thing', tenantId, sessionId: 's', parameters: { x: 1 } }),
      (err: unknown) => {
        assert.ok(err instanceof UnknownIntentError);
        assert.equal(err.code, 'SYM_ERR_UNKNOWN_INTENT');
        assert.match(err.message, /nosuch\.thing/);
        assert.match(err.message, /journey\.sop_to_workflow/, 'names the known intent types');
        return true;
      },
    );
    await assertNothingExecuted(tenantId);
    const wal = await t.runtime.listWal({ tenantId });
    assert.equal(wal.length, 1);
    const [rejected] = wal;
    assert.equal(rejected!.recordType, 'intent_rejected');
    assert.equal(rejected!.executionId, null);
    assert.equal(rejected!.intentId, intentId);
    assert.equal((rejected!.payload.intent as { intentType: string }).intentType, 'nosuch.thing');
    assert.equal((rejected!.payload.error as { code: string }).code, 'SYM_ERR_UNKNOWN_INTENT');
  });

  for (const [label, parameters, field] of [
    ['missing sop_text', {}, 'parameters.sop_text'],
    ['sop_text of the wrong type', { sop_text: 42 }, 'parameters.sop_text'],
    ['an unexpected parameter', { sop_text: '1. a', colour: 'red' }, 'parameters'],
  ] as const) {
    it(`bad parameters (${label}) → InvalidIntentError naming ${field}; nothing executed`, async () => {
      const tenantId = uid('bad');
      await assert.rejects(
        t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters }),
        (err: unknown) => {
          assert.ok(err instanceof InvalidIntentError);
          assert.equal(err.code, 'SYM_ERR_INVALID_INTENT');
          assert.ok(err.message.includes(field), err.message);
          assert.ok(err.issues.some((i) => i.path === field), JSON.stringify(err.issues));
          return true;
        },
      );
      await assertNothingExecuted(tenantId);
      const rejected = await t.runtime.listWal({ tenantId, recordType: 'intent_rejected' });
      assert.equal(rejected.length, 1);
      assert.equal((rejected[0]!.payload.error as { code: string }).code, 'SYM_ERR_INVALID_INTENT');
    });
  }

  it('the handler of an intent with bad parameters never runs, and its parameters are not kept', async () => {
    const tenantId = uid('probe');
    const before = calls;
    await assert.rejects(
      t.runtime.execute({ intentType: 'probe.count', tenantId, sessionId: 's', parameters: { n: 'secret-value-123' } }),
      InvalidIntentError,
    );
    assert.equal(calls, before);
    const wal = await t.runtime.listWal({ tenantId });
    assert.equal(wal.length, 1);
    assert.ok(!JSON.stringify(wal).includes('secret-value-123'));
    // The same intent with good parameters runs.
    const ok = await t.runtime.execute({ intentType: 'probe.count', tenantId, sessionId: 's', parameters: { n: 1 } });
    assert.equal(ok.status, 'completed');
    assert.equal(calls, before + 1);
  });

  for (const [label, patch, field] of [
    ["a tenantId with '/'", { tenantId: 'acme/../other' }, 'tenantId'],
    ['an empty sessionId', { sessionId: '' }, 'sessionId'],
    ['a missing tenantId', { tenantId: undefined }, 'tenantId'],
    ['an intentType without a realm', { intentType: 'sop_to_workflow' }, 'intentType'],
    ['parameters that are not an object', { parameters: [1, 2] }, 'parameters'],
  ] as const) {
    it(`a bad envelope (${label}) → InvalidIntentError naming ${field}; nothing recorded`, async () => {
      const walBefore = (await t.runtime.listWal({ tenantId: ANY_TENANT })).length;
      const execBefore = (await t.runtime.listExecutions({ tenantId: ANY_TENANT, limit: 1000 })).length;
      const intent = Object.assign({ intentType: 'journey.sop_to_workflow', tenantId: uid('env'), sessionId: 's', parameters: { sop_text: '1. a' } }, patch);
      await assert.rejects(t.runtime.execute(intent as unknown as IntentInput), (err: unknown) => {
        assert.ok(err instanceof InvalidIntentError);
        assert.ok(err.issues.some((i) => i.path === field), JSON.stringify(err.issues));
        assert.match(err.message, new RegExp(field));
        return true;
      });
      assert.equal((await t.runtime.listWal({ tenantId: ANY_TENANT })).length, walBefore);
      assert.equal((await t.runtime.listExecutions({ tenantId: ANY_TENANT, limit: 1000 })).length, execBefore);
    });
  }
});
