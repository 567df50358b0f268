import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import { parseSolutionConfig } from '../../src/policy/solution-config.ts';
import { SymphainyCheckpointSaver } from '../../src/langgraph/index.ts';
import { allPages, expectProblem, ok } from './api-helpers.ts';
import { DocumentedResponses } from './documented-responses.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/http-server.ts';

// LangGraph threads over HTTP: a thread's checkpoints with their recorded decisions (never their
// content), each decision explained, legal holds placed and released; one tenant never reaches
// another's thread of the same id, and the admin key acts for the tenant Symphainy-Tenant names.

/** Content no answer may carry: a channel value, a metadata value and a pending write. */
const SEALED = ['channel-value-marker', 'metadata-marker', 'pending-write-marker'];

/** Stores `n` checkpoints on a thread (namespace `ns`), each the child of the one before; returns their ids, oldest first. */
async function putChain(saver: SymphainyCheckpointSaver, threadId: string, n: number, ns = ''): Promise<string[]> {
  const ids: string[] = [];
  let config: { configurable: Record<string, unknown> } = { configurable: { thread_id: threadId, checkpoint_ns: ns } };
  for (let i = 0; i < n; i++) {
    const checkpoint: Checkpoint = { ...emptyCheckpoint(), id: uuid6(-3), channel_values: { note: `${SEALED[0]} ${i}` }, channel_versions: { note: i + 1 } };
    config = await saver.put(config, checkpoint, { source: 'loop', step: i, parents: {}, note: SEALED[1] } as never, { note: i + 1 }) as typeof config;
    await saver.putWrites(config, [['note', SEALED[2]]], `task-${i}`);
    ids.push(checkpoint.id);
  }
  return ids;
}

describe('checkpoint routes: list, explain, hold and release a LangGraph thread', () => {
  let s: TestServer;
  let acme: string;
  let globex: string;
  let doc: DocumentedResponses;
  /** ids of acme's `th-1`, oldest first: three at the root, then one in a subgraph. */
  let chain: string[];
  let child: string;
  /** Calls, and checks the answer against the OpenAPI document (status, content type, schema). */
  const call = async (operationId: string, path: string, init: Parameters<TestServer['call']>[1] = {}) => {
    const res = await s.call(path, init);
    const body = await res.clone().text();
    assert.deepEqual(doc.violations(operationId, res.status, res.headers, body), [], `${operationId} ${res.status}: ${body}`);
    for (const marker of SEALED) assert.ok(!body.includes(marker), `${operationId} answered sealed content: ${body}`);
    return res;
  };
  const admin = (tenant?: string) => ({ key: ADMIN_KEY, headers: (tenant ? { 'symphainy-tenant': tenant } : {}) as Record<string, string> });
  const hold = (threadId: string, key: string, json: unknown, headers: Record<string, string> = {}) =>
    call('holdThread', `/v1/checkpoints/threads/${threadId}/hold`, { key, method: 'POST', json, headers });
  const release = (threadId: string, key: string) => call('releaseThread', `/v1/checkpoints/threads/${threadId}/hold`, { key, method: 'DELETE' });

  before(async () => {
    s = await startTestServer({
      runtime: {
        solutionConfig: parseSolutionConfig({ name: 'checkpoint-routes', materialization_policy: { checkpoint: { decision: 'persist', retention: '30d' } } }, 'inline'),
      },
    });
    acme = await s.tenant('acme');
    globex = await s.tenant('globex');
    doc = new DocumentedResponses(await ok(await s.call('/openapi.json')));
    const acmeSaver = new SymphainyCheckpointSaver(s.runtime, { tenantId: 'acme' });
    chain = await putChain(acmeSaver, 'th-1', 3);
    child = (await putChain(acmeSaver, 'th-1', 1, 'review:task-1'))[0]!;
    await putChain(acmeSaver, 'shared', 1);
    await putChain(new SymphainyCheckpointSaver(s.runtime, { tenantId: 'globex' }), 'shared', 2);
  });
  after(() => s.close());

  test("list: the thread's checkpoints newest first, every namespace, each with its recorded decision and no content", async () => {
    const page = await ok(await call('listThreadCheckpoints', '/v1/checkpoints/threads/th-1', { key: acme }));
    assert.equal(page.threadId, 'th-1');
    assert.equal(page.legalHold, null);
    assert.equal(page.nextCursor, null);
    assert.deepEqual(page.items.map((c: any) => c.checkpointId), [child, ...[...chain].reverse()]);
    const [sub, latest] = page.items;
    assert.equal(sub.checkpointNs, 'review:task-1');
    assert.equal(latest.checkpointNs, '');
    assert.equal(latest.parentCheckpointId, chain[1]);
    assert.equal(page.items.at(-1).parentCheckpointId, null);
    assert.deepEqual(Object.keys(latest).sort(), ['checkpointId', 'checkpointNs', 'createdAt', 'decision', 'expiresAt', 'parentCheckpointId', 'retainUntil', 'threadId']);
    assert.equal(latest.decision.decision, 'persist');
    assert.equal(latest.decision.layer, 'solution');
    assert.match(latest.decision.reason, /checkpoint: persist \(retention 30d\)/);
    assert.equal(latest.decision.policyVersion, s.runtime.resolver.resolve('acme').version);
    assert.ok(Date.parse(latest.retainUntil) - Date.parse(latest.createdAt) > 29 * 86_400_000);
    assert.equal(latest.expiresAt, null);
  });

  test('paging: limit and cursor walk the thread without repeats; a bad limit or cursor is a 400 naming it', async () => {
    const first = await ok(await call('listThreadCheckpoints', '/v1/checkpoints/threads/th-1?limit=3', { key: acme }));
    assert.equal(first.items.length, 3);
    assert.equal(typeof first.nextCursor, 'string');
    const second = await ok(await call('listThreadCheckpoints', `/v1/checkpoints/threads/th-1?limit=3&cursor=${encodeURIComponent(first.nextCursor)}`, { key: acme }));
    assert.deepEqual(second.items.map((c: any) => c.checkpointId), [chain[0]]);
    assert.equal(second.nextCursor, null);
    const { items, pages } = await allPages(s, acme, '/v1/checkpoints/threads/th-1', 1);
    assert.deepEqual(items.map((c: any) => c.checkpointId), [child, ...[...chain].reverse()]);
    assert.equal(pages, 4);
    // Stored within one millisecond (a page key's precision), older ones a few microseconds apart: still each once, newest id first.
    await s.db.scoped('acme').query(
      `UPDATE symphainy.checkpoints SET created_at = timestamptz '2030-01-01T00:00:00.123Z' + (random() * 900)::int * interval '1 microsecond'
        WHERE tenant_id = 'acme' AND thread_id = 'th-1'`);
    const sameMs = await allPages(s, acme, '/v1/checkpoints/threads/th-1', 1);
    assert.deepEqual(sameMs.items.map((c: any) => c.checkpointId), [child, ...[...chain].reverse()]);
    assert.ok(sameMs.items.every((c: any) => c.createdAt === '2030-01-01T00:00:00.123Z'));
    await expectProblem(await call('listThreadCheckpoints', '/v1/checkpoints/threads/th-1?limit=0', { key: acme }), 400, { field: 'limit' });
    await expectProblem(await call('listThreadCheckpoints', '/v1/checkpoints/threads/th-1?cursor=nope', { key: acme }), 400, { field: 'cursor' });
    await expectProblem(await call('listThreadCheckpoints', '/v1/checkpoints/threads/th-1?ns=x', { key: acme }), 400, { field: 'ns' });
    await expectProblem(await call('listThreadCheckpoints', '/v1/checkpoints/threads/.hidden', { key: acme }), 400, { field: 'threadId' });
    const missing = await expectProblem(await call('listThreadCheckpoints', '/v1/checkpoints/threads/no-such-thread', { key: acme }), 404, { code: 'SYM_ERR_NOT_FOUND' });
    assert.match(missing.detail, /thread 'no-such-thread' not found/);
  });

  test("explain: the recorded decision and every layer's verdict; a subgraph's by ?ns=; an unknown checkpoint is a 404 naming it", async () => {
    const why = await ok(await call('explainCheckpoint', `/v1/checkpoints/threads/th-1/${chain[2]}/explain`, { key: acme }));
    assert.deepEqual([why.threadId, why.checkpointNs, why.checkpointId], ['th-1', '', chain[2]]);
    assert.equal(why.recorded.decision, 'persist');
    assert.equal(why.recorded.retentionSeconds, 30 * 86_400);
    assert.equal(why.inputs.resultType, 'checkpoint');
    assert.deepEqual(why.chain.map((v: any) => `${v.layer}:${v.decision}`), ['platform:null', 'governance:null', 'solution:persist', 'default:null', 'fallback:discard']);
    const sub = await ok(await call('explainCheckpoint', `/v1/checkpoints/threads/th-1/${child}/explain?ns=review:task-1`, { key: acme }));
    assert.equal(sub.checkpointNs, 'review:task-1');
    // Without the namespace it is looked for at the root, where it is not.
    const rooted = await expectProblem(await call('explainCheckpoint', `/v1/checkpoints/threads/th-1/${child}/explain`, { key: acme }), 404);
    assert.match(rooted.detail, new RegExp(`checkpoint '${child}' of thread 'th-1'`));
    const unknown = await expectProblem(await call('explainCheckpoint', '/v1/checkpoints/threads/th-1/no-such-checkpoint/explain', { key: acme }), 404);
    assert.match(unknown.detail, /no-such-checkpoint/);
    await expectProblem(await call('explainCheckpoint', '/v1/checkpoints/threads/th-1/a%20b/explain', { key: acme }), 400, { field: 'checkpointId' });
    await expectProblem(await call('explainCheckpoint', `/v1/checkpoints/threads/th-1/${chain[2]}/explain?ns=${'x'.repeat(1001)}`, { key: acme }), 400, { field: 'ns' });
    await expectProblem(await call('explainCheckpoint', `/v1/checkpoints/threads/th-1/${chain[2]}/explain?ns=a%00b`, { key: acme }), 400, { field: 'ns' });
  });

  test('hold and release: recorded in the WAL, shown by the list, repeated holds replace the reason; 409 with no hold to release', async () => {
    const held = await ok(await hold('th-1', acme, { reason: 'case 7' }));
    assert.equal(held.threadId, 'th-1');
    assert.equal(held.legalHold.reason, 'case 7');
    assert.ok(!Number.isNaN(Date.parse(held.legalHold.since)));
    assert.deepEqual((await ok(await call('listThreadCheckpoints', '/v1/checkpoints/threads/th-1?limit=1', { key: acme }))).legalHold, held.legalHold);
    // As on an artifact, holding a held thread again is no error: the new reason is recorded.
    assert.equal((await ok(await hold('th-1', acme, { reason: '  case 8  ' }))).legalHold.reason, 'case 8');
    await expectProblem(await s.call('/v1/checkpoints/threads/th-1', { key: acme, method: 'DELETE' }), 404);
    await assert.rejects(s.runtime.checkpoints('acme').deleteThread('th-1'), { code: 'SYM_ERR_CONFLICT' });

    const released = await ok(await release('th-1', acme));
    assert.deepEqual(released, { threadId: 'th-1', legalHold: null });
    await expectProblem(await release('th-1', acme), 409, { code: 'SYM_ERR_CONFLICT' });
    const records = (await s.runtime.listWal({ tenantId: 'acme', recordType: 'legal_hold' })).map((r) => r.payload);
    assert.deepEqual(records, [
      { threadId: 'th-1', action: 'hold', reason: 'case 7' }, { threadId: 'th-1', action: 'hold', reason: 'case 8' }, { threadId: 'th-1', action: 'release' },
    ]);

    await expectProblem(await hold('th-1', acme, { reason: '' }), 400, { field: 'reason' });
    await expectProblem(await hold('th-1', acme, { reason: '   ' }), 400, { field: 'reason' });
    await expectProblem(await hold('th-1', acme, { reason: 'x'.repeat(501) }), 400, { field: 'reason' });
    await expectProblem(await hold('th-1', acme, {}), 400, { field: 'reason' });
    // What PostgreSQL cannot store is refused as input, not failed as a write.
    await expectProblem(await hold('th-1', acme, { reason: 'case\u00007' }), 400, { field: 'reason' });
    await expectProblem(await hold('th-1', acme, { reason: 'case \ud800' }), 400, { field: 'reason' });
    await expectProblem(await hold('th-1', acme, { reason: 'x', until: 'later' }), 400, { field: 'until' });
    await expectProblem(await hold('a%20b', acme, { reason: 'x' }), 400, { field: 'threadId' });
    await expectProblem(await hold('no-such-thread', acme, { reason: 'x' }), 404, { code: 'SYM_ERR_NOT_FOUND' });
    await expectProblem(await release('no-such-thread', acme), 404, { code: 'SYM_ERR_NOT_FOUND' });
  });

  test("tenant isolation: the same thread id is each tenant's own; another tenant's thread is not found", async () => {
    const ofAcme = await ok(await call('listThreadCheckpoints', '/v1/checkpoints/threads/shared', { key: acme }));
    const ofGlobex = await ok(await call('listThreadCheckpoints', '/v1/checkpoints/threads/shared', { key: globex }));
    assert.equal(ofAcme.items.length, 1);
    assert.equal(ofGlobex.items.length, 2);
    assert.ok(ofGlobex.items.every((c: any) => c.checkpointId !== ofAcme.items[0].checkpointId));
    await expectProblem(await call('listThreadCheckpoints', '/v1/checkpoints/threads/th-1', { key: globex }), 404);
    await expectProblem(await call('explainCheckpoint', `/v1/checkpoints/threads/shared/${ofAcme.items[0].checkpointId}/explain`, { key: globex }), 404);
    await expectProblem(await hold('th-1', globex, { reason: 'x' }), 404);
    await expectProblem(await release('th-1', globex), 404);
    // A tenant key's tenant is its own: the header cannot widen it.
    await expectProblem(await call('listThreadCheckpoints', '/v1/checkpoints/threads/th-1', { key: globex, headers: { 'symphainy-tenant': 'acme' } }), 404);

    await ok(await hold('shared', globex, { reason: 'globex case' }));
    assert.equal((await ok(await call('listThreadCheckpoints', '/v1/checkpoints/threads/shared', { key: acme }))).legalHold, null);
    await expectProblem(await release('shared', acme), 409);
    await ok(await release('shared', globex));
    assert.deepEqual((await s.runtime.listWal({ tenantId: 'acme', recordType: 'legal_hold' })).filter((r) => r.payload.threadId === 'shared'), []);
  });

  test('the admin key acts for the tenant Symphainy-Tenant names, and only with it', async () => {
    const asAcme = await ok(await call('listThreadCheckpoints', '/v1/checkpoints/threads/shared', admin('acme')));
    const asGlobex = await ok(await call('listThreadCheckpoints', '/v1/checkpoints/threads/shared', admin('globex')));
    assert.deepEqual(asAcme, await ok(await call('listThreadCheckpoints', '/v1/checkpoints/threads/shared', { key: acme })));
    assert.equal(asGlobex.items.length, 2);
    await expectProblem(await call('listThreadCheckpoints', '/v1/checkpoints/threads/shared', admin()), 403, { code: 'SYM_ERR_FORBIDDEN' });
    await expectProblem(await call('listThreadCheckpoints', '/v1/checkpoints/threads/shared', admin('nobody')), 403, { code: 'SYM_ERR_FORBIDDEN' });
    await expectProblem(await call('listThreadCheckpoints', '/v1/checkpoints/threads/shared', { key: null }), 401, { code: 'SYM_ERR_UNAUTHORIZED' });
    const held = await ok(await hold('shared', ADMIN_KEY, { reason: 'operator case' }, { 'symphainy-tenant': 'acme' }));
    assert.equal(held.legalHold.reason, 'operator case');
    assert.equal((await ok(await call('listThreadCheckpoints', '/v1/checkpoints/threads/shared', { key: globex }))).legalHold, null);
    await expectProblem(await hold('shared', ADMIN_KEY, { reason: 'x' }), 403);
    await ok(await call('releaseThread', '/v1/checkpoints/threads/shared/hold', { ...admin('acme'), method: 'DELETE' }));
  });

  test('a held thread with no checkpoint yet is a thread: listed empty with its hold, and can be released', async () => {
    await s.runtime.checkpoints('acme').hold('preserved', 'litigation before the first run');
    const page = await ok(await call('listThreadCheckpoints', '/v1/checkpoints/threads/preserved', { key: acme }));
    assert.deepEqual(page.items, []);
    assert.equal(page.legalHold.reason, 'litigation before the first run');
    await ok(await release('preserved', acme));
    await expectProblem(await call('listThreadCheckpoints', '/v1/checkpoints/threads/preserved', { key: acme }), 404);
  });
});
