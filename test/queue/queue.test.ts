import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ANY_TENANT, createRuntime, defineRealm, DuplicateIntentError, InvalidIntentError, WaitTimeoutError, WalRecordType, type Runtime,
} from '../../src/index.ts';
import { MVP_CONFIG, silentLogger, SOP_TEXT, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

const roadmap = JSON.parse(readFileSync(new URL('../../examples/create_roadmap.json', import.meta.url), 'utf8'));

const sop = (over: Record<string, unknown> = {}) => ({
  intentType: 'journey.sop_to_workflow', tenantId: 'acme', sessionId: 's1', parameters: { sop_text: SOP_TEXT }, ...over,
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

describe('submit: queued executions', () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ solutionConfig: MVP_CONFIG });
  });
  after(() => t.close());

  test('records the intent and a queued execution, and returns at once', async () => {
    const s = await t.runtime.submit(sop({ intentId: 'q-1' }));
    assert.equal(s.status, 'queued');
    assert.equal(s.duplicate, false);
    const e = await t.runtime.getExecution(s.executionId, { tenantId: 'acme' });
    assert.equal(e.status, 'queued');
    assert.equal(e.startedAt, null);
    assert.ok(e.submittedAt);
    assert.equal(e.attempts, 0);
    const wal = await t.runtime.listWal({ tenantId: 'acme', executionId: s.executionId });
    assert.deepEqual(wal.map((r) => [r.recordType, r.payload.to ?? null]), [[WalRecordType.INTENT, null], [WalRecordType.STATE_TRANSITION, 'queued']]);
    await t.runtime.flushEvents();
    const events = await t.runtime.listEvents({ tenantId: 'acme', executionId: s.executionId });
    assert.deepEqual(events.map((ev) => ev.eventType), ['execution.queued']);
    // Another tenant does not see it.
    await assert.rejects(t.runtime.getExecution(s.executionId, { tenantId: 'globex' }), { code: 'SYM_ERR_NOT_FOUND' });
  });

  test('the same intent id again returns the same execution; another intent type under that id is refused', async () => {
    const first = await t.runtime.submit(sop({ intentId: 'q-dup' }));
    const again = await t.runtime.submit(sop({ intentId: 'q-dup' }));
    assert.equal(again.executionId, first.executionId);
    assert.equal(again.duplicate, true);
    await assert.rejects(
      t.runtime.submit({ intentType: 'outcomes.create_roadmap', tenantId: 'acme', sessionId: 's1', intentId: 'q-dup', parameters: roadmap }),
      (err: unknown) => err instanceof DuplicateIntentError && /journey\.sop_to_workflow/.test(err.message),
    );
  });

  test('bad parameters are refused at submit, naming the field; nothing is queued', async () => {
    const before = await t.runtime.listExecutions({ tenantId: 'acme', status: 'queued', limit: 1000 });
    await assert.rejects(t.runtime.submit(sop({ parameters: {} })), (err: unknown) => err instanceof InvalidIntentError && /sop_text/.test(err.message));
    const afterwards = await t.runtime.listExecutions({ tenantId: 'acme', status: 'queued', limit: 1000 });
    assert.equal(afterwards.length, before.length);
  });

  test('waitForExecution gives up with SYM_ERR_WAIT_TIMEOUT while no worker runs it', async () => {
    const s = await t.runtime.submit(sop());
    await assert.rejects(t.runtime.waitForExecution(s.executionId, { tenantId: 'acme' }, { timeoutMs: 150 }), (err: unknown) =>
      err instanceof WaitTimeoutError && err.message.includes('still queued'));
  });
});

describe('workers', () => {
  let t: TestRuntime;
  let others: Runtime[] = [];
  afterEach(async () => {
    for (const r of others) await r.close();
    others = [];
    await t.close();
  });

  test('a worker runs queued executions to the same outcome execute() gives, with a whole journey', async () => {
    t = await testRuntime({ solutionConfig: MVP_CONFIG });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await t.runtime.submit(sop({ sessionId: `s${i}` }))).executionId);
    const direct = await t.runtime.execute(sop());
    t.runtime.startWorker({ concurrency: 2, pollIntervalMs: 20 });
    for (const id of ids) {
      const e = await t.runtime.waitForExecution(id, { tenantId: 'acme' }, { timeoutMs: 20_000 });
      assert.equal(e.status, 'completed');
      assert.equal(e.attempts, 1);
      const result = e.result as typeof direct;
      assert.deepEqual(result.artifacts.map((a) => [a.key, a.decision, a.layer]), direct.artifacts.map((a) => [a.key, a.decision, a.layer]));
      const wal = await t.runtime.listWal({ tenantId: 'acme', executionId: id });
      const transitions = wal.filter((r) => r.recordType === WalRecordType.STATE_TRANSITION).map((r) => `${r.payload.from}->${r.payload.to}`);
      assert.deepEqual(transitions, ['accepted->queued', 'queued->running', 'running->materializing', 'materializing->completed']);
    }
  });

  test('a worker claims only intent types it has realms for', async () => {
    t = await testRuntime();
    const s = await t.runtime.submit(sop());
    const stranger = await createRuntime({ db: t.db, blobStore: undefined, memory: true, realms: [], logger: silentLogger });
    others.push(stranger);
    const w = stranger.startWorker({ pollIntervalMs: 20 });
    await sleep(300);
    assert.equal(w.stats.finished, 0);
    assert.equal((await t.runtime.getExecution(s.executionId, { tenantId: 'acme' })).status, 'queued');
  });

  test('close() lets a worker finish what it claimed before the store closes', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const slow = defineRealm({
      name: 'slow',
      intents: { go: { handler: async () => { started(); await sleep(300); return { artifacts: { note: { text: 'done' } } }; } } },
    });
    t = await testRuntime({ realms: [slow] });
    const s = await t.runtime.submit({ intentType: 'slow.go', tenantId: 'acme', sessionId: 's' });
    t.runtime.startWorker({ pollIntervalMs: 20 });
    await running;
    await t.runtime.close();
    const again = await createRuntime({ db: t.db, memory: true, realms: [slow], logger: silentLogger });
    others.push(again);
    assert.equal((await again.getExecution(s.executionId, { tenantId: 'acme' })).status, 'completed');
  });

  test('a worker whose lease was taken over cannot record a completion: the execution completes once, by the new owner', async () => {
    // The first run of the handler blocks until released; later runs return at once.
    let calls = 0;
    let releaseFirst!: () => void;
    const firstBlocked = new Promise<void>((r) => (releaseFirst = r));
    const gated = defineRealm({
      name: 'gated',
      intents: {
        go: {
          handler: async () => {
            if (++calls === 1) await firstBlocked;
            return { artifacts: { workflow: { resultType: 'workflow', renderings: { json: `{"call":${calls}}` } } } };
          },
        },
      },
    });
    t = await testRuntime({ realms: [gated], solutionConfig: MVP_CONFIG });
    const s = await t.runtime.submit({ intentType: 'gated.go', tenantId: 'acme', sessionId: 's' });
    // A lease so long that worker A does not renew it while the test runs (its renewals would undo the simulated stall).
    const first = t.runtime.startWorker({ leaseMs: 600_000, pollIntervalMs: 20, workerId: 'worker-a' });
    await waitFor('worker A runs it', async () => calls === 1);

    // Worker A stalls past its lease (simulated: the lease runs out); worker B takes the execution over.
    await t.db.scoped(ANY_TENANT).query("UPDATE symphainy.executions SET lease_expires_at = now() - interval '1 second' WHERE execution_id = $1", [s.executionId]);
    const b = await createRuntime({ db: t.db, memory: true, realms: [gated], solutionConfig: MVP_CONFIG, logger: silentLogger });
    others.push(b);
    b.startWorker({ pollIntervalMs: 20, workerId: 'worker-b' });
    const done = await t.runtime.waitForExecution(s.executionId, { tenantId: 'acme' }, { timeoutMs: 30_000 });
    assert.equal(done.status, 'completed');
    assert.equal(done.attempts, 2);

    // A finishes late: its completion is refused by the fence and nothing of it is recorded.
    releaseFirst();
    await waitFor('worker A gives up its run', async () => first.stats.lost === 1);
    const wal = await t.runtime.listWal({ tenantId: 'acme', executionId: s.executionId });
    const transitions = wal.filter((r) => r.recordType === WalRecordType.STATE_TRANSITION).map((r) => `${r.payload.from}->${r.payload.to}`);
    assert.deepEqual(transitions, ['accepted->queued', 'queued->running', 'running->queued', 'queued->running', 'running->materializing', 'materializing->completed']);
    assert.match(String(wal.find((r) => r.payload.to === 'queued' && r.payload.from === 'running')!.payload.reason), /worker-a.*expired/);
    assert.equal(wal.filter((r) => r.recordType === WalRecordType.GOVERNANCE_DECISION).length, 1);
    const artifacts = await t.runtime.listArtifacts({ tenantId: 'acme', executionId: s.executionId });
    assert.equal(artifacts.length, 1);
    const { bytes } = await t.runtime.readRendering(artifacts[0]!.artifactId, 'json', { tenantId: 'acme' });
    assert.equal(Buffer.from(bytes).toString(), '{"call":2}', 'the recorded artifact is the new owner\'s');
    await t.runtime.flushEvents();
    const events = await t.runtime.listEvents({ tenantId: 'acme', executionId: s.executionId });
    assert.equal(events.filter((e) => e.eventType === 'execution.completed').length, 1);
  });
});
