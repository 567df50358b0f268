/**
 * The HTTP API end to end over loopback: every route's answer, idempotency,
 * cursor paging, limits and problem documents.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { journey } from '../../src/examples/journey.ts';
import { parseSolutionConfig } from '../../src/index.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/http-server.ts';
import { directResult, sha256, uid } from '../runtime/helpers.ts';
import { allPages, expectProblem, ok, pollExecution, postSop, SOP } from './api-helpers.ts';
import { counterRealm } from '../support/counter-realm.ts';
import { elapse } from '../support/database-time.ts';

describe('HTTP API: every route', () => {
  let server: TestServer;
  let key: string;
  let tenantId: string;
  let run: any; // a sync execution of journey.sop_to_workflow, session s1
  before(async () => {
    server = await startTestServer();
    tenantId = uid('api');
    key = await server.tenant(tenantId);
    run = await ok(await postSop(server, key, { sessionId: 's1' }));
  });
  after(() => server?.close());

  test('POST /v1/intents runs the intent and answers 200 with its result: each artifact with decision, layer and reason', async () => {
    assert.equal(run.status, 'completed');
    assert.equal(run.tenantId, tenantId, 'the tenant is the key\'s');
    assert.equal(run.intentType, 'journey.sop_to_workflow');
    assert.equal(run.sessionId, 's1');
    assert.match(run.policyVersion, /^sha256:/);
    assert.deepEqual(run.artifacts.map((a: any) => a.key).sort(), ['visual', 'workflow']);
    for (const a of run.artifacts) {
      assert.equal(a.decision, 'persist');
      assert.equal(a.layer, 'solution');
      assert.match(a.reason, new RegExp(`sets ${a.resultType}: persist`));
      assert.match(a.artifactId, /^art_/);
      assert.equal(a.stored, true);
    }
    const types = run.events.map((e: any) => e.eventType);
    assert.deepEqual(types, ['execution.started', 'workflow.generated', 'execution.completed']);
    assert.ok(run.events.every((e: any) => e.tenantId === tenantId && e.executionId === run.executionId));
  });

  test('POST /v1/intents?mode=async answers 202 with Location; a worker runs it; GET /v1/executions/:id shows it completed', async () => {
    const res = await postSop(server, key, { sessionId: 'async-1', query: '?mode=async' });
    const submitted = await ok(res, 202);
    assert.equal(submitted.status, 'queued');
    assert.equal(submitted.duplicate, false);
    assert.equal(submitted.tenantId, tenantId);
    assert.equal(res.headers.get('location'), `/v1/executions/${submitted.executionId}`);

    // Nothing runs it until a worker does.
    const queued = await ok(await server.call(res.headers.get('location')!, { key }));
    assert.equal(queued.status, 'queued');

    const worker = server.runtime.startWorker({ concurrency: 1 });
    try {
      const done = await pollExecution(server, key, submitted.executionId);
      assert.equal(done.status, 'completed');
      assert.equal(done.intentId, submitted.intentId);
      assert.equal(done.sessionId, 'async-1');
      assert.ok(done.state.references.workflow_artifact_id.startsWith('art_'));
      assert.ok(done.attempts >= 1);
    } finally {
      await worker.stop();
    }
  });

  test('GET /v1/executions/:id: status, parameters, state and the recorded result', async () => {
    const e = await ok(await server.call(`/v1/executions/${run.executionId}`, { key }));
    assert.equal(e.executionId, run.executionId);
    assert.equal(e.status, 'completed');
    assert.equal(e.realm, 'journey');
    assert.deepEqual(e.parameters, { sop_text: SOP });
    assert.equal(e.state.references.workflow_artifact_id, run.artifacts.find((a: any) => a.key === 'workflow').artifactId);
    assert.equal(e.state.semantic.workflow.payload.stepCount, 4);
    assert.equal(e.error, null);
    assert.equal(e.result.executionId, run.executionId);
  });

  test('GET /v1/executions filters by status, intentType and sessionId', async () => {
    const t = uid('filters');
    const k = await server.tenant(t);
    const a = await ok(await postSop(server, k, { sessionId: 'sa' }));
    const b = await ok(await postSop(server, k, { sessionId: 'sb' }));
    const roadmap = await ok(
      await server.call('/v1/intents', {
        key: k,
        method: 'POST',
        json: { intentType: 'outcomes.create_roadmap', sessionId: 'sa', parameters: { goals: ['Launch the API'] } },
      }),
    );
    assert.equal(roadmap.status, 'completed', JSON.stringify(roadmap));
    const queued = await ok(await postSop(server, k, { sessionId: 'sb', query: '?mode=async' }), 202);

    const ids = async (q: string) =>
      (await ok(await server.call(`/v1/executions${q}`, { key: k }))).items.map((e: any) => e.executionId).sort();
    assert.deepEqual(await ids(''), [a.executionId, b.executionId, roadmap.executionId, queued.executionId].sort());
    assert.deepEqual(await ids('?sessionId=sa'), [a.executionId, roadmap.executionId].sort());
    assert.deepEqual(await ids('?intentType=outcomes.create_roadmap'), [roadmap.executionId]);
    assert.deepEqual(await ids('?status=queued'), [queued.executionId]);
    assert.deepEqual(await ids('?status=completed&sessionId=sb'), [b.executionId]);
    assert.deepEqual(await ids('?status=failed'), []);
    await expectProblem(await server.call('/v1/executions?status=done', { key: k }), 400, { field: 'status' });
    await expectProblem(await server.call('/v1/executions?intentType=nodot', { key: k }), 400, { field: 'intentType' });
    await expectProblem(await server.call('/v1/executions?colour=red', { key: k }), 400, { field: 'colour' });
  });

  test('GET /v1/executions/:id/journey: the WAL records in order — intent, transitions, one decision per artifact', async () => {
    const j = await ok(await server.call(`/v1/executions/${run.executionId}/journey`, { key }));
    assert.equal(j.executionId, run.executionId);
    const records = j.records as any[];
    assert.deepEqual(records.map((r) => r.recordType), [
      'intent', 'state_transition', 'state_transition', 'governance_decision', 'governance_decision', 'state_transition',
    ]);
    const seqs = records.map((r) => r.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'in WAL order');
    assert.equal(new Set(seqs).size, seqs.length);
    assert.deepEqual(
      records.filter((r) => r.recordType === 'state_transition').map((r) => `${r.payload.from}→${r.payload.to}`),
      ['accepted→running', 'running→materializing', 'materializing→completed'],
    );
    assert.equal(records[0].payload.intent.intentId, run.intentId);
    const decisions = records.filter((r) => r.recordType === 'governance_decision');
    assert.deepEqual(decisions.map((d) => d.payload.artifactKey).sort(), ['visual', 'workflow']);
    for (const d of decisions) {
      assert.equal(d.payload.decision, 'persist');
      assert.equal(d.payload.layer, 'solution');
      assert.equal(d.payload.outcome.artifactId, run.artifacts.find((a: any) => a.key === d.payload.artifactKey).artifactId);
    }
    assert.ok(records.every((r) => r.tenantId === tenantId && r.executionId === run.executionId));
  });

  test('GET /v1/artifacts filters by resultType and executionId; GET /v1/artifacts/:id has the decision and lineage', async () => {
    const other = await ok(await postSop(server, key, { sessionId: 's2', sopText: '1. One\n2. Two' }));
    const all = await ok(await server.call('/v1/artifacts', { key }));
    assert.ok(all.items.length >= 4);
    assert.ok(all.items.every((a: any) => a.tenantId === tenantId));

    const visuals = await ok(await server.call('/v1/artifacts?resultType=visual', { key }));
    assert.ok(visuals.items.length >= 2);
    assert.ok(visuals.items.every((a: any) => a.resultType === 'visual'));

    const ofRun = await ok(await server.call(`/v1/artifacts?executionId=${run.executionId}`, { key }));
    assert.deepEqual(ofRun.items.map((a: any) => a.artifactId).sort(), run.artifacts.map((a: any) => a.artifactId).sort());
    const both = await ok(await server.call(`/v1/artifacts?executionId=${other.executionId}&resultType=workflow`, { key }));
    assert.deepEqual(both.items.map((a: any) => a.artifactId), [other.artifacts.find((a: any) => a.key === 'workflow').artifactId]);
    const bySession = await ok(await server.call('/v1/artifacts?sessionId=s2', { key }));
    assert.ok(bySession.items.every((a: any) => a.sessionId === 's2'));
    assert.equal(bySession.items.length, 2);

    const outcome = run.artifacts.find((a: any) => a.key === 'visual');
    const a = await ok(await server.call(`/v1/artifacts/${outcome.artifactId}`, { key }));
    assert.equal(a.artifactId, outcome.artifactId);
    assert.equal(a.resultType, 'visual');
    assert.equal(a.artifactKey, 'visual');
    assert.deepEqual(a.decision, { decision: 'persist', layer: 'solution', reason: outcome.reason, policyVersion: run.policyVersion });
    assert.deepEqual(a.lineage, {
      tenantId, sessionId: 's1', intentId: run.intentId, intentType: 'journey.sop_to_workflow',
      executionId: run.executionId, realm: 'journey', inputArtifactIds: [],
    });
    assert.deepEqual(a.renderings.map((r: any) => r.name).sort(), ['mermaid', 'svg']);
    assert.equal(JSON.stringify(a).includes('tenants/'), false, 'blob paths are not shown');
  });

  test('an artifact named in the parameters is in the lineage of what is made from it', async () => {
    const workflowId = run.artifacts.find((a: any) => a.key === 'workflow').artifactId;
    const sop = await ok(
      await server.call('/v1/intents', {
        key,
        method: 'POST',
        json: {
          intentType: 'journey.workflow_to_sop', sessionId: 's1',
          parameters: { workflow: { title: 'T', steps: ['a', 'b'] }, workflow_artifact_id: workflowId },
        },
      }),
    );
    const made = await ok(await server.call(`/v1/artifacts/${sop.artifacts[0].artifactId}`, { key }));
    assert.deepEqual(made.lineage.inputArtifactIds, [workflowId]);
  });

  test('GET /v1/artifacts/:id/content/:rendering: the bytes the realm produced, their content type, ETag; If-None-Match gives 304', async () => {
    const expected = await directResult(journey, 'sop_to_workflow', { sop_text: SOP });
    for (const outcome of run.artifacts) {
      const a = await ok(await server.call(`/v1/artifacts/${outcome.artifactId}`, { key }));
      const produced = expected.artifacts.find((x) => x.key === outcome.key)!;
      assert.equal(a.renderings.length, produced.renderings.length);
      for (const r of a.renderings) {
        const res = await server.call(r.href, { key });
        assert.equal(res.status, 200);
        const bytes = new Uint8Array(await res.arrayBuffer());
        const want = produced.renderings.find((p) => p.name === r.name)!;
        // Encryption at rest is on by default: the recorded address is an HMAC-SHA256 under the cover's keys,
        // so the clear index cannot confirm a guess of the bytes (a plain sha256 could).
        assert.match(r.sha256, /^[0-9a-f]{64}$/);
        assert.notEqual(r.sha256, sha256(bytes), `${outcome.key}/${r.name}: the recorded address is keyed, not the bytes' sha256`);
        assert.equal(sha256(bytes), sha256(want.bytes), `${outcome.key}/${r.name}: bytes are what the realm produced`);
        assert.equal(res.headers.get('content-type')?.split(';')[0], want.contentType.split(';')[0]);
        assert.equal(res.headers.get('content-type')?.split(';')[0], r.contentType.split(';')[0]);
        assert.equal(res.headers.get('etag'), `"${r.sha256}"`);
        assert.equal(Number(res.headers.get('content-length')), r.sizeBytes);

        const again = await server.call(r.href, { key, headers: { 'if-none-match': `"${r.sha256}"` } });
        assert.equal(again.status, 304);
        assert.equal(again.headers.get('etag'), `"${r.sha256}"`);
        assert.equal((await again.arrayBuffer()).byteLength, 0);
        for (const inm of [`"0000", "${r.sha256}"`, `W/"${r.sha256}"`, '*']) {
          const listed = await server.call(r.href, { key, headers: { 'if-none-match': inm } });
          assert.equal(listed.status, 304, `If-None-Match: ${inm}`);
          await listed.arrayBuffer();
        }
        const stale = await server.call(r.href, { key, headers: { 'if-none-match': '"0000"' } });
        assert.equal(stale.status, 200);
        await stale.arrayBuffer();
      }
    }
    const svg = await server.call(`/v1/artifacts/${run.artifacts.find((a: any) => a.key === 'visual').artifactId}/content/svg`, { key });
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
    assert.match(svg.headers.get('content-security-policy') ?? '', /sandbox/);
    assert.match(await svg.text(), /^<svg/);
  });

  test('an unknown rendering or artifact is a 404 problem', async () => {
    const id = run.artifacts[0].artifactId;
    const p = await expectProblem(await server.call(`/v1/artifacts/${id}/content/pdf`, { key }), 404, { code: 'SYM_ERR_NOT_FOUND' });
    assert.match(p.detail, /rendering 'pdf'/);
    await expectProblem(await server.call('/v1/artifacts/art_nope/content/svg', { key }), 404, { code: 'SYM_ERR_NOT_FOUND' });
    await expectProblem(await server.call('/v1/artifacts/art_nope', { key }), 404, { code: 'SYM_ERR_NOT_FOUND' });
    await expectProblem(await server.call('/v1/executions/nope', { key }), 404, { code: 'SYM_ERR_NOT_FOUND' });
    await expectProblem(await server.call('/v1/executions/nope/journey', { key }), 404, { code: 'SYM_ERR_NOT_FOUND' });
    await expectProblem(await server.call(`/v1/artifacts/${id}/content/..%2F..%2Fetc`, { key }), 400, { field: 'rendering' });
    await expectProblem(await server.call('/v1/nothing-here', { key }), 404, { code: 'SYM_ERR_NOT_FOUND' });
  });

  test('POST /v1/policy/explain: decision, layer, reason and all five layers; the tenant is the key\'s', async () => {
    const x = await ok(await server.call('/v1/policy/explain', { key, method: 'POST', json: { resultType: 'workflow', intentType: 'journey.sop_to_workflow' } }));
    assert.equal(x.input.tenantId, tenantId);
    assert.equal(x.result.decision, 'persist');
    assert.equal(x.result.layer, 'solution');
    assert.match(x.result.reason, /workflow: persist/);
    assert.match(x.result.policyVersion, /^sha256:/);
    assert.deepEqual(x.chain.map((c: any) => c.layer), ['platform', 'governance', 'solution', 'default', 'fallback']);
    assert.deepEqual(x.chain.map((c: any) => c.decision), [null, null, 'persist', 'discard', 'discard']);
    assert.ok(x.chain.every((c: any) => typeof c.said === 'string' && c.said.length > 0));

    const intent = await ok(await server.call('/v1/policy/explain', { key, method: 'POST', json: { resultType: 'intent' } }));
    assert.equal(intent.result.decision, 'persist');
    assert.equal(intent.result.layer, 'platform');
    const unknown = await ok(await server.call('/v1/policy/explain', { key, method: 'POST', json: { resultType: 'chart' } }));
    assert.deepEqual([unknown.result.decision, unknown.result.layer], ['discard', 'fallback']);

    await expectProblem(await server.call('/v1/policy/explain', { key, method: 'POST', json: { resultType: 'x', tenantId: 'other' } }), 400, { field: 'tenantId' });
    await expectProblem(await server.call('/v1/policy/explain', { key, method: 'POST', json: {} }), 400, { field: 'resultType' });
  });

  test('/healthz and /readyz are public; /openapi.json is public', async () => {
    assert.deepEqual(await ok(await server.call('/healthz')), { status: 'ok' });
    const ready = await ok(await server.call('/readyz'));
    assert.equal(ready.status, 'ready');
    assert.equal(typeof ready.store, 'string');
    const doc = await ok(await server.call('/openapi.json'));
    assert.match(doc.openapi, /^3\.1/);
    assert.ok(doc.paths['/v1/intents']);
  });

  test('/metrics (admin key): executions by status, decisions by layer, stage latencies, outbox lag', async () => {
    const res = await server.call('/metrics', { key: ADMIN_KEY });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    const value = (line: RegExp) => {
      const m = text.split('\n').find((l) => line.test(l));
      assert.ok(m, `no line matching ${line}`);
      return Number(m.split(' ').at(-1));
    };
    assert.ok(value(/^symphainy_executions\{status="completed"\} /) >= 1);
    assert.ok(value(/^symphainy_materialization_decisions_total\{layer="solution",decision="persist"\} /) >= 2);
    assert.ok(value(/^symphainy_stage_duration_seconds_bucket\{le="\+Inf",stage="realm"\} /) >= 1);
    assert.ok(value(/^symphainy_outbox_lag_seconds /) >= 0);
    assert.match(text, /^symphainy_http_requests_total\{method="POST",route="\/v1\/intents",status="200"\} \d+/m);
    assert.doesNotMatch(text, new RegExp(run.executionId), 'routes are labelled by pattern, not by URL');

    const forbidden = await expectProblem(await server.call('/metrics', { key }), 403, { code: 'SYM_ERR_FORBIDDEN' });
    assert.equal(forbidden.detail, 'GET /metrics needs the admin key; a tenant key cannot use it');
    await expectProblem(await server.call('/metrics'), 401, { code: 'SYM_ERR_UNAUTHORIZED' });
  });
});

describe('HTTP API: GET /v1/cache/:sessionId', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      runtime: {
        solutionConfig: parseSolutionConfig({ name: 'c', materialization_policy: { visual: { decision: 'cache', cache_ttl: '15m' } } }),
      },
    });
  });
  after(() => server?.close());

  test("a session's cached renderings until their TTL passes, then none", async () => {
    const key = await server.tenant(uid('cache'));
    const run = await ok(await postSop(server, key, { sessionId: 'sess-c' }));
    const visual = run.artifacts.find((a: any) => a.key === 'visual');
    assert.deepEqual([visual.decision, visual.layer], ['cache', 'solution']);
    const workflow = run.artifacts.find((a: any) => a.key === 'workflow');
    assert.deepEqual([workflow.decision, workflow.layer], ['discard', 'default']);

    const cached = await ok(await server.call('/v1/cache/sess-c', { key }));
    assert.equal(cached.sessionId, 'sess-c');
    assert.equal(cached.entries.length, 1);
    const e = cached.entries[0];
    assert.equal(e.executionId, run.executionId);
    assert.equal(e.artifactKey, 'visual');
    assert.equal(e.resultType, 'visual');
    assert.equal(e.cacheId, visual.cacheId);
    assert.equal(e.expiresAt, visual.expiresAt);
    const ttl = Date.parse(e.expiresAt) - Date.parse(e.createdAt);
    assert.ok(ttl >= 15 * 60_000 && ttl < 15 * 60_000 + 5000, `expiresAt is createdAt + 15m by the database's clock (${ttl} ms)`);
    assert.equal(e.decision.layer, 'solution');
    assert.equal(e.decision.ttlSeconds, 900);
    assert.equal(e.lineage.executionId, run.executionId);
    const expected = await directResult(journey, 'sop_to_workflow', { sop_text: SOP });
    const produced = expected.artifacts.find((a) => a.key === 'visual')!;
    assert.deepEqual(e.renderings.map((r: any) => r.name).sort(), ['mermaid', 'svg']);
    for (const r of e.renderings) {
      const want = produced.renderings.find((p) => p.name === r.name)!;
      assert.equal(r.text, Buffer.from(want.bytes).toString('utf8'));
      assert.equal(r.sizeBytes, want.bytes.byteLength);
    }
    assert.deepEqual((await ok(await server.call('/v1/cache/another-session', { key }))).entries, []);
    // Nothing of it is in the artifact index: cached is not persisted.
    assert.deepEqual((await ok(await server.call(`/v1/artifacts?executionId=${run.executionId}`, { key }))).items, []);

    await elapse(server.db, 14 * 60);
    assert.equal((await ok(await server.call('/v1/cache/sess-c', { key }))).entries.length, 1, 'still there before the TTL passes');
    await elapse(server.db, 2 * 60);
    assert.deepEqual(await ok(await server.call('/v1/cache/sess-c', { key })), { sessionId: 'sess-c', entries: [] });
  });
});

// ---- Idempotency-Key ---------------------------------------------------------

const { realm: counter, runs } = counterRealm();

describe('HTTP API: Idempotency-Key', () => {
  let server: TestServer;
  let key: string;
  let tenantId: string;
  before(async () => {
    server = await startTestServer({ runtime: { realms: [counter] } });
    tenantId = uid('idem');
    key = await server.tenant(tenantId);
  });
  after(() => server?.close());

  const bump = (k: string, idem: string | undefined, parameters: Record<string, unknown> = {}, query = '', intentId?: string) =>
    server.call(`/v1/intents${query}`, {
      key: k,
      method: 'POST',
      headers: idem === undefined ? {} : { 'idempotency-key': idem },
      json: { intentType: 'counter.bump', sessionId: 's', parameters, ...(intentId ? { intentId } : {}) },
    });

  test('the same key twice: the same execution and result, the handler ran once', async () => {
    const idem = uid('k');
    const before = runs.calls;
    const first = await ok(await bump(key, idem, { n: 1 }));
    const second = await ok(await bump(key, idem, { n: 1 }));
    assert.equal(runs.calls, before + 1);
    assert.equal(first.status, 'completed');
    assert.equal(first.intentId, idem, 'the key is the intent id');
    assert.deepEqual(second, first);
    const listed = await ok(await server.call('/v1/executions?intentType=counter.bump', { key }));
    assert.equal(listed.items.filter((e: any) => e.intentId === idem).length, 1);
  });

  test('the same key with other parameters is a 409 problem; nothing runs', async () => {
    const idem = uid('k');
    await ok(await bump(key, idem, { n: 1 }));
    const before = runs.calls;
    await expectProblem(await bump(key, idem, { n: 2 }), 409, { code: 'SYM_ERR_DUPLICATE_INTENT' });
    assert.equal(runs.calls, before);
  });

  test('the same key five times at once: one execution; the others get 409 or the same result, never a second run', async () => {
    const idem = uid('k');
    const before = runs.calls;
    const answers = await Promise.all(Array.from({ length: 5 }, () => bump(key, idem, { slowMs: 300 })));
    const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, body: await r.json() })));
    assert.equal(runs.calls, before + 1, 'the handler ran once');
    const okOnes = bodies.filter((b) => b.status === 200);
    assert.ok(okOnes.length >= 1, JSON.stringify(bodies.map((b) => b.status)));
    for (const b of bodies) {
      if (b.status === 200) assert.deepEqual(b.body, okOnes[0]!.body);
      else {
        assert.equal(b.status, 409, JSON.stringify(b.body));
        assert.equal(b.body.code, 'SYM_ERR_DUPLICATE_INTENT');
      }
    }
    const again = await ok(await bump(key, idem, { slowMs: 300 }));
    assert.deepEqual(again, okOnes[0]!.body);
    assert.equal(runs.calls, before + 1);
    const executions = await server.runtime.listExecutions({ tenantId, limit: 1000 });
    assert.equal(executions.filter((e) => e.intentId === idem).length, 1);
  });

  test('the same key from another tenant is a separate execution', async () => {
    const idem = uid('k');
    const otherKey = await server.tenant(uid('idem-other'));
    const before = runs.calls;
    const mine = await ok(await bump(key, idem));
    const theirs = await ok(await bump(otherKey, idem));
    assert.equal(runs.calls, before + 2);
    assert.notEqual(theirs.executionId, mine.executionId);
    assert.notEqual(theirs.tenantId, mine.tenantId);
    assert.equal(theirs.intentId, idem);
  });

  test('async with the same key: 202 and the same execution, duplicate: true', async () => {
    const idem = uid('k');
    const first = await ok(await bump(key, idem, {}, '?mode=async'), 202);
    assert.equal(first.duplicate, false);
    const second = await ok(await bump(key, idem, {}, '?mode=async'), 202);
    assert.equal(second.executionId, first.executionId);
    assert.equal(second.duplicate, true);

    // While it is queued: the same key with other parameters, or synchronously, is a 409.
    await expectProblem(await bump(key, idem, { other: true }, '?mode=async'), 409, { code: 'SYM_ERR_DUPLICATE_INTENT' });
    await expectProblem(await bump(key, idem), 409, { code: 'SYM_ERR_DUPLICATE_INTENT' });

    // A key first used synchronously answers async retries with that execution too.
    const syncKey = uid('k');
    const ran = await ok(await bump(key, syncKey));
    const before = runs.calls;
    const res = await bump(key, syncKey, {}, '?mode=async');
    const queued = await ok(res, 202);
    assert.equal(queued.executionId, ran.executionId);
    assert.equal(queued.duplicate, true);
    assert.equal(queued.status, 'completed');
    assert.equal(res.headers.get('location'), `/v1/executions/${ran.executionId}`);
    assert.equal(runs.calls, before);
  });

  test('a realm that fails: 200 with status failed and the error; a retry with the same key does not run it again', async () => {
    const idem = uid('k');
    const before = runs.calls;
    const post = () => server.call('/v1/intents', { key, method: 'POST', headers: { 'idempotency-key': idem }, json: { intentType: 'counter.fail', sessionId: 's' } });
    const failed = await ok(await post());
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'SYM_ERR_REALM_FAILED');
    assert.deepEqual(failed.artifacts, []);
    assert.deepEqual(await ok(await post()), failed);
    assert.equal(runs.calls, before + 1);
    const listed = await ok(await server.call('/v1/executions?status=failed', { key }));
    assert.ok(listed.items.some((e: any) => e.executionId === failed.executionId && e.error.code === 'SYM_ERR_REALM_FAILED'));
  });

  test('an Idempotency-Key and a different intentId in the body: 400 naming the header; the same value is fine', async () => {
    const idem = uid('k');
    await expectProblem(await bump(key, idem, {}, '', uid('other')), 400, { field: 'Idempotency-Key' });
    const same = await ok(await bump(key, idem, {}, '', idem));
    assert.equal(same.intentId, idem);
    await expectProblem(await bump(key, 'not a valid key!'), 400, { field: 'idempotency-key' });
  });
});

// ---- cursor paging -----------------------------------------------------------

describe('HTTP API: cursor paging', () => {
  let server: TestServer;
  let key: string;
  let tenantId: string;
  const N = 23;
  before(async () => {
    server = await startTestServer();
    tenantId = uid('paging');
    key = await server.tenant(tenantId);
    for (let i = 0; i < N; i++) await ok(await postSop(server, key, { sessionId: `p${i}`, sopText: `1. Step ${i}\n2. Done` }));
  });
  after(() => server?.close());

  const newestFirst = (at: (x: any) => string, id: (x: any) => string) => (x: any, y: any) =>
    at(x) === at(y) ? (id(x) < id(y) ? 1 : -1) : at(x) < at(y) ? 1 : -1;

  test('GET /v1/executions with limit=5: every execution exactly once, newest first, nextCursor null at the end', async () => {
    const { items, pages } = await allPages(server, key, '/v1/executions', 5);
    assert.equal(pages, 5);
    assert.equal(items.length, N);
    assert.equal(new Set(items.map((e) => e.executionId)).size, N);
    const at = (e: any) => e.submittedAt ?? e.startedAt;
    assert.deepEqual(items, [...items].sort(newestFirst(at, (e) => e.executionId)));
    const stored = await server.runtime.listExecutions({ tenantId, limit: 1000 });
    assert.deepEqual(items.map((e) => e.executionId).sort(), stored.map((e) => e.executionId).sort());
  });

  test('GET /v1/artifacts with limit=5: every artifact exactly once, newest first', async () => {
    const { items } = await allPages(server, key, '/v1/artifacts', 5);
    assert.equal(items.length, 2 * N);
    assert.equal(new Set(items.map((a) => a.artifactId)).size, 2 * N);
    assert.deepEqual(items, [...items].sort(newestFirst((a) => a.createdAt, (a) => a.artifactId)));
    const { items: visuals } = await allPages(server, key, '/v1/artifacts?resultType=visual', 4);
    assert.equal(visuals.length, N);
    assert.ok(visuals.every((a) => a.resultType === 'visual'));
  });

  test('executions and artifacts added while paging cause no repeats or gaps among those already there', async () => {
    const beforeIds = (await allPages(server, key, '/v1/executions', 100)).items.map((e) => e.executionId);

    // New work arrives between pages: a sync execution (two artifacts) and a queued one.
    const addWork = async () => {
      await ok(await postSop(server, key, { sessionId: 'late' }));
      await ok(await postSop(server, key, { sessionId: 'late', query: '?mode=async' }), 202);
    };
    const pageThrough = async (path: string, limit: number, idOf: (x: any) => string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const p: any = await ok(await server.call(`${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { key }));
        seen.push(...p.items.map(idOf));
        cursor = p.nextCursor;
        await addWork();
      } while (cursor !== null);
      return seen;
    };
    const seen = await pageThrough('/v1/executions', 5, (e) => e.executionId);
    const beforeArtifacts = (await allPages(server, key, '/v1/artifacts', 100)).items.map((a) => a.artifactId);
    const seenArtifacts = await pageThrough('/v1/artifacts', 7, (a) => a.artifactId);

    // Each walk starts with what was there when it began: exactly those, each once (newer ones belong before page 1).
    assert.equal(new Set(seen).size, seen.length, 'no execution twice');
    assert.deepEqual([...seen].sort(), [...beforeIds].sort(), 'no execution missing, none added');
    assert.equal(new Set(seenArtifacts).size, seenArtifacts.length, 'no artifact twice');
    assert.deepEqual([...seenArtifacts].sort(), [...beforeArtifacts].sort(), 'no artifact missing, none added');
    const now = await server.runtime.listArtifacts({ tenantId, limit: 10_000 });
    assert.ok(now.length > beforeArtifacts.length, 'artifacts were added while paging');
  });

  test('a garbage cursor is a 400 naming cursor; a bad limit is a 400 naming limit', async () => {
    for (const path of ['/v1/executions', '/v1/artifacts']) {
      for (const cursor of ['garbage', 'eyJ4IjoxfQ', Buffer.from('["not a date","x"]').toString('base64url'), Buffer.from('["2024-01-01T00:00:00Z",""]').toString('base64url'), 'x'.repeat(600)]) {
        await expectProblem(await server.call(`${path}?cursor=${cursor}`, { key }), 400, { field: 'cursor' });
      }
      for (const limit of ['0', '-1', 'abc', '501', '1.5', '', '99999999999']) {
        await expectProblem(await server.call(`${path}?limit=${limit}`, { key }), 400, { field: 'limit' });
      }
      const page = await ok(await server.call(`${path}?limit=500`, { key }));
      assert.equal(page.nextCursor, null);
    }
  });

  test('the page size is the server\'s limits.pageSize', async () => {
    const small = await startTestServer({ http: { limits: { pageSize: 3 } } });
    try {
      const k = await small.tenant('small');
      for (let i = 0; i < 4; i++) await ok(await postSop(small, k));
      const p = await ok(await small.call('/v1/executions', { key: k }));
      assert.equal(p.items.length, 3, 'the default page is at most limits.pageSize');
      assert.notEqual(p.nextCursor, null);
      await ok(await small.call('/v1/executions?limit=3', { key: k }));
      const tooMany = await expectProblem(await small.call('/v1/executions?limit=4', { key: k }), 400, { field: 'limit' });
      assert.match(tooMany.detail, /3/);
    } finally {
      await small.close();
    }
  });
});

// ---- limits and problem documents -----------------------------------------------

describe('HTTP API: limits and problem documents', () => {
  let server: TestServer;
  let key: string;
  before(async () => {
    server = await startTestServer({ http: { limits: { bodyBytes: 2048, parameterDepth: 8, renderingBytes: 200 } } });
    key = await server.tenant(uid('limits'));
  });
  after(() => server?.close());

  const raw = (body: string, contentType?: string) =>
    fetch(`${server.url}/v1/intents`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${key}`, ...(contentType ? { 'content-type': contentType } : {}) },
    });
  const valid = JSON.stringify({ intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: '1. a\n2. b' } });

  test('a body over limits.bodyBytes is a 413 problem', async () => {
    await expectProblem(await postSop(server, key, { sopText: `1. ${'x'.repeat(3000)}` }), 413, { code: 'SYM_ERR_LIMIT' });
    await ok(await postSop(server, key, { sopText: `1. ${'x'.repeat(1500)}` }));
  });

  test('parameters nested deeper than limits.parameterDepth are a 413 naming parameters', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 9; i++) deep = { a: deep };
    const p = await expectProblem(
      await server.call('/v1/intents', { key, method: 'POST', json: { intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: deep } }),
      413,
      { code: 'SYM_ERR_LIMIT', field: 'parameters' },
    );
    assert.match(p.detail, /8/);
    let arrays: unknown = 1;
    for (let i = 0; i < 20; i++) arrays = [arrays];
    await expectProblem(
      await server.call('/v1/intents', { key, method: 'POST', json: { intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: arrays } } }),
      413,
      { field: 'parameters' },
    );
    // At the limit it is the intent's own schema that answers.
    let atLimit: unknown = 'x';
    for (let i = 0; i < 7; i++) atLimit = { a: atLimit };
    await expectProblem(
      await server.call('/v1/intents', { key, method: 'POST', json: { intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: atLimit } }),
      400,
      { code: 'SYM_ERR_INVALID_INTENT', field: 'parameters.sop_text' },
    );
  });

  test('a rendering over limits.renderingBytes is a 403 SYM_ERR_RENDERING_TOO_LARGE (413 is for request content); smaller ones are served', async () => {
    const run = await ok(await postSop(server, key));
    const visual = run.artifacts.find((a: any) => a.key === 'visual').artifactId;
    const a = await ok(await server.call(`/v1/artifacts/${visual}`, { key }));
    const svg = a.renderings.find((r: any) => r.name === 'svg');
    const mermaid = a.renderings.find((r: any) => r.name === 'mermaid');
    assert.ok(svg.sizeBytes > 200 && mermaid.sizeBytes <= 200, `svg ${svg.sizeBytes}, mermaid ${mermaid.sizeBytes}`);
    const p = await expectProblem(await server.call(svg.href, { key }), 403, { code: 'SYM_ERR_RENDERING_TOO_LARGE' });
    assert.match(p.detail, /svg/);
    const small = await server.call(mermaid.href, { key });
    assert.equal(small.status, 200);
    assert.equal((await small.arrayBuffer()).byteLength, mermaid.sizeBytes);
    assert.equal(small.headers.get('etag'), `"${mermaid.sha256}"`);
  });

  test('a body that is not JSON is a 415; invalid JSON is a 400', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      await expectProblem(await raw(valid, type), 415, { field: 'Content-Type' });
    }
    await expectProblem(await raw(valid), 415, { field: 'Content-Type' }); // fetch sends a string as text/plain
    await ok(await raw(valid, 'application/json; charset=utf-8'));
    await expectProblem(await raw('{"intentType":', 'application/json'), 400, { code: 'SYM_ERR_INVALID_REQUEST', field: '' });
    await expectProblem(await raw('', 'application/json'), 400, { code: 'SYM_ERR_INVALID_REQUEST' });
    await expectProblem(await raw('[1,2]', 'application/json'), 400, { code: 'SYM_ERR_INVALID_REQUEST' });
    await expectProblem(await raw('{"__proto__":{"x":1}}', 'application/json'), 400, { code: 'SYM_ERR_INVALID_REQUEST' });
  });

  test('every 4xx names the offending field', async () => {
    const post = (json: unknown) => server.call('/v1/intents', { key, method: 'POST', json });
    await expectProblem(await post({ sessionId: 's', parameters: {} }), 400, { field: 'intentType' });
    await expectProblem(await post({ intentType: 'journey.sop_to_workflow', parameters: {} }), 400, { field: 'sessionId' });
    await expectProblem(await post({ intentType: 'journey.sop_to_workflow', sessionId: '../etc', parameters: {} }), 400, { field: 'sessionId' });
    await expectProblem(await post({ intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: [] }), 400, { field: 'parameters' });
    await expectProblem(await post({ intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: 7 } }), 400, {
      code: 'SYM_ERR_INVALID_INTENT', field: 'parameters.sop_text',
    });
    await expectProblem(await post({ intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: 'x' }, timeoutMs: -1 }), 400, { field: 'timeoutMs' });
    await expectProblem(await post({ intentType: 'journey.sop_to_workflow', sessionId: 's', extra: 1 }), 400, { field: 'extra' });
    const unknown = await expectProblem(await post({ intentType: 'nope.nothing', sessionId: 's', parameters: {} }), 404, { code: 'SYM_ERR_UNKNOWN_INTENT' });
    assert.match(unknown.detail, /nope\.nothing/);
    await expectProblem(await server.call('/v1/intents?mode=later', { key, method: 'POST', json: JSON.parse(valid) }), 400, { field: 'mode' });
    await expectProblem(await server.call('/v1/intents?mode=async', { key, method: 'POST', json: { ...JSON.parse(valid), timeoutMs: 1000 } }), 400, { field: 'timeoutMs' });
    await expectProblem(await server.call('/v1/executions/a%20b', { key }), 400, { field: 'id' });
  });

  test('a tenantId in the body is refused, naming the field: the tenant is the key\'s', async () => {
    const p = await expectProblem(
      await server.call('/v1/intents', { key, method: 'POST', json: { ...JSON.parse(valid), tenantId: 'someone-else' } }),
      400,
      { code: 'SYM_ERR_INVALID_REQUEST', field: 'tenantId' },
    );
    assert.match(p.detail, /tenantId/);
    assert.deepEqual((await server.runtime.listExecutions({ tenantId: 'someone-else', limit: 10 })), []);
  });
});
