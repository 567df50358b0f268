import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError, parseSolutionConfig } from '../../src/index.ts';
import { SOP_TEXT, testRuntime } from '../support/test-runtime.ts';
import { uid } from './helpers.ts';

const CACHED = parseSolutionConfig({
  name: 'cached',
  materialization_policy: { workflow: { decision: 'cache', cache_ttl: '1h' }, visual: { decision: 'cache', cache_ttl: '1h', promote: true } },
});

describe('keeping a cached artifact (promotion)', () => {
  it('the policy decides: a type with promote is persisted and leaves the cache, one without stays cached; both decisions are recorded', async () => {
    const t = await testRuntime({ solutionConfig: CACHED });
    try {
      const tenantId = uid('keep');
      const result = await t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });
      const cacheIdOf = (key: string) => result.artifacts.find((a) => a.key === key)!.cacheId!;

      const kept = await t.runtime.keepCached(cacheIdOf('visual'), { tenantId });
      assert.equal(kept.kept, true);
      assert.match(kept.reason, /solution config 'cached' .* allows promoting 'visual'/);
      const artifact = await t.runtime.getArtifact(kept.artifactId!, { tenantId });
      assert.deepEqual([artifact.decision, artifact.layer, artifact.executionId], ['persist', 'solution', result.executionId]);
      const cached = (await t.runtime.getCached({ tenantId, sessionId: 's' })).map((e) => e.artifactKey);
      assert.deepEqual(cached, ['workflow'], 'the promoted entry left the cache');
      const original = (await t.runtime.getCached({ tenantId, cacheId: cacheIdOf('workflow') }))[0]!;
      assert.deepEqual((await t.runtime.readRendering(kept.artifactId!, artifact.renderings[0]!.name, { tenantId })).bytes.byteLength > 0, true);

      const refused = await t.runtime.keepCached(cacheIdOf('workflow'), { tenantId });
      assert.equal(refused.kept, false);
      assert.match(refused.reason, /no layer allows promoting 'workflow'/);
      assert.equal((await t.runtime.getCached({ tenantId, cacheId: original.cacheId })).length, 1, 'still cached');

      const requests = (await t.runtime.listWal({ tenantId, recordType: 'governance_decision' })).filter((r) => r.payload.request);
      assert.deepEqual(requests.map((r) => [r.payload.artifactKey, r.payload.decision]), [['visual', 'persist'], ['workflow', 'cache']]);
      assert.ok((await t.runtime.verifyWal({ tenantId })).every((r) => r.ok));

      await assert.rejects(t.runtime.keepCached(cacheIdOf('workflow'), { tenantId: 'someone-else' }), NotFoundError);
      await assert.rejects(t.runtime.keepCached(cacheIdOf('visual'), { tenantId }), NotFoundError, 'no longer cached');
    } finally {
      await t.close();
    }
  });

  it('a governance rule cannot be overridden by a request', async () => {
    const t = await testRuntime({ solutionConfig: CACHED, governance: [{ id: 'visuals-short', match: { resultType: ['visual'] }, decision: 'cache', ttlSeconds: 60 }] });
    try {
      const tenantId = uid('gov');
      const result = await t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });
      const r = await t.runtime.keepCached(result.artifacts.find((a) => a.key === 'visual')!.cacheId!, { tenantId });
      assert.equal(r.kept, false);
      assert.match(r.reason, /governance rule 'visuals-short' decides cache for 'visual'; a request cannot override it/);
    } finally {
      await t.close();
    }
  });
});
