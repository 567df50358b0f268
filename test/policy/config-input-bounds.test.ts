/**
 * Whatever a policy or runtime config validates also runs: a string the
 * store cannot keep (NUL, an unpaired surrogate), a number the store or a
 * timer cannot hold (huge, negative, fractional, NaN, infinite), and a
 * rule that would let discarded content into traces are refused when the
 * file is validated — each named by FILE:LINE and key — never later by the
 * database (`unsupported Unicode escape sequence`, `out of range for type
 * bigint`) or a timer that fires at once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, defineRealm, PolicyConfigError, RealmDefinitionError } from '../../src/index.ts';
import { compileRetryPolicy } from '../../src/policy/retry-policy.ts';
import { compileMaterializationPolicy, compileRecordedPolicy } from '../../src/policy/compile-policy.ts';
import { compileDefinition, definitionOf } from '../../src/policy/policy-definition.ts';
import { parsePlatformPolicy, parsePlatformPolicyYaml } from '../../src/policy/platform-policy.ts';
import { parseSolutionConfig, parseSolutionConfigYaml } from '../../src/policy/solution-config.ts';
import { validateGovernanceRules } from '../../src/policy/governance.ts';
import { parseRuntimeConfigYaml } from '../../src/runtime/runtime-config.ts';
import { compileRuntimeOptions } from '../../src/options/compile-runtime-options.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The message of what `fn` throws, asserting its class. */
function refusal(fn: () => unknown, kind: new (...a: never[]) => Error = PolicyConfigError): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof kind, `expected ${kind.name}, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected a refusal');
}

/** Values no count, size or duration field may take, as YAML writes them. */
const NOT_A_COUNT = ['1e20', '-1', '0.5', '.nan', '.inf', '-.inf', '"3"', '9007199254740993'];

describe('strings the store cannot keep are refused in config files, with FILE:LINE', () => {
  it('solution config: the name (a YAML "\\0" escape), a result type key, in YAML and as an object', () => {
    let m = refusal(() => parseSolutionConfigYaml('name: "a\\0b"\nmaterialization_policy:\n  workflow: persist\n', 'sol.yaml'));
    assert.match(m, /^sol\.yaml:1: name: contains a NUL character \(U\+0000\) at index 1, which PostgreSQL cannot store$/m);
    m = refusal(() => parseSolutionConfigYaml('name: ok\nmaterialization_policy:\n  "vis\\0": persist\n', 'sol.yaml'));
    assert.match(m, /^sol\.yaml:3: materialization_policy\.vis\\u0000: is a key that contains a NUL character/m);
    for (const name of ['a\ud800', '\udfff', 'a\u0000']) {
      assert.match(refusal(() => parseSolutionConfig({ name, materialization_policy: { workflow: 'persist' } })), /^inline: name: contains (a NUL|an unpaired UTF-16 surrogate)/m);
    }
  });

  it('platform policy: governance descriptions and conditions, budgets, subjects, attachments', () => {
    const yaml = [
      'governance:',
      '  - id: g1',
      '    match: { tenant: ["acme\\0"], tags: { any: ["t\\ud800"] } }',
      '    decision: persist',
      '    description: "why\\0"',
      'budgets:',
      '  - id: b1',
      '    match: { intent_type: "x\\0" }',
      '    per_execution: { max_tokens: 10 }',
      'tenants:',
      '  acme: "file\\0.yaml"',
      '',
    ].join('\n');
    const lines = refusal(() => parsePlatformPolicyYaml(yaml, 'plat.yaml')).split('\n');
    for (const [line, key] of [[3, 'governance[0].match.tenant[0]'], [3, 'governance[0].match.tags.any[0]'], [5, 'governance[0].description'], [8, 'budgets[0].match.intent_type'], [11, 'tenants.acme']] as const) {
      assert.ok(lines.some((l) => l.startsWith(`plat.yaml:${line}: ${key}: contains `)), `line ${line} ${key} in:\n${lines.join('\n')}`);
    }
    assert.match(refusal(() => parsePlatformPolicy({ governance: [{ id: 'g', match: {}, decision: 'persist', description: 'a\u0000' }] })), /governance\[0\]\.description: contains a NUL/);
    assert.match(refusal(() => validateGovernanceRules([{ id: 'g', match: { realm: ['r\ud800'] }, decision: 'persist' }])), /rules\[0\]\.match\.realm\[0\]: contains an unpaired UTF-16 surrogate/);
  });

  it('runtime config: any string, with its line (a ConfigError)', () => {
    const m = refusal(() => parseRuntimeConfigYaml('http:\n  host: "a\\0b"\nevents: "nats://x\\0"\n', 'rt.yaml'), ConfigError);
    assert.match(m, /^rt\.yaml:2: http\.host: contains a NUL character/m);
    assert.match(m, /^rt\.yaml:3: events: contains a NUL character/m);
  });
});

describe('numbers a config sets fit what stores them and the timers that wait on them', () => {
  it('keep_latest: a whole number from 1 to 2147483647, in a solution config and a governance rule', () => {
    for (const v of NOT_A_COUNT) {
      const m = refusal(() => parseSolutionConfigYaml(`materialization_policy:\n  checkpoint:\n    decision: persist\n    keep_latest: ${v}\n`, 'k.yaml'));
      assert.match(m, /^k\.yaml:4: materialization_policy\.checkpoint\.keep_latest: expected a whole number of checkpoints from 1 to 2147483647, got /m, v);
      const g = refusal(() => parsePlatformPolicyYaml(`governance:\n  - id: g\n    match: { result_type: [checkpoint] }\n    decision: persist\n    keep_latest: ${v}\n`, 'g.yaml'));
      assert.match(g, /^g\.yaml:5: governance\[0\] \('g'\): keep_latest: expected a whole number of checkpoints from 1 to 2147483647/m, v);
    }
    assert.equal(parseSolutionConfigYaml('materialization_policy:\n  checkpoint: { decision: persist, keep_latest: 2147483647 }\n', 'k.yaml').materializationPolicy.checkpoint!.keepLatest, 2147483647);
  });

  it('budgets: tokens a whole number, dollars a finite amount, both within what the store sums', () => {
    for (const v of NOT_A_COUNT) {
      const m = refusal(() => parsePlatformPolicyYaml(`budgets:\n  - id: b\n    per_execution:\n      max_tokens: ${v}\n`, 'b.yaml'));
      assert.match(m, /^b\.yaml:4: budgets\[0\]\.per_execution\.max_tokens: expected a whole number of tokens from 0 to 9007199254740991/m, v);
    }
    for (const v of ['-1', '.nan', '.inf', '1e20', '"5"']) {
      const m = refusal(() => parsePlatformPolicyYaml(`budgets:\n  - id: b\n    per_tenant_per_day:\n      max_cost_usd: ${v}\n`, 'b.yaml'));
      assert.match(m, /^b\.yaml:4: budgets\[0\]\.per_tenant_per_day\.max_cost_usd: expected an amount of US dollars from 0 to 1000000000000/m, v);
    }
  });

  it('sizes and durations: huge, negative, fractional, NaN and infinite values are refused with their line', () => {
    for (const v of ['1e20', '-1', '1.5', '.nan', '.inf']) {
      const s = refusal(() => parsePlatformPolicyYaml(`governance:\n  - id: g\n    match: { size_bytes: { gt: ${v} } }\n    decision: discard\n`, 's.yaml'));
      assert.match(s, /^s\.yaml:3: governance\[0\] \('g'\): match\.size_bytes\.gt: expected a size/m, v);
    }
    for (const v of ['1e20', '-1', '1.5', '.nan', '.inf', '0', '"soon"']) {
      const d = refusal(() => parseSolutionConfigYaml(`cache_ttl: ${v}\n`, 'd.yaml'));
      assert.match(d, /^d\.yaml:1: cache_ttl: /m, v);
      const r = refusal(() => parseSolutionConfigYaml(`materialization_policy:\n  workflow: { decision: persist, retention: ${v} }\n`, 'd.yaml'));
      assert.match(r, /^d\.yaml:2: materialization_policy\.workflow\.retention: /m, v);
      const g = refusal(() => parsePlatformPolicyYaml(`governance:\n  - id: g\n    match: {}\n    decision: cache\n    ttl: ${v}\n`, 'd.yaml'));
      assert.match(g, /^d\.yaml:5: governance\[0\] \('g'\): ttl: /m, v);
      const b = refusal(() => parsePlatformPolicyYaml(`bounds:\n  max_retention: ${v}\n`, 'd.yaml'));
      assert.match(b, /^d\.yaml:2: bounds\.max_retention: /m, v);
    }
    for (const v of ['1e20', '-1', '.nan', '"25d"']) {
      const t = refusal(() => parseRuntimeConfigYaml(`worker:\n  poll_interval: ${v}\n`, 'rt.yaml'), ConfigError);
      assert.match(t, /^rt\.yaml:2: worker\.poll_interval: /m, v);
    }
  });

  it('the retry policy: attempts fit the attempts column, intervals a timer', () => {
    for (const v of [1e20, 2 ** 31, -1, 1.5, Number.NaN]) {
      assert.match(refusal(() => compileRetryPolicy({ maximumAttempts: v }), ConfigError), /maximumAttempts must be a whole number from 1 to 2147483647/);
    }
    for (const v of [1e20, 25 * 86_400_000, '25d', '1e20s']) {
      assert.match(refusal(() => compileRetryPolicy({ initialInterval: v, maximumInterval: v }), ConfigError), /initialInterval/, String(v));
    }
    const m = refusal(() => parseRuntimeConfigYaml('retry_policy:\n  maximum_attempts: 1e20\n', 'rt.yaml'), ConfigError);
    assert.match(m, /^rt\.yaml:1: retry_policy: maximum_attempts must be a whole number from 1 to 2147483647/m);
  });

  it('runtime options: group commit wait and the collection grace period are bounded', () => {
    assert.match(refusal(() => parseRuntimeConfigYaml('group_commit:\n  max_wait_ms: 1e20\n', 'rt.yaml'), ConfigError), /^rt\.yaml:2: group_commit\.max_wait_ms: must be a number of milliseconds from 0 to 2073600000/m);
    assert.match(refusal(() => compileRuntimeOptions({ options: { groupCommit: { maxWaitMs: 1e20 } } }), ConfigError), /groupCommit\.maxWaitMs: must be a number of milliseconds from 0 to 2073600000/);
    for (const v of [1e20, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.match(refusal(() => compileRuntimeOptions({ options: { gcGraceSeconds: v } }), ConfigError), /option gcGraceSeconds: must be a number of seconds from 0 to 3153600000/);
    }
  });

  it("a realm's timeout is at most what a timer can wait", () => {
    const realm = (timeoutMs: number) => defineRealm({ name: 'r', intents: { x: { timeoutMs, handler: () => ({}) } } });
    for (const v of [1e20, 2 ** 31, -5, 1.5]) assert.match(refusal(() => realm(v), RealmDefinitionError), /'timeoutMs' must be a whole number of milliseconds from 1 to 2073600000/);
    assert.doesNotThrow(() => realm(2_073_600_000));
  });
});

describe('content the policy discards is kept nowhere, traces included', () => {
  it('trace: include with decision discard is refused, in a solution config and a governance rule', () => {
    assert.match(
      refusal(() => parseSolutionConfigYaml('materialization_policy:\n  visual: { decision: discard, trace: include }\n', 't.yaml')),
      /^t\.yaml:2: materialization_policy\.visual\.trace: not allowed with decision 'discard': content the policy discards is kept nowhere, traces included/m,
    );
    assert.match(
      refusal(() => parsePlatformPolicyYaml('governance:\n  - id: g\n    match: {}\n    decision: discard\n    trace: include\n', 'g.yaml')),
      /^g\.yaml:5: governance\[0\] \('g'\): trace: not allowed with decision 'discard'/m,
    );
    assert.match(refusal(() => validateGovernanceRules([{ id: 'g', match: {}, decision: 'discard', trace: 'include' }])), /trace: not allowed with decision 'discard'/);
    // Kept content may be traced.
    assert.doesNotThrow(() => parseSolutionConfig({ materialization_policy: { visual: { decision: 'cache', trace: 'include' }, workflow: { decision: 'persist', trace: 'include' } } }));
  });

  it('a policy recorded before these refusals still compiles to its version (nothing accepted is lost), and still keeps discarded content out of traces', () => {
    // What an earlier runtime stored: a discard with trace: include, and a keep_latest past the new bound.
    const recorded = compileRecordedPolicy({
      governance: [{ id: 'drop-traced', match: { resultType: ['visual'] }, decision: 'discard', trace: 'include' }],
      solution: {
        source: 'old.yaml', cacheTtlSeconds: 3600,
        materializationPolicy: { sop: { decision: 'discard', trace: 'include' }, checkpoint: { decision: 'persist', keepLatest: 1e20 } },
      },
    });
    const again = compileDefinition(JSON.parse(JSON.stringify(definitionOf(recorded))));
    assert.equal(again.version, recorded.version);
    for (const resultType of ['visual', 'sop']) {
      const d = again.evaluate({ resultType });
      assert.equal(d.decision, 'discard', resultType);
      assert.equal(d.trace, undefined, `${resultType}: a discard never lets content into traces`);
    }
    // Its 1e20 checkpoints reach the store as a count a query can hold: all of them.
    assert.equal(again.evaluate({ resultType: 'checkpoint' }).keepLatest, 2147483647);
    // New policies are held to the rules.
    assert.throws(() => compileMaterializationPolicy({ governance: [{ id: 'g', match: {}, decision: 'discard', trace: 'include' }] }), PolicyConfigError);
  });
});

describe('`policy validate` refuses what `policy apply` and `run --config` could not use', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-config-bounds-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a NUL in a name and an out-of-range keep_latest: exit 2, FILE:LINE and the code, no stack', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'name: "a\\0b"\nmaterialization_policy:\n  checkpoint: { decision: persist, keep_latest: 1e20 }\n');
    const { code, out } = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, [join(root, 'bin/symphainy.js'), '--data-dir', join(dir, 'data'), 'policy', 'validate', file], { cwd: root }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }));
    });
    assert.equal(code, 2, out);
    assert.ok(out.includes(`${file}:1: name: contains a NUL character`), out);
    assert.ok(out.includes(`${file}:3: materialization_policy.checkpoint.keep_latest: expected a whole number of checkpoints from 1 to 2147483647, got 100000000000000000000`), out);
    assert.match(out, /SYM_ERR_POLICY_CONFIG/);
    assert.doesNotMatch(out, /\n\s+at /);
  });
});
