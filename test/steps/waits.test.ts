import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { defineRealm, WalRecordType } from '../../src/index.ts';
import { journeyOf } from '../runtime/helpers.ts';
import { testRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { leaseOf, until } from './helpers.ts';

const runs = new Map<string, number>();
const count = (k: string) => runs.set(k, (runs.get(k) ?? 0) + 1).get(k)!;
const params = z.strictObject({ key: z.string(), timeout: z.string().optional(), onTimeout: z.enum(['reject', 'approve', 'fail']).optional() });

const realm = defineRealm({
  name: 'waits',
  intents: {
    nap: {
      params,
      async handler(p, ctx) {
        const before = await ctx.step('before', () => count(`${p.key}:before`));
        await ctx.sleep('300ms');
        const afterNap = await ctx.step('after', () => count(`${p.key}:after`));
        return { artifacts: {}, events: [{ type: 'nap.done', data: { before, afterNap } }] };
      },
    },
    listen: {
      params,
      async handler(p, ctx) {
        const got = await ctx.waitFor<{ k: number }>('go', p.timeout ? { timeout: p.timeout } : {});
        return { artifacts: {}, events: [{ type: 'listen.done', data: got }] };
      },
    },
    publish: {
      params,
      async handler(p, ctx) {
        const draft = await ctx.step('draft', () => ({ title: `post ${p.key}`, n: count(`${p.key}:draft`) }));
        const ok = await ctx.approval('publish', {
          summary: draft.title, ...(p.timeout ? { timeout: p.timeout } : {}), ...(p.onTimeout ? { onTimeout: p.onTimeout } : {}),
        });
        return { artifacts: {}, events: [{ type: ok.approved ? 'post.published' : 'post.rejected', data: ok }] };
      },
    },
    other: { params, handler: (p) => ({ artifacts: {}, events: [{ type: 'other.done', data: { key: p.key } }] }) },
  },
});

const ACME = { tenantId: 'acme' };
const intent = (type: string, p: Record<string, unknown>) => ({ intentType: `waits.${type}`, tenantId: 'acme', sessionId: 's', parameters: p });
const eventOf = (e: { result: unknown }, type: string) =>
  ((e.result as { events: { eventType: string; payload: unknown }[] }).events.find((ev) => ev.eventType === type))?.payload;

describe('durable timers, signals and approvals', () => {
  let t: TestRuntime;
  before(async () => {
    t = await testRuntime({ realms: [realm] });
  });
  after(() => t.close());

  test('ctx.sleep: execute() returns the execution waiting, without a lease; a worker resumes it after the timer', async () => {
    const r = await t.runtime.execute(intent('nap', { key: 'n1' }));
    assert.equal(r.status, 'waiting');
    const held = await leaseOf(t.db, r.executionId);
    assert.equal(held.status, 'waiting');
    assert.equal(held.leaseExpiresAt, null, 'a waiting execution holds no lease');
    assert.ok(held.availableAt, 'it is resumed at its timer');
    const worker = t.runtime.startWorker({ concurrency: 1, pollIntervalMs: 20 });
    const e = await t.runtime.waitForExecution(r.executionId, ACME);
    await worker.stop();
    assert.equal(e.status, 'completed');
    assert.deepEqual(eventOf(e, 'nap.done'), { before: 1, afterNap: 1 });
    assert.equal(runs.get('n1:before'), 1, 'the step before the timer ran once');
    const wal = await t.runtime.listWal({ tenantId: 'acme', executionId: r.executionId });
    assert.deepEqual(journeyOf(wal), ['accepted→running', 'running→waiting', 'waiting→running', 'running→materializing', 'materializing→completed']);
    // Resuming a wait is not a retry.
    assert.equal(e.attempts, 2);
  });

  test('execute() again with the same intent id: still waiting before the timer, resumed in this process after it (as `run` does)', async () => {
    const first = await t.runtime.execute({ ...intent('nap', { key: 'n2' }), intentId: 'nap-again' });
    assert.equal(first.status, 'waiting');
    const early = await t.runtime.execute({ ...intent('nap', { key: 'n2' }), intentId: 'nap-again' });
    assert.equal(early.executionId, first.executionId);
    let last = early;
    await until('the repeated intent completes the execution', async () => {
      last = await t.runtime.execute({ ...intent('nap', { key: 'n2' }), intentId: 'nap-again' });
      return last.status !== 'waiting';
    });
    assert.equal(last.status, 'completed');
    assert.equal(last.executionId, first.executionId);
    assert.equal(runs.get('n2:before'), 1);
    assert.equal(runs.get('n2:after'), 1);
  });

  test('ctx.waitFor: a signal sent before the wait is kept and consumed at once', async () => {
    const s = await t.runtime.submit(intent('listen', { key: 'l1' }));
    await t.runtime.signalExecution(s.executionId, 'go', ACME, { data: { k: 1 }, sentBy: 'ops' });
    const worker = t.runtime.startWorker({ concurrency: 1, pollIntervalMs: 20 });
    const e = await t.runtime.waitForExecution(s.executionId, ACME);
    await worker.stop();
    assert.equal(e.status, 'completed');
    assert.deepEqual(journeyOf(await t.runtime.listWal({ tenantId: 'acme', executionId: s.executionId })).includes('running→waiting'), false);
    assert.deepEqual({ ...(eventOf(e, 'listen.done') as object), sentAt: 'x' }, { timedOut: false, data: { k: 1 }, sentBy: 'ops', sentAt: 'x' });
  });

  test('ctx.waitFor: a waiting execution resumes when its signal arrives; another name does not wake it', async () => {
    const r = await t.runtime.execute(intent('listen', { key: 'l2' }));
    assert.equal(r.status, 'waiting');
    assert.equal((await leaseOf(t.db, r.executionId)).availableAt, null, 'no timeout: only its signal resumes it');
    const other = await t.runtime.signalExecution(r.executionId, 'unrelated', ACME, { data: 1 });
    assert.equal(other.resumed, false);
    const sent = await t.runtime.signalExecution(r.executionId, 'go', ACME, { data: { k: 2 } });
    assert.equal(sent.resumed, true);
    const worker = t.runtime.startWorker({ concurrency: 1, pollIntervalMs: 20 });
    const e = await t.runtime.waitForExecution(r.executionId, ACME);
    await worker.stop();
    assert.equal((eventOf(e, 'listen.done') as { data: unknown }).data && (eventOf(e, 'listen.done') as { data: { k: number } }).data.k, 2);
    // Finished: signals are refused, other tenants never see it.
    await assert.rejects(t.runtime.signalExecution(r.executionId, 'go', ACME), { code: 'SYM_ERR_CONFLICT' });
    await assert.rejects(t.runtime.signalExecution(r.executionId, 'go', { tenantId: 'globex' }), { code: 'SYM_ERR_NOT_FOUND' });
  });

  test('ctx.waitFor with a timeout resumes timed out', async () => {
    const r = await t.runtime.execute(intent('listen', { key: 'l3', timeout: '200ms' }));
    assert.equal(r.status, 'waiting');
    const worker = t.runtime.startWorker({ concurrency: 1, pollIntervalMs: 20 });
    const e = await t.runtime.waitForExecution(r.executionId, ACME);
    await worker.stop();
    assert.deepEqual(eventOf(e, 'listen.done'), { timedOut: true });
  });

  test('ctx.approval: listed in the inbox; approve resumes it, the decision is a governance_decision explained with who and why', async () => {
    const r = await t.runtime.execute(intent('publish', { key: 'p1' }));
    assert.equal(r.status, 'waiting');
    const inbox = await t.runtime.listApprovals(ACME);
    const mine = inbox.find((a) => a.executionId === r.executionId);
    assert.deepEqual(mine && { name: mine.name, summary: mine.summary, onTimeout: mine.onTimeout }, { name: 'publish', summary: 'post p1', onTimeout: 'reject' });
    assert.equal((await t.runtime.listApprovals({ tenantId: 'globex' })).length, 0);
    // An approval the handler does not wait for is refused, and nothing is recorded for it.
    await assert.rejects(t.runtime.decideApproval(r.executionId, 'nope', ACME, { decision: 'approve', by: 'mallory' }),
      { code: 'SYM_ERR_CONFLICT', message: /waits for no approval 'nope' \(it waits for 'publish'\)/ });
    const decided = await t.runtime.decideApproval(r.executionId, 'publish', ACME, { decision: 'approve', by: 'alice', reason: 'looks right' });
    assert.equal(decided.approved, true);
    // Decided: out of the inbox at once, before any worker resumes it.
    assert.equal((await t.runtime.listApprovals(ACME)).some((a) => a.executionId === r.executionId), false);
    await assert.rejects(t.runtime.decideApproval(r.executionId, 'publish', ACME, { decision: 'reject', by: 'bob' }), { code: 'SYM_ERR_CONFLICT' });
    const worker = t.runtime.startWorker({ concurrency: 1, pollIntervalMs: 20 });
    const e = await t.runtime.waitForExecution(r.executionId, ACME);
    await worker.stop();
    assert.equal((eventOf(e, 'post.published') as { by: string }).by, 'alice');
    assert.equal(runs.get('p1:draft'), 1, 'the draft step did not run again after the approval');
    const wal = await t.runtime.listWal({ tenantId: 'acme', executionId: r.executionId });
    const rec = wal.find((w) => w.recordType === WalRecordType.GOVERNANCE_DECISION && w.payload.kind === 'approval')!;
    assert.deepEqual([rec.payload.approval, rec.payload.decision, rec.payload.by, rec.payload.reason], ['publish', 'approved', 'alice', 'looks right']);
    const explained = await t.runtime.explainExecution(r.executionId, ACME);
    assert.deepEqual(explained.approvals.map((a) => [a.approval, a.decision, a.by, a.reason]), [['publish', 'approved', 'alice', 'looks right']]);
    assert.equal((await t.runtime.listApprovals(ACME)).some((a) => a.executionId === r.executionId), false);
  });

  test('ctx.approval: reject, and a timeout decided by onTimeout (reject by default, fail on request)', async () => {
    const rejected = await t.runtime.execute(intent('publish', { key: 'p2' }));
    await t.runtime.decideApproval(rejected.executionId, 'publish', ACME, { decision: 'reject', by: 'bob', reason: 'off-brand' });
    const timedOut = await t.runtime.execute(intent('publish', { key: 'p3', timeout: '200ms' }));
    const failing = await t.runtime.execute(intent('publish', { key: 'p4', timeout: '200ms', onTimeout: 'fail' }));
    const worker = t.runtime.startWorker({ concurrency: 2, pollIntervalMs: 20 });
    const [e2, e3, e4] = await Promise.all([rejected, timedOut, failing].map((x) => t.runtime.waitForExecution(x.executionId, ACME)));
    await worker.stop();
    assert.deepEqual(eventOf(e2!, 'post.rejected'), { approved: false, decision: 'rejected', by: 'bob', reason: 'off-brand', at: (eventOf(e2!, 'post.rejected') as { at: string }).at });
    assert.equal((eventOf(e3!, 'post.rejected') as { decision: string }).decision, 'timed_out');
    assert.equal(e4!.status, 'failed');
    assert.equal(e4!.error?.code, 'SYM_ERR_APPROVAL_TIMEOUT');
    const explained = await t.runtime.explainExecution(timedOut.executionId, ACME);
    assert.deepEqual(explained.approvals.map((a) => [a.decision, a.by]), [['timed_out', null]]);
    await assert.rejects(t.runtime.decideApproval(e2!.executionId, 'publish', ACME, { decision: 'maybe' as 'approve', by: 'x' }), { code: 'SYM_ERR_INVALID_REQUEST' });
  });

  test('waiting executions hold no lease and no worker slot: 1,000 of them, and a worker of concurrency 4 still drains other work', async () => {
    const waiting: string[] = [];
    for (let i = 0; i < 1000; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, j) => t.runtime.execute(intent('listen', { key: `w${i + j}` }))));
      for (const b of batch) {
        assert.equal(b.status, 'waiting');
        waiting.push(b.executionId);
      }
    }
    const others = await Promise.all(Array.from({ length: 20 }, (_, i) => t.runtime.submit(intent('other', { key: `o${i}` }))));
    const worker = t.runtime.startWorker({ concurrency: 4, pollIntervalMs: 20 });
    for (const o of others) assert.equal((await t.runtime.waitForExecution(o.executionId, ACME)).status, 'completed');
    await worker.stop();
    const held = await t.db.scoped('acme').query<{ n: number | string }>(
      `SELECT count(*) AS n FROM symphainy.executions WHERE status = 'waiting' AND (lease_expires_at IS NOT NULL OR available_at IS NOT NULL)`);
    assert.equal(Number(held[0]!.n), 0);
    const still = await t.db.scoped('acme').query<{ n: number | string }>(
      `SELECT count(*) AS n FROM symphainy.executions WHERE status = 'waiting' AND execution_id = ANY($1::text[])`, [waiting]);
    assert.equal(Number(still[0]!.n), 1000);
  });
});
