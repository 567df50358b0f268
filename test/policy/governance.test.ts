import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PolicyConfigError } from '../../src/errors/index.ts';
import { intentTypeMatcher, validateGovernanceRules } from '../../src/policy/index.ts';

function rejects(rules: unknown, message: string | RegExp): void {
  assert.throws(() => validateGovernanceRules(rules), (err: unknown) => {
    assert.ok(err instanceof PolicyConfigError, String(err));
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('validateGovernanceRules', () => {
  it('returns rules normalized and deep-frozen, in order', () => {
    const rules = validateGovernanceRules([
      { id: 'a', match: { resultType: ['visual', 'visual', 'sop'], tenant: ['acme'] }, decision: 'cache', ttlSeconds: '10m' },
      { id: 'b', match: {}, decision: 'discard', description: 'nothing else is kept' },
    ]);
    assert.deepEqual(rules, [
      { id: 'a', match: { resultType: ['visual', 'sop'], tenant: ['acme'] }, decision: 'cache', ttlSeconds: 600 },
      { id: 'b', match: {}, decision: 'discard', description: 'nothing else is kept' },
    ]);
    assert.ok(Object.isFrozen(rules));
    assert.ok(Object.isFrozen(rules[0]));
    assert.ok(Object.isFrozen(rules[0]!.match));
    assert.ok(Object.isFrozen(rules[0]!.match.resultType));
  });

  it('treats null/undefined as no rules and refuses a non-list', () => {
    assert.deepEqual(validateGovernanceRules(undefined), []);
    rejects({ id: 'a' }, 'governance rules: expected a list of governance rules, got {"id":"a"}');
  });

  it('refuses a rule that would make a platform-native type anything but persist', () => {
    rejects(
      [{ id: 'drop-journeys', match: { resultType: ['workflow', 'journey'] }, decision: 'discard' }],
      "governance rules: rules[0] ('drop-journeys'): match.resultType: 'discard' is not allowed for 'journey': it is a platform-native record and is always persisted",
    );
    // persisting one is harmless (and what the platform does anyway)
    assert.equal(validateGovernanceRules([{ id: 'ok', match: { resultType: ['intent'] }, decision: 'persist' }]).length, 1);
  });

  it('refuses duplicate ids, naming both rules', () => {
    rejects(
      [
        { id: 'x', match: {}, decision: 'persist' },
        { id: 'y', match: {}, decision: 'persist' },
        { id: 'x', match: {}, decision: 'discard' },
      ],
      "governance rules: rules[2] ('x'): id 'x' is already used by rules[0]",
    );
  });

  it('names rule index, id, field and value for each problem', () => {
    const cases: [unknown, string][] = [
      [{ match: {}, decision: 'persist' }, 'rules[0]: id: expected an id (letters, digits, \'_\', \'.\', \':\', \'-\'), got nothing'],
      [{ id: 'r', match: {}, decision: 'keep' }, "rules[0] ('r'): decision: unknown decision 'keep' (expected persist, cache or discard)"],
      [{ id: 'r', decision: 'persist' }, "rules[0] ('r'): match: expected an object of conditions (resultType, tenant, intentType, realm, sizeBytes, tags; {} matches everything), got nothing"],
      [{ id: 'r', match: { tenant: 'acme' }, decision: 'persist' }, "rules[0] ('r'): match.tenant: expected a non-empty list of strings, got \"acme\""],
      [{ id: 'r', match: { resultType: [] }, decision: 'persist' }, "rules[0] ('r'): match.resultType: expected a non-empty list of strings, got []"],
      [{ id: 'r', match: { resultType: ['Visual'] }, decision: 'persist' }, "rules[0] ('r'): match.resultType[0]: expected a result type (lower-case letters, digits and '_', starting with a letter), got \"Visual\""],
      [{ id: 'r', match: { intentType: 5 }, decision: 'persist' }, "rules[0] ('r'): match.intentType: expected an intent type or glob such as 'content.*', got 5"],
      [{ id: 'r', match: { size: 5 }, decision: 'persist' }, "rules[0] ('r'): match: unknown key 'size' (expected one of: resultType, tenant, intentType, realm, sizeBytes, tags)"],
      [{ id: 'r', match: {}, decision: 'persist', ttl: 5 }, "rules[0] ('r'): unknown key 'ttl' (expected one of: id, match, decision, ttlSeconds, retentionSeconds, keepLatest, description, trace)"],
      [{ id: 'r', match: {}, decision: 'cache', retentionSeconds: 60 }, "rules[0] ('r'): retentionSeconds: only allowed with decision 'persist' (this rule's decision is 'cache')"],
      [{ id: 'r', match: { realm: [] }, decision: 'persist' }, "rules[0] ('r'): match.realm: expected a non-empty list of strings, got []"],
      [{ id: 'r', match: { sizeBytes: 5 }, decision: 'persist' }, "rules[0] ('r'): match.sizeBytes: expected { gt: SIZE, lt: SIZE } (either or both; sizes like 1048576 or '1mb'), got 5"],
      [{ id: 'r', match: { sizeBytes: { gt: '1tb' } }, decision: 'persist' }, "rules[0] ('r'): match.sizeBytes.gt: expected a size such as 1048576, '512kb' or '1mb', got \"1tb\""],
      [{ id: 'r', match: { sizeBytes: { gt: 10, lt: 11 } }, decision: 'persist' }, "rules[0] ('r'): match.sizeBytes: gt 10 and lt 11 leave no size that matches"],
      [{ id: 'r', match: { tags: ['pii'] }, decision: 'persist' }, "rules[0] ('r'): match.tags: expected { any: [TAG, …], all: [TAG, …] } (either or both), got [\"pii\"]"],
      [{ id: 'r', match: { tags: { any: [] } }, decision: 'persist' }, "rules[0] ('r'): match.tags.any: expected a non-empty list of strings, got []"],
      [{ id: 'r', match: {}, decision: 'persist', ttlSeconds: 60 }, "rules[0] ('r'): ttlSeconds: only allowed with decision 'cache' (this rule's decision is 'persist')"],
      [{ id: 'r', match: {}, decision: 'cache', ttlSeconds: -1 }, "rules[0] ('r'): ttlSeconds: expected a duration like 30s, 15m, 1h or 7d (or seconds), got -1"],
      [{ id: 'r', match: {}, decision: 'persist', description: 3 }, "rules[0] ('r'): description: expected a string, got 3"],
    ];
    for (const [rule, message] of cases) rejects([rule], `governance rules: ${message}`);
  });

  it('reports every problem, one per line, with the given source', () => {
    assert.throws(
      () => validateGovernanceRules([{ id: 'a', match: {}, decision: 'nope' }, 'junk'], 'governance.yaml'),
      {
        message: [
          "governance.yaml: rules[0] ('a'): decision: unknown decision 'nope' (expected persist, cache or discard)",
          'governance.yaml: rules[1]: expected a rule object with id, match and decision, got "junk"',
        ].join('\n'),
      },
    );
  });
});

describe('intentTypeMatcher', () => {
  it('matches * across any characters and everything else literally', () => {
    const content = intentTypeMatcher('content.*');
    assert.ok(content('content.generate'));
    assert.ok(content('content.a.b'));
    assert.ok(!content('contentXgenerate'));
    assert.ok(!content('other.content.x'));
    assert.ok(intentTypeMatcher('*.generate')('sop.generate'));
    assert.ok(intentTypeMatcher('exact.type')('exact.type'));
    assert.ok(!intentTypeMatcher('exact.type')('exact.types'));
    assert.ok(intentTypeMatcher('a+b(*)')('a+b(x)'));
  });
});
