import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { defineRealm, WalRecordType } from '../../src/index.ts';
import { MVP_CONFIG, testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { journalRows, leaseOf, until } from './helpers.ts';

// What each step's function did, per test key: the proof that a journaled step does not run again.
const runs = new Map<string, number>();
const count = (k: string) => runs.set(k, (runs.get(k) ?? 0) + 1).get(k)!;
const failOnce = new Set<string>();
const changed = new Set<string>();

const params = z.strictObject({ key: z.string(), resultType: z.string().optional() });
const realm = defineRealm({
  name: 'steps',
  intents: {
    // a, then b (fails the first time it runs: the attempt fails after a was journaled), then the artifact.
    two: {
      params,
      retryPolicy: { maximumAttempts: 3, initialInterval: 10 },
      async handler(p, ctx) {
        const a = await ctx.step('a', () => ({ n: count(`${p.key}:a`), at: new Date(0) }), p.resultType ? { resultType: p.resultType } : {});
        const b = await ctx.step('b', () => {
          const n = count(`${p.key}:b`);
          if (!failOnce.has(p.key)) {
            failOnce.add(p.key);
            throw new Error('b fails once');
          }
          return n;
        });
        const again = await ctx.step('a', () => count(`${p.key}:a2`));
        return { artifacts: { out: { resultType: 'sop', semanticPayload: { a, b, again } } } };
      },
    },
    // The second attempt reaches another step than the journal recorded first.
    drift: {
      params,
      retryPolicy: { maximumAttempts: 3, initialInterval: 10 },
      async handler(p, ctx) {
        if (!changed.has(p.key)) {
          changed.add(p.key);
          await ctx.step('draft', () => 1);
          throw new Error('first attempt fails after its step');
        }
        await ctx.step('outline', () => 2);
        return { artifacts: {} };
      },
    },
    retried: {
      params,
      async handler(p, ctx) {
        const v = await ctx.step('flaky', () => {
          if (count(`${p.key}:flaky`) < 3) throw new Error('not yet');
          return 'ok';
        }, { retry: { maximumAttempts: 3, initialInterval: '1ms' } });
        return { artifacts: {}, events: [{ type: 'flaky.done', data: { v } }] };
      },
    },
  },
});

describe('durable steps: ctx.step', () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [realm], solutionConfig: MVP_CONFIG });
  });
  after(() => t.close());

  test('a retried execution replays its completed steps from the journal instead of running them again', async () => {
    const s = await t.runtime.submit({ intentType: 'steps.two', tenantId: 'acme', sessionId: 's', parameters: { key: 'k1' } });
    const worker = t.runtime.startWorker({ concurrency: 1, pollIntervalMs: 20 });
    const e = await t.runtime.waitForExecution(s.executionId, { tenantId: 'acme' });
    await worker.stop();
    assert.equal(e.status, 'completed');
    assert.equal(e.attempts, 2);
    assert.equal(runs.get('k1:a'), 1, 'step a ran once, though the handler ran twice');
    assert.equal(runs.get('k1:b'), 2, 'step b failed the first time, so it ran again');
    assert.equal(runs.get('k1:a2'), 1);
    // What the first run got is what the journal returns: JSON (the date became a string).
    const sem = (e.state as { semantic: Record<string, { payload: unknown }> }).semantic.out!.payload;
    assert.deepEqual(sem, { a: { n: 1, at: '1970-01-01T00:00:00.000Z' }, b: 2, again: 1 });
    // Step results are derived data: the default policy discards them at completion, each a recorded decision.
    assert.deepEqual(await journalRows(t.db, s.executionId), []);
    const decisions = (await t.runtime.listWal({ tenantId: 'acme', executionId: s.executionId }))
      .filter((r) => r.recordType === WalRecordType.GOVERNANCE_DECISION && String(r.payload.artifactKey).startsWith('step:'));
    assert.deepEqual(decisions.map((r) => [r.payload.artifactKey, r.payload.resultType, r.payload.decision]), [
      ['step:a#1', 'step', 'discard'], ['step:b#1', 'step', 'discard'], ['step:a#2', 'step', 'discard'],
    ]);
    const explained = await t.runtime.explainExecution(s.executionId, { tenantId: 'acme' });
    assert.ok(explained.artifacts.some((a) => a.artifactKey === 'step:a#1' && a.recorded.decision === 'discard'));
  });

  test("a step's resultType puts its result under the policy: a persisted one stays in the journal", async () => {
    // The MVP config persists `workflow`.
    const s = await t.runtime.submit({ intentType: 'steps.two', tenantId: 'acme', sessionId: 's', parameters: { key: 'k2', resultType: 'workflow' } });
    const worker = t.runtime.startWorker({ concurrency: 1, pollIntervalMs: 20 });
    const e = await t.runtime.waitForExecution(s.executionId, { tenantId: 'acme' });
    await worker.stop();
    assert.equal(e.status, 'completed');
    const kept = await journalRows(t.db, s.executionId);
    assert.deepEqual(kept.map((r) => [r.name, r.status]), [['a', 'done']]);
    const wal = await t.runtime.listWal({ tenantId: 'acme', executionId: s.executionId });
    const a = wal.find((r) => r.payload.artifactKey === 'step:a#1')!;
    assert.equal(a.payload.decision, 'persist');
    assert.deepEqual(a.payload.outcome, { stored: true, journaled: true });
  });

  test('a handler whose step sequence changed between attempts fails with SYM_ERR_STEP_SEQUENCE, not retried', async () => {
    const s = await t.runtime.submit({ intentType: 'steps.drift', tenantId: 'acme', sessionId: 's', parameters: { key: 'd1' } });
    const worker = t.runtime.startWorker({ concurrency: 1, pollIntervalMs: 20 });
    const e = await t.runtime.waitForExecution(s.executionId, { tenantId: 'acme' });
    await worker.stop();
    assert.equal(e.status, 'failed');
    assert.equal(e.attempts, 2);
    assert.equal(e.error?.code, 'SYM_ERR_STEP_SEQUENCE');
    assert.match(e.error!.message, /durable operation #1 is step 'outline' \(occurrence 1\), but the journal recorded step 'draft' \(occurrence 1\)/);
  });

  test("a step's own retry policy retries it in the same run", async () => {
    const r = await t.runtime.execute({ intentType: 'steps.retried', tenantId: 'acme', sessionId: 's', parameters: { key: 'r1' } });
    assert.equal(r.status, 'completed');
    assert.equal(runs.get('r1:flaky'), 3);
    assert.equal(r.events.find((ev) => ev.eventType === 'flaky.done')?.payload && (r.events.find((ev) => ev.eventType === 'flaky.done')!.payload as { v: string }).v, 'ok');
  });

  test('concurrent executions with steps share group-commit batches and all complete once', async () => {
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) =>
      t.runtime.execute({ intentType: 'steps.retried', tenantId: 'acme', sessionId: 's', parameters: { key: `c${i}` } })));
    assert.deepEqual(results.map((r) => r.status), results.map(() => 'completed'));
    assert.deepEqual(new Set(results.map((r) => r.executionId)).size, 24);
  });

  test('bad step options are refused naming the field', async () => {
    const bad = defineRealm({
      name: 'badsteps',
      intents: { go: { async handler(_p, ctx) { await ctx.step('x', () => 1, { retry: { maximumAttempts: 0 } }); return { artifacts: {} }; } } },
    });
    t.runtime.registerRealm(bad);
    const r = await t.runtime.execute({ intentType: 'badsteps.go', tenantId: 'acme', sessionId: 's', parameters: {} });
    assert.equal(r.status, 'failed');
    assert.equal(r.error?.code, 'SYM_ERR_CONFIG');
    assert.match(r.error!.message, /step 'x' retry/);
    void leaseOf; void until;
  });

  test('a step result JSON cannot keep exactly is refused naming the step and the key; a step without a function is refused', async () => {
    const results: Record<string, () => unknown> = {
      fn: () => ({ ok: 1, f: () => 1 }),
      nan: () => ({ n: Number.NaN }),
      big: () => [1n],
      hole: () => [1, undefined],
    };
    t.runtime.registerRealm(defineRealm({
      name: 'jsonsteps',
      intents: {
        go: {
          params: z.strictObject({ which: z.string() }),
          async handler(p, ctx) {
            if (p.which === 'nofn') await (ctx.step as (name: string) => Promise<unknown>)('x');
            else await ctx.step('x', results[p.which]!);
            return { artifacts: {} };
          },
        },
      },
    }));
    const run = (which: string) => t.runtime.execute({ intentType: 'jsonsteps.go', tenantId: 'acme', sessionId: 's', parameters: { which } });
    for (const [which, said] of [['fn', /key "f" is a function/], ['nan', /key "n" is NaN/], ['big', /item 0 is a bigint/], ['hole', /item 1 is undefined/]] as const) {
      const r = await run(which);
      assert.equal(r.status, 'failed', which);
      assert.equal(r.error?.code, 'SYM_ERR_REALM_RESULT', which);
      assert.match(r.error!.message, /step 'x' returned a value JSON cannot represent exactly/);
      assert.match(r.error!.message, said);
    }
    const nofn = await run('nofn');
    assert.equal(nofn.error?.code, 'SYM_ERR_CONFIG');
    assert.match(nofn.error!.message, /step 'x': the second argument must be the function to run, got undefined/);
  });
});
