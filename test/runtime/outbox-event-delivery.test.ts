import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANY_TENANT, StoreError, type OutboxEvent } from '../../src/index.ts';
import { MVP_CONFIG, SOP_TEXT, testRuntime } from '../support/test-runtime.ts';
import { count, journeyOf, uid } from './helpers.ts';

const sop = (tenantId: string, intentId?: string) => ({
  ...(intentId ? { intentId } : {}),
  intentType: 'journey.sop_to_workflow',
  tenantId,
  sessionId: 's',
  parameters: { sop_text: SOP_TEXT },
});

describe('outbox delivery', () => {
  it('subscribers receive lifecycle and realm events after commit, with the eventIds of the result and listEvents', async () => {
    const t = await testRuntime({ solutionConfig: MVP_CONFIG });
    try {
      const tenantId = uid('ev');
      const seen: { event: OutboxEvent; status: string | undefined; artifactRows: number }[] = [];
      t.runtime.subscribe(async (event) => {
        // What is committed at delivery time.
        const rows = await t.db.scoped(ANY_TENANT).query<{ status: string }>('SELECT status FROM symphainy.executions WHERE execution_id = $1', [event.executionId]);
        const artifactRows = await count(t.db, 'SELECT count(*) AS n FROM symphainy.artifacts WHERE execution_id = $1', [event.executionId]);
        seen.push({ event, status: rows[0]?.status, artifactRows });
      }, { tenantId });
      const result = await t.runtime.execute(sop(tenantId));
      await t.runtime.flushEvents();

      const mine = seen.filter((s) => s.event.executionId === result.executionId);
      assert.deepEqual(mine.map((s) => s.event.eventType), ['execution.started', 'workflow.generated', 'execution.completed']);
      assert.deepEqual(mine.map((s) => s.event.source), ['runtime', 'realm', 'runtime']);
      assert.deepEqual(mine.map((s) => s.event.eventId), result.events.map((e) => e.eventId));
      assert.deepEqual(result.events.map((e) => e.eventType), ['execution.started', 'workflow.generated', 'execution.completed']);
      for (const s of mine) {
        assert.equal(s.event.tenantId, tenantId);
        assert.equal(s.event.sessionId, 's');
        assert.ok(s.status, `${s.event.eventType} was delivered before its execution row was committed`);
      }
      // The completion's events are delivered only once the completion (and its index rows) committed.
      for (const s of mine.slice(1)) {
        assert.equal(s.status, 'completed');
        assert.equal(s.artifactRows, 2);
      }
      const generated = mine[1]!.event.payload as { workflowId: string; stepCount: number };
      assert.equal(generated.stepCount, 4);
      const completed = mine[2]!.event.payload as { status: string; artifacts: { key: string; artifactId: string | null }[] };
      assert.equal(completed.status, 'completed');
      assert.deepEqual(
        completed.artifacts.map((a) => [a.key, a.artifactId]),
        result.artifacts.map((a) => [a.key, a.artifactId]),
      );

      const stored = await t.runtime.listEvents({ tenantId, executionId: result.executionId });
      assert.deepEqual(stored.map((e) => e.eventId), result.events.map((e) => e.eventId));
      assert.ok(stored.every((e) => e.publishedAt !== null), 'all marked published after flushEvents()');
      assert.ok(stored.every((e, i) => i === 0 || e.seq > stored[i - 1]!.seq));
      // Each event was delivered exactly once.
      assert.equal(new Set(mine.map((s) => s.event.eventId)).size, 3);
    } finally {
      await t.close();
    }
  });

  it('filters by tenant and event type; unsubscribe stops delivery', async () => {
    const t = await testRuntime();
    try {
      const a = uid('a');
      const b = uid('b');
      const tenantA: string[] = [];
      const lifecycle: string[] = [];
      const all: string[] = [];
      t.runtime.subscribe((e) => void tenantA.push(`${e.tenantId}:${e.eventType}`), { tenantId: a });
      t.runtime.subscribe((e) => void lifecycle.push(e.eventType), { tenantId: ANY_TENANT, eventTypes: ['execution.*'] });
      const stop = t.runtime.subscribe((e) => void all.push(e.eventType), { tenantId: ANY_TENANT });
      await t.runtime.execute(sop(a));
      await t.runtime.execute(sop(b));
      await t.runtime.flushEvents();
      assert.deepEqual(tenantA, [`${a}:execution.started`, `${a}:workflow.generated`, `${a}:execution.completed`]);
      assert.deepEqual(lifecycle, ['execution.started', 'execution.completed', 'execution.started', 'execution.completed']);
      assert.equal(all.length, 6);
      stop();
      await t.runtime.execute(sop(a));
      await t.runtime.flushEvents();
      assert.equal(all.length, 6);
      assert.equal(tenantA.length, 6);
    } finally {
      await t.close();
    }
  });

  it('a subscriber that throws does not stop the others, and its events still count as delivered', async () => {
    const t = await testRuntime();
    try {
      const tenantId = uid('throw');
      const after: string[] = [];
      let thrown = 0;
      t.runtime.subscribe(() => {
        thrown++;
        throw new Error('subscriber bug');
      }, { tenantId });
      t.runtime.subscribe(async () => {
        await Promise.reject(new Error('async subscriber bug'));
      }, { tenantId });
      t.runtime.subscribe((e) => void after.push(e.eventType), { tenantId });
      const result = await t.runtime.execute(sop(tenantId));
      await t.runtime.flushEvents();
      assert.equal(result.status, 'completed');
      assert.equal(thrown, 3);
      assert.deepEqual(after, ['execution.started', 'workflow.generated', 'execution.completed']);
      const stored = await t.runtime.listEvents({ tenantId });
      assert.ok(stored.length === 3 && stored.every((e) => e.publishedAt !== null));
    } finally {
      await t.close();
    }
  });

  it('a completion that fails to commit publishes no completion event, index row or governance decision', async () => {
    const t = await testRuntime({
      solutionConfig: MVP_CONFIG,
      faults: { beforeCompleteCommit: () => { throw new Error('crash'); } },
    });
    try {
      const tenantId = uid('crash');
      const delivered: OutboxEvent[] = [];
      t.runtime.subscribe((e) => void delivered.push(e), { tenantId: ANY_TENANT });
      const result = await t.runtime.execute(sop(tenantId));
      await t.runtime.flushEvents();

      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'SYM_ERR_STORE');
      assert.match(result.error!.message, /crash/);
      assert.deepEqual(result.artifacts, []);
      const e = await t.runtime.getExecution(result.executionId, { tenantId });
      assert.equal(e.status, 'failed');
      assert.equal(e.error?.code, 'SYM_ERR_STORE');

      const types = delivered.map((d) => d.eventType);
      assert.ok(!types.includes('execution.completed'), `delivered ${types.join(', ')}`);
      assert.ok(!types.includes('workflow.generated'), 'realm events belong to the rolled-back completion');
      assert.deepEqual(types, ['execution.started', 'execution.failed']);
      assert.deepEqual((await t.runtime.listEvents({ tenantId })).map((x) => x.eventType), ['execution.started', 'execution.failed']);

      assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.artifacts'), 0);
      assert.deepEqual(await t.runtime.listWal({ tenantId, recordType: 'governance_decision' }), []);
    } finally {
      await t.close();
    }
  });

  for (const point of ['beforeComplete', 'beforeCompleteCommit'] as const) {
    it(`the WAL journey stays a connected chain of transitions when the completion fails (${point})`, async () => {
      const t = await testRuntime({
        solutionConfig: MVP_CONFIG,
        faults: { [point]: () => { throw new Error('crash'); } },
      });
      try {
        const tenantId = uid('chain');
        const result = await t.runtime.execute(sop(tenantId));
        assert.equal(result.status, 'failed');
        const journey = journeyOf(await t.runtime.listWal({ tenantId, executionId: result.executionId }));
        // Every transition starts where the previous one ended, and the journey ends in `failed`.
        for (let i = 1; i < journey.length; i++) {
          assert.equal(journey[i]!.split('→')[0], journey[i - 1]!.split('→')[1], `broken journey: ${journey.join(', ')}`);
        }
        assert.ok(journey.at(-1)!.endsWith('→failed'));
      } finally {
        await t.close();
      }
    });
  }

  it('a start that fails to commit rejects with StoreError and leaves no execution, no WAL record, no event', async () => {
    let crash = true;
    const t = await testRuntime({
      faults: {
        beforeStartCommit: () => {
          if (crash) throw new Error('crash at start');
        },
      },
    });
    try {
      const tenantId = uid('start');
      const intentId = uid('intent');
      const delivered: OutboxEvent[] = [];
      t.runtime.subscribe((e) => void delivered.push(e), { tenantId: ANY_TENANT });
      await assert.rejects(t.runtime.execute(sop(tenantId, intentId)), (err: unknown) => {
        assert.ok(err instanceof StoreError);
        assert.equal(err.code, 'SYM_ERR_STORE');
        assert.match(err.message, /crash at start/);
        return true;
      });
      await t.runtime.flushEvents();
      assert.deepEqual(delivered, []);
      assert.deepEqual(await t.runtime.listExecutions({ tenantId }), []);
      assert.equal(await count(t.db, 'SELECT count(*) AS n FROM symphainy.executions'), 0);
      assert.deepEqual(await t.runtime.listWal({ tenantId }), []);
      assert.deepEqual(await t.runtime.listEvents({ tenantId }), []);

      // Nothing of it committed, so the same intent id can be submitted again.
      crash = false;
      const result = await t.runtime.execute(sop(tenantId, intentId));
      assert.equal(result.status, 'completed');
      assert.equal(result.intentId, intentId);
    } finally {
      await t.close();
    }
  });
});
