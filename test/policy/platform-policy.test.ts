import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, createRuntime, exampleRealms, loadPlatformPolicy, parsePlatformPolicyYaml, PolicyConfigError } from '../../src/index.ts';
import { silentLogger } from '../support/test-runtime.ts';

const PLATFORM = `# the platform team's rules
governance:
  - id: no-large-visuals
    match: { result_type: [visual], size_bytes: { gt: 5mb } }
    decision: discard
  - id: journey-workflows-kept
    match: { result_type: [workflow], intent_type: 'journey.*', realm: journey }
    decision: persist
    retention: 365d
`;

describe('platform policy file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-platform-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads the ordered governance rules in the file spelling', () => {
    const p = parsePlatformPolicyYaml(PLATFORM, 'platform.yaml');
    assert.deepEqual(p.governance.map((r) => r.id), ['no-large-visuals', 'journey-workflows-kept']);
    assert.deepEqual(p.governance[0]!.match, { resultType: ['visual'], sizeBytes: { gt: 5 * 1024 * 1024 } });
    assert.equal(p.governance[1]!.retentionSeconds, 365 * 86_400);
    assert.deepEqual(parsePlatformPolicyYaml('# nothing yet\n', 'empty.yaml').governance, []);
  });

  it('names file, line, rule and key of every problem', () => {
    const text = ['governance:', '  - id: a', '    match: { result_type: [visual], size: 5 }', '    decision: keep', '  - id: a',
      '    match: {}', '    decision: persist', 'extra: 1'].join('\n');
    assert.throws(() => parsePlatformPolicyYaml(text, 'p.yaml'), (err: unknown) => {
      assert.ok(err instanceof PolicyConfigError);
      assert.deepEqual(err.message.split('\n'), [
        "p.yaml:3: governance[0] ('a'): match: unknown key 'size' (expected one of: result_type, tenant, intent_type, realm, size_bytes, tags)",
        "p.yaml:4: governance[0] ('a'): decision: unknown decision 'keep' (expected persist, cache or discard)",
        "p.yaml:8: unknown key 'extra' (expected one of: governance)",
      ]);
      return true;
    });
    assert.throws(() => parsePlatformPolicyYaml('governance:\n  - id: x\n    match: {}\n    decision: persist\n  - id: x\n    match: {}\n    decision: cache\n', 'dup.yaml'),
      /dup\.yaml:5: governance\[1\] \('x'\): id 'x' is already used by governance\[0\]/);
    assert.throws(() => parsePlatformPolicyYaml('governance: [\n', 'broken.yaml'), /broken\.yaml:2:1: invalid YAML/);
  });

  it('a missing file is named', async () => {
    await assert.rejects(loadPlatformPolicy(join(dir, 'nope.yaml')), /nope\.yaml: platform policy file not found/);
  });

  it('a runtime decides by it (from the option, the env variable or the runtime config), and refuses it together with governance rules', async () => {
    const file = join(dir, 'platform.yaml');
    await writeFile(file, PLATFORM);
    const intent = { intentType: 'journey.sop_to_workflow', tenantId: 'acme', sessionId: 's', parameters: { sop_text: '1. a\n2. b' } };
    const viaOption = await createRuntime({ memory: true, realms: exampleRealms, logger: silentLogger, platformPolicy: file });
    try {
      const workflow = (await viaOption.execute(intent)).artifacts.find((a) => a.key === 'workflow')!;
      assert.equal(workflow.decision, 'persist');
      assert.equal(workflow.layer, 'governance');
      assert.equal(workflow.ruleId, 'journey-workflows-kept');
    } finally {
      await viaOption.close();
    }
    const runtimeConfig = join(dir, 'runtime.yaml');
    await writeFile(runtimeConfig, `platform_policy: ${file}\n`);
    const viaConfig = await createRuntime({ memory: true, logger: silentLogger, runtimeConfig });
    try {
      assert.equal(viaConfig.policy.evaluate({ resultType: 'workflow', intentType: 'journey.x', realm: 'journey' }).ruleId, 'journey-workflows-kept');
    } finally {
      await viaConfig.close();
    }
    process.env.SYMPHAINY_PLATFORM_POLICY = file;
    try {
      const viaEnv = await createRuntime({ memory: true, logger: silentLogger });
      assert.equal(viaEnv.policy.version, viaConfig.policy.version);
      await viaEnv.close();
    } finally {
      delete process.env.SYMPHAINY_PLATFORM_POLICY;
    }
    await assert.rejects(
      createRuntime({ memory: true, logger: silentLogger, platformPolicy: file, governance: [{ id: 'x', match: {}, decision: 'persist' }] }),
      (err: unknown) => err instanceof ConfigError && /either in the platform policy .* or as the governance option/.test(err.message),
    );
  });
});
