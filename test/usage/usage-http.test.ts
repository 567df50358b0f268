import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/http-server.ts';
import { modelRealm } from './model-realm.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ runtime: { realms: [modelRealm().realm] } });
});
after(() => s.close());

test('GET /v1/usage: the caller tenant\'s totals only, per execution or since a time', async () => {
  const acme = await s.tenant('acme');
  const zeta = await s.tenant('zeta');
  const r = await s.runtime.execute({ intentType: 'model.call', tenantId: 'acme', sessionId: 's', parameters: { calls: [{ model: 'm', inputTokens: 3, outputTokens: 4, costUsd: 0.01 }] } });
  await s.runtime.execute({ intentType: 'model.call', tenantId: 'zeta', sessionId: 's', parameters: { calls: [{ model: 'm', inputTokens: 100, outputTokens: 100 }] } });

  const mine = await s.call('/v1/usage?since=today', { key: acme });
  assert.equal(mine.status, 200);
  assert.deepEqual(await mine.json(), {
    totals: { inputTokens: 3, outputTokens: 4, totalTokens: 7, costUsd: 0.01, calls: 1 },
    byModel: [{ model: 'm', inputTokens: 3, outputTokens: 4, totalTokens: 7, costUsd: 0.01, calls: 1 }],
  });
  // Another tenant's execution id: nothing of it.
  const theirs = await (await s.call(`/v1/usage?executionId=${r.executionId}`, { key: zeta })).json() as { totals: { calls: number } };
  assert.equal(theirs.totals.calls, 0);
  const bad = await s.call('/v1/usage?since=soon', { key: acme });
  assert.equal(bad.status, 400);
  const problem = (await bad.json()) as { detail: string; errors: { in: string; field: string }[] };
  assert.match(problem.detail, /^query parameter 'since': must be a window \(e\.g\. 7d, 12h\), 'today' or an ISO 8601 time/);
  assert.deepEqual(problem.errors.map((e) => [e.in, e.field]), [['query', 'since']]);
  // A window, as `symphainy usage --since` takes it.
  const week = await s.call('/v1/usage?since=7d', { key: acme });
  assert.equal(week.status, 200);
  assert.equal(((await week.json()) as { totals: { calls: number } }).totals.calls, 1);
  assert.equal((await s.call('/v1/usage')).status, 401);
});
