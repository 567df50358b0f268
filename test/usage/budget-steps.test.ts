import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { defineRealm, type ExecutionContext } from '../../src/index.ts';
import { parsePlatformPolicy } from '../../src/policy/platform-policy.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';

// Durable steps and budgets together, through the real ctx.step: a budget used up by one step's
// usage stops the execution before the next step runs (the step journal asks the budget guard).

let t: TestRuntime;
const runs: string[] = [];
const realm = defineRealm({
  name: 'drafts',
  intents: {
    write: {
      handler: async (_params: unknown, ctx: ExecutionContext) => {
        await ctx.step('outline', async () => {
          runs.push('outline');
          await ctx.recordUsage({ model: 'mock', inputTokens: 12, outputTokens: 5 });
          return 'outline';
        });
        await ctx.step('draft', async () => {
          runs.push('draft');
          return 'draft';
        });
        return { artifacts: {} };
      },
    },
  },
});

before(async () => {
  t = await testRuntime({
    realms: [realm],
    // 17 tokens: the outline's usage uses it up exactly (not over), so nothing is left for another step.
    platformPolicy: parsePlatformPolicy({ budgets: [{ id: 'drafts-cap', match: { intent_type: 'drafts.*' }, per_execution: { max_tokens: 17 } }] }),
  });
});
after(() => t.close());

test('a step is refused before it runs once the budget is used up: SYM_ERR_BUDGET, the rule recorded and explained', async () => {
  const r = await t.runtime.execute({ intentType: 'drafts.write', tenantId: 'acme', sessionId: 's', parameters: {} });
  assert.equal(r.status, 'failed');
  assert.equal(r.error?.code, 'SYM_ERR_BUDGET');
  assert.match(r.error!.message, /drafts-cap/);
  assert.deepEqual(runs, ['outline'], 'the second step never ran');
  const explained = await t.runtime.explainExecution(r.executionId, { tenantId: 'acme' });
  assert.equal(explained.budgets.length, 1);
  assert.equal(explained.budgets[0]!.ruleId, 'drafts-cap');
  const usage = await t.runtime.modelWork.usage('acme', { executionId: r.executionId });
  assert.equal(usage.totals.totalTokens, 17);
});
