import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ANY_TENANT, compileRetryPolicy, ConflictError, createRuntime, defineRealm, NonRetryableError, NotFoundError, parseRuntimeConfigYaml,
  RealmDefinitionError, WalRecordType, type Runtime,
} from '../../src/index.ts';
import { silentLogger, testRuntime, type TestRuntime } from '../support/test-runtime.ts';

describe('compileRetryPolicy', () => {
  test('fills in the defaults (5 attempts, 1 s, coefficient 2, 100 × initial)', () => {
    assert.deepEqual({ ...compileRetryPolicy() }, {
      maximumAttempts: 5, initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 100_000, nonRetryableErrorCodes: [],
    });
    assert.equal(compileRetryPolicy({ initialInterval: '2s', maximumInterval: '1m' }).maximumIntervalMs, 60_000);
    assert.equal(compileRetryPolicy({ initialInterval: '250ms' }).initialIntervalMs, 250);
  });

  test('refuses bad fields with exact messages', () => {
    const refuses = (policy: object, message: string) =>
      assert.throws(() => compileRetryPolicy(policy as never), (err: Error & { code?: string }) => err.code === 'SYM_ERR_CONFIG' && err.message === message);
    refuses({ maximumAttempts: 0 }, 'RetryPolicy.maximumAttempts must be a whole number from 1 to 2147483647, got 0');
    refuses({ maximumAttempts: 1.5 }, 'RetryPolicy.maximumAttempts must be a whole number from 1 to 2147483647, got 1.5');
    refuses({ maximumAttempts: Infinity }, 'RetryPolicy.maximumAttempts must be a whole number from 1 to 2147483647, got Infinity');
    refuses({ backoffCoefficient: 0.5 }, 'RetryPolicy.backoffCoefficient must be a number of at least 1, got 0.5');
    refuses({ initialInterval: 0 }, 'RetryPolicy.initialInterval cannot be 0');
    refuses({ maximumInterval: 0 }, 'RetryPolicy.maximumInterval cannot be 0');
    refuses({ initialInterval: 2000, maximumInterval: 1000 }, 'RetryPolicy.maximumInterval cannot be less than its initialInterval (1000 ms < 2000 ms)');
    refuses({ initialInterval: 'soon' }, 'RetryPolicy.initialInterval: expected a duration like 30s, 15m, 1h or 7d (or seconds), got "soon"');
    refuses({ nonRetryableErrorCodes: [''] }, "RetryPolicy.nonRetryableErrorCodes must be a list of error codes such as 'SYM_ERR_REALM_RESULT'");
    refuses({ maxAttempts: 3 }, 'RetryPolicy.maxAttempts is not a retry policy field (known: maximumAttempts, initialInterval, backoffCoefficient, maximumInterval, nonRetryableErrorCodes)');
  });

  test('the runtime config takes retry_policy in snake_case and names the line of a mistake', () => {
    const file = parseRuntimeConfigYaml('retry_policy:\n  maximum_attempts: 3\n  initial_interval: 2s\n  non_retryable_error_codes: [SYM_ERR_REALM_RESULT]\n', 'rt.yaml');
    assert.deepEqual(file.retryPolicy, { maximumAttempts: 3, initialInterval: '2s', nonRetryableErrorCodes: ['SYM_ERR_REALM_RESULT'] });
    assert.throws(() => parseRuntimeConfigYaml('events: nats://x\nretry_policy:\n  maximum_attempts: 0\n', 'rt.yaml'),
      (err: Error) => /^rt\.yaml:\d+: retry_policy: maximum_attempts must be a whole number from 1 to 2147483647, got 0$/m.test(err.message));
  });

  test('defineRealm compiles an intent\'s retry policy, refusing a bad one by name', () => {
    assert.throws(() => defineRealm({ name: 'r', intents: { go: { retryPolicy: { maximumAttempts: -1 }, handler: () => ({}) } } }),
      (err: unknown) => err instanceof RealmDefinitionError && /realm 'r', intent 'go': RetryPolicy.maximumAttempts must be a whole number from 1 to 2147483647/.test(err.message));
  });
});

/** A realm whose `flaky.go` fails its first `failures` runs (per intent id), counting every run. */
function flakyRealm(options: { throwWith?: () => Error; retryPolicy?: object } = {}) {
  const runs = new Map<string, number>();
  const failUntil = new Map<string, number>();
  const realm = defineRealm({
    name: 'flaky',
    intents: {
      go: {
        ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
        handler: (params: { failures?: number; bad?: boolean }, ctx) => {
          const n = (runs.get(ctx.intentId) ?? 0) + 1;
          runs.set(ctx.intentId, n);
          if (params.bad) return 42 as never; // not a result: SYM_ERR_REALM_RESULT
          if (n <= (failUntil.get(ctx.intentId) ?? params.failures ?? 0)) throw options.throwWith?.() ?? new Error(`run ${n} failed`);
          return { artifacts: { note: { text: `run ${n}` } } };
        },
      },
    },
  });
  return { realm, runs, failUntil };
}

const transitionsOf = async (rt: Runtime, executionId: string, tenantId = 'acme') =>
  (await rt.listWal({ tenantId, executionId })).filter((r) => r.recordType === WalRecordType.STATE_TRANSITION).map((r) => r.payload);

describe('retries of queued executions', () => {
  let t: TestRuntime;
  let others: Runtime[] = [];
  afterEach(async () => {
    for (const r of others) await r.close();
    others = [];
    await t?.close();
  });

  test('a failing handler is attempted maximumAttempts times with backoff, then the execution is dead with every attempt in the WAL', async () => {
    const { realm, runs } = flakyRealm();
    t = await testRuntime({ realms: [realm], retryPolicy: { maximumAttempts: 3, initialInterval: '100ms' } });
    const s = await t.runtime.submit({ intentType: 'flaky.go', tenantId: 'acme', sessionId: 's', intentId: 'poison', parameters: { failures: 99 } });
    t.runtime.startWorker({ pollIntervalMs: 20 });
    const e = await t.runtime.waitForExecution(s.executionId, { tenantId: 'acme' }, { timeoutMs: 20_000 });
    assert.equal(e.status, 'dead');
    assert.equal(e.attempts, 3);
    assert.equal(runs.get('poison'), 3, 'the handler ran once per attempt');
    assert.equal(e.error?.code, 'SYM_ERR_ATTEMPTS_EXHAUSTED');
    assert.match(e.error!.message, /dead after 3 attempts \(retry policy maximumAttempts 3\); last failure: SYM_ERR_REALM_FAILED: .*run 3 failed/);
    const steps = await transitionsOf(t.runtime, s.executionId);
    assert.deepEqual(steps.map((p) => `${p.from}->${p.to}`), [
      'accepted->queued', 'queued->running', 'running->queued', 'queued->running', 'running->queued', 'queued->running', 'running->dead',
    ]);
    const retries = steps.filter((p) => p.to === 'queued' && p.from === 'running');
    assert.deepEqual(retries.map((p) => [p.attempt, p.retryInMs, (p.error as { code: string }).code]), [[1, 100, 'SYM_ERR_REALM_FAILED'], [2, 200, 'SYM_ERR_REALM_FAILED']]);
    assert.match(String((steps.at(-1)!.lastError as { message: string }).message), /run 3 failed/);
    const dead = await t.runtime.listExecutions({ tenantId: 'acme', status: 'dead' });
    assert.deepEqual(dead.map((d) => d.executionId), [s.executionId]);
    await t.runtime.flushEvents();
    const events = (await t.runtime.listEvents({ tenantId: 'acme', executionId: s.executionId })).map((ev) => ev.eventType);
    assert.deepEqual(events.filter((x) => x !== 'execution.started'), ['execution.queued', 'execution.retrying', 'execution.retrying', 'execution.dead']);
  });

  test('a retry waits its backoff on the database clock; a later attempt that succeeds completes the execution', async () => {
    const { realm, runs } = flakyRealm();
    t = await testRuntime({ realms: [realm], retryPolicy: { maximumAttempts: 3, initialInterval: '1s' } });
    const s = await t.runtime.submit({ intentType: 'flaky.go', tenantId: 'acme', sessionId: 's', intentId: 'once', parameters: { failures: 1 } });
    t.runtime.startWorker({ pollIntervalMs: 20 });
    for (let i = 0; i < 500 && (runs.get('once') ?? 0) < 1; i++) await sleep(10);
    // Queued again, not before now() + 1 s by the database's clock.
    let row: { status: string; wait: number } | undefined;
    for (let i = 0; i < 200; i++) {
      row = (await t.db.scoped(ANY_TENANT).query<{ status: string; wait: number }>(
        'SELECT status, extract(epoch FROM available_at - now()) * 1000 AS wait FROM symphainy.executions WHERE execution_id = $1', [s.executionId]))[0];
      if (row?.status === 'queued' && row.wait !== null) break;
      await sleep(10);
    }
    assert.equal(row?.status, 'queued');
    assert.ok(Number(row!.wait) > 0 && Number(row!.wait) <= 1000, `available in ${row!.wait} ms`);
    assert.equal(runs.get('once'), 1, 'not claimed again before its backoff passed');
    const e = await t.runtime.waitForExecution(s.executionId, { tenantId: 'acme' }, { timeoutMs: 20_000 });
    assert.equal(e.status, 'completed');
    assert.equal(e.attempts, 2);
    assert.equal(runs.get('once'), 2);
  });

  test('NonRetryableError and codes in nonRetryableErrorCodes fail at once', async () => {
    const thrower = flakyRealm({ throwWith: () => new NonRetryableError('the order does not exist', { type: 'OrderMissing' }) });
    t = await testRuntime({ realms: [thrower.realm], retryPolicy: { maximumAttempts: 5, initialInterval: '100ms', nonRetryableErrorCodes: ['SYM_ERR_REALM_RESULT'] } });
    t.runtime.startWorker({ pollIntervalMs: 20 });
    const a = await t.runtime.submit({ intentType: 'flaky.go', tenantId: 'acme', sessionId: 's', intentId: 'nr', parameters: { failures: 9 } });
    const b = await t.runtime.submit({ intentType: 'flaky.go', tenantId: 'acme', sessionId: 's', intentId: 'bad', parameters: { bad: true } });
    const ea = await t.runtime.waitForExecution(a.executionId, { tenantId: 'acme' }, { timeoutMs: 20_000 });
    const eb = await t.runtime.waitForExecution(b.executionId, { tenantId: 'acme' }, { timeoutMs: 20_000 });
    assert.deepEqual([ea.status, ea.attempts, ea.error?.code], ['failed', 1, 'SYM_ERR_NON_RETRYABLE']);
    assert.match(ea.error!.message, /OrderMissing: the order does not exist/);
    assert.deepEqual([eb.status, eb.attempts, eb.error?.code], ['failed', 1, 'SYM_ERR_REALM_RESULT']);
  });

  test("an intent's own retry policy travels with the execution and wins over the worker's", async () => {
    const { realm, runs } = flakyRealm({ retryPolicy: { maximumAttempts: 2, initialInterval: '50ms' } });
    t = await testRuntime({ realms: [realm], retryPolicy: { maximumAttempts: 5, initialInterval: '50ms' } });
    t.runtime.startWorker({ pollIntervalMs: 20 });
    const s = await t.runtime.submit({ intentType: 'flaky.go', tenantId: 'acme', sessionId: 's', intentId: 'two', parameters: { failures: 99 } });
    const e = await t.runtime.waitForExecution(s.executionId, { tenantId: 'acme' }, { timeoutMs: 20_000 });
    assert.deepEqual([e.status, e.attempts, runs.get('two')], ['dead', 2, 2]);
  });

  test('executions retry re-queues a dead execution with a fresh budget, recorded with who asked; only dead or failed ones', async () => {
    const { realm, runs, failUntil } = flakyRealm();
    t = await testRuntime({ realms: [realm], retryPolicy: { maximumAttempts: 2, initialInterval: '50ms' } });
    const worker = t.runtime.startWorker({ pollIntervalMs: 20 });
    const s = await t.runtime.submit({ intentType: 'flaky.go', tenantId: 'acme', sessionId: 's', intentId: 'again', parameters: { failures: 99 } });
    assert.equal((await t.runtime.waitForExecution(s.executionId, { tenantId: 'acme' }, { timeoutMs: 20_000 })).status, 'dead');
    await assert.rejects(t.runtime.retryExecution(s.executionId, { tenantId: 'globex' }, { requestedBy: 'x' }), NotFoundError);
    failUntil.set('again', 2); // the third run (the first after the retry) succeeds
    const queued = await t.runtime.retryExecution(s.executionId, { tenantId: 'acme' }, { requestedBy: 'cli:ops@host' });
    assert.equal(queued.status, 'queued');
    const e = await t.runtime.waitForExecution(s.executionId, { tenantId: 'acme' }, { timeoutMs: 20_000 });
    assert.deepEqual([e.status, e.attempts, runs.get('again')], ['completed', 3, 3]);
    const steps = await transitionsOf(t.runtime, s.executionId);
    const retried = steps.find((p) => p.from === 'dead' && p.to === 'queued')!;
    assert.equal(retried.requestedBy, 'cli:ops@host');
    assert.equal(retried.attemptsBefore, 2);
    await assert.rejects(t.runtime.retryExecution(s.executionId, { tenantId: 'acme' }, { requestedBy: 'x' }),
      (err: unknown) => err instanceof ConflictError && /is completed; only dead or failed executions can be retried/.test(err.message));
    await worker.stop();
  });

  test("a worker's death counts as an attempt: an abandoned execution on its last attempt is dead, not run again", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const stuck = defineRealm({ name: 'stuck', intents: { go: { handler: async () => { calls++; await gate; return { artifacts: {} }; } } } });
    t = await testRuntime({ realms: [stuck], retryPolicy: { maximumAttempts: 1 } });
    const s = await t.runtime.submit({ intentType: 'stuck.go', tenantId: 'acme', sessionId: 's' });
    t.runtime.startWorker({ pollIntervalMs: 20, workerId: 'worker-a' });
    for (let i = 0; i < 500 && calls === 0; i++) await sleep(10);
    // Worker A's process is gone (simulated: its lease lapsed); another runtime finds the execution abandoned on its last attempt.
    await t.db.scoped(ANY_TENANT).query("UPDATE symphainy.executions SET lease_expires_at = now() - interval '1 second' WHERE execution_id = $1", [s.executionId]);
    const b = await createRuntime({ db: t.db, memory: true, realms: [stuck], logger: silentLogger, retryPolicy: { maximumAttempts: 1 } });
    others.push(b);
    b.startWorker({ pollIntervalMs: 20, workerId: 'worker-b' });
    const e = await t.runtime.waitForExecution(s.executionId, { tenantId: 'acme' }, { timeoutMs: 20_000 });
    assert.equal(e.status, 'dead');
    assert.equal(e.attempts, 1);
    assert.equal(calls, 1, 'the abandoned execution did not run again');
    const last = (await transitionsOf(t.runtime, s.executionId)).at(-1)!;
    assert.equal(`${last.from}->${last.to}`, 'running->dead');
    assert.match(String((last.lastError as { message: string }).message), /lease of worker worker-a expired/);
    release();
  });
});
