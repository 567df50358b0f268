import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompiledBudgets } from '../../src/policy/budgets.ts';
import { parsePlatformPolicy, parsePlatformPolicyYaml } from '../../src/policy/platform-policy.ts';

test('budgets: parsed from the platform policy file, snake_case to camelCase', () => {
  const p = parsePlatformPolicyYaml(`budgets:
  - id: acme-drafts
    match: { tenant: [acme], intent_type: 'content.*' }
    per_execution: { max_tokens: 20000, max_cost_usd: 0.5 }
    per_tenant_per_day: { max_cost_usd: 20 }
    description: drafts are cheap
`, 'platform.yaml');
  assert.deepEqual(p.budgets, [{
    id: 'acme-drafts', match: { tenant: ['acme'], intentType: 'content.*' },
    perExecution: { maxTokens: 20000, maxCostUsd: 0.5 }, perTenantPerDay: { maxCostUsd: 20 }, description: 'drafts are cheap',
  }]);
  assert.deepEqual(parsePlatformPolicy({}).budgets, []);
});

test('budget errors name the file, the line and the key', () => {
  const bad = (yaml: string) => {
    try {
      parsePlatformPolicyYaml(yaml, 'platform.yaml');
    } catch (err) {
      assert.equal((err as { code: string }).code, 'SYM_ERR_POLICY_CONFIG');
      return (err as Error).message;
    }
    assert.fail('accepted');
  };
  assert.match(bad(`budgets:
  - id: a
    per_execution: { max_tokens: -1 }
`), /platform\.yaml:3: budgets\[0\]\.per_execution\.max_tokens: expected a whole number of tokens from 0 to 9007199254740991, got -1/);
  assert.match(bad(`budgets:
  - id: a
    per_execution: { max_tokens: 10 }
  - id: a
    per_tenant_per_day: { max_cost_usd: cheap }
`), /platform\.yaml:4: budgets\[1\]\.id: 'a' is the id of an earlier budget rule[\s\S]*platform\.yaml:5: budgets\[1\]\.per_tenant_per_day\.max_cost_usd: expected an amount of US dollars from 0 to 1000000000000/);
  assert.match(bad(`budgets:
  - id: a
    match: { result_type: [sop] }
`), /platform\.yaml:2: budgets\[0\]: a budget rule needs per_execution or per_tenant_per_day[\s\S]*platform\.yaml:3: budgets\[0\]\.match\.result_type: unknown key 'result_type' \(expected one of: tenant, intent_type\)/);
  assert.match(bad(`budgets: {}
`), /platform\.yaml:1: budgets: expected a list of budget rules/);
  assert.match(bad(`budgets:
  - id: a
    per_execution: { max_token: 5 }
`), /budgets\[0\]\.per_execution\.max_token: unknown key 'max_token' \(expected one of: max_tokens, max_cost_usd\)/);
});

test('every rule matching the tenant and intent type applies, in file order', () => {
  const b = new CompiledBudgets(parsePlatformPolicy({
    budgets: [
      { id: 'all', per_execution: { max_tokens: 1 } },
      { id: 'acme', match: { tenant: ['acme'] }, per_execution: { max_tokens: 1 } },
      { id: 'content', match: { intent_type: 'content.*' }, per_tenant_per_day: { max_tokens: 1 } },
    ],
  }).budgets);
  assert.deepEqual(b.for('acme', 'content.draft').map((r) => r.id), ['all', 'acme', 'content']);
  assert.deepEqual(b.for('zeta', 'journey.x').map((r) => r.id), ['all']);
});
