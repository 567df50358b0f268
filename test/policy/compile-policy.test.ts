import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { PolicyConfigError } from '../../src/errors/index.ts';
import {
  compileMaterializationPolicy,
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_POLICY,
  formatExplanation,
  loadSolutionConfig,
  parseSolutionConfig,
  parseSolutionConfigYaml,
  PLATFORM_NATIVE_TYPES,
  POLICY_LAYERS,
  validateGovernanceRules,
  type GovernanceRule,
  type SolutionConfig,
} from '../../src/policy/index.ts';

const MVP_FILE = fileURLToPath(new URL('../../config/mvp_materialization_policy.yaml', import.meta.url));
const DERIVED_TYPES = Object.keys(DEFAULT_POLICY).filter((t) => !PLATFORM_NATIVE_TYPES.has(t));

const solution = (policy: Record<string, unknown>, extra: Record<string, unknown> = {}): SolutionConfig =>
  parseSolutionConfig({ name: 'test', ...extra, materialization_policy: policy }, 'test.yaml');

const rules = (list: unknown[]): readonly GovernanceRule[] => validateGovernanceRules(list);

describe('compileMaterializationPolicy: which layer wins', () => {
  it('with no options, the platform default discards every derived type', () => {
    const policy = compileMaterializationPolicy();
    for (const type of DERIVED_TYPES) {
      const d = policy.evaluate({ resultType: type });
      assert.equal(d.decision, 'discard', type);
      assert.equal(d.layer, 'default', type);
      assert.equal(d.reason, `platform default: derived artifact '${type}' is ephemeral (discard)`);
      assert.equal(d.policyVersion, policy.version);
      assert.equal(d.ttlSeconds, undefined);
    }
  });

  it('always persists platform-native types, whatever the governance layer says', () => {
    const policy = compileMaterializationPolicy({
      governance: rules([{ id: 'drop-all', match: {}, decision: 'discard' }]),
      solution: solution({ intent: 'persist' }),
    });
    for (const type of PLATFORM_NATIVE_TYPES) {
      assert.deepEqual(policy.evaluate({ resultType: type, tenantId: 't', intentType: 'x.y' }), {
        decision: 'persist',
        layer: 'platform',
        reason: `'${type}' is a platform-native record; the platform always persists it`,
        policyVersion: policy.version,
      });
    }
    // ...while the same rule does decide for derived types
    assert.equal(policy.evaluate({ resultType: 'workflow' }).layer, 'governance');
  });

  it('refuses hand-built solution configs or rules that would make a platform-native type non-persist', () => {
    const handBuilt: SolutionConfig = {
      source: 'hand-built',
      materializationPolicy: { state_transition: { decision: 'discard' } },
      cacheTtlSeconds: 60,
    };
    assert.throws(() => compileMaterializationPolicy({ solution: handBuilt }), {
      name: 'PolicyConfigError',
      message:
        "hand-built: materialization_policy.state_transition: 'discard' is not allowed: 'state_transition' is a platform-native record and is always persisted",
    });
    const handRule: GovernanceRule = { id: 'x', match: { resultType: ['governance_decision'] }, decision: 'cache' };
    assert.throws(() => compileMaterializationPolicy({ governance: [handRule] }), PolicyConfigError);
    // and a platform-native entry in a custom default policy is simply not consulted
    const policy = compileMaterializationPolicy({ defaultPolicy: { intent: 'discard', workflow: 'persist' } });
    assert.equal(policy.evaluate({ resultType: 'intent' }).layer, 'platform');
    assert.equal(policy.evaluate({ resultType: 'workflow' }).decision, 'persist');
  });

  it('lets governance beat the solution config', () => {
    const policy = compileMaterializationPolicy({
      solution: solution({ workflow: 'persist' }),
      governance: rules([{ id: 'no-pii', match: { resultType: ['workflow'] }, decision: 'discard', description: 'PII is never stored' }]),
    });
    assert.deepEqual(policy.evaluate({ resultType: 'workflow' }), {
      decision: 'discard',
      layer: 'governance',
      reason: "governance rule 'no-pii' decides discard for 'workflow' (PII is never stored)",
      policyVersion: policy.version,
      ruleId: 'no-pii',
    });
  });

  it('lets the solution config beat the default', () => {
    const policy = compileMaterializationPolicy({ solution: solution({ workflow: 'persist' }) });
    assert.deepEqual(policy.evaluate({ resultType: 'workflow' }), {
      decision: 'persist',
      layer: 'solution',
      reason: "solution config 'test' (test.yaml) sets workflow: persist",
      policyVersion: policy.version,
      config: 'runtime',
    });
    assert.equal(policy.evaluate({ resultType: 'sop' }).layer, 'default');
  });

  it('falls back to discard for types no layer names, including unknown', () => {
    const policy = compileMaterializationPolicy({ solution: solution({ workflow: 'persist' }) });
    for (const type of ['unknown', 'foo', 'constructor', '__proto__', 'toString', '']) {
      assert.deepEqual(policy.evaluate({ resultType: type }), {
        decision: 'discard',
        layer: 'fallback',
        reason: `no policy layer names result type '${type}'; discarded (safest default)`,
        policyVersion: policy.version,
      });
    }
  });

  it('with the shipped MVP override, persists every derived type at the solution layer', async () => {
    const policy = compileMaterializationPolicy({ solution: await loadSolutionConfig(MVP_FILE) });
    for (const type of DERIVED_TYPES) {
      const d = policy.evaluate({ resultType: type });
      assert.equal(d.decision, 'persist', type);
      assert.equal(d.layer, 'solution', type);
      assert.equal(d.reason, `solution config (${MVP_FILE}) sets ${type}: persist`);
    }
    for (const type of PLATFORM_NATIVE_TYPES) assert.equal(policy.evaluate({ resultType: type }).layer, 'platform');
    assert.equal(policy.evaluate({ resultType: 'unknown' }).layer, 'fallback');
  });
});

describe('governance rule matching', () => {
  const policy = compileMaterializationPolicy({
    solution: solution({ visual: 'persist', sop: 'persist' }),
    governance: rules([
      { id: 'acme-visuals', match: { resultType: ['visual'], tenant: ['acme', 'globex'] }, decision: 'discard' },
      { id: 'drafts', match: { intentType: 'draft.*' }, decision: 'cache', ttlSeconds: 60 },
      { id: 'acme-content', match: { tenant: ['acme'], intentType: 'content.*' }, decision: 'persist' },
      { id: 'sop-cached', match: { resultType: ['sop'] }, decision: 'cache' },
      { id: 'never-reached', match: { resultType: ['sop'] }, decision: 'discard' },
    ]),
  });

  it('matches only when every condition holds', () => {
    assert.equal(policy.evaluate({ resultType: 'visual', tenantId: 'acme' }).ruleId, 'acme-visuals');
    assert.equal(policy.evaluate({ resultType: 'visual', tenantId: 'globex' }).ruleId, 'acme-visuals');
    assert.equal(policy.evaluate({ resultType: 'visual', tenantId: 'initech' }).layer, 'solution');
    assert.equal(policy.evaluate({ resultType: 'workflow', tenantId: 'acme' }).layer, 'default');
    assert.equal(policy.evaluate({ resultType: 'workflow', tenantId: 'acme', intentType: 'content.generate' }).ruleId, 'acme-content');
    assert.equal(policy.evaluate({ resultType: 'workflow', tenantId: 'other', intentType: 'content.generate' }).layer, 'default');
  });

  it('never matches a condition whose input field is missing', () => {
    assert.equal(policy.evaluate({ resultType: 'visual' }).layer, 'solution');
    assert.equal(policy.evaluate({ resultType: 'workflow', intentType: 'content.generate' }).layer, 'default');
    assert.equal(policy.evaluate({ resultType: 'workflow', tenantId: 'acme' }).layer, 'default');
  });

  it('applies rules without a resultType condition to every type, unknown ones included', () => {
    assert.equal(policy.evaluate({ resultType: 'workflow', intentType: 'draft.x' }).ruleId, 'drafts');
    const unknown = policy.evaluate({ resultType: 'chart', intentType: 'draft.x' });
    assert.equal(unknown.ruleId, 'drafts');
    assert.equal(unknown.reason, "governance rule 'drafts' decides cache (ttl 1m) for 'chart'");
  });

  it('lets the first matching rule decide, in the order given', () => {
    // acme-visuals (earlier) beats drafts for a visual of acme from a draft intent
    assert.equal(policy.evaluate({ resultType: 'visual', tenantId: 'acme', intentType: 'draft.x' }).ruleId, 'acme-visuals');
    assert.equal(policy.evaluate({ resultType: 'visual', tenantId: 'x', intentType: 'draft.x' }).ruleId, 'drafts');
    // an unconditional rule shadows later rules for its types
    assert.equal(policy.evaluate({ resultType: 'sop' }).ruleId, 'sop-cached');
  });
});

describe('cache TTL precedence', () => {
  const governance = rules([
    { id: 'with-ttl', match: { resultType: ['visual'] }, decision: 'cache', ttlSeconds: '5m' },
    { id: 'no-ttl-typed', match: { resultType: ['sop'] }, decision: 'cache' },
    { id: 'no-ttl-other', match: { resultType: ['poc'] }, decision: 'cache' },
  ]);
  const config = solution(
    { sop: { decision: 'cache', cache_ttl: '20m' }, roadmap: 'cache', visual: { decision: 'cache', cache_ttl: '1d' } },
    { cache_ttl: '2h' },
  );

  it("uses the rule's ttl, else the per-type cache_ttl, else the config cache_ttl", () => {
    const policy = compileMaterializationPolicy({ solution: config, governance, defaultCacheTtlSeconds: 7 });
    assert.equal(policy.evaluate({ resultType: 'visual' }).ttlSeconds, 300); // rule ttl
    assert.equal(policy.evaluate({ resultType: 'sop' }).ttlSeconds, 1200); // per-type cache_ttl
    assert.equal(policy.evaluate({ resultType: 'poc' }).ttlSeconds, 7200); // config cache_ttl
    const roadmap = policy.evaluate({ resultType: 'roadmap' });
    assert.equal(roadmap.layer, 'solution');
    assert.equal(roadmap.ttlSeconds, 7200);
    assert.equal(roadmap.reason, "solution config 'test' (test.yaml) sets roadmap: cache (ttl 2h)");
  });

  it('uses the config default TTL when the solution sets none, and defaultCacheTtlSeconds without a solution', () => {
    const noConfigTtl = compileMaterializationPolicy({ solution: solution({ roadmap: 'cache' }) });
    assert.equal(noConfigTtl.evaluate({ resultType: 'roadmap' }).ttlSeconds, DEFAULT_CACHE_TTL_SECONDS);
    const noSolution = compileMaterializationPolicy({ governance, defaultCacheTtlSeconds: 90 });
    assert.equal(noSolution.evaluate({ resultType: 'poc' }).ttlSeconds, 90);
    assert.equal(compileMaterializationPolicy({ governance }).evaluate({ resultType: 'poc' }).ttlSeconds, DEFAULT_CACHE_TTL_SECONDS);
  });

  it('carries a ttl only on cache decisions', () => {
    const policy = compileMaterializationPolicy({ solution: config, governance });
    for (const type of ['workflow', 'intent', 'unknown']) {
      assert.equal('ttlSeconds' in policy.evaluate({ resultType: type }), false, type);
    }
  });

  it('refuses a bad defaultCacheTtlSeconds', () => {
    assert.throws(() => compileMaterializationPolicy({ defaultCacheTtlSeconds: 0 }), {
      name: 'PolicyConfigError',
      message: 'compileMaterializationPolicy: defaultCacheTtlSeconds: expected a duration like 30s, 15m, 1h or 7d (or seconds), got 0',
    });
  });
});

describe('policy version', () => {
  const yamlA = 'name: a\ncache_ttl: 1h\nmaterialization_policy:\n  workflow: persist\n  visual: { decision: cache, cache_ttl: 10m }\n';
  const yamlB = 'materialization_policy:\n  visual:\n    cache_ttl: 600\n    decision: cache\n  workflow: persist\ncache_ttl: 3600\nname: b\n';
  const version = (yaml: string, file = 'x.yaml', governance: unknown[] = []) =>
    compileMaterializationPolicy({ solution: parseSolutionConfigYaml(yaml, file), governance: rules(governance) }).version;

  it('looks like sha256:<16 hex>', () => {
    assert.match(compileMaterializationPolicy().version, /^sha256:[0-9a-f]{16}$/);
  });

  it('is the same for the same content, whatever the key order, file path or name', () => {
    assert.equal(version(yamlA, 'one/a.yaml'), version(yamlB, 'other/b.yaml'));
    assert.equal(
      version(yamlA, 'a', [{ id: 'r', match: { tenant: ['x', 'y'], resultType: ['sop', 'poc'] }, decision: 'discard' }]),
      version(yamlA, 'a', [{ decision: 'discard', match: { resultType: ['poc', 'sop'], tenant: ['y', 'x'] }, id: 'r' }]),
    );
    // redundant platform-native entries (as in the MVP file) change nothing
    assert.equal(version(yamlA), version(`${yamlA}  intent: persist\n`));
    assert.equal(compileMaterializationPolicy().version, compileMaterializationPolicy().version);
  });

  it('changes when a decision, a ttl or a rule changes', () => {
    const base = version(yamlA);
    const variants = [
      version(yamlA.replace('workflow: persist', 'workflow: discard')),
      version(yamlA.replace('10m', '11m')),
      version(yamlA.replace('cache_ttl: 1h', 'cache_ttl: 2h')),
      version(`${yamlA}  sop: persist\n`),
      version(yamlA, 'x.yaml', [{ id: 'r', match: {}, decision: 'discard' }]),
      version(yamlA, 'x.yaml', [{ id: 'r', match: {}, decision: 'persist' }]),
      version(yamlA, 'x.yaml', [{ id: 'r', match: { tenant: ['t'] }, decision: 'discard' }]),
      version(yamlA, 'x.yaml', [{ id: 'r', match: {}, decision: 'cache', ttlSeconds: 5 }]),
    ];
    assert.equal(new Set([base, ...variants]).size, variants.length + 1);
    // rule order matters (first match wins), so it is part of the version
    const r1 = { id: 'r1', match: {}, decision: 'persist' };
    const r2 = { id: 'r2', match: {}, decision: 'discard' };
    assert.notEqual(version(yamlA, 'x', [r1, r2]), version(yamlA, 'x', [r2, r1]));
    assert.notEqual(
      compileMaterializationPolicy().version,
      compileMaterializationPolicy({ defaultPolicy: { ...DEFAULT_POLICY, sop: 'persist' } }).version,
    );
  });
});

describe('evaluate on the hot path', () => {
  const policy = compileMaterializationPolicy({
    solution: solution({ workflow: 'persist' }),
    governance: rules([{ id: 'acme', match: { resultType: ['visual'], tenant: ['acme'] }, decision: 'cache' }]),
  });

  it('returns the same frozen object for repeated type-only calls', () => {
    for (const type of ['workflow', 'sop', 'intent', 'visual', 'unknown', 'brand-new-type']) {
      const first = policy.evaluate({ resultType: type });
      assert.ok(Object.isFrozen(first));
      assert.equal(policy.evaluate({ resultType: type }), first, type);
      assert.equal(policy.evaluate({ resultType: type, realm: 'x', sizeBytes: 10 }), first, type);
    }
    assert.equal(
      policy.evaluate({ resultType: 'visual', tenantId: 'acme' }),
      policy.evaluate({ resultType: 'visual', tenantId: 'acme' }),
    );
  });

  it('works detached from the policy object', () => {
    const { evaluate, explain } = policy;
    assert.equal(evaluate({ resultType: 'workflow' }).decision, 'persist');
    assert.equal(explain({ resultType: 'workflow' }).result.layer, 'solution');
  });

  it('stays correct for many distinct unknown types (bounded cache)', () => {
    for (let i = 0; i < 3000; i++) {
      const d = policy.evaluate({ resultType: `type_${i}` });
      assert.equal(d.layer, 'fallback');
      assert.equal(d.reason, `no policy layer names result type 'type_${i}'; discarded (safest default)`);
    }
    assert.equal(policy.evaluate({ resultType: 'type_0' }).reason, "no policy layer names result type 'type_0'; discarded (safest default)");
  });
});

describe('explain', () => {
  const policy = compileMaterializationPolicy({
    solution: solution({ workflow: 'persist', intent: 'persist' }),
    governance: rules([
      { id: 'acme', match: { resultType: ['workflow'], tenant: ['acme'] }, decision: 'discard', description: 'acme keeps nothing' },
    ]),
  });
  const inputs = [
    { resultType: 'intent' },
    { resultType: 'workflow', tenantId: 'acme' },
    { resultType: 'workflow', tenantId: 'other' },
    { resultType: 'sop' },
    { resultType: 'unknown' },
  ];

  it('lists all five layers in order; the first with an opinion is the result', () => {
    for (const input of inputs) {
      const { chain, result } = policy.explain(input);
      assert.deepEqual(chain.map((v) => v.layer), [...POLICY_LAYERS]);
      assert.deepEqual(POLICY_LAYERS, ['platform', 'governance', 'solution', 'default', 'fallback']);
      const winner = chain.find((v) => v.decision !== null)!;
      assert.equal(winner.layer, result.layer);
      assert.equal(winner.decision, result.decision);
      assert.equal(result, policy.evaluate(input));
      assert.equal(chain.at(-1)!.decision, 'discard');
    }
  });

  it('says what each layer thinks, including those below the winner', () => {
    const acme = policy.explain({ resultType: 'workflow', tenantId: 'acme' });
    assert.equal(acme.result.layer, 'governance');
    assert.deepEqual(acme.chain.map((v) => v.decision), [null, 'discard', 'persist', 'discard', 'discard']);
    assert.equal(acme.chain[1]!.ruleId, 'acme');
    assert.equal(acme.chain[1]!.said, "governance rule 'acme' decides discard for 'workflow' (acme keeps nothing)");
    assert.equal(acme.chain[2]!.said, "solution config 'test' (test.yaml) sets workflow: persist");

    const other = policy.explain({ resultType: 'workflow', tenantId: 'other' });
    assert.equal(other.result.layer, 'solution');
    assert.equal(other.chain[1]!.decision, null);
    assert.equal(other.chain[1]!.said, "no governance rule matches: 'acme' needs tenant acme (got 'other')");

    const intent = policy.explain({ resultType: 'intent' });
    assert.equal(intent.result.layer, 'platform');
    assert.equal(intent.chain[3]!.decision, null);

    const unknown = policy.explain({ resultType: 'unknown' });
    assert.deepEqual(unknown.chain.map((v) => v.decision), [null, null, null, null, 'discard']);
    assert.equal(unknown.chain[4]!.said, "no policy layer names result type 'unknown'; discarded (safest default)");
  });

  it('formats as text with the winner marked', () => {
    const text = formatExplanation(policy.explain({ resultType: 'sop' }));
    const lines = text.split('\n');
    assert.equal(lines[0], `sop -> discard (default, policy ${policy.version})`);
    assert.equal(lines.length, 6);
    assert.ok(lines[4]!.startsWith('* default'));
    assert.equal(lines.filter((l) => l.startsWith('*')).length, 1, 'one winner');
  });
});

describe('describe', () => {
  it('summarizes the effective per-type table as plain JSON', async () => {
    const policy = compileMaterializationPolicy({
      solution: await loadSolutionConfig(MVP_FILE),
      governance: rules([{ id: 'acme', match: { resultType: ['visual'], tenant: ['acme'] }, decision: 'cache' }]),
    });
    const description = policy.describe();
    assert.deepEqual(JSON.parse(JSON.stringify(description)), description);
    assert.equal(description.version, policy.version);
    assert.equal(description.layers.solution?.source, MVP_FILE);
    assert.deepEqual(description.layers.platform.persists, [...PLATFORM_NATIVE_TYPES].sort());
    const byType = new Map(description.types.map((t) => [t.resultType, t]));
    for (const type of DERIVED_TYPES) assert.equal(byType.get(type)?.decision, 'persist', type);
    assert.equal(byType.get('intent')?.layer, 'platform');
    assert.deepEqual(byType.get('visual')?.conditionalRules, ['acme']);
    assert.deepEqual(byType.get('workflow')?.conditionalRules, []);
    assert.deepEqual(description.otherTypes, { decision: 'discard', layer: 'fallback', conditionalRules: [] });
    assert.ok(Object.isFrozen(description.types[0]));
  });
});
