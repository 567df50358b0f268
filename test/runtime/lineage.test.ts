import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ArtifactLineage, ExecutionResult } from '../../src/index.ts';
import { MVP_CONFIG, SOP_TEXT, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { example, uid } from './helpers.ts';

describe('lineage', () => {
  let t: TestRuntime;
  const tenantId = uid('lin');
  const sessionId = uid('s');
  let workflowRun: ExecutionResult;
  let workflowId: string;

  before(async () => {
    t = await testRuntime({ solutionConfig: MVP_CONFIG });
    workflowRun = await t.runtime.execute({
      intentType: 'journey.sop_to_workflow', tenantId, sessionId, parameters: { sop_text: SOP_TEXT },
    });
    workflowId = workflowRun.artifacts.find((a) => a.key === 'workflow')!.artifactId!;
    assert.ok(workflowId);
  });
  after(() => t?.close());

  const toSop = async (tenant: string, workflowArtifactId: string) =>
    t.runtime.execute({
      intentType: 'journey.workflow_to_sop', tenantId: tenant, sessionId,
      parameters: { ...(await example('workflow_to_sop')), workflow_artifact_id: workflowArtifactId },
    });

  it('an artifact produced from a persisted artifact names it as input, with its full provenance', async () => {
    const result = await toSop(tenantId, workflowId);
    assert.equal(result.status, 'completed');
    const sop = result.artifacts.find((a) => a.key === 'sop')!;
    const record = await t.runtime.getArtifact(sop.artifactId!, { tenantId });
    const expected: ArtifactLineage = {
      tenantId,
      sessionId,
      intentId: result.intentId,
      intentType: 'journey.workflow_to_sop',
      executionId: result.executionId,
      realm: 'journey',
      inputArtifactIds: [workflowId],
    };
    assert.deepEqual(record.lineage, expected);
    // The same lineage is in the governance decision record.
    const [decision] = await t.runtime.listWal({ tenantId, executionId: result.executionId, recordType: 'governance_decision' });
    assert.deepEqual(decision!.payload.lineage, expected);
  });

  it('the first artifacts of a chain have no inputs', async () => {
    const record = await t.runtime.getArtifact(workflowId, { tenantId });
    assert.deepEqual(record.lineage.inputArtifactIds, []);
    assert.equal(record.lineage.executionId, workflowRun.executionId);
    assert.equal(record.lineage.intentType, 'journey.sop_to_workflow');
  });

  it('ids anywhere in the parameters count, but only those that exist', async () => {
    const blueprint = await t.runtime.execute({
      intentType: 'outcomes.create_blueprint', tenantId, sessionId, parameters: await example('create_blueprint'),
    });
    const blueprintId = blueprint.artifacts[0]!.artifactId!;
    const missing = 'art_00000000-0000-4000-8000-000000000000';
    const composed = await t.runtime.execute({
      intentType: 'solution.compose', tenantId, sessionId,
      parameters: { name: 'Onboarding', blueprint_artifact_id: blueprintId, roadmap_artifact_id: missing, poc_artifact_id: workflowId },
    });
    const record = await t.runtime.getArtifact(composed.artifacts[0]!.artifactId!, { tenantId });
    assert.deepEqual([...record.lineage.inputArtifactIds].sort(), [blueprintId, workflowId].sort());
  });

  it("naming another tenant's artifact does not link (or reveal) it", async () => {
    const other = uid('other');
    const result = await toSop(other, workflowId);
    assert.equal(result.status, 'completed');
    const sop = result.artifacts.find((a) => a.key === 'sop')!;
    const record = await t.runtime.getArtifact(sop.artifactId!, { tenantId: other });
    assert.deepEqual(record.lineage.inputArtifactIds, []);
    assert.equal(record.lineage.tenantId, other);
  });
});
