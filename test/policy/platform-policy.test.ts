import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, createRuntime, loadPlatformPolicy, parsePlatformPolicyYaml, PolicyConfigError } from '../../src/index.ts';
import { exampleRealms } from '../../src/examples/realms.ts';
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
        "p.yaml:8: unknown key 'extra' (expected one of: governance, bounds, tenants, solutions, budgets, subjects)",
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

  it('tenants get their own solution config, which must stay within the bounds; a crossing is refused at load naming the bound', async () => {
    const sub = join(dir, 'tenants');
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, 'acme.yaml'), 'name: acme\nmaterialization_policy:\n  workflow: { decision: persist, retention: 30d }\n  visual: { decision: cache, cache_ttl: 10m }\n');
    await writeFile(join(sub, 'greedy.yaml'), 'name: greedy\ncache_ttl: 2h\nmaterialization_policy:\n  workflow: { decision: persist, retention: 400d }\n  visual: persist\n');
    const platformFile = join(dir, 'platform-tenants.yaml');
    const bounds = 'bounds:\n  max_cache_ttl: 1h\n  max_retention: 90d\n  no_persist: [visual]\n';
    await writeFile(platformFile, `${bounds}tenants:\n  acme: tenants/acme.yaml\n`);
    const intent = (tenantId: string) => ({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: '1. a\n2. b' } });
    const rt = await createRuntime({ memory: true, realms: exampleRealms, logger: silentLogger, platformPolicy: platformFile });
    try {
      const acme = await rt.execute(intent('acme'));
      const wf = acme.artifacts.find((a) => a.key === 'workflow')!;
      assert.deepEqual([wf.decision, wf.layer], ['persist', 'solution']);
      assert.match(wf.reason, /tenant 'acme' config \(.*acme\.yaml\) sets workflow: persist \(retention 30d\)/);
      assert.equal(acme.artifacts.find((a) => a.key === 'visual')!.decision, 'cache');
      const beta = await rt.execute(intent('beta'));
      assert.ok(beta.artifacts.every((a) => a.decision === 'discard' && a.layer === 'default'), 'other tenants keep the runtime policy');
      assert.notEqual(acme.policyVersion, beta.policyVersion);
      assert.equal(rt.explainPolicy({ resultType: 'workflow', tenantId: 'acme' }).result.layer, 'solution');
    } finally {
      await rt.close();
    }
    await writeFile(platformFile, `${bounds}tenants:\n  acme: tenants/acme.yaml\n  greedy: tenants/greedy.yaml\n`);
    await assert.rejects(createRuntime({ memory: true, logger: silentLogger, platformPolicy: platformFile }), (err: unknown) => {
      assert.ok(err instanceof PolicyConfigError);
      const lines = err.message.split('\n');
      assert.ok(lines.some((l) => /greedy\.yaml: cache_ttl: 2h is longer than the platform bound max_cache_ttl \(1h, .*platform-tenants\.yaml\)/.test(l)), err.message);
      assert.ok(lines.some((l) => /greedy\.yaml: materialization_policy\.visual: 'persist' is not allowed by the platform bound no_persist/.test(l)), err.message);
      assert.ok(lines.some((l) => /greedy\.yaml: materialization_policy\.workflow\.retention: 400d is longer than the platform bound max_retention \(90d/.test(l)), err.message);
      return true;
    });
    // The runtime's own solution config is held to the same bounds.
    await writeFile(platformFile, bounds);
    await assert.rejects(createRuntime({ memory: true, logger: silentLogger, platformPolicy: platformFile, solutionConfig: join(sub, 'greedy.yaml') }), /no_persist/);
    assert.throws(() => parsePlatformPolicyYaml('bounds:\n  max_cache_ttl: soon\n  no_persist: [intent]\ntenants:\n  "../x": a.yaml\n', 'b.yaml'), (err: unknown) => {
      assert.match((err as Error).message, /b\.yaml:2: bounds\.max_cache_ttl: expected a duration/);
      assert.match((err as Error).message, /b\.yaml:3: bounds\.no_persist: 'intent' is a platform-native record/);
      assert.match((err as Error).message, /b\.yaml:5: tenants: '\.\.\/x' is not a valid tenant id/);
      return true;
    });
  });

  it('a solution config attached to a solution decides for intents naming it (a tenant of its own still wins), also when a worker runs them', async () => {
    const sub = join(dir, 'solutions');
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, 'support.yaml'), 'name: support-bot\nmaterialization_policy:\n  workflow: persist\n  visual: { decision: cache, cache_ttl: 5m }\n');
    await writeFile(join(sub, 'acme.yaml'), 'name: acme\nmaterialization_policy:\n  workflow: discard\n');
    const platformFile = join(dir, 'platform-solutions.yaml');
    await writeFile(platformFile, 'tenants:\n  acme: solutions/acme.yaml\nsolutions:\n  support-bot: solutions/support.yaml\n');
    const intent = (tenantId: string, solutionId?: string) => ({
      intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: '1. a\n2. b' }, ...(solutionId ? { solutionId } : {}),
    });
    const rt = await createRuntime({ memory: true, realms: exampleRealms, logger: silentLogger, platformPolicy: platformFile });
    try {
      const decisions = (r: { artifacts: readonly { key: string; decision: string; layer: string }[] }) =>
        Object.fromEntries(r.artifacts.map((a) => [a.key, `${a.decision}/${a.layer}`]));
      assert.deepEqual(decisions(await rt.execute(intent('beta', 'support-bot'))), { workflow: 'persist/solution', visual: 'cache/solution' });
      assert.deepEqual(decisions(await rt.execute(intent('beta'))), { workflow: 'discard/default', visual: 'discard/default' });
      // Per key: acme's config names only workflow; visual falls through to the solution's config.
      assert.deepEqual(decisions(await rt.execute(intent('acme', 'support-bot'))), { workflow: 'discard/solution', visual: 'cache/solution' });
      const submitted = await rt.submit(intent('gamma', 'support-bot'));
      rt.startWorker({ pollIntervalMs: 20 });
      const done = await rt.waitForExecution(submitted.executionId, { tenantId: 'gamma' }, { timeoutMs: 20_000 });
      assert.equal(done.solutionId, 'support-bot');
      assert.deepEqual(decisions(done.result as { artifacts: { key: string; decision: string; layer: string }[] }), { workflow: 'persist/solution', visual: 'cache/solution' });
    } finally {
      await rt.close();
    }
  });
});
