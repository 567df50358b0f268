import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRuntime, FsBlobStore, NotFoundError, type GovernanceRule } from '../../src/index.ts';
import { exampleRealms } from '../../src/examples/realms.ts';
import { SOP_TEXT, silentLogger, testRuntime } from '../support/test-runtime.ts';
import { uid } from './helpers.ts';

const KEEP_WORKFLOWS: GovernanceRule[] = [
  { id: 'keep-journey-workflows', match: { resultType: ['workflow'], intentType: 'journey.*' }, decision: 'persist', retentionSeconds: 86_400 },
];

describe('explaining a recorded execution', () => {
  it("shows each artifact's recorded decision, inputs and every layer's verdict under the policy that decided, even after the policy changed", async () => {
    const t = await testRuntime({ governance: KEEP_WORKFLOWS });
    try {
      const tenantId = uid('acme');
      const result = await t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });
      await t.runtime.close();
      // A later runtime with another policy (no governance rules) on the same store.
      const later = await createRuntime({ db: t.db, blobStore: new FsBlobStore({ root: t.blobRoot, fsync: false }), realms: exampleRealms, logger: silentLogger });
      try {
        assert.notEqual(later.policy.version, result.policyVersion);
        const explained = await later.explainExecution(result.executionId, { tenantId });
        const workflow = explained.artifacts.find((a) => a.artifactKey === 'workflow')!;
        assert.deepEqual(
          { decision: workflow.recorded.decision, layer: workflow.recorded.layer, ruleId: workflow.recorded.ruleId, retentionSeconds: workflow.recorded.retentionSeconds, policyVersion: workflow.recorded.policyVersion },
          { decision: 'persist', layer: 'governance', ruleId: 'keep-journey-workflows', retentionSeconds: 86_400, policyVersion: result.policyVersion },
        );
        assert.deepEqual(
          { resultType: workflow.inputs!.resultType, tenantId: workflow.inputs!.tenantId, intentType: workflow.inputs!.intentType, realm: workflow.inputs!.realm },
          { resultType: 'workflow', tenantId, intentType: 'journey.sop_to_workflow', realm: 'journey' },
        );
        assert.equal(typeof workflow.inputs!.sizeBytes, 'number');
        assert.deepEqual(workflow.chain!.map((v) => `${v.layer}:${v.decision ?? '-'}`), ['platform:-', 'governance:persist', 'solution:-', 'default:discard', 'fallback:discard']);
        assert.equal(workflow.note, undefined);
        const visual = explained.artifacts.find((a) => a.artifactKey === 'visual')!;
        assert.equal(visual.recorded.layer, 'default');
        assert.match(visual.chain!.find((v) => v.layer === 'governance')!.said, /no governance rule covers 'visual'/);

        // Another tenant's execution is not found; a policy the store never kept is said so, not guessed.
        await assert.rejects(later.explainExecution(result.executionId, { tenantId: 'someone-else' }), NotFoundError);
        await t.db.query('DELETE FROM symphainy.policy_versions WHERE policy_version = $1', [result.policyVersion]);
        const fresh = await createRuntime({ db: t.db, blobStore: new FsBlobStore({ root: t.blobRoot, fsync: false }), realms: exampleRealms, logger: silentLogger });
        try {
          const unknown = (await fresh.explainExecution(result.executionId, { tenantId })).artifacts[0]!;
          assert.equal(unknown.chain, null);
          assert.match(unknown.note!, /is not stored/);
        } finally {
          await fresh.close();
        }
      } finally {
        await later.close();
      }
    } finally {
      await t.close();
    }
  });

  it('after erasure: every recorded decision is still explained (decision, layer, reason, retention), its erased inputs are said to be erased', async () => {
    const t = await testRuntime({ governance: KEEP_WORKFLOWS });
    try {
      const tenantId = uid('acme');
      const result = await t.runtime.execute({ intentType: 'journey.sop_to_workflow', tenantId, sessionId: 's', parameters: { sop_text: SOP_TEXT } });
      const before = await t.runtime.explainExecution(result.executionId, { tenantId });
      const erasure = await t.runtime.erase({ tenantId, sessionId: 's' });
      assert.deepEqual(erasure.executions, [result.executionId]);
      const after = await t.runtime.explainExecution(result.executionId, { tenantId });
      assert.equal(after.artifacts.length, before.artifacts.length);
      for (const a of after.artifacts) {
        const was = before.artifacts.find((b) => b.artifactKey === a.artifactKey)!;
        const { recordedAt: _at, seq: _seq, ...recorded } = was.recorded;
        assert.deepEqual({ ...a.recorded, recordedAt: undefined, seq: undefined }, { ...recorded, recordedAt: undefined, seq: undefined }, a.artifactKey);
        assert.equal(a.resultType, was.resultType);
        assert.equal(a.inputs, null, 'its inputs are gone with the erasure');
        assert.equal(a.chain, null);
        assert.match(a.note!, new RegExp(`inputs were erased \\(erasure ${erasure.erasureId}\\)`));
      }
    } finally {
      await t.close();
    }
  });
});
