import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mockModel, publishing } from '../../src/examples/index.ts';
import { MVP_CONFIG, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

describe('example realm: draft → approval → publish', () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [publishing], solutionConfig: MVP_CONFIG });
  });
  after(() => t.close());

  const draft = (brief: string) => t.runtime.execute({ intentType: 'publishing.draft_post', tenantId: 'acme', sessionId: 's', parameters: { brief } });

  test('the draft waits for approval; approved, the post is published; rejected, nothing is', async () => {
    const brief = 'announce the new durable steps of the runtime to every team';
    const a = await draft(brief);
    const r = await draft('a post nobody wants');
    assert.deepEqual([a.status, r.status], ['waiting', 'waiting']);
    const inbox = await t.runtime.listApprovals({ tenantId: 'acme' });
    assert.deepEqual(inbox.map((x) => x.summary).sort(), ['A post nobody wants', mockModel(brief).title].sort());
    await t.runtime.decideApproval(a.executionId, 'publish', { tenantId: 'acme' }, { decision: 'approve', by: 'editor', reason: 'good' });
    await t.runtime.decideApproval(r.executionId, 'publish', { tenantId: 'acme' }, { decision: 'reject', by: 'editor', reason: 'no' });
    const worker = t.runtime.startWorker({ concurrency: 2, pollIntervalMs: 20 });
    const [ea, er] = await Promise.all([a, r].map((x) => t.runtime.waitForExecution(x.executionId, { tenantId: 'acme' })));
    await worker.stop();
    const published = (ea!.result as { artifacts: { key: string; decision: string; artifactId?: string }[] }).artifacts;
    assert.deepEqual(published.map((p) => [p.key, p.decision]), [['post', 'persist']]);
    const text = await t.runtime.readRendering(published[0]!.artifactId!, 'markdown', { tenantId: 'acme' });
    assert.equal(Buffer.from(text.bytes).toString('utf8'), mockModel(brief).text);
    assert.deepEqual((er!.result as { artifacts: unknown[] }).artifacts, []);
    const explained = await t.runtime.explainExecution(a.executionId, { tenantId: 'acme' });
    assert.deepEqual(explained.approvals.map((x) => [x.decision, x.by, x.reason]), [['approved', 'editor', 'good']]);
    assert.ok(explained.artifacts.some((x) => x.artifactKey === 'step:draft#1' && x.recorded.decision === 'discard'));
  });
});
