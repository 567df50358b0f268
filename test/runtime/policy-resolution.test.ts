import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseSolutionConfig } from '../../src/index.ts';
import { keepAttached, loadPolicyResolver } from '../../src/policy/policy-resolver.ts';
import { ANY_TENANT } from '../../src/db/tenant-scope.ts';
import { SOP_TEXT, TEST_DRIVER, testRuntime } from '../support/test-runtime.ts';
import { ADMIN_KEY, startTestServer } from '../support/http-server.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The reproductions: a runtime config, a platform policy attaching a
 * partial tenant config and a partial solution config. Every tool must say
 * what real runs do.
 */
describe(`policy resolution: one answer for runs, explain, diff and apply (${TEST_DRIVER})`, () => {
  let dir: string;
  let runtimeYaml: string;
  let platformYaml: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-resolution-'));
    await mkdir(join(dir, 'tenants'));
    runtimeYaml = join(dir, 'runtime.yaml');
    platformYaml = join(dir, 'platform.yaml');
    await writeFile(runtimeYaml, 'name: rt\nmaterialization_policy:\n  visual: persist\n  workflow: discard\n');
    await writeFile(join(dir, 'tenants', 'acme.yaml'), 'materialization_policy:\n  workflow: persist\n');
    await writeFile(join(dir, 'bot.yaml'), 'materialization_policy:\n  visual: { decision: cache, cache_ttl: 5m }\n');
    await writeFile(platformYaml, 'tenants:\n  acme: tenants/acme.yaml\nsolutions:\n  bot: bot.yaml\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const intent = (tenantId: string, solutionId?: string) => ({
    intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT }, ...(solutionId ? { solutionId } : {}),
  });
  type Outcome = { key: string; decision: string; layer: string; reason: string; artifactId?: string };
  const byKey = (r: { artifacts: readonly Outcome[] }) => Object.fromEntries(r.artifacts.map((a) => [a.key, a]));

  it('(1) a partial tenant or solution config falls through per key to the runtime config; the decision record names the config', async () => {
    const t = await testRuntime({ solutionConfig: runtimeYaml, platformPolicy: platformYaml });
    try {
      const acme = byKey(await t.runtime.execute(intent('acme')));
      assert.deepEqual([acme.workflow!.decision, acme.workflow!.layer], ['persist', 'solution']);
      assert.match(acme.workflow!.reason, /^tenant 'acme' config \(.*acme\.yaml\) sets workflow: persist$/);
      assert.deepEqual([acme.visual!.decision, acme.visual!.layer], ['persist', 'solution'], 'visual falls through to the runtime config');
      assert.match(acme.visual!.reason, /^solution config 'rt' \(.*runtime\.yaml\) sets visual: persist$/);
      const beta = byKey(await t.runtime.execute(intent('beta', 'bot')));
      assert.deepEqual([beta.workflow!.decision, beta.workflow!.layer], ['discard', 'solution'], 'workflow falls through to the runtime config');
      assert.deepEqual([beta.visual!.decision, beta.visual!.layer], ['cache', 'solution']);
      assert.match(beta.visual!.reason, /^solution 'bot' config .* sets visual: cache \(ttl 5m\)$/);
      const records = await t.runtime.listWal({ tenantId: 'beta', recordType: 'governance_decision' });
      assert.deepEqual(records.map((r) => [r.payload.artifactKey, r.payload.config]).sort(), [['visual', 'solution:bot'], ['workflow', 'runtime']]);
      const acmeBot = byKey(await t.runtime.execute(intent('acme', 'bot')));
      assert.deepEqual([acmeBot.workflow!.decision, acmeBot.visual!.decision], ['persist', 'cache'], 'tenant > solution > runtime, per key');
    } finally {
      await t.close();
    }
  });

  it('(2) explain honours tenants: and solutions: — the runtime, the resolver from the files and the CLI say what runs do', async () => {
    const t = await testRuntime({ solutionConfig: runtimeYaml, platformPolicy: platformYaml });
    try {
      const files = await loadPolicyResolver({ solution: runtimeYaml, platform: platformYaml });
      for (const [tenantId, solutionId] of [['acme', undefined], ['beta', 'bot'], ['acme', 'bot'], ['beta', undefined]] as const) {
        const run = await t.runtime.execute(intent(tenantId, solutionId));
        for (const a of run.artifacts) {
          const input = { resultType: a.resultType, tenantId, intentType: 'journey.sop_to_workflow', realm: 'journey', sizeBytes: a.sizeBytes };
          const viaRuntime = t.runtime.explainPolicy(input, solutionId ? { solutionId } : {}).result;
          const viaFiles = files.explain({ ...input, solutionId: solutionId ?? null }).result;
          for (const e of [viaRuntime, viaFiles]) {
            assert.deepEqual([e.decision, e.layer, e.reason], [a.decision, a.layer, a.reason], `${tenantId}/${solutionId} ${a.key}`);
          }
        }
      }
    } finally {
      await t.close();
    }
    const cli = (args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [join(root, 'bin/symphainy.js'), '--data-dir', join(dir, 'data'), '--platform-policy', platformYaml, ...args], { cwd: root }, (err, out, errOut) =>
          err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
        ),
      );
    const said = JSON.parse(await cli(['policy', 'explain', '--tenant', 'acme', '--result-type', 'visual', '--config', runtimeYaml, '--json']));
    assert.deepEqual([said.result.decision, said.result.config], ['persist', 'runtime']);
    const wf = JSON.parse(await cli(['policy', 'explain', '--tenant', 'acme', '--result-type', 'workflow', '--config', runtimeYaml, '--json']));
    assert.deepEqual([wf.result.decision, wf.result.config], ['persist', 'tenant:acme']);
    const bot = JSON.parse(await cli(['policy', 'explain', '--tenant', 'beta', '--solution', 'bot', '--result-type', 'visual', '--config', runtimeYaml, '--json']));
    assert.deepEqual([bot.result.decision, bot.result.config], ['cache', 'solution:bot']);
    assert.deepEqual(bot.chain.map((v: { config?: string }) => v.config ?? v), [
      bot.chain[0], bot.chain[1], 'solution:bot', 'runtime', bot.chain[4], bot.chain[5],
    ], 'one verdict per config layer, most specific first');
    const text = await cli(['policy', 'explain', '--tenant', 'acme', '--solution', 'bot', '--result-type', 'visual', '--config', runtimeYaml]);
    const marked = text.split('\n').filter((l) => l.startsWith('*'));
    assert.equal(marked.length, 1, text);
    assert.match(marked[0]!, /solution solution:bot +cache/, text);
  });

  it('(3) diff and apply --retroactive evaluate each tenant under its own resolved policy: acme keeps its persisted workflow', async () => {
    const t = await testRuntime({ solutionConfig: runtimeYaml, platformPolicy: platformYaml });
    try {
      const acme = byKey(await t.runtime.execute(intent('acme')));
      const beta = byKey(await t.runtime.execute(intent('beta')));
      assert.equal(acme.workflow!.decision, 'persist');
      // The candidate runtime config no longer names workflow, and no longer persists visuals.
      const candidateYaml = join(dir, 'candidate.yaml');
      await writeFile(candidateYaml, 'materialization_policy:\n  visual: discard\n');
      for (const candidate of [
        await loadPolicyResolver({ solution: candidateYaml, platform: platformYaml }),
        // A candidate without a platform policy (an HTTP body) keeps the configs attached now.
        keepAttached(await loadPolicyResolver({ solution: parseSolutionConfig({ materialization_policy: { visual: 'discard' } }) }), t.runtime.resolver),
      ]) {
        const diff = await t.runtime.diffPolicy(candidate, { tenantId: ANY_TENANT });
        const moves = diff.moves.map((m) => [m.tenantId, m.resultType, m.from, m.to, m.count]).sort();
        assert.deepEqual(moves, [['acme', 'visual', 'persist', 'discard', 1], ['beta', 'visual', 'persist', 'discard', 1]], JSON.stringify(diff.moves));
      }
      const report = await t.runtime.applyPolicy(await loadPolicyResolver({ solution: candidateYaml, platform: platformYaml }), { retroactive: true });
      assert.deepEqual([...report.deleted].sort(), [acme.visual!.artifactId, beta.visual!.artifactId].sort());
      assert.equal(report.checked, 3);
      const wf = await t.runtime.getArtifact(acme.workflow!.artifactId!, { tenantId: 'acme' });
      assert.equal(wf.deleted, null, "acme's own config still persists workflows");
      const again = byKey(await t.runtime.execute(intent('acme')));
      assert.equal(again.workflow!.decision, 'persist');
    } finally {
      await t.close();
    }
  });

  it('(3) the CLI applying a runtime-only candidate keeps the active policy\'s attached configs: nothing acme persists is deleted', { skip: TEST_DRIVER === 'postgres' ? 'the CLI runs on the embedded store here' : false }, async () => {
    const dataDir = join(dir, 'cli-apply');
    const { SYMPHAINY_PLATFORM_POLICY: _p, SYMPHAINY_RUNTIME_CONFIG: _r, ...env } = process.env;
    const cli = (args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, [join(root, 'bin/symphainy.js'), '--data-dir', dataDir, ...args], { cwd: root, env }, (err, out, errOut) =>
          err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
        ),
      );
    // The set with acme's and bot's configs is made active; a run follows it.
    await cli(['--platform-policy', platformYaml, 'policy', 'apply', '--config', runtimeYaml]);
    const run = JSON.parse(await cli(['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--session', 's', '--params', JSON.stringify({ sop_text: SOP_TEXT }), '--json']));
    const workflow = run.artifacts.find((a: { key: string }) => a.key === 'workflow');
    assert.equal(workflow.decision, 'persist', JSON.stringify(workflow));
    // A candidate runtime config alone (no platform policy): acme's own config still decides its workflows.
    const candidateYaml = join(dir, 'cli-candidate.yaml');
    await writeFile(candidateYaml, 'materialization_policy:\n  visual: discard\n  workflow: discard\n');
    const diff = JSON.parse(await cli(['policy', 'diff', '--config', candidateYaml, '--json']));
    assert.ok(!diff.moves.some((m: { tenantId: string; resultType: string }) => m.tenantId === 'acme' && m.resultType === 'workflow'), JSON.stringify(diff.moves));
    const applied = JSON.parse(await cli(['policy', 'apply', '--config', candidateYaml, '--retroactive', '--json']));
    assert.ok(!applied.deleted.includes(workflow.artifactId), `acme's workflow deleted: ${JSON.stringify(applied)}`);
    const after = JSON.parse(await cli(['policy', 'explain', '--tenant', 'acme', '--result-type', 'workflow', '--json']));
    assert.deepEqual([after.result.decision, after.result.config], ['persist', 'tenant:acme']);
  });

  it('(2, 3) over HTTP: explain takes solutionId and answers for the caller\'s tenant; diff keeps the attached configs', async () => {
    const server = await startTestServer({ runtime: { solutionConfig: runtimeYaml, platformPolicy: platformYaml } });
    try {
      const acmeKey = await server.tenant('acme');
      const betaKey = await server.tenant('beta');
      const explain = async (key: string, json: Record<string, unknown>) => {
        const res = await server.call('/v1/policy/explain', { key, method: 'POST', json });
        assert.equal(res.status, 200);
        return (await res.json()) as { result: { decision: string; config?: string } };
      };
      assert.deepEqual((await explain(acmeKey, { resultType: 'workflow' })).result.config, 'tenant:acme');
      assert.deepEqual((await explain(acmeKey, { resultType: 'visual' })).result.config, 'runtime');
      const bot = (await explain(betaKey, { resultType: 'visual', solutionId: 'bot' })).result;
      assert.deepEqual([bot.decision, bot.config], ['cache', 'solution:bot']);
      const run = await server.call('/v1/intents', { key: acmeKey, method: 'POST', json: { intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: SOP_TEXT } } });
      assert.equal(run.status, 200);
      // A candidate runtime config that does not name workflow: acme's own config still decides.
      const diff = await server.call('/v1/admin/policy/diff', { key: ADMIN_KEY, method: 'POST', json: { solution: { materialization_policy: { visual: 'persist' } } } });
      assert.equal(diff.status, 200);
      const body = (await diff.json()) as { moves: unknown[]; scanned: number };
      assert.deepEqual([body.scanned, body.moves], [2, []]);
    } finally {
      await server.close();
    }
  });

  it('(7) the retroactive report counts each stored artifact once: a promoted one is not counted twice, a held one listed once', async () => {
    const cached = parseSolutionConfig({ materialization_policy: { workflow: 'persist', visual: { decision: 'cache', cache_ttl: '1h', promote: true } } });
    const t = await testRuntime({ solutionConfig: cached });
    try {
      const run = byKey(await t.runtime.execute(intent('acme')));
      const kept = await t.runtime.keepCached((run.visual as Outcome & { cacheId: string }).cacheId, { tenantId: 'acme' });
      assert.equal(kept.kept, true);
      await t.runtime.holdArtifact(kept.artifactId!, { tenantId: 'acme' }, 'litigation');
      const report = await t.runtime.applyPolicy(await parseSolutionConfigPolicy(), { retroactive: true });
      assert.equal(report.checked, 2, 'two stored artifacts: the workflow and the promoted visual');
      assert.deepEqual(report.held, [{ artifactId: kept.artifactId, reason: 'litigation' }]);
      assert.deepEqual(report.deleted, [run.workflow!.artifactId]);
    } finally {
      await t.close();
    }
  });
});

/** A policy that discards workflows and visuals. */
function parseSolutionConfigPolicy() {
  return loadPolicyResolver({ solution: parseSolutionConfig({ materialization_policy: { workflow: 'discard', visual: 'discard' } }) });
}
