/**
 * An Idempotency-Key names one intent: any difference (type, parameters,
 * session, solution) is a 409 naming the field, never a silent replay; and
 * POST /v1/executions/:id/retry re-queues a dead execution.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defineRealm, DuplicateIntentError } from '../../src/index.ts';
import { counterRealm } from '../support/counter-realm.ts';
import { startTestServer, type TestServer } from '../support/http-server.ts';
import { uid } from '../runtime/helpers.ts';
import { expectProblem, ok } from './api-helpers.ts';

const { realm: counter, runs } = counterRealm();
let deadly = true;
const flaky = defineRealm({
  name: 'flaky',
  intents: { go: { handler: () => { if (deadly) throw new Error('not yet'); return { artifacts: {} }; } } },
});

describe('HTTP API: one Idempotency-Key, one intent', () => {
  let server: TestServer;
  let key: string;
  before(async () => {
    server = await startTestServer({ runtime: { realms: [counter, flaky], retryPolicy: { maximumAttempts: 2, initialInterval: '50ms' } } });
    key = await server.tenant(uid('idem'));
  });
  after(() => server?.close());

  const post = (idem: string, body: Record<string, unknown>, query = '') =>
    server.call(`/v1/intents${query}`, { key, method: 'POST', headers: { 'idempotency-key': idem }, json: { intentType: 'counter.bump', sessionId: 's1', parameters: { n: 1 }, ...body } });

  for (const [what, field, change] of [
    ['another session', 'sessionId', { sessionId: 's2' }],
    ['another solution', 'solutionId', { solutionId: 'support-bot' }],
    ['other parameters', 'parameters', { parameters: { n: 2 } }],
  ] as const) {
    for (const mode of ['sync', 'async'] as const) {
      test(`the same key with ${what} (${mode}) is a 409 naming '${field}'; nothing runs for it`, async () => {
        const idem = uid('k');
        const first = await ok(await post(idem, {}, mode === 'async' ? '?mode=async' : ''), mode === 'async' ? 202 : 200);
        const before = runs.calls;
        const problem = await expectProblem(await post(idem, change, mode === 'async' ? '?mode=async' : ''), 409, { code: 'SYM_ERR_DUPLICATE_INTENT', field });
        assert.match(problem.detail, new RegExp(`execution ${first.executionId}`));
        assert.equal(runs.calls, before);
      });
    }
  }

  test("the same key for another intent type is a 409 naming 'intentType'", async () => {
    const idem = uid('k');
    const first = await ok(await post(idem, {}));
    const problem = await expectProblem(await server.call('/v1/intents', {
      key, method: 'POST', headers: { 'idempotency-key': idem }, json: { intentType: 'flaky.go', sessionId: 's1' },
    }), 409, { code: 'SYM_ERR_DUPLICATE_INTENT', field: 'intentType' });
    assert.match(problem.detail, new RegExp(`execution ${first.executionId}`));
  });

  test('a library caller gets DuplicateIntentError naming the field', async () => {
    const tenantId = uid('lib');
    const intent = { intentType: 'counter.bump', tenantId, sessionId: 's1', intentId: 'same', parameters: { n: 1 } };
    await server.runtime.execute(intent);
    await assert.rejects(server.runtime.execute({ ...intent, sessionId: 'other' }), (err: unknown) =>
      err instanceof DuplicateIntentError && err.issues[0]?.path === 'sessionId' && /already used in session 's1', not 'other'/.test(err.message));
    await assert.rejects(server.runtime.submit({ ...intent, solutionId: 'x' }), (err: unknown) =>
      err instanceof DuplicateIntentError && err.issues[0]?.path === 'solutionId');
  });

  test('POST /v1/executions/:id/retry re-queues a dead execution (recorded with the key that asked); 409 otherwise, 404 for another tenant', async () => {
    deadly = true;
    server.runtime.startWorker({ pollIntervalMs: 20 });
    const queued = await ok(await server.call('/v1/intents?mode=async', { key, method: 'POST', json: { intentType: 'flaky.go', sessionId: 's1' } }), 202);
    let e: any;
    for (let i = 0; i < 500; i++) {
      e = await ok(await server.call(`/v1/executions/${queued.executionId}`, { key }));
      if (e.status === 'dead') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(e.status, 'dead');
    assert.equal(e.error.code, 'SYM_ERR_ATTEMPTS_EXHAUSTED');
    const listed = await ok(await server.call('/v1/executions?status=dead', { key }));
    assert.ok(listed.items.some((x: any) => x.executionId === queued.executionId));

    const otherKey = await server.tenant(uid('other'));
    await expectProblem(await server.call(`/v1/executions/${queued.executionId}/retry`, { key: otherKey, method: 'POST' }), 404);
    deadly = false;
    const retried = await ok(await server.call(`/v1/executions/${queued.executionId}/retry`, { key, method: 'POST' }));
    assert.equal(retried.status, 'queued');
    for (let i = 0; i < 500; i++) {
      e = await ok(await server.call(`/v1/executions/${queued.executionId}`, { key }));
      if (e.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(e.status, 'completed');
    assert.equal(e.attempts, 3);
    const journey = await ok(await server.call(`/v1/executions/${queued.executionId}/journey`, { key }));
    const retry = journey.records.find((r: any) => r.payload.from === 'dead' && r.payload.to === 'queued');
    assert.match(retry.payload.requestedBy, /^api-key:[a-f0-9]{16}$/);
    await expectProblem(await server.call(`/v1/executions/${queued.executionId}/retry`, { key, method: 'POST' }), 409, { code: 'SYM_ERR_CONFLICT' });
  });
});
