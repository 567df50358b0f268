import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileMaterializationPolicy, parseSolutionConfig, parseSolutionConfigYaml, validateGovernanceRules } from '../../src/index.ts';
import { compileDefinition, definitionOf } from '../../src/policy/policy-definition.ts';

// keep_latest: N keeps only the latest N checkpoints of each thread. It means something only for
// result type `checkpoint` with `persist`, so anywhere else it is refused, naming the key.

test('keep_latest on checkpoint decides persist with keepLatest, says so in the reason, and survives a stored definition', () => {
  const solution = parseSolutionConfig({ name: 'bot', materialization_policy: { checkpoint: { decision: 'persist', retention: '30d', keep_latest: 5 } } });
  const policy = compileMaterializationPolicy({ solution });
  const d = policy.evaluate({ resultType: 'checkpoint', tenantId: 'acme' });
  assert.equal(d.decision, 'persist');
  assert.equal(d.keepLatest, 5);
  assert.equal(d.retentionSeconds, 30 * 86400);
  assert.match(d.reason, /sets checkpoint: persist \(retention 30d\) \(keep latest 5 per thread\)$/);
  const again = compileDefinition(JSON.parse(JSON.stringify(definitionOf(policy))));
  assert.equal(again.version, policy.version);
  assert.equal(again.evaluate({ resultType: 'checkpoint' }).keepLatest, 5);
  // The rule is part of the policy's content: another N is another version.
  const six = compileMaterializationPolicy({ solution: parseSolutionConfig({ name: 'bot', materialization_policy: { checkpoint: { decision: 'persist', retention: '30d', keep_latest: 6 } } }) });
  assert.notEqual(six.version, policy.version);
});

test('keep_latest is refused on any other result type, with another decision, or with a bad count (file line named)', () => {
  assert.throws(() => parseSolutionConfig({ materialization_policy: { sop: { decision: 'persist', keep_latest: 3 } } }), {
    code: 'SYM_ERR_POLICY_CONFIG',
    message: /materialization_policy\.sop\.keep_latest: only allowed for result type 'checkpoint' .*not for 'sop'/,
  });
  assert.throws(() => parseSolutionConfig({ materialization_policy: { checkpoint: { decision: 'cache', keep_latest: 3 } } }), {
    message: /checkpoint\.keep_latest: only allowed with decision 'persist' \(this entry's decision is 'cache'\)/,
  });
  assert.throws(() => parseSolutionConfig({ materialization_policy: { checkpoint: { decision: 'persist', keep_latest: 0 } } }), {
    message: /checkpoint\.keep_latest: expected a whole number of checkpoints from 1 to 2147483647, got 0/,
  });
  assert.throws(
    () => parseSolutionConfigYaml('materialization_policy:\n  workflow:\n    decision: persist\n    keep_latest: 2\n', 'policy.yaml'),
    { message: /^policy\.yaml:4: materialization_policy\.workflow\.keep_latest: only allowed for result type 'checkpoint'/m },
  );
});

test('a governance rule may keep the latest N only when it covers exactly result type checkpoint', () => {
  const [rule] = validateGovernanceRules([{ id: 'short-threads', match: { resultType: ['checkpoint'], tenant: ['acme'] }, decision: 'persist', keepLatest: 3 }]);
  const policy = compileMaterializationPolicy({ governance: [rule!] });
  const d = policy.evaluate({ resultType: 'checkpoint', tenantId: 'acme' });
  assert.equal(d.layer, 'governance');
  assert.equal(d.keepLatest, 3);
  assert.match(d.reason, /governance rule 'short-threads' decides persist \(keep latest 3 per thread\) for 'checkpoint'/);
  assert.equal(policy.evaluate({ resultType: 'checkpoint', tenantId: 'globex' }).keepLatest, undefined);

  assert.throws(() => validateGovernanceRules([{ id: 'all', match: {}, decision: 'persist', keepLatest: 3 }]), {
    message: /rules\[0\] \('all'\): keepLatest: only allowed for result type 'checkpoint' .*not for every result type/,
  });
  assert.throws(() => validateGovernanceRules([{ id: 'two', match: { resultType: ['checkpoint', 'sop'] }, decision: 'persist', keepLatest: 3 }]), {
    message: /keepLatest: only allowed for result type 'checkpoint'.*not for 'checkpoint', 'sop'/,
  });
  assert.throws(() => validateGovernanceRules([{ id: 'c', match: { result_type: ['checkpoint'] }, decision: 'discard', keep_latest: 3 }], 'gov.yaml', 'file'), {
    message: /keep_latest: only allowed with decision 'persist'/,
  });
});
