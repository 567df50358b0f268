import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DurableRun } from '../../src/execution/durable-run.ts';
import type { ExecutionWriter } from '../../src/execution/execution-writer.ts';
import type { StepAt } from '../../src/execution/step-hooks.ts';
import type { StepJournal } from '../../src/store/step-journal.ts';

// The seam with model budgets: beforeStep is asked before a step that must run, never for a journaled one.
test('stepHooks.beforeStep is called before each step without a journaled result; a rejection stops the step before it runs', async () => {
  const asked: StepAt[] = [];
  const journal = {
    load: async () => [{ executionId: 'e1', tenantId: 't', seq: 0, name: 'draft', occurrence: 1, kind: 'step', status: 'done', result: 'old', resultType: 'step', detail: null, due: false }],
  } as unknown as StepJournal;
  const writer = { write: async () => 'written' } as unknown as ExecutionWriter;
  const intent = { intentId: 'i', intentType: 'x.y', tenantId: 't', sessionId: 's', parameters: {}, createdAt: '' };
  const run = new DurableRun({
    db: null as never, stepJournal: journal,
    stepHooks: { beforeStep: async (at) => { asked.push(at); if (at.step === 'publish') throw new Error('over budget'); } },
  }, writer, { intent, executionId: 'e1', lease: null });
  let ran = 0;
  assert.equal(await run.step('draft', () => { ran++; return 'new'; }), 'old');
  assert.equal(await run.step('draft', () => { ran++; return 'second'; }), 'second');
  await assert.rejects(run.step('publish', () => { ran++; return 1; }), /over budget/);
  assert.equal(ran, 1, 'the journaled step and the refused step did not run');
  assert.deepEqual(asked, [
    { executionId: 'e1', tenantId: 't', intentType: 'x.y', step: 'draft', occurrence: 2 },
    { executionId: 'e1', tenantId: 't', intentType: 'x.y', step: 'publish', occurrence: 1 },
  ]);
});
