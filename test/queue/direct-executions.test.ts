/**
 * Direct executions (execute(), POST /v1/intents) hold leases too: one whose
 * process died or lost the database is recovered — failed with
 * SYM_ERR_INTERRUPTED, never `running` forever — and repeating its intent id
 * runs a new attempt under the same execution, within the retry policy.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ANY_TENANT, createRuntime, defineRealm, DuplicateIntentError, WalRecordType, type Runtime } from '../../src/index.ts';
import { silentLogger, TEST_DRIVER, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

/** `gated.go`: the first run (per intent id) waits for `release()`; later runs return at once. Counts runs. */
function gatedRealm() {
  const runs = new Map<string, number>();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const realm = defineRealm({
    name: 'gated',
    intents: {
      go: {
        handler: async (_p, ctx) => {
          const n = (runs.get(ctx.intentId) ?? 0) + 1;
          runs.set(ctx.intentId, n);
          if (n === 1) await gate;
          return { artifacts: { note: { text: `run ${n}` } }, events: [{ type: 'gated.done', data: { run: n } }] };
        },
      },
    },
  });
  return { realm, runs, release: () => release() };
}

const lease = async (t: TestRuntime, executionId: string) =>
  (await t.db.scoped(ANY_TENANT).query<{ lease_owner: string | null; remaining: number | null; attempts: number; status: string }>(
    'SELECT lease_owner, extract(epoch FROM lease_expires_at - now()) * 1000 AS remaining, attempts, status FROM symphainy.executions WHERE execution_id = $1',
    [executionId]))[0]!;

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

/** The process holding the lease is gone (simulated: another owner whose lease lapsed; its renewals no longer match). */
const abandon = (t: TestRuntime, executionId: string) =>
  t.db.scoped(ANY_TENANT).query(
    "UPDATE symphainy.executions SET lease_owner = 'gone:1:dead', lease_expires_at = now() - interval '1 second' WHERE execution_id = $1", [executionId]);

describe('direct executions hold leases', () => {
  let t: TestRuntime;
  let others: Runtime[] = [];
  afterEach(async () => {
    for (const r of others) await r.close();
    others = [];
    await t?.close();
  });

  test('while it runs, a direct execution is leased on the database clock (attempt 1); the lease ends with it', async () => {
    const g = gatedRealm();
    t = await testRuntime({ realms: [g.realm], leaseMs: 5000 });
    const running = t.runtime.execute({ intentType: 'gated.go', tenantId: 'acme', sessionId: 's', intentId: 'd1' });
    await until('it runs', () => g.runs.get('d1') === 1);
    const [e] = await t.runtime.listExecutions({ tenantId: 'acme' });
    const held = await lease(t, e!.executionId);
    assert.ok(held.lease_owner, 'leased');
    assert.ok(Number(held.remaining) > 0 && Number(held.remaining) <= 5000, `lease ends in ${held.remaining} ms`);
    assert.equal(Number(held.attempts), 1);
    g.release();
    assert.equal((await running).status, 'completed');
    const done = await lease(t, e!.executionId);
    assert.equal(done.status, 'completed');
    assert.equal(done.remaining, null);
  });

  test('interrupted: recovered as failed, then the same intent id runs a new attempt under the same execution; the late first run is fenced off', async () => {
    const g = gatedRealm();
    t = await testRuntime({ realms: [g.realm] });
    const first = t.runtime.execute({ intentType: 'gated.go', tenantId: 'acme', sessionId: 's', intentId: 'k1' });
    await until('it runs', () => g.runs.get('k1') === 1);
    const [e] = await t.runtime.listExecutions({ tenantId: 'acme' });
    await abandon(t, e!.executionId);

    // Another runtime (another process, on a server) gets the same intent id again.
    const b = await createRuntime({ db: t.db, memory: true, realms: [g.realm], logger: silentLogger });
    others.push(b);
    const again = await b.execute({ intentType: 'gated.go', tenantId: 'acme', sessionId: 's', intentId: 'k1' });
    assert.equal(again.status, 'completed');
    assert.equal(again.executionId, e!.executionId, 'the same execution');
    assert.equal(g.runs.get('k1'), 2);
    const record = await b.getExecution(e!.executionId, { tenantId: 'acme' });
    assert.equal(record.attempts, 2);

    // The first run finishes late: its completion is refused; its caller gets what was recorded.
    g.release();
    const late = await first;
    assert.equal(late.status, 'completed');
    assert.equal(late.executionId, e!.executionId);
    const wal = await b.listWal({ tenantId: 'acme', executionId: e!.executionId });
    const steps = wal.filter((r) => r.recordType === WalRecordType.STATE_TRANSITION).map((r) => `${r.payload.from}->${r.payload.to}`);
    assert.deepEqual(steps, ['accepted->running', 'running->failed', 'failed->running', 'running->materializing', 'materializing->completed']);
    assert.equal((wal.find((r) => r.payload.to === 'failed')!.payload.error as { code: string }).code, 'SYM_ERR_INTERRUPTED');
    await b.flushEvents();
    const events = await b.listEvents({ tenantId: 'acme', executionId: e!.executionId });
    assert.equal(events.filter((ev) => ev.eventType === 'execution.completed').length, 1, 'completed once');
    assert.equal(events.filter((ev) => ev.eventType === 'gated.done').length, 1, 'one run\'s realm events');
    // Completed now: a further repeat replays it.
    assert.deepEqual((await b.execute({ intentType: 'gated.go', tenantId: 'acme', sessionId: 's', intentId: 'k1' })).executionId, e!.executionId);
    assert.equal(g.runs.get('k1'), 2);
  });

  test('with no attempt left, a repeat replays the interruption instead of running again', async () => {
    const g = gatedRealm();
    t = await testRuntime({ realms: [g.realm], retryPolicy: { maximumAttempts: 1 } });
    void t.runtime.execute({ intentType: 'gated.go', tenantId: 'acme', sessionId: 's', intentId: 'k2' }).catch(() => {});
    await until('it runs', () => g.runs.get('k2') === 1);
    const [e] = await t.runtime.listExecutions({ tenantId: 'acme' });
    await abandon(t, e!.executionId);
    const b = await createRuntime({ db: t.db, memory: true, realms: [g.realm], logger: silentLogger, retryPolicy: { maximumAttempts: 1 } });
    others.push(b);
    const replayed = await b.execute({ intentType: 'gated.go', tenantId: 'acme', sessionId: 's', intentId: 'k2' });
    assert.equal(replayed.status, 'failed');
    assert.equal(replayed.error?.code, 'SYM_ERR_INTERRUPTED');
    assert.equal(g.runs.get('k2'), 1);
    g.release();
  });

  test('a repeat while it still runs under a live lease is refused (409), not run twice', async () => {
    const g = gatedRealm();
    t = await testRuntime({ realms: [g.realm] });
    const first = t.runtime.execute({ intentType: 'gated.go', tenantId: 'acme', sessionId: 's', intentId: 'k3' });
    await until('it runs', () => g.runs.get('k3') === 1);
    const b = await createRuntime({ db: t.db, memory: true, realms: [g.realm], logger: silentLogger });
    others.push(b);
    await assert.rejects(b.execute({ intentType: 'gated.go', tenantId: 'acme', sessionId: 's', intentId: 'k3' }), (err: unknown) => {
      assert.ok(err instanceof DuplicateIntentError, String(err));
      // The same intent: the advice is to repeat it later, not to use another id.
      assert.match(err.message, /^intent 'k3' is still running as execution \S+; repeat it once that execution has finished to get its result$/);
      return true;
    });
    g.release();
    assert.equal((await first).status, 'completed');
    assert.equal(g.runs.get('k3'), 1);
    const repeated = await b.execute({ intentType: 'gated.go', tenantId: 'acme', sessionId: 's', intentId: 'k3' });
    assert.equal(repeated.status, 'completed', 'repeated once finished, it answers with the result');
    assert.equal(g.runs.get('k3'), 1);
  });

  test('on a server, any runtime recovers a direct execution whose lease lapsed, with no repeat needed', { skip: TEST_DRIVER !== 'postgres' && 'a server-only path (the embedded store recovers at open)' }, async () => {
    const g = gatedRealm();
    t = await testRuntime({ realms: [g.realm] });
    void t.runtime.execute({ intentType: 'gated.go', tenantId: 'acme', sessionId: 's', intentId: 'k4' }).catch(() => {});
    await until('it runs', () => g.runs.get('k4') === 1);
    const [e] = await t.runtime.listExecutions({ tenantId: 'acme' });
    await abandon(t, e!.executionId);
    const b = await createRuntime({ db: t.db, memory: true, realms: [g.realm], logger: silentLogger, leaseMs: 300 });
    others.push(b);
    const recovered = await b.waitForExecution(e!.executionId, { tenantId: 'acme' }, { timeoutMs: 15_000 });
    assert.equal(recovered.status, 'failed');
    assert.equal(recovered.error?.code, 'SYM_ERR_INTERRUPTED');
    assert.match(recovered.error!.message, /lease of gone:1:dead expired/);
    g.release();
  });
});
