import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { createRuntime, defineRealm, type Runtime } from '../../src/index.ts';
import { expectProblem, ok } from '../http/api-helpers.ts';
import { root } from '../faults/worker-supervisor.ts';
import { startTestServer, type TestServer } from '../support/http-server.ts';
import { freshServerDb, silentLogger, TEST_DRIVER, type ServerTestDb } from '../support/test-runtime.ts';

const params = z.strictObject({ key: z.string(), timeout: z.string().optional() });
const realm = defineRealm({
  name: 'review',
  intents: {
    publish: {
      params,
      async handler(p, ctx) {
        const draft = await ctx.step('draft', () => ({ title: `post ${p.key}` }));
        const ok = await ctx.approval('publish', { summary: draft.title, ...(p.timeout ? { timeout: p.timeout } : {}) });
        return { artifacts: {}, events: [{ type: ok.approved ? 'post.published' : 'post.rejected', data: ok }] };
      },
    },
    listen: {
      params,
      async handler(_p, ctx) {
        const got = await ctx.waitFor('go');
        return { artifacts: {}, events: [{ type: 'listen.done', data: got }] };
      },
    },
  },
});
const intent = (type: string, tenantId: string, p: Record<string, unknown>) => ({ intentType: `review.${type}`, tenantId, sessionId: 's', parameters: p });
const approvalRecords = async (rt: Runtime, tenantId: string, executionId: string) =>
  (await rt.listWal({ tenantId, executionId })).filter((r) => r.recordType === 'governance_decision' && r.payload.kind === 'approval')
    .map((r) => [r.payload.decision, r.payload.by, r.payload.reason]);

describe('approvals and signals over HTTP', () => {
  let s: TestServer;
  let key: string;
  let otherKey: string;
  before(async () => {
    s = await startTestServer({ runtime: { realms: [realm] } });
    key = await s.tenant('acme');
    otherKey = await s.tenant('globex');
  });
  after(() => s.close());

  test('the inbox lists a waiting approval; approve, reject and timeout resume it, each a decision record naming the key', async () => {
    const approved = await s.runtime.execute(intent('publish', 'acme', { key: 'h1' }));
    const rejected = await s.runtime.execute(intent('publish', 'acme', { key: 'h2' }));
    const timedOut = await s.runtime.execute(intent('publish', 'acme', { key: 'h3', timeout: '200ms' }));
    const inbox = await ok<{ items: { executionId: string; name: string; summary: string }[] }>(await s.call('/v1/approvals', { key }));
    assert.deepEqual(inbox.items.filter((a) => a.executionId === approved.executionId).map((a) => [a.name, a.summary]), [['publish', 'post h1']]);
    assert.deepEqual((await ok<{ items: unknown[] }>(await s.call('/v1/approvals', { key: otherKey }))).items, []);

    const url = (id: string) => `/v1/executions/${id}/approvals/publish`;
    await expectProblem(await s.call(url(approved.executionId), { key: otherKey, method: 'POST', json: { decision: 'approve' } }), 404, { code: 'SYM_ERR_NOT_FOUND' });
    await expectProblem(await s.call(url(approved.executionId), { key, method: 'POST', json: { decision: 'perhaps' } }), 400, { field: 'decision' });
    const d = await ok(await s.call(url(approved.executionId), { key, method: 'POST', json: { decision: 'approve', reason: 'looks right' } }));
    assert.equal(d.decision, 'approved');
    assert.match(d.by, /^api-key:/);
    await expectProblem(await s.call(url(approved.executionId), { key, method: 'POST', json: { decision: 'reject' } }), 409, { code: 'SYM_ERR_CONFLICT' });
    await ok(await s.call(url(rejected.executionId), { key, method: 'POST', json: { decision: 'reject', reason: 'off-brand' } }));

    const worker = s.runtime.startWorker({ concurrency: 2, pollIntervalMs: 20 });
    const done = await Promise.all([approved, rejected, timedOut].map((x) => s.runtime.waitForExecution(x.executionId, { tenantId: 'acme' })));
    await worker.stop();
    assert.deepEqual(done.map((e) => e.status), ['completed', 'completed', 'completed']);
    const types = done.map((e) => (e.result as { events: { eventType: string }[] }).events.map((ev) => ev.eventType).find((t) => t.startsWith('post.')));
    assert.deepEqual(types, ['post.published', 'post.rejected', 'post.rejected']);
    const [a, r, t] = await Promise.all(done.map((e) => approvalRecords(s.runtime, 'acme', e.executionId)));
    assert.equal(a![0]![0], 'approved');
    assert.equal(a![0]![2], 'looks right');
    assert.deepEqual(r![0]!.slice(0, 1).concat(r![0]!.slice(2)), ['rejected', 'off-brand']);
    assert.deepEqual(t![0]!.slice(0, 2), ['timed_out', null]);
    // The journey over HTTP holds the decision too.
    const journey = await ok(await s.call(`/v1/executions/${approved.executionId}/journey`, { key }));
    assert.ok(journey.records.some((x: { payload: { kind?: string } }) => x.payload.kind === 'approval'));
    await expectProblem(await s.call(url(approved.executionId), { key, method: 'POST', json: { decision: 'approve' } }), 409);
  });

  test('POST /v1/executions/:id/signals/:name resumes a waiting execution with the data', async () => {
    const w = await s.runtime.execute(intent('listen', 'acme', { key: 'sig' }));
    assert.equal(w.status, 'waiting');
    const sent = await ok(await s.call(`/v1/executions/${w.executionId}/signals/go`, { key, method: 'POST', json: { data: { k: 1 } } }));
    assert.equal(sent.resumed, true);
    await expectProblem(await s.call(`/v1/executions/${w.executionId}/signals/go`, { key: otherKey, method: 'POST', json: {} }), 404);
    const worker = s.runtime.startWorker({ concurrency: 1, pollIntervalMs: 20 });
    const e = await s.runtime.waitForExecution(w.executionId, { tenantId: 'acme' });
    await worker.stop();
    const got = (e.result as { events: { eventType: string; payload: { data: unknown } }[] }).events.find((ev) => ev.eventType === 'listen.done')!;
    assert.deepEqual(got.payload.data, { k: 1 });
    await expectProblem(await s.call(`/v1/executions/${w.executionId}/signals/go`, { key, method: 'POST', json: {} }), 409, { code: 'SYM_ERR_CONFLICT' });
  });
});

describe('approvals and signals from the CLI', () => {
  let dir: string;
  let server: ServerTestDb | null = null;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-approvals-cli-'));
    if (TEST_DRIVER === 'postgres') server = await freshServerDb();
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const store = () => (server ? ['--database-url', server.url] : ['--data-dir', join(dir, 'data')]);
  const open = () => createRuntime({ ...(server ? { db: server } : { dataDir: join(dir, 'data') }), realms: [realm], logger: silentLogger });
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/symphainy.js'), ...store(), ...args], {
      cwd: root, encoding: 'utf8', env: { ...process.env, SYMPHAINY_LOG_LEVEL: 'error' },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  test('executions list --status waiting, approve, reject, signal: decisions recorded with who and why', async () => {
    let rt = await open();
    const [a, r, w] = await Promise.all([
      rt.execute(intent('publish', 'acme', { key: 'c1' })), rt.execute(intent('publish', 'acme', { key: 'c2' })), rt.execute(intent('listen', 'acme', { key: 'c3' })),
    ]);
    await rt.close();

    const listed = cli(['executions', 'list', '--status', 'waiting', '--tenant', 'acme', '--json']);
    assert.equal(listed.code, 0, listed.err);
    assert.deepEqual((JSON.parse(listed.out) as { executionId: string }[]).map((e) => e.executionId).sort(), [a!.executionId, r!.executionId, w!.executionId].sort());
    const inbox = cli(['executions', 'approvals', '--tenant', 'acme', '--json']);
    assert.equal((JSON.parse(inbox.out) as unknown[]).length, 2);
    const approve = cli(['executions', 'approve', a!.executionId, 'publish', '--tenant', 'acme', '--reason', 'looks right']);
    assert.equal(approve.code, 0, approve.err);
    assert.match(approve.out, /approved by cli:/);
    assert.equal(cli(['executions', 'reject', r!.executionId, 'publish', '--reason', 'no']).code, 0);
    const again = cli(['executions', 'reject', r!.executionId, 'publish']);
    assert.notEqual(again.code, 0);
    assert.match(again.err, /^error \[SYM_ERR_CONFLICT\]: approval 'publish' of execution .* was decided already/m);
    assert.doesNotMatch(again.err, /\n\s+at /);
    const badData = cli(['executions', 'signal', w!.executionId, 'go', '--data', '{nope']);
    assert.match(badData.err, /SYM_ERR_CONFIG\]: --data: not JSON/);
    assert.equal(cli(['executions', 'signal', w!.executionId, 'go', '--data', '{"k":1}']).code, 0);

    rt = await open();
    try {
      const worker = rt.startWorker({ concurrency: 3, pollIntervalMs: 20 });
      const done = await Promise.all([a, r, w].map((x) => rt.waitForExecution(x!.executionId, { tenantId: 'acme' })));
      await worker.stop();
      const evs = done.map((e) => (e.result as { events: { eventType: string; payload: Record<string, unknown> }[] }).events.at(-2)!);
      assert.deepEqual(evs.map((e) => e.eventType), ['post.published', 'post.rejected', 'listen.done']);
      assert.equal(evs[0]!.payload.reason, 'looks right');
      assert.deepEqual(evs[2]!.payload.data, { k: 1 });
      const explained = await rt.explainExecution(a!.executionId, { tenantId: 'acme' });
      assert.match(explained.approvals[0]!.by!, /^cli:/);
    } finally {
      await rt.close();
    }
  });
});
