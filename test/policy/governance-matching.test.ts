import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileMaterializationPolicy, validateGovernanceRules, type GovernanceRule } from '../../src/index.ts';

const policy = (rules: GovernanceRule[]) => compileMaterializationPolicy({ governance: rules });
const decide = (rules: GovernanceRule[], input: Parameters<ReturnType<typeof policy>['evaluate']>[0]) => {
  const d = policy(rules).evaluate(input);
  return `${d.decision}/${d.layer}${d.ruleId ? `/${d.ruleId}` : ''}`;
};

describe('governance rule matching', () => {
  it('realm: the producing realm must be listed; an input without a realm does not match', () => {
    const rules: GovernanceRule[] = [{ id: 'journey-visuals', match: { resultType: ['visual'], realm: ['journey'] }, decision: 'cache' }];
    assert.equal(decide(rules, { resultType: 'visual', realm: 'journey' }), 'cache/governance/journey-visuals');
    assert.equal(decide(rules, { resultType: 'visual', realm: 'outcomes' }), 'discard/default');
    assert.equal(decide(rules, { resultType: 'visual' }), 'discard/default');
  });

  it('size_bytes: gt and lt are strict bounds; an input without a size does not match', () => {
    const rules: GovernanceRule[] = [
      { id: 'huge', match: { sizeBytes: { gt: 1000 } }, decision: 'discard' },
      { id: 'small', match: { sizeBytes: { lt: 100 } }, decision: 'cache' },
      { id: 'middle', match: { sizeBytes: { gt: 99, lt: 1001 } }, decision: 'persist' },
    ];
    assert.equal(decide(rules, { resultType: 'sop', sizeBytes: 1001 }), 'discard/governance/huge');
    assert.equal(decide(rules, { resultType: 'sop', sizeBytes: 1000 }), 'persist/governance/middle');
    assert.equal(decide(rules, { resultType: 'sop', sizeBytes: 100 }), 'persist/governance/middle');
    assert.equal(decide(rules, { resultType: 'sop', sizeBytes: 99 }), 'cache/governance/small');
    assert.equal(decide(rules, { resultType: 'sop', sizeBytes: 0 }), 'cache/governance/small');
    assert.equal(decide(rules, { resultType: 'sop' }), 'discard/default');
  });

  it('tags: any needs one of them, all needs every one; no tags matches neither', () => {
    const rules: GovernanceRule[] = [
      { id: 'pii-and-export', match: { tags: { all: ['pii', 'export'] } }, decision: 'discard' },
      { id: 'pii-or-secret', match: { tags: { any: ['pii', 'secret'] } }, decision: 'cache' },
      { id: 'keep-reviewed', match: { tags: { any: ['reviewed'], all: ['final'] } }, decision: 'persist' },
    ];
    assert.equal(decide(rules, { resultType: 'workflow', tags: ['export', 'pii'] }), 'discard/governance/pii-and-export');
    assert.equal(decide(rules, { resultType: 'workflow', tags: ['pii'] }), 'cache/governance/pii-or-secret');
    assert.equal(decide(rules, { resultType: 'workflow', tags: ['secret', 'x'] }), 'cache/governance/pii-or-secret');
    assert.equal(decide(rules, { resultType: 'workflow', tags: ['reviewed', 'final'] }), 'persist/governance/keep-reviewed');
    assert.equal(decide(rules, { resultType: 'workflow', tags: ['reviewed'] }), 'discard/default');
    assert.equal(decide(rules, { resultType: 'workflow', tags: [] }), 'discard/default');
    assert.equal(decide(rules, { resultType: 'workflow' }), 'discard/default');
  });

  it('every condition of a rule must hold, the first matching rule wins, and an unconditional rule ends the search for its types', () => {
    const rules: GovernanceRule[] = [
      { id: 'acme-journey-big', match: { tenant: ['acme'], intentType: 'journey.*', sizeBytes: { gt: 10 } }, decision: 'persist' },
      { id: 'visuals-cached', match: { resultType: ['visual'] }, decision: 'cache', ttlSeconds: 60 },
      { id: 'never-reached-for-visuals', match: { tenant: ['acme'] }, decision: 'discard' },
    ];
    assert.equal(decide(rules, { resultType: 'visual', tenantId: 'acme', intentType: 'journey.x', sizeBytes: 11 }), 'persist/governance/acme-journey-big');
    assert.equal(decide(rules, { resultType: 'visual', tenantId: 'acme', intentType: 'journey.x', sizeBytes: 10 }), 'cache/governance/visuals-cached');
    assert.equal(decide(rules, { resultType: 'visual', tenantId: 'acme' }), 'cache/governance/visuals-cached');
    assert.equal(decide(rules, { resultType: 'sop', tenantId: 'acme' }), 'discard/governance/never-reached-for-visuals');
  });

  it('retention rides on a persist decision and is named in its reason', () => {
    const d = policy([{ id: 'keep-30d', match: { resultType: ['workflow'] }, decision: 'persist', retentionSeconds: 30 * 86_400 }]).evaluate({ resultType: 'workflow' });
    assert.equal(d.retentionSeconds, 30 * 86_400);
    assert.equal(d.reason, "governance rule 'keep-30d' decides persist (retention 30d) for 'workflow'");
  });

  it('explain names the condition that failed and what the input had', () => {
    const p = policy([
      { id: 'by-realm', match: { realm: ['journey'] }, decision: 'persist' },
      { id: 'by-size', match: { sizeBytes: { gt: 100 } }, decision: 'persist' },
      { id: 'by-tags', match: { tags: { any: ['pii'] } }, decision: 'persist' },
    ]);
    const said = p.explain({ resultType: 'sop', realm: 'outcomes', sizeBytes: 5, tags: ['x'] }).chain.find((v) => v.layer === 'governance')!.said;
    assert.match(said, /'by-realm' needs realm journey \(got 'outcomes'\)/);
    assert.match(said, /'by-size' needs size more than 100 bytes \(got 5\)/);
    assert.match(said, /'by-tags' needs any of tags pii \(got x\)/);
  });

  it('the version changes with each new condition, and not with descriptions', () => {
    const base: GovernanceRule = { id: 'r', match: { resultType: ['sop'] }, decision: 'persist' };
    const versions = new Set([
      policy([base]).version,
      policy([{ ...base, match: { ...base.match, realm: ['journey'] } }]).version,
      policy([{ ...base, match: { ...base.match, sizeBytes: { gt: 1 } } }]).version,
      policy([{ ...base, match: { ...base.match, tags: { any: ['a'] } } }]).version,
      policy([{ ...base, retentionSeconds: 60 }]).version,
    ]);
    assert.equal(versions.size, 5);
    assert.equal(policy([{ ...base, description: 'why' }]).version, policy([base]).version);
  });

  it('file spelling: snake_case keys, sizes and durations with units, one realm without a list', () => {
    const [rule] = validateGovernanceRules(
      [{ id: 'r', match: { result_type: ['visual'], intent_type: 'journey.*', realm: 'journey', size_bytes: { gt: '1mb' }, tags: { any: ['pii'] } },
         decision: 'persist', retention: '30d' }],
      'governance.yaml',
      'file',
    );
    assert.deepEqual(rule, {
      id: 'r', decision: 'persist', retentionSeconds: 30 * 86_400,
      match: { resultType: ['visual'], intentType: 'journey.*', realm: ['journey'], sizeBytes: { gt: 1024 * 1024 }, tags: { any: ['pii'] } },
    });
    assert.throws(() => validateGovernanceRules([{ id: 'r', match: { resultType: ['visual'] }, decision: 'persist' }], 'g.yaml', 'file'),
      /g\.yaml: rules\[0\] \('r'\): match: unknown key 'resultType' \(expected one of: result_type, tenant, intent_type, realm, size_bytes, tags\)/);
  });

  it('the compiled evaluator and explain agree on every input (the generated code and the rule matcher are one semantics)', () => {
    const rules: GovernanceRule[] = [
      { id: 'big', match: { resultType: ['visual'], sizeBytes: { gt: 1000 } }, decision: 'discard' },
      { id: 'pii', match: { tags: { any: ['pii', "quote'd"] } }, decision: 'cache', ttlSeconds: 60 },
      { id: 'both', match: { tags: { all: ['a', 'b'] }, realm: ['journey'] }, decision: 'persist' },
      { id: 'acme-journey', match: { tenant: ['acme', 'a"b'], intentType: 'journey.*' }, decision: 'persist' },
      { id: 'suffix', match: { intentType: '*.generate', sizeBytes: { lt: 500 } }, decision: 'cache' },
      { id: 'middle', match: { intentType: 'x.*.y' }, decision: 'discard' },
    ];
    const p = policy(rules);
    let checked = 0;
    for (const resultType of ['visual', 'workflow', 'sop', 'brand_new']) {
      for (const tenantId of [undefined, 'acme', 'a"b', 'other']) {
        for (const intentType of [undefined, 'journey.sop', 'content.generate', 'x.z.y', 'x.y']) {
          for (const sizeBytes of [undefined, 0, 499, 500, 1000, 1001]) {
            for (const tags of [undefined, [], ['pii'], ["quote'd"], ['a', 'b'], ['b']]) {
              for (const realm of [undefined, 'journey']) {
                const input = { resultType, ...(tenantId ? { tenantId } : {}), ...(intentType ? { intentType } : {}), ...(sizeBytes !== undefined ? { sizeBytes } : {}), ...(tags ? { tags } : {}), ...(realm ? { realm } : {}) };
                const decided = p.evaluate(input);
                const governance = p.explain(input).chain.find((v) => v.layer === 'governance')!;
                assert.equal(decided.layer === 'governance' ? decided.ruleId : undefined, governance.ruleId, JSON.stringify(input));
                checked++;
              }
            }
          }
        }
      }
    }
    assert.equal(checked, 4 * 4 * 5 * 6 * 6 * 2);
  });
});
