import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parsePlatformPolicy } from '../../src/policy/platform-policy.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { modelRealm } from './model-realm.ts';

// The step hooks durable steps call before each step that has no journaled result.
let t: TestRuntime;
before(async () => {
  t = await testRuntime({
    realms: [modelRealm().realm],
    platformPolicy: parsePlatformPolicy({
      budgets: [{ id: 'small-runs', match: { tenant: ['acme'] }, per_execution: { max_tokens: 100 } }],
    }),
  });
});
after(() => t.close());

test('beforeStep: a step is refused once the budget is used up, with a governance decision naming the rule', async () => {
  const guard = t.runtime.modelWork.budgetGuard;
  // Exactly at the limit: the execution completes, but nothing is left for another step.
  const r = await t.runtime.execute({ intentType: 'model.call', tenantId: 'acme', sessionId: 's', parameters: { calls: [{ model: 'm', inputTokens: 60, outputTokens: 40 }] } });
  assert.equal(r.status, 'completed');
  const at = { executionId: r.executionId, tenantId: 'acme', intentType: 'model.call', step: 'draft', occurrence: 1 };
  await assert.rejects(guard.beforeStep(at), {
    code: 'SYM_ERR_BUDGET', ruleId: 'small-runs',
    message: "budget 'small-runs' per_execution.max_tokens (100) used up: 100 tokens used by this execution",
  });
  guard.takeExceeded(r.executionId);
  const explained = await t.runtime.explainExecution(r.executionId, { tenantId: 'acme' });
  assert.deepEqual(explained.budgets.map((b) => [b.ruleId, b.when, b.used]), [['small-runs', 'before_step', 100]]);
  // The artifact decisions are still explained beside it.
  assert.equal(explained.artifacts.length, 1);
});

test('beforeStep: budget left, or no rule for the tenant: the step runs', async () => {
  const guard = t.runtime.modelWork.budgetGuard;
  const r = await t.runtime.execute({ intentType: 'model.call', tenantId: 'acme', sessionId: 's', parameters: { calls: [{ model: 'm', inputTokens: 10, outputTokens: 0 }] } });
  await guard.beforeStep({ executionId: r.executionId, tenantId: 'acme', intentType: 'model.call', step: 'draft', occurrence: 1 });
  await guard.beforeStep({ executionId: 'none', tenantId: 'zeta', intentType: 'model.call', step: 'draft', occurrence: 1 });
  assert.deepEqual((await t.runtime.explainExecution(r.executionId, { tenantId: 'acme' })).budgets, []);
});
