import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { ANY_TENANT, parseSolutionConfig, type Runtime } from '../../src/index.ts';
import { SymphainyCheckpointSaver } from '../../src/langgraph/index.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';

// Checkpoints are governed content: the policy decides each one (persist with keep_latest or
// retention, cache with a TTL, discard), the decision is in the WAL and explainable layer by
// layer, legal holds work per thread, and the sweep and erasure reach checkpoints and writes.

async function withRuntime(policy: Record<string, unknown> | null, fn: (t: TestRuntime) => Promise<void>): Promise<void> {
  const t = await testRuntime(policy ? { solutionConfig: parseSolutionConfig({ materialization_policy: policy }) } : {});
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

/** Stores `n` checkpoints on a thread, each the child of the one before; returns their ids, oldest first. */
async function putChain(saver: SymphainyCheckpointSaver, threadId: string, n: number, configurable: Record<string, unknown> = {}): Promise<string[]> {
  const ids: string[] = [];
  let config = { configurable: { thread_id: threadId, ...configurable } } as { configurable: Record<string, unknown> };
  for (let i = 0; i < n; i++) {
    const checkpoint: Checkpoint = { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { step: i }, channel_versions: { step: i + 1 } };
    config = await saver.put(config, checkpoint, { source: 'loop', step: i, parents: {} }, { step: i + 1 }) as typeof config;
    config.configurable = { ...configurable, ...config.configurable };
    await saver.putWrites(config, [['notes', `write ${i}`]], `task-${i}`);
    ids.push(checkpoint.id);
  }
  return ids;
}

async function ids(saver: SymphainyCheckpointSaver, threadId?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const t of saver.list(threadId === undefined ? {} : { configurable: { thread_id: threadId } })) out.push(t.checkpoint.id);
  return out;
}

const writeRows = (runtime: TestRuntime) =>
  runtime.db.scoped(ANY_TENANT).query<{ n: string | number }>('SELECT count(*) AS n FROM symphainy.checkpoint_writes').then((r) => Number(r[0]!.n));

test('keep_latest keeps the newest N checkpoints of a thread, with their writes; each decision is recorded and explained', async () => {
  await withRuntime({ checkpoint: { decision: 'persist', keep_latest: 2 } }, async (t) => {
    const saver = new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme' });
    const chain = await putChain(saver, 'th-1', 4);
    assert.deepEqual(await ids(saver, 'th-1'), [chain[3], chain[2]]);
    assert.equal(await writeRows(t), 2, 'writes of pruned checkpoints are gone');
    const latest = await saver.getTuple({ configurable: { thread_id: 'th-1' } });
    assert.deepEqual(latest?.checkpoint.channel_values, { step: 3 });
    assert.deepEqual(latest?.pendingWrites, [['task-3', 'notes', 'write 3']]);

    const decisions = (await t.runtime.listWal({ tenantId: 'acme', recordType: 'governance_decision' })).filter((r) => r.payload.kind === 'checkpoint');
    assert.deepEqual(decisions.map((r) => r.payload.checkpointId), chain);
    assert.deepEqual(decisions.map((r) => r.payload.pruned), [0, 0, 1, 1]);

    const why = await t.runtime.checkpoints('acme').explain('th-1', chain[3]!);
    assert.equal(why.recorded.decision, 'persist');
    assert.equal(why.recorded.keepLatest, 2);
    assert.equal(why.recorded.layer, 'solution');
    assert.match(why.recorded.reason, /checkpoint: persist \(keep latest 2 per thread\)/);
    assert.deepEqual(why.chain?.map((v) => `${v.layer}:${v.decision}`), ['platform:null', 'governance:null', 'solution:persist', 'default:null', 'fallback:discard']);
    assert.equal(why.note, undefined);
    // The decisions extend the tenant's hash chain like any record.
    assert.deepEqual((await t.runtime.verifyWal({ tenantId: 'acme' })).map((r) => [r.tenantId, r.ok, r.records]), [['acme', true, 4]]);
  });
});

test('with no rule for checkpoint the fallback discards it: recorded, explainable, not stored, and the log says so once per tenant', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  const t = await testRuntime({ logger });
  try {
    const saver = new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme' });
    const [id] = await putChain(saver, 'th-1', 2);
    await putChain(new SymphainyCheckpointSaver(t.runtime, { tenantId: 'bravo' }), 'th-1', 1);
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => /no policy rule names result type 'checkpoint'/.test(l.msg));
    assert.deepEqual(warnings.map((w) => w.tenantId), ['acme', 'bravo']);
    assert.match(warnings[0].msg, /a graph cannot resume; add a rule/);
    assert.equal(await saver.getTuple({ configurable: { thread_id: 'th-1' } }), undefined);
    const why = await t.runtime.checkpoints('acme').explain('th-1', id!);
    assert.equal(why.recorded.decision, 'discard');
    assert.equal(why.recorded.layer, 'fallback');
  } finally {
    await t.close();
  }
});

test('cache: a checkpoint past its TTL is gone for reads, and the sweep deletes it with its writes', async () => {
  await withRuntime({ checkpoint: { decision: 'cache', cache_ttl: '10m' } }, async (t) => {
    const saver = new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme' });
    await putChain(saver, 'th-1', 2);
    assert.equal((await ids(saver, 'th-1')).length, 2);
    const [row] = await t.db.scoped('acme').query<{ ttl: number }>(
      "SELECT round(extract(epoch FROM expires_at - created_at)) AS ttl FROM symphainy.checkpoints WHERE tenant_id = 'acme' LIMIT 1");
    assert.equal(Number(row!.ttl), 600);
    await t.db.scoped(ANY_TENANT).query("UPDATE symphainy.checkpoints SET expires_at = now() - interval '1 second'");
    assert.equal(await saver.getTuple({ configurable: { thread_id: 'th-1' } }), undefined);
    const report = await t.runtime.sweep();
    assert.equal(report.checkpoints.checkpointsDeleted, 2);
    assert.equal(report.checkpoints.writesDeleted, 2);
    assert.equal(await writeRows(t), 0);
  });
});

test('a legal hold on a thread stops pruning, the sweep, erasure and deleteThread until it is released', async () => {
  await withRuntime({ checkpoint: { decision: 'persist', retention: '1d', keep_latest: 1 } }, async (t) => {
    const saver = new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme' });
    const acme = t.runtime.checkpoints('acme');
    await acme.hold('th-1', 'litigation 42');
    const chain = await putChain(saver, 'th-1', 3);
    assert.deepEqual(await ids(saver, 'th-1'), [...chain].reverse(), 'nothing pruned while held');

    await t.db.scoped(ANY_TENANT).query("UPDATE symphainy.checkpoints SET retain_until = now() - interval '1 second'");
    const swept = await t.runtime.sweep();
    assert.equal(swept.checkpoints.checkpointsDeleted, 0);
    assert.deepEqual(swept.checkpoints.heldThreads, [{ tenantId: 'acme', threadId: 'th-1' }]);

    const erased = await t.runtime.erase({ tenantId: 'acme', sessionId: 'th-1' });
    assert.deepEqual(erased.checkpoints.threadsHeld, ['th-1']);
    assert.equal(erased.checkpoints.checkpointsDeleted, 0);
    // The thread's key stays too: destroying it would erase what the hold keeps.
    assert.deepEqual(erased.keys.destroyed, []);
    assert.match(erased.keys.kept ?? '', /1 LangGraph thread under legal hold in scope/);
    await assert.rejects(saver.deleteThread('th-1'), { code: 'SYM_ERR_CONFLICT', message: /legal hold/ });
    assert.equal((await ids(saver, 'th-1')).length, 3);

    // Holding a held thread again replaces the reason, as on an artifact: a repeated request is no error.
    assert.equal((await acme.hold('th-1', 'litigation 43')).reason, 'litigation 43');
    assert.equal((await acme.store.hold('th-1'))?.reason, 'litigation 43');
    await acme.release('th-1');
    await assert.rejects(acme.release('th-1'), { code: 'SYM_ERR_CONFLICT', message: /no legal hold to release/ });
    const holds = (await t.runtime.listWal({ tenantId: 'acme', recordType: 'legal_hold' })).map((r) => r.payload);
    assert.deepEqual(holds, [
      { threadId: 'th-1', action: 'hold', reason: 'litigation 42' }, { threadId: 'th-1', action: 'hold', reason: 'litigation 43' },
      { threadId: 'th-1', action: 'release' },
    ]);
    assert.equal((await t.runtime.sweep()).checkpoints.checkpointsDeleted, 3, 'released: the sweep deletes what retention let go');
    assert.deepEqual(await ids(saver, 'th-1'), []);
  });
});

test('erasure reaches checkpoints by tenant, by session (the thread id) and by subject, and only the tenant\'s', async () => {
  await withRuntime({ checkpoint: 'persist' }, async (t) => {
    const acme = new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme' });
    const globex = new SymphainyCheckpointSaver(t.runtime, { tenantId: 'globex' });
    await putChain(acme, 'th-a', 2, { user_id: 'u-1' });
    await putChain(acme, 'th-b', 1, { user_id: 'u-2' });
    await putChain(acme, 'th-c', 1);
    await putChain(globex, 'th-a', 1, { user_id: 'u-1' });

    const bySubject = await t.runtime.erase({ tenantId: 'acme', subject: { key: 'user_id', value: 'u-1' } });
    assert.deepEqual(bySubject.checkpoints.threadsErased, ['th-a']);
    assert.equal(bySubject.checkpoints.checkpointsDeleted, 2);
    assert.equal(bySubject.checkpoints.writesDeleted, 2);
    assert.deepEqual((await ids(acme)).length, 2);

    const bySession = await t.runtime.erase({ tenantId: 'acme', sessionId: 'th-b' });
    assert.deepEqual(bySession.checkpoints.threadsErased, ['th-b']);

    const byTenant = await t.runtime.erase({ tenantId: 'acme' });
    assert.deepEqual(byTenant.checkpoints.threadsErased, ['th-c']);
    assert.deepEqual(await ids(acme), []);
    assert.equal((await ids(globex)).length, 1, "another tenant's thread of the same id is untouched");
  });
});

test('a saver sees only its tenant: the same thread id of another tenant is another thread', async () => {
  await withRuntime({ checkpoint: 'persist' }, async (t) => {
    const acme = new SymphainyCheckpointSaver(t.runtime, { tenantId: 'acme' });
    const globex = new SymphainyCheckpointSaver(t.runtime, { tenantId: 'globex' });
    await putChain(acme, 'shared', 2);
    assert.equal(await globex.getTuple({ configurable: { thread_id: 'shared' } }), undefined);
    assert.deepEqual(await ids(globex), []);
    await globex.deleteThread('shared');
    assert.equal((await ids(acme, 'shared')).length, 2);
  });
});

test('misuse is refused with errors naming the field: tenantId, thread_id, checkpoint_id', async () => {
  await withRuntime({ checkpoint: 'persist' }, async (t) => {
    const runtime: Runtime = t.runtime;
    assert.throws(() => new SymphainyCheckpointSaver(runtime, {} as { tenantId: string }), { code: 'SYM_ERR_INVALID_REQUEST', message: /^tenantId must be a tenant id/ });
    assert.throws(() => new SymphainyCheckpointSaver(runtime, { tenantId: 'symphainy:platform' }), { message: /tenantId must be a tenant id/ });
    const saver = new SymphainyCheckpointSaver(runtime, { tenantId: 'acme' });
    await assert.rejects(saver.put({ configurable: {} }, emptyCheckpoint(), { source: 'input', step: -1, parents: {} }, {}), {
      code: 'SYM_ERR_INVALID_REQUEST', message: /config\.configurable\.thread_id is missing/,
    });
    await assert.rejects(saver.putWrites({ configurable: { thread_id: 't' } }, [['a', 1]], 'task'), { message: /config\.configurable\.checkpoint_id is missing/ });
    await assert.rejects(saver.getTuple({ configurable: { thread_id: 'a/b' } }), { message: /config\.configurable\.thread_id must be a thread id/ });
  });
});
