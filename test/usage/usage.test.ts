import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parsePlatformPolicy } from '../../src/policy/platform-policy.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { modelRealm } from './model-realm.ts';

const run = (t: TestRuntime, tenantId: string, parameters: Record<string, unknown>, intentId?: string) =>
  t.runtime.execute({ intentType: 'model.call', tenantId, sessionId: 's', parameters, ...(intentId ? { intentId } : {}) });

describe('ctx.recordUsage: usage rows, totals per execution and per tenant, metrics', () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [modelRealm().realm] });
  });
  after(() => t.close());

  test('each call is stored; totals per execution, per tenant and per model', async () => {
    const a = await run(t, 'acme', { calls: [
      { model: 'small', inputTokens: 100, outputTokens: 20, costUsd: 0.001 },
      { model: 'large', inputTokens: 1000, outputTokens: 300, costUsd: 0.25 },
    ] });
    assert.equal(a.status, 'completed');
    await run(t, 'acme', { calls: [{ model: 'small', inputTokens: 5, outputTokens: 5 }] });
    await run(t, 'other', { calls: [{ model: 'small', inputTokens: 7, outputTokens: 3, costUsd: 1 }] });

    const one = await t.runtime.modelWork.usage('acme', { executionId: a.executionId });
    assert.deepEqual(one.totals, { inputTokens: 1100, outputTokens: 320, totalTokens: 1420, costUsd: 0.251, calls: 2 });
    assert.deepEqual(one.byModel.map((m) => [m.model, m.totalTokens]), [['large', 1300], ['small', 120]]);

    const acme = await t.runtime.modelWork.usage('acme', { since: 'today' });
    assert.equal(acme.totals.totalTokens, 1430);
    assert.equal(acme.totals.calls, 3);
    // An unknown cost counts as 0.
    assert.equal(acme.byModel.find((m) => m.model === 'small')!.costUsd, 0.001);

    // Tenant isolation: another tenant's execution id gives nothing.
    assert.equal((await t.runtime.modelWork.usage('other', { executionId: a.executionId })).totals.calls, 0);
    assert.equal((await t.runtime.modelWork.usage('other')).totals.totalTokens, 10);

    const metrics = await t.runtime.metrics.render();
    assert.match(metrics, /symphainy_model_tokens_total\{model="large",kind="input"\} 1000/);
    assert.match(metrics, /symphainy_model_tokens_total\{model="small",kind="output"\} 28/);
    assert.match(metrics, /symphainy_model_cost_usd_total\{model="large"\} 0.25/);
    assert.match(metrics, /symphainy_model_calls_total\{model="small"\} 3/);
  });

  test('bad usage fails the execution with SYM_ERR_INVALID_USAGE naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ model: '', inputTokens: 1, outputTokens: 1 }, /recordUsage: model must be/],
      [{ model: 'm', inputTokens: -3, outputTokens: 1 }, /recordUsage: inputTokens must be a non-negative whole number, got -3/],
      [{ model: 'm', inputTokens: 1, outputTokens: 1.5 }, /outputTokens must be a non-negative whole number, got 1.5/],
      [{ model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 'free' }, /costUsd must be a non-negative number of US dollars, got "free"/],
      [{ model: 'm', inputTokens: 1, outputTokens: 1, tokens: 2 }, /unknown field 'tokens'/],
    ];
    for (const [usage, message] of cases) {
      const r = await run(t, 'acme', { calls: [usage] });
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'SYM_ERR_INVALID_USAGE');
      assert.match(r.error!.message, message);
    }
  });

  test('since: today, an ISO time or a window back from now; anything else is refused naming since', async () => {
    assert.throws(() => t.runtime.modelWork.usage('acme', { since: 'yesterday' }), (err: { code: string; message: string; issues: { path: string }[] }) =>
      err.code === 'SYM_ERR_INVALID_REQUEST' && /^since must be a window \(e\.g\. 7d, 12h\), 'today' or an ISO 8601 time/.test(err.message)
      && err.issues[0]!.path === 'since');
    const all = await t.runtime.modelWork.usage('acme');
    assert.deepEqual(await t.runtime.modelWork.usage('acme', { since: '7d' }), all);
    assert.equal((await t.runtime.modelWork.usage('acme', { since: '2999-01-01T00:00:00Z' })).totals.calls, 0);
  });
});

describe('budgets of the platform policy', () => {
  let t: TestRuntime;
  const { realm, runs } = modelRealm();
  before(async () => {
    t = await testRuntime({
      realms: [realm],
      platformPolicy: parsePlatformPolicy({
        budgets: [
          { id: 'acme-per-run', match: { tenant: ['acme'], intent_type: 'model.*' }, per_execution: { max_tokens: 1000 } },
          { id: 'acme-daily-cost', match: { tenant: 'acme' }, per_tenant_per_day: { max_cost_usd: 1 } },
          { id: 'elsewhere', match: { tenant: ['zeta'], intent_type: 'other.*' }, per_execution: { max_tokens: 0 } },
        ],
      }),
    });
  });
  after(() => t.close());

  test('exceeded mid-run: failed with SYM_ERR_BUDGET naming the rule, the usage kept, a governance decision explained', async () => {
    runs.after = 0;
    const r = await run(t, 'acme', { calls: [
      { model: 'm', inputTokens: 600, outputTokens: 0 },
      { model: 'm', inputTokens: 600, outputTokens: 0 },
      { model: 'm', inputTokens: 1, outputTokens: 0 },
    ] });
    assert.equal(r.status, 'failed');
    assert.equal(r.error?.code, 'SYM_ERR_BUDGET');
    assert.match(r.error!.message, /budget 'acme-per-run' per_execution.max_tokens \(1000\) exceeded: 1200 tokens used by this execution/);
    assert.equal(runs.after, 1, 'the handler stopped at the call that crossed the budget');
    assert.equal((await t.runtime.modelWork.usage('acme', { executionId: r.executionId })).totals.totalTokens, 1200, 'what was spent stays recorded');

    const explained = await t.runtime.explainExecution(r.executionId, { tenantId: 'acme' });
    assert.equal(explained.budgets.length, 1);
    assert.deepEqual(
      { ...explained.budgets[0], recordedAt: undefined, seq: undefined },
      {
        ruleId: 'acme-per-run', decision: 'fail', scope: 'execution', limit: 'max_tokens', max: 1000, used: 1200, when: 'record_usage',
        reason: "budget 'acme-per-run' per_execution.max_tokens (1000) exceeded: 1200 tokens used by this execution", recordedAt: undefined, seq: undefined,
      },
    );
    assert.deepEqual(explained.artifacts, []);
    assert.match(await t.runtime.metrics.render(), /symphainy_budget_exceeded_total\{rule="acme-per-run"\} 1/);
  });

  test('a handler that catches the budget error still fails', async () => {
    const r = await run(t, 'acme', { swallow: true, calls: [{ model: 'm', inputTokens: 2000, outputTokens: 0 }] });
    assert.equal(r.status, 'failed');
    assert.equal(r.error?.code, 'SYM_ERR_BUDGET');
  });

  test('a usage exactly at the limit passes; rules of other tenants and intent types do not apply', async () => {
    const r = await run(t, 'acme', { calls: [{ model: 'm', inputTokens: 500, outputTokens: 500 }] });
    assert.equal(r.status, 'completed');
    const z = await run(t, 'zeta', { calls: [{ model: 'm', inputTokens: 5000, outputTokens: 0, costUsd: 50 }] });
    assert.equal(z.status, 'completed');
  });

  test('per tenant per day: across executions, the day of the database clock', async () => {
    const first = await run(t, 'acme', { calls: [{ model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0.6 }] });
    assert.equal(first.status, 'completed');
    const second = await run(t, 'acme', { calls: [{ model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0.6 }] });
    assert.equal(second.status, 'failed');
    assert.equal(second.error?.code, 'SYM_ERR_BUDGET');
    assert.match(second.error!.message, /budget 'acme-daily-cost' per_tenant_per_day.max_cost_usd \(1\) exceeded: \$1.2 used by the tenant today/);
    // Yesterday's usage does not count: move this tenant's rows back a day (as the database's clock sees it).
    await t.db.scoped('acme').query("UPDATE symphainy.model_usage SET recorded_at = recorded_at - interval '1 day'");
    const third = await run(t, 'acme', { calls: [{ model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 0.6 }] });
    assert.equal(third.status, 'completed');
    // Another tenant is not affected by acme's day.
    assert.equal((await run(t, 'zeta', { calls: [{ model: 'm', inputTokens: 1, outputTokens: 1, costUsd: 5 }] })).status, 'completed');
  });

  test('the WAL holds the decision record, chained like every other', async () => {
    const [report] = await t.runtime.verifyWal({ tenantId: 'acme' });
    assert.equal(report!.ok, true);
    assert.ok(report!.records > 0);
  });
});
