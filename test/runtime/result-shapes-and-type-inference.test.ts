import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ANY_TENANT,
  createRuntime,
  defineRealm,
  parseSolutionConfig,
  PolicyConfigError,
  rendering,
  type ArtifactOutcome,
  type ExecutionResult,
  type RuntimeOptions,
} from '../../src/index.ts';
import { MVP_CONFIG, silentLogger, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { count, filesUnder, stateOf, uid } from './helpers.ts';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>';

const shapes = defineRealm({
  name: 'shapes',
  intents: {
    legacy_known_key: {
      handler: () => ({ artifacts: { workflow: { steps: ['open', 'close'], semantic_payload: { step_count: 2 } } } }),
    },
    legacy_own_type: {
      handler: () => ({ artifacts: { report: { result_type: 'poc', body: 'try it' } } }),
    },
    structured_camel: {
      handler: () => ({
        artifacts: {
          summary: {
            resultType: 'sop',
            semanticPayload: { words: 3 },
            renderings: { markdown: rendering('# Do it', 'text/markdown'), data: { a: 1 } },
          },
        },
      }),
    },
    structured_snake: {
      handler: () => ({
        artifacts: { plan: { result_type: 'roadmap', semantic_payload: { phases: 1 }, renderings: { text: 'phase one' } } },
      }),
    },
    key_beats_own_type: {
      handler: () => ({ artifacts: { visual: { resultType: 'sop', semanticPayload: { k: 1 }, renderings: { svg: SVG } } } }),
    },
    unknown: {
      handler: () => ({ artifacts: { notes: { text: 'scratch' }, scribble: { renderings: { txt: 'x' } } } }),
    },
    platform_native: {
      handler: () => ({
        artifacts: {
          trail: { resultType: 'journey', semanticPayload: { steps: 2 }, renderings: { json: { steps: ['a', 'b'] } } },
          workflow: { resultType: 'workflow', semanticPayload: { n: 1 }, renderings: { md: 'one' } },
        },
      }),
    },
  },
});

function only(result: ExecutionResult, key: string): ArtifactOutcome {
  assert.equal(result.status, 'completed', JSON.stringify(result.error));
  const o = result.artifacts.find((a) => a.key === key);
  assert.ok(o, `no artifact '${key}'`);
  return o;
}

describe('result shapes and result type inference (MVP config)', () => {
  let t: TestRuntime;
  const tenantId = uid('shape');
  const run = (intent: string) => t.runtime.execute({ intentType: `shapes.${intent}`, tenantId, sessionId: 's', parameters: {} });
  before(async () => {
    t = await testRuntime({ realms: [shapes], solutionConfig: MVP_CONFIG });
  });
  after(() => t?.close());

  it('legacy: a known key is the type; everything but semantic_payload is one JSON rendering named after the key', async () => {
    const result = await run('legacy_known_key');
    const o = only(result, 'workflow');
    assert.equal(o.resultType, 'workflow');
    assert.equal(o.decision, 'persist');
    assert.deepEqual(o.renderings, ['workflow']);
    assert.deepEqual(o.semanticPayload, { step_count: 2 });
    const read = await t.runtime.readRendering(o.artifactId!, 'workflow', { tenantId });
    assert.equal(read.contentType, 'application/json');
    assert.deepEqual(JSON.parse(Buffer.from(read.bytes).toString('utf8')), { steps: ['open', 'close'] });
    assert.deepEqual(stateOf(await t.runtime.getExecution(result.executionId, { tenantId })).semantic.workflow, {
      resultType: 'workflow',
      payload: { step_count: 2 },
    });
  });

  it("legacy: an unknown key takes the artifact's own result_type", async () => {
    const o = only(await run('legacy_own_type'), 'report');
    assert.equal(o.resultType, 'poc');
    assert.equal(o.decision, 'persist');
    assert.equal(o.semanticPayload, null);
  });

  it('structured camelCase: resultType, semanticPayload and named renderings with their content types', async () => {
    const result = await run('structured_camel');
    const o = only(result, 'summary');
    assert.equal(o.resultType, 'sop');
    assert.equal(o.decision, 'persist');
    assert.deepEqual(o.semanticPayload, { words: 3 });
    const md = await t.runtime.readRendering(o.artifactId!, 'markdown', { tenantId });
    assert.equal(md.contentType, 'text/markdown');
    assert.equal(Buffer.from(md.bytes).toString('utf8'), '# Do it');
    const data = await t.runtime.readRendering(o.artifactId!, 'data', { tenantId });
    assert.equal(data.contentType, 'application/json');
    assert.deepEqual(JSON.parse(Buffer.from(data.bytes).toString('utf8')), { a: 1 });
    const state = stateOf(await t.runtime.getExecution(result.executionId, { tenantId }));
    assert.deepEqual(state.semantic.summary, { resultType: 'sop', payload: { words: 3 } });
    assert.equal(state.references.summary_artifact_id, o.artifactId);
  });

  it('structured snake_case: result_type and semantic_payload', async () => {
    const o = only(await run('structured_snake'), 'plan');
    assert.equal(o.resultType, 'roadmap');
    assert.deepEqual(o.semanticPayload, { phases: 1 });
    const text = await t.runtime.readRendering(o.artifactId!, 'text', { tenantId });
    assert.equal(text.contentType, 'text/plain; charset=utf-8');
    assert.equal(Buffer.from(text.bytes).toString('utf8'), 'phase one');
  });

  it("a known artifact key wins over the artifact's own resultType", async () => {
    const o = only(await run('key_beats_own_type'), 'visual');
    assert.equal(o.resultType, 'visual');
    assert.match(o.reason, /visual/);
    const svg = await t.runtime.readRendering(o.artifactId!, 'svg', { tenantId });
    assert.equal(svg.contentType, 'image/svg+xml');
  });

  it("nothing identifies the type → 'unknown', decided by the fallback layer: discarded even under the MVP config", async () => {
    const before = await filesUnder(t.blobRoot);
    const result = await run('unknown');
    for (const key of ['notes', 'scribble']) {
      const o = only(result, key);
      assert.equal(o.resultType, 'unknown');
      assert.equal(o.layer, 'fallback');
      assert.equal(o.decision, 'discard');
      assert.equal(o.artifactId, undefined);
      assert.equal(o.policyVersion, t.runtime.policy.version);
    }
    assert.deepEqual(await filesUnder(t.blobRoot), before);
    assert.deepEqual(await t.runtime.listArtifacts({ tenantId: result.tenantId, executionId: result.executionId }), []);
    const decisions = await t.runtime.listWal({ tenantId, executionId: result.executionId, recordType: 'governance_decision' });
    assert.deepEqual(decisions.map((d) => [d.payload.artifactKey, d.payload.resultType, d.payload.layer]).sort(), [
      ['notes', 'unknown', 'fallback'],
      ['scribble', 'unknown', 'fallback'],
    ]);
  });

  it("platform-native result types are persisted by the 'platform' layer", async () => {
    const result = await run('platform_native');
    const o = only(result, 'trail');
    assert.equal(o.resultType, 'journey');
    assert.equal(o.layer, 'platform');
    assert.equal(o.decision, 'persist');
    assert.equal(o.stored, true);
    const rows = await t.db.scoped(ANY_TENANT).query<{ layer: string }>('SELECT layer FROM symphainy.artifacts WHERE artifact_id = $1', [o.artifactId]);
    assert.deepEqual(rows, [{ layer: 'platform' }]);
  });
});

it('platform-native results stay persisted under a config and governance that discard everything else', async () => {
  const t = await testRuntime({
    realms: [shapes],
    solutionConfig: parseSolutionConfig({ materialization_policy: { workflow: 'discard', journey: 'persist' } }),
    governance: [{ id: 'discard-all', match: {}, decision: 'discard' }],
  });
  try {
    const tenantId = uid('plat');
    const result = await t.runtime.execute({ intentType: 'shapes.platform_native', tenantId, sessionId: 's', parameters: {} });
    const trail = only(result, 'trail');
    assert.equal(trail.layer, 'platform');
    assert.equal(trail.decision, 'persist');
    const read = await t.runtime.readRendering(trail.artifactId!, 'json', { tenantId });
    assert.deepEqual(JSON.parse(Buffer.from(read.bytes).toString('utf8')), { steps: ['a', 'b'] });
    // The governance rule does decide for derived types.
    const wf = only(result, 'workflow');
    assert.equal(wf.layer, 'governance');
    assert.equal(wf.decision, 'discard');
    assert.equal(wf.ruleId, 'discard-all');
    assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.artifacts'), 1);
  } finally {
    await t.close();
  }
});

describe('a configuration that tries to discard a platform-native record is refused by createRuntime', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-policy-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** createRuntime must reject; should it open, it is closed again so the test does not leak it. */
  async function refused(options: RuntimeOptions): Promise<PolicyConfigError> {
    let err: unknown;
    try {
      const rt = await createRuntime({ memory: true, logger: silentLogger, ...options });
      await rt.close();
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof PolicyConfigError, `expected PolicyConfigError, got ${String(err)}`);
    return err;
  }

  it('a YAML file with intent: discard', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'materialization_policy:\n  workflow: persist\n  intent: discard\n');
    const err = await refused({ solutionConfig: file });
    assert.match(err.message, /intent/);
    assert.match(err.message, /bad\.yaml:3/);
  });

  it('a hand-built SolutionConfig object', async () => {
    const err = await refused({
      solutionConfig: { source: 'inline', materializationPolicy: { state_transition: { decision: 'cache' } }, cacheTtlSeconds: 60 },
    });
    assert.match(err.message, /state_transition/);
  });

  it('a governance rule naming a platform-native type', async () => {
    const err = await refused({ governance: [{ id: 'no-journeys', match: { resultType: ['journey'] }, decision: 'discard' }] });
    assert.match(err.message, /journey/);
  });
});
