import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DuplicateIntentError } from '../../src/index.ts';
import { counterRealm } from '../support/counter-realm.ts';
import { MVP_CONFIG, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { count, uid } from './helpers.ts';

const { realm: counter, runs } = counterRealm();

describe('idempotency by intentId', () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [counter], solutionConfig: MVP_CONFIG });
  });
  after(() => t?.close());

  it('the same intent id twice for the same tenant returns the recorded result and runs the handler once', async () => {
    const tenantId = uid('idem');
    const intentId = uid('intent');
    const intent = { intentId, intentType: 'counter.bump', tenantId, sessionId: 's', parameters: {} };
    const before = runs.calls;
    const first = await t.runtime.execute(intent);
    const second = await t.runtime.execute(intent);
    assert.equal(runs.calls, before + 1);
    assert.equal(first.status, 'completed');
    assert.equal(second.executionId, first.executionId);
    assert.deepEqual(second, first);

    // Recorded once: one execution, one intent record, one artifact, one set of events.
    assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.executions WHERE intent_id = $1', [intentId]), 1);
    assert.equal((await t.runtime.listWal({ tenantId, recordType: 'intent' })).length, 1);
    assert.equal((await t.runtime.listArtifacts({ tenantId })).length, 1);
    await t.runtime.flushEvents();
    assert.equal((await t.runtime.listEvents({ tenantId })).length, 3);
  });

  it('the same intent id with other parameters is refused (409), whatever order the keys come in', async () => {
    const tenantId = uid('idem-params');
    const intent = { intentId: uid('intent'), intentType: 'counter.bump', tenantId, sessionId: 's', parameters: { a: 1, b: { c: 2, d: 3 } } };
    const first = await t.runtime.execute(intent);
    const reordered = await t.runtime.execute({ ...intent, parameters: { b: { d: 3, c: 2 }, a: 1 } });
    assert.equal(reordered.executionId, first.executionId);
    await assert.rejects(t.runtime.execute({ ...intent, parameters: { a: 2, b: { c: 2, d: 3 } } }), (err: unknown) => {
      assert.ok(err instanceof DuplicateIntentError);
      assert.equal(err.statusCode, 409);
      assert.match(err.message, /different parameters/);
      return true;
    });
    await assert.rejects(t.runtime.submit({ ...intent, parameters: {} }), /different parameters/);
  });

  it('a failed execution replays its failure rather than running again', async () => {
    const tenantId = uid('idem-fail');
    const intent = { intentId: uid('intent'), intentType: 'counter.fail', tenantId, sessionId: 's', parameters: {} };
    const before = runs.calls;
    const first = await t.runtime.execute(intent);
    const second = await t.runtime.execute(intent);
    assert.equal(runs.calls, before + 1);
    assert.equal(first.status, 'failed');
    assert.deepEqual(second, first);
  });

  it('intent ids are per tenant: another tenant using the same id gets its own execution, and learns nothing of the first', async () => {
    const intentId = uid('intent');
    const owner = uid('owner');
    const other = uid('other');
    const first = await t.runtime.execute({ intentId, intentType: 'counter.bump', tenantId: owner, sessionId: 's', parameters: {} });
    const before = runs.calls;
    const second = await t.runtime.execute({ intentId, intentType: 'counter.bump', tenantId: other, sessionId: 's', parameters: {} });
    assert.equal(runs.calls, before + 1, 'the other tenant\'s intent ran');
    assert.notEqual(second.executionId, first.executionId);
    assert.equal(second.tenantId, other);
    assert.equal((await t.runtime.listExecutions({ tenantId: other })).length, 1);
  });

  it('reusing an intent id for another intent type is refused, naming the id; nothing runs', async () => {
    const intentId = uid('intent');
    const tenantId = uid('idem');
    await t.runtime.execute({ intentId, intentType: 'counter.bump', tenantId, sessionId: 's', parameters: {} });
    const before = runs.calls;
    await assert.rejects(
      t.runtime.execute({ intentId, intentType: 'counter.fail', tenantId, sessionId: 's', parameters: {} }),
      (err: unknown) => {
        assert.ok(err instanceof DuplicateIntentError);
        assert.match(err.message, new RegExp(`${intentId}.*counter\\.bump`));
        return true;
      },
    );
    assert.equal(runs.calls, before);
    assert.equal((await t.runtime.listExecutions({ tenantId })).length, 1);
  });

  it('an intent id of an erased execution stays taken, and the refusal says it was erased (not that parameters differ)', async () => {
    const tenantId = uid('idem');
    const intent = { intentId: uid('intent'), intentType: 'counter.bump', tenantId, sessionId: 's', parameters: { n: 1 } };
    const first = await t.runtime.execute(intent);
    const erasure = await t.runtime.erase({ tenantId, sessionId: 's' });
    const before = runs.calls;
    for (const attempt of [() => t.runtime.execute(intent), () => t.runtime.submit(intent)]) {
      await assert.rejects(attempt(), (err: unknown) => {
        assert.ok(err instanceof DuplicateIntentError, String(err));
        assert.equal(err.message, `intent '${intent.intentId}' belongs to execution ${first.executionId}, erased (erasure ${erasure.erasureId}); use a new intentId`);
        return true;
      });
    }
    assert.equal(runs.calls, before, 'nothing ran again');
  });
});
