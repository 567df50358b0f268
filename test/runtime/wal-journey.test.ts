import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ANY_TENANT, type ExecutionResult, type WalRecord } from '../../src/index.ts';
import { MVP_CONFIG, SOP_TEXT, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { example, journeyOf, uid } from './helpers.ts';

describe('the write-ahead log of executions', () => {
  let t: TestRuntime;
  const tenantId = uid('wal');
  const other = uid('other');
  let results: ExecutionResult[];
  let otherResult: ExecutionResult;

  before(async () => {
    t = await testRuntime({ solutionConfig: MVP_CONFIG });
    const intents = [
      { intentType: 'journey.sop_to_workflow', parameters: { sop_text: SOP_TEXT } },
      { intentType: 'journey.workflow_to_sop', parameters: await example('workflow_to_sop') },
      { intentType: 'outcomes.create_roadmap', parameters: await example('create_roadmap') },
      { intentType: 'outcomes.create_poc', parameters: await example('create_poc') },
      { intentType: 'outcomes.create_blueprint', parameters: await example('create_blueprint') },
      { intentType: 'solution.compose', parameters: await example('compose_solution') },
    ];
    // Concurrently, twice over: executions interleave on the one embedded connection.
    results = await Promise.all(
      [...intents, ...intents].map((i, n) => t.runtime.execute({ ...i, tenantId, sessionId: `s${n % 2}` })),
    );
    otherResult = await t.runtime.execute({ ...intents[0]!, tenantId: other, sessionId: 's0' });
  });
  after(() => t?.close());

  it('every execution completed', () => {
    assert.equal(results.length, 12);
    assert.ok(results.every((r) => r.status === 'completed'), JSON.stringify(results.map((r) => r.error)));
    assert.equal(new Set(results.map((r) => r.executionId)).size, 12);
  });

  it('holds exactly: one intent, accepted→running, running→materializing, one decision per artifact, materializing→completed', async () => {
    for (const r of results) {
      const wal = await t.runtime.listWal({ tenantId, executionId: r.executionId });
      const n = r.artifacts.length;
      assert.deepEqual(wal.map((w) => w.recordType), [
        'intent',
        'state_transition',
        'state_transition',
        ...Array<string>(n).fill('governance_decision'),
        'state_transition',
      ]);
      assert.deepEqual(journeyOf(wal), ['accepted→running', 'running→materializing', 'materializing→completed']);
      for (let i = 1; i < wal.length; i++) assert.ok(wal[i]!.seq > wal[i - 1]!.seq, 'seq increases');
      for (const w of wal) {
        assert.equal(w.tenantId, tenantId);
        assert.equal(w.executionId, r.executionId);
        assert.equal(w.intentId, r.intentId);
        assert.ok(!Number.isNaN(Date.parse(w.recordedAt)));
      }

      const intent = wal[0]!.payload.intent as { intentId: string; intentType: string; parameters: unknown };
      assert.equal(intent.intentId, r.intentId);
      assert.equal(intent.intentType, r.intentType);
      assert.equal(wal[0]!.payload.realm, r.intentType.split('.')[0]);

      const decisions = wal.filter((w) => w.recordType === 'governance_decision');
      assert.deepEqual(decisions.map((d) => d.payload.artifactKey), r.artifacts.map((a) => a.key));
      for (const d of decisions) {
        const o = r.artifacts.find((a) => a.key === d.payload.artifactKey)!;
        assert.equal(d.payload.decision, o.decision);
        assert.equal(d.payload.layer, o.layer);
        assert.equal(d.payload.reason, o.reason);
        assert.equal(d.payload.policyVersion, t.runtime.policy.version);
        assert.deepEqual(d.payload.outcome, { stored: true, artifactId: o.artifactId, storagePath: o.storagePath });
        assert.equal((d.payload.lineage as { executionId: string }).executionId, r.executionId);
      }
    }
  });

  it('filters by execution and record type, and pages with afterSeq', async () => {
    const all = await t.runtime.listWal({ tenantId });
    const expectedCount = results.reduce((sum, r) => sum + 4 + r.artifacts.length, 0);
    assert.equal(all.length, expectedCount);
    const one = results[3]!;
    const filtered = await t.runtime.listWal({ tenantId, executionId: one.executionId });
    assert.deepEqual(filtered, all.filter((w) => w.executionId === one.executionId));
    const intents = await t.runtime.listWal({ tenantId, recordType: 'intent' });
    assert.deepEqual(intents.map((w) => w.intentId).sort(), results.map((r) => r.intentId).sort());

    const pages: WalRecord[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await t.runtime.listWal({ tenantId, afterSeq, limit: 7 });
      if (page.length === 0) break;
      assert.ok(page.length <= 7);
      pages.push(...page);
      afterSeq = page.at(-1)!.seq;
    }
    assert.deepEqual(pages, all);
  });

  it("another tenant's scope sees nothing of it", async () => {
    const otherWal = await t.runtime.listWal({ tenantId: other });
    assert.ok(otherWal.length > 0);
    assert.ok(otherWal.every((w) => w.tenantId === other && w.executionId === otherResult.executionId));
    for (const r of results) {
      assert.deepEqual(await t.runtime.listWal({ tenantId: other, executionId: r.executionId }), []);
    }
    const everything = await t.runtime.listWal({ tenantId: ANY_TENANT, limit: 10_000 });
    assert.equal(everything.length, (await t.runtime.listWal({ tenantId })).length + otherWal.length);
  });

  it('a read without a tenant is refused instead of widened to every tenant', async () => {
    await assert.rejects(() => t.runtime.listWal({} as never), TypeError);
    await assert.rejects(() => t.runtime.listWal({ tenantId: '' }), TypeError);
  });
});
