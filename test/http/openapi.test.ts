/**
 * The OpenAPI document is valid OpenAPI 3.1, and every operation in it
 * answers as documented: each status a test provokes is listed for the
 * operation, with its content type, headers and (JSON) body schema. The last
 * test fails when the document gains an operation or a response that no
 * test here provokes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { parseSolutionConfig } from '../../src/policy/solution-config.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/http-server.ts';
import { codesWithStatus, PROBLEM_TYPES } from '../../src/http/problem-types.ts';
import { documentedCodes } from '../errors/documented-codes.ts';
import { defineRealm } from '../../src/realm/define-realm.ts';
import { DocumentedResponses, internalsIn, mediaType } from './documented-responses.ts';
import { SymphainyCheckpointSaver } from '../../src/langgraph/index.ts';

/** Responses the document lists that no test here can provoke (`operationId status`), and why. */
const NOT_PROVOKED: Record<string, string> = {};

const SOP = '1. Receive\n2. Ship';
const LONG_SOP = Array.from({ length: 40 }, (_, i) => `${i + 1}. Step number ${i + 1} of a long procedure`).join('\n');
/** Small enough for a 2-step workflow's renderings, too small for the 40-step one's JSON. */
const RENDERING_LIMIT = 1024;

let server: TestServer;
let doc: Record<string, any>;
let spec: DocumentedResponses;
let key: string;
let otherKey: string;
/** `operationId status` of every answer checked. */
const provoked = new Set<string>();
/** Error code → statuses it was answered with → `operationId`s. */
const answered = new Map<string, Map<number, Set<string>>>();

type CallInit = RequestInit & { key?: string | null; json?: unknown };

/**
 * Calls the server and checks the answer against the document for
 * `operationId`; returns the status, headers and body (parsed when JSON).
 */
async function call(operationId: string, path: string, init: CallInit = {}): Promise<{ status: number; headers: Headers; body: any; bytes: Buffer }> {
  const op = spec.operations.get(operationId);
  assert.ok(op, `no operation ${operationId} in the document`);
  const res = await server.call(path, { method: op.method, ...init });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  const problems = spec.violations(operationId, res.status, res.headers, text);
  assert.deepEqual(problems, [], `${op.method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
  if (res.status >= 400) assertProblem(res.status, text, operationId);
  provoked.add(`${operationId} ${res.status}`);
  const type = mediaType(res.headers.get('content-type'));
  const body = type === 'application/json' || type.endsWith('+json') ? JSON.parse(text) : text;
  return { status: res.status, headers: res.headers, body, bytes };
}

/** Calls and asserts the status. */
async function expect(status: number, operationId: string, path: string, init: CallInit = {}): Promise<any> {
  const r = await call(operationId, path, init);
  assert.equal(r.status, status, `${operationId} ${path}: expected ${status}, got ${r.status}: ${typeof r.body === 'string' ? r.body : JSON.stringify(r.body)}`);
  return r.body;
}

function assertProblem(status: number, text: string, operationId = '(no route)'): void {
  const p = JSON.parse(text) as { status: number; detail: string; code: string; errors?: unknown };
  assert.equal(p.status, status, text);
  // The README: every client error names what is wrong in errors[] (empty when nothing in particular is).
  if (status < 500) assert.ok(Array.isArray(p.errors), `a ${status} without errors[]: ${text}`);
  const statuses = answered.get(p.code) ?? new Map<number, Set<string>>();
  statuses.set(status, (statuses.get(status) ?? new Set()).add(operationId));
  answered.set(p.code, statuses);
  assert.ok(p.detail.length > 0, text);
  assert.match(p.code, /^SYM_ERR_[A-Z_]+$/, text);
  assert.equal(internalsIn(text), null, text);
}

/** Provokes 401 (no key, a wrong key) and 403 (the other kind of key) for an operation. */
async function authErrors(operationId: string, path: string, init: CallInit = {}): Promise<void> {
  const admin = spec.operations.get(operationId)!.access === 'admin';
  await expect(401, operationId, path, { ...init, key: null });
  await expect(401, operationId, path, { ...init, key: `sym_0123456789abcdef_${'A'.repeat(43)}` });
  await expect(403, operationId, path, { ...init, key: admin ? key : ADMIN_KEY });
}

const sop = (sessionId: string, sopText = SOP) => ({ intentType: 'journey.sop_to_workflow', sessionId, parameters: { sop_text: sopText } });

before(async () => {
  server = await startTestServer({
    runtime: {
      // Workflows persisted, flowchart visuals cached: both artifact routes and the cache route have something to show.
      solutionConfig: parseSolutionConfig({ name: 'conformance', materialization_policy: { workflow: 'persist', visual: 'cache', checkpoint: 'persist' } }),
    },
    http: { limits: { renderingBytes: RENDERING_LIMIT } },
  });
  key = await server.tenant('conformance-a');
  otherKey = await server.tenant('conformance-b');
  const res = await server.call('/openapi.json');
  assert.equal(res.status, 200);
  assert.equal(mediaType(res.headers.get('content-type')), 'application/json');
  doc = (await res.json()) as Record<string, any>;
  spec = new DocumentedResponses(doc);
});

after(async () => {
  await server?.close();
});

test('GET /openapi.json is a valid OpenAPI 3.1 document', async () => {
  assert.equal(doc.openapi, '3.1.0');
  const validated = (await SwaggerParser.validate(structuredClone(doc) as any)) as Record<string, any>;
  assert.equal(validated.openapi, '3.1.0');
  const ids = [...spec.operations.keys()];
  assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
  for (const op of spec.operations.values()) {
    for (const [status, r] of Object.entries(op.responses)) {
      if (Number(status) >= 400) assert.deepEqual(Object.keys(r.content ?? {}), ['application/problem+json'], `${op.operationId} ${status}`);
    }
  }
});

test("each error response of the document lists the codes the table gives its status, and a code one status only", () => {
  const statusOf = new Map<string, string>();
  const faults: string[] = [];
  for (const op of spec.operations.values()) {
    for (const [status, r] of Object.entries(op.responses)) {
      if (Number(status) < 400) continue;
      const schema = r.content['application/problem+json'].schema;
      assert.equal(schema.properties.status.const, Number(status), `${op.operationId} ${status}: the status member`);
      const codes = schema.properties.code.enum as string[];
      assert.deepEqual(codes, codesWithStatus(Number(status)), `${op.operationId} ${status}: the codes of the table with this status`);
      assert.ok(codes.length > 0, `${op.operationId} documents ${status}, which no code has`);
      for (const code of codes) {
        if ((statusOf.get(code) ?? status) !== status) faults.push(`${code}: ${statusOf.get(code)} and ${status} (${op.operationId})`);
        statusOf.set(code, status);
      }
    }
  }
  assert.deepEqual(faults, [], 'a code under two statuses');
  assert.deepEqual([...doc.components.schemas.Problem.properties.code.enum].sort(), Object.keys(PROBLEM_TYPES).sort());
});

describe('every operation answers as documented', () => {
  let executionId: string;
  let sessionId: string;
  let workflowArtifactId: string;
  let bigArtifactId: string;

  test('executeIntent: sync, async, and every documented error', async () => {
    sessionId = 'conf-session-1';
    const result = await expect(200, 'executeIntent', '/v1/intents', { key, json: sop(sessionId) });
    assert.equal(result.status, 'completed');
    executionId = result.executionId;
    const workflow = result.artifacts.find((a: any) => a.resultType === 'workflow');
    assert.equal(workflow.decision, 'persist');
    workflowArtifactId = workflow.artifactId;
    assert.equal(result.artifacts.find((a: any) => a.resultType === 'visual').decision, 'cache');

    // A second execution for paging, and a big workflow whose JSON rendering is over the rendering limit.
    await expect(200, 'executeIntent', '/v1/intents', { key, json: sop('conf-session-2') });
    const big = await expect(200, 'executeIntent', '/v1/intents', { key, json: sop('conf-session-3', LONG_SOP) });
    bigArtifactId = big.artifacts.find((a: any) => a.resultType === 'workflow').artifactId;

    // A realm failure is still a 200, with status failed and the error.
    const failed = await expect(200, 'executeIntent', '/v1/intents', { key, json: sop(sessionId, '# Only a heading') });
    assert.equal(failed.status, 'failed');
    assert.equal(typeof failed.error.code, 'string');

    const queued = await call('executeIntent', '/v1/intents?mode=async', { key, json: sop('conf-session-async') });
    assert.equal(queued.status, 202);
    assert.equal(queued.headers.get('location'), `/v1/executions/${queued.body.executionId}`);
    assert.equal(queued.body.duplicate, false);
    const polled = await expect(200, 'getExecution', `/v1/executions/${queued.body.executionId}`, { key });
    assert.ok(['queued', 'running', 'completed'].includes(polled.status));

    // Idempotency-Key: the same request again is the first execution; a different one under the key is a conflict.
    const first = await expect(200, 'executeIntent', '/v1/intents', { key, json: sop('conf-idem'), headers: { 'idempotency-key': 'conf-idem-1' } });
    const again = await expect(200, 'executeIntent', '/v1/intents', { key, json: sop('conf-idem'), headers: { 'idempotency-key': 'conf-idem-1' } });
    assert.equal(again.executionId, first.executionId);
    await expect(409, 'executeIntent', '/v1/intents', { key, json: sop('conf-idem', '1. Other\n2. Steps'), headers: { 'idempotency-key': 'conf-idem-1' } });

    await expect(400, 'executeIntent', '/v1/intents', { key, json: { intentType: 'journey.sop_to_workflow' } });
    await expect(400, 'executeIntent', '/v1/intents', { key, json: { ...sop(sessionId), parameters: { sop_text: 42 } } });
    await expect(400, 'executeIntent', '/v1/intents?mode=later', { key, json: sop(sessionId) });
    await expect(400, 'executeIntent', '/v1/intents', { key, json: sop(sessionId), headers: { 'idempotency-key': '../etc' } });
    await expect(404, 'executeIntent', '/v1/intents', { key, json: { ...sop(sessionId), intentType: 'nowhere.nothing' } });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { d: deep };
    await expect(413, 'executeIntent', '/v1/intents', { key, json: { ...sop(sessionId), parameters: { sop_text: SOP, deep } } });
    await expect(413, 'executeIntent', '/v1/intents', { key, json: sop(sessionId, 'x'.repeat(1024 * 1024 + 10)) });
    await expect(415, 'executeIntent', '/v1/intents', { key, body: JSON.stringify(sop(sessionId)), headers: { 'content-type': 'application/xml' } });
    await expect(400, 'executeIntent', '/v1/intents', { key, body: '{"intentType":', headers: { 'content-type': 'application/json' } });
    await authErrors('executeIntent', '/v1/intents', { json: sop(sessionId) });
  });

  test('getExecution, listExecutions (two pages), getJourney', async () => {
    const e = await expect(200, 'getExecution', `/v1/executions/${executionId}`, { key });
    assert.equal(e.executionId, executionId);
    assert.equal(e.status, 'completed');
    await expect(400, 'getExecution', '/v1/executions/.hidden', { key });
    await expect(404, 'getExecution', '/v1/executions/no-such-execution', { key });
    await expect(404, 'getExecution', `/v1/executions/${executionId}`, { key: otherKey });
    await authErrors('getExecution', `/v1/executions/${executionId}`);

    const page1 = await expect(200, 'listExecutions', '/v1/executions?limit=1', { key });
    assert.equal(page1.items.length, 1);
    assert.equal(typeof page1.nextCursor, 'string');
    const page2 = await expect(200, 'listExecutions', `/v1/executions?limit=1&cursor=${encodeURIComponent(page1.nextCursor)}`, { key });
    assert.equal(page2.items.length, 1);
    assert.notEqual(page2.items[0].executionId, page1.items[0].executionId);
    const filtered = await expect(200, 'listExecutions', `/v1/executions?sessionId=${sessionId}&status=completed&intentType=journey.sop_to_workflow`, { key });
    assert.ok(filtered.items.some((x: any) => x.executionId === executionId));
    const queued = await expect(200, 'listExecutions', '/v1/executions?status=queued', { key });
    assert.ok(queued.items.length >= 0);
    await expect(400, 'listExecutions', '/v1/executions?cursor=not-a-cursor', { key });
    await expect(400, 'listExecutions', '/v1/executions?limit=0', { key });
    await expect(400, 'listExecutions', '/v1/executions?bogus=1', { key });
    await authErrors('listExecutions', '/v1/executions');

    const journey = await expect(200, 'getJourney', `/v1/executions/${executionId}/journey`, { key });
    assert.equal(journey.executionId, executionId);
    assert.ok(journey.records.length > 0);
    await expect(400, 'getJourney', '/v1/executions/a%20b/journey', { key });
    await expect(404, 'getJourney', '/v1/executions/no-such-execution/journey', { key });
    await authErrors('getJourney', `/v1/executions/${executionId}/journey`);
  });

  test('listSteps, getLineage, listRetentionDue, getPolicy (the console reads)', async () => {
    const steps = await expect(200, 'listSteps', `/v1/executions/${executionId}/steps`, { key });
    assert.equal(steps.executionId, executionId);
    await expect(400, 'listSteps', '/v1/executions/a%20b/steps', { key });
    await expect(404, 'listSteps', `/v1/executions/${executionId}/steps`, { key: otherKey });
    await authErrors('listSteps', `/v1/executions/${executionId}/steps`);

    const lineage = await expect(200, 'getLineage', `/v1/executions/${executionId}/lineage`, { key });
    assert.ok(lineage.outputs.some((a: any) => a.resultType === 'workflow'));
    await expect(400, 'getLineage', '/v1/executions/a%20b/lineage', { key });
    await expect(404, 'getLineage', `/v1/executions/${executionId}/lineage`, { key: otherKey });
    await authErrors('getLineage', `/v1/executions/${executionId}/lineage`);

    await expect(200, 'listRetentionDue', '/v1/retention/due?within=30d&limit=5', { key });
    await expect(400, 'listRetentionDue', '/v1/retention/due?within=whenever', { key });
    await authErrors('listRetentionDue', '/v1/retention/due');

    const policy = await expect(200, 'getPolicy', '/v1/policy', { key });
    assert.equal(policy.layers.solution.name, 'conformance');
    await expect(400, 'getPolicy', '/v1/policy?solutionId=x', { key });
    await authErrors('getPolicy', '/v1/policy');
  });

  test('retryExecution: a failed execution is queued again; 409 once it is not failed or dead', async () => {
    const failed = await expect(200, 'executeIntent', '/v1/intents', { key, json: sop('conf-retry', '# Only a heading') });
    assert.equal(failed.status, 'failed');
    const queued = await expect(200, 'retryExecution', `/v1/executions/${failed.executionId}/retry`, { key, method: 'POST' });
    assert.equal(queued.status, 'queued');
    await expect(409, 'retryExecution', `/v1/executions/${executionId}/retry`, { key, method: 'POST' });
    await expect(400, 'retryExecution', '/v1/executions/.hidden/retry', { key, method: 'POST' });
    await expect(404, 'retryExecution', '/v1/executions/no-such-execution/retry', { key, method: 'POST' });
    await expect(404, 'retryExecution', `/v1/executions/${failed.executionId}/retry`, { key: otherKey, method: 'POST' });
    await expect(413, 'retryExecution', `/v1/executions/${executionId}/retry`, { key, method: 'POST', json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'retryExecution', `/v1/executions/${executionId}/retry`, { key, method: 'POST', body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('retryExecution', `/v1/executions/${executionId}/retry`, { method: 'POST' });
  });

  test('decideApproval, signalExecution, listApprovals: an execution waiting in ctx.approval', async () => {
    server.runtime.registerRealm(defineRealm({
      name: 'conf_approvals',
      intents: { publish: { async handler(_p, ctx) { const ok = await ctx.approval('publish'); return { artifacts: {}, events: [{ type: 'decided', data: ok }] }; } } },
    }));
    const waiting = await expect(200, 'executeIntent', '/v1/intents', { key, json: { intentType: 'conf_approvals.publish', sessionId: 'conf-approvals', parameters: {} } });
    assert.equal(waiting.status, 'waiting');
    const inbox = await expect(200, 'listApprovals', '/v1/approvals', { key });
    assert.ok(inbox.items.some((a: any) => a.executionId === waiting.executionId));
    await expect(400, 'listApprovals', '/v1/approvals?limit=-1', { key });
    await authErrors('listApprovals', '/v1/approvals');
    const url = `/v1/executions/${waiting.executionId}/approvals/publish`;
    await expect(400, 'decideApproval', url, { key, method: 'POST', json: { decision: 'maybe' } });
    await expect(404, 'decideApproval', url, { key: otherKey, method: 'POST', json: { decision: 'approve' } });
    await expect(413, 'decideApproval', url, { key, method: 'POST', json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'decideApproval', url, { key, method: 'POST', body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('decideApproval', url, { method: 'POST', json: { decision: 'approve' } });
    const signal = `/v1/executions/${waiting.executionId}/signals/go`;
    await expect(200, 'signalExecution', signal, { key, method: 'POST', json: { data: { k: 1 } } });
    await expect(400, 'signalExecution', '/v1/executions/.hidden/signals/go', { key, method: 'POST', json: {} });
    await expect(404, 'signalExecution', signal, { key: otherKey, method: 'POST', json: {} });
    await expect(409, 'signalExecution', `/v1/executions/${executionId}/signals/go`, { key, method: 'POST', json: {} });
    await expect(413, 'signalExecution', signal, { key, method: 'POST', json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'signalExecution', signal, { key, method: 'POST', body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('signalExecution', signal, { method: 'POST', json: {} });
    const decided = await expect(200, 'decideApproval', url, { key, method: 'POST', json: { decision: 'approve', reason: 'ok' } });
    assert.equal(decided.decision, 'approved');
    await expect(409, 'decideApproval', url, { key, method: 'POST', json: { decision: 'reject' } });
  });

  test('listArtifacts (two pages), getArtifact, getRendering (ETag, 304, 403 over limits.rendering)', async () => {
    const page1 = await expect(200, 'listArtifacts', '/v1/artifacts?limit=1', { key });
    assert.equal(page1.items.length, 1);
    assert.equal(typeof page1.nextCursor, 'string');
    const page2 = await expect(200, 'listArtifacts', `/v1/artifacts?limit=1&cursor=${encodeURIComponent(page1.nextCursor)}`, { key });
    assert.notEqual(page2.items[0].artifactId, page1.items[0].artifactId);
    await expect(200, 'listArtifacts', `/v1/artifacts?resultType=workflow&executionId=${executionId}&sessionId=${sessionId}`, { key });
    await expect(400, 'listArtifacts', '/v1/artifacts?resultType=a%20b', { key });
    await authErrors('listArtifacts', '/v1/artifacts');

    const artifact = await expect(200, 'getArtifact', `/v1/artifacts/${workflowArtifactId}`, { key });
    assert.equal(artifact.artifactId, workflowArtifactId);
    assert.equal(artifact.decision.decision, 'persist');
    await expect(400, 'getArtifact', '/v1/artifacts/%00', { key });
    await expect(404, 'getArtifact', '/v1/artifacts/art_nothing', { key });
    await expect(404, 'getArtifact', `/v1/artifacts/${workflowArtifactId}`, { key: otherKey });
    await authErrors('getArtifact', `/v1/artifacts/${workflowArtifactId}`);

    assert.ok(artifact.renderings.length > 0);
    for (const r of artifact.renderings) {
      const got = await call('getRendering', r.href, { key });
      assert.equal(got.status, 200);
      // The recorded address (keyed under encryption at rest, the default) is the ETag; it is not the bytes' plain sha256.
      const sha = r.sha256 as string;
      assert.notEqual(createHash('sha256').update(got.bytes).digest('hex'), sha);
      assert.equal(got.headers.get('etag'), `"${sha}"`);
      assert.equal(mediaType(got.headers.get('content-type')), mediaType(r.contentType));
      assert.equal(got.bytes.length, r.sizeBytes);
      const notModified = await call('getRendering', r.href, { key, headers: { 'if-none-match': `"${sha}"` } });
      assert.equal(notModified.status, 304);
      assert.equal(notModified.bytes.length, 0);
      assert.equal(notModified.headers.get('etag'), `"${sha}"`);
      const stale = await call('getRendering', r.href, { key, headers: { 'if-none-match': '"0000"' } });
      assert.equal(stale.status, 200);
    }
    const first = artifact.renderings[0].href as string;
    await expect(400, 'getRendering', `/v1/artifacts/${workflowArtifactId}/content/a%09b`, { key }); // a control character: the naming rule refuses it
    await expect(404, 'getRendering', `/v1/artifacts/${workflowArtifactId}/content/no_such_rendering`, { key });
    await expect(404, 'getRendering', '/v1/artifacts/art_nothing/content/markdown', { key });
    await expect(404, 'getRendering', first, { key: otherKey });
    const tooLarge = await expect(403, 'getRendering', `/v1/artifacts/${bigArtifactId}/content/workflow_json`, { key });
    assert.equal(tooLarge.code, 'SYM_ERR_RENDERING_TOO_LARGE');
    await authErrors('getRendering', first);
  });

  test('getSessionCache: the cached visual, nothing for another session or tenant', async () => {
    const cached = await expect(200, 'getSessionCache', `/v1/cache/${sessionId}`, { key });
    assert.equal(cached.sessionId, sessionId);
    assert.ok(cached.entries.length >= 1);
    const visual = cached.entries.find((e: any) => e.resultType === 'visual');
    assert.ok(visual);
    assert.equal(visual.executionId, executionId);
    assert.ok(visual.renderings.some((r: any) => r.name === 'svg' && typeof r.text === 'string' && r.text.includes('<svg')));
    assert.deepEqual((await expect(200, 'getSessionCache', '/v1/cache/no-such-session', { key })).entries, []);
    assert.deepEqual((await expect(200, 'getSessionCache', `/v1/cache/${sessionId}`, { key: otherKey })).entries, []);
    await expect(400, 'getSessionCache', '/v1/cache/.hidden', { key });
    await authErrors('getSessionCache', `/v1/cache/${sessionId}`);
  });

  test('explainPolicy', async () => {
    const e = await expect(200, 'explainPolicy', '/v1/policy/explain', { key, json: { resultType: 'visual', intentType: 'journey.sop_to_workflow', realm: 'journey', sizeBytes: 10, tags: ['x'] } });
    assert.equal(e.result.decision, 'cache');
    assert.equal(e.result.layer, 'solution');
    assert.ok(e.chain.length > 0);
    await expect(400, 'explainPolicy', '/v1/policy/explain', { key, json: { resultType: '' } });
    await expect(400, 'explainPolicy', '/v1/policy/explain', { key, json: { resultType: 'workflow', tenantId: 'conformance-b' } });
    await expect(413, 'explainPolicy', '/v1/policy/explain', { key, json: { resultType: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'explainPolicy', '/v1/policy/explain', { key, body: '{"resultType":"x"}', headers: { 'content-type': 'application/xml' } });
    await authErrors('explainPolicy', '/v1/policy/explain', { json: { resultType: 'workflow' } });
  });

  test('streamEvents: an event stream, resumable; a foreign Last-Event-ID is refused', async () => {
    const abort = new AbortController();
    const res = await server.call('/v1/events', { key, signal: abort.signal });
    try {
      assert.deepEqual(spec.violations('streamEvents', res.status, res.headers, undefined), []);
      assert.equal(res.status, 200);
      assert.equal(mediaType(res.headers.get('content-type')), 'text/event-stream');
      // The first event's id resumes a stream.
      const reader = res.body!.getReader();
      let text = '';
      while (!/\nid: [^\n]+\n/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
      const eventId = /\nid: ([^\n]+)\n/.exec(text)?.[1];
      assert.ok(eventId, `no event in ${text}`);
      provoked.add('streamEvents 200');
      const resumed = new AbortController();
      const again = await server.call('/v1/events', { key, signal: resumed.signal, headers: { 'last-event-id': eventId } });
      assert.equal(again.status, 200);
      resumed.abort();
      await again.body?.cancel().catch(() => {});
      // Another tenant's event id is not an event of this tenant.
      await expect(400, 'streamEvents', '/v1/events', { key: otherKey, headers: { 'last-event-id': eventId } });
    } finally {
      abort.abort();
      await res.body?.cancel().catch(() => {});
    }
    await expect(400, 'streamEvents', '/v1/events', { key, headers: { 'last-event-id': 'a b' } });
    await authErrors('streamEvents', '/v1/events');
  });

  test('modelUsage and streamExecution: usage totals; an ended execution\'s stream', async () => {
    const usage = await expect(200, 'modelUsage', '/v1/usage?since=today', { key });
    assert.equal(usage.totals.calls, 0);
    await expect(400, 'modelUsage', '/v1/usage?since=soon', { key });
    await authErrors('modelUsage', '/v1/usage');
    const { executionId } = await server.runtime.execute({ ...sop('stream'), tenantId: 'conformance-a' });
    const stream = await expect(200, 'streamExecution', `/v1/executions/${executionId}/stream`, { key });
    assert.match(stream, /event: end\ndata: \{"status":"completed"\}/);
    await expect(400, 'streamExecution', `/v1/executions/${executionId}/stream`, { key, headers: { 'last-event-id': 'a b' } });
    await expect(404, 'streamExecution', `/v1/executions/${executionId}/stream`, { key: otherKey });
    await authErrors('streamExecution', `/v1/executions/${executionId}/stream`);
  });

  test('admin: tenants and keys', async () => {
    const issued = await expect(201, 'createTenant', '/v1/admin/tenants', { key: ADMIN_KEY, json: { tenantId: 'conformance-c' } });
    assert.equal(issued.tenantId, 'conformance-c');
    assert.match(issued.keyId, /^[a-f0-9]{16}$/);
    await expect(409, 'createTenant', '/v1/admin/tenants', { key: ADMIN_KEY, json: { tenantId: 'conformance-c' } });
    await expect(400, 'createTenant', '/v1/admin/tenants', { key: ADMIN_KEY, json: { tenantId: '../x' } });
    await expect(413, 'createTenant', '/v1/admin/tenants', { key: ADMIN_KEY, json: { tenantId: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'createTenant', '/v1/admin/tenants', { key: ADMIN_KEY, body: 'tenantId=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await authErrors('createTenant', '/v1/admin/tenants', { json: { tenantId: 'conformance-d' } });

    const tenants = await expect(200, 'listTenants', '/v1/admin/tenants', { key: ADMIN_KEY });
    assert.ok(tenants.items.some((t: any) => t.tenantId === 'conformance-c' && t.activeKeys === 1));
    await expect(400, 'listTenants', '/v1/admin/tenants?limit=1', { key: ADMIN_KEY });
    await authErrors('listTenants', '/v1/admin/tenants');

    const second = await expect(201, 'issueKey', '/v1/admin/tenants/conformance-c/keys', { key: ADMIN_KEY });
    assert.equal(second.tenantId, 'conformance-c');
    await expect(400, 'issueKey', '/v1/admin/tenants/a%20b/keys', { key: ADMIN_KEY });
    await expect(404, 'issueKey', '/v1/admin/tenants/no-such-tenant/keys', { key: ADMIN_KEY });
    // No body is needed, but one sent is still parsed.
    await expect(413, 'issueKey', '/v1/admin/tenants/conformance-c/keys', { key: ADMIN_KEY, json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'issueKey', '/v1/admin/tenants/conformance-c/keys', { key: ADMIN_KEY, body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('issueKey', '/v1/admin/tenants/conformance-c/keys');

    const keys = await expect(200, 'listKeys', '/v1/admin/tenants/conformance-c/keys', { key: ADMIN_KEY });
    assert.equal(keys.items.length, 2);
    await expect(400, 'listKeys', '/v1/admin/tenants/a%20b/keys', { key: ADMIN_KEY });
    await expect(404, 'listKeys', '/v1/admin/tenants/no-such-tenant/keys', { key: ADMIN_KEY });
    await authErrors('listKeys', '/v1/admin/tenants/conformance-c/keys');

    const revoked = await expect(200, 'revokeKey', `/v1/admin/keys/${second.keyId}`, { key: ADMIN_KEY });
    assert.equal(revoked.keyId, second.keyId);
    assert.equal(typeof revoked.revokedAt, 'string');
    await expect(401, 'listExecutions', '/v1/executions', { key: second.apiKey });
    // Revoking twice answers as documented too (and does not un-revoke).
    const twice = await call('revokeKey', `/v1/admin/keys/${second.keyId}`, { key: ADMIN_KEY });
    if (twice.status === 200) assert.equal(twice.body.revokedAt, revoked.revokedAt);
    await expect(400, 'revokeKey', '/v1/admin/keys/NOT-HEX', { key: ADMIN_KEY });
    await expect(404, 'revokeKey', '/v1/admin/keys/0000000000000000', { key: ADMIN_KEY });
    await expect(413, 'revokeKey', '/v1/admin/keys/0000000000000000', { key: ADMIN_KEY, json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'revokeKey', '/v1/admin/keys/0000000000000000', { key: ADMIN_KEY, body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('revokeKey', '/v1/admin/keys/0000000000000000');
  });

  test('governance: explainExecution, holdArtifact, releaseArtifact, keepCached, verifyWal, erase, sweep', async () => {
    const explained = await expect(200, 'explainExecution', `/v1/executions/${executionId}/explain`, { key });
    assert.ok(explained.artifacts.some((a: any) => a.artifactKey === 'workflow' && a.chain.length === 5));
    await expect(400, 'explainExecution', '/v1/executions/.x/explain', { key });
    await expect(404, 'explainExecution', `/v1/executions/${executionId}/explain`, { key: otherKey });
    await authErrors('explainExecution', `/v1/executions/${executionId}/explain`);

    const held = await expect(200, 'holdArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { key, json: { reason: 'case 1' } });
    assert.equal(held.legalHold.reason, 'case 1');
    await expect(400, 'holdArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { key, json: { reason: '' } });
    await expect(400, 'holdArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { key, json: { reason: 'case\u00001' } });
    await expect(404, 'holdArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { key: otherKey, json: { reason: 'x' } });
    await expect(413, 'holdArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { key, json: { reason: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'holdArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { key, body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('holdArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { json: { reason: 'x' } });
    const released = await expect(200, 'releaseArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { key });
    assert.equal(released.legalHold, null);
    await expect(409, 'releaseArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { key });
    await expect(400, 'releaseArtifact', '/v1/artifacts/a%20b/hold', { key });
    await expect(404, 'releaseArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { key: otherKey });
    await expect(413, 'releaseArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { key, json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'releaseArtifact', `/v1/artifacts/${workflowArtifactId}/hold`, { key, body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('releaseArtifact', `/v1/artifacts/${workflowArtifactId}/hold`);

    const cached = await expect(200, 'getSessionCache', `/v1/cache/${sessionId}`, { key });
    const cacheId = cached.entries[0].cacheId;
    const kept = await expect(200, 'keepCached', `/v1/cache-entries/${cacheId}/keep`, { key });
    assert.equal(kept.kept, false, 'the conformance policy does not allow promoting visuals');
    await expect(400, 'keepCached', '/v1/cache-entries/nope/keep', { key });
    await expect(404, 'keepCached', `/v1/cache-entries/${cacheId}/keep`, { key: otherKey });
    await expect(413, 'keepCached', `/v1/cache-entries/${cacheId}/keep`, { key, json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'keepCached', `/v1/cache-entries/${cacheId}/keep`, { key, body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('keepCached', `/v1/cache-entries/${cacheId}/keep`);

    const verified = await expect(200, 'verifyWal', '/v1/wal/verify', { key });
    assert.deepEqual(verified.chains.map((c: any) => [c.tenantId, c.ok]), [['conformance-a', true]]);
    await expect(400, 'verifyWal', '/v1/wal/verify?tenantId=conformance-b', { key });
    await authErrors('verifyWal', '/v1/wal/verify');

    const erased = await expect(200, 'erase', '/v1/erasures', { key: otherKey, json: { sessionId: 'nothing-here' } });
    assert.equal(erased.scope.tenantId, 'conformance-b');
    // An artifact erased with its session is a tombstone: there is nothing left to hold.
    const doomed = await expect(200, 'executeIntent', '/v1/intents', { key, json: sop('conf-erase') });
    const doomedId = doomed.artifacts.find((a: any) => a.resultType === 'workflow').artifactId;
    const report = await expect(200, 'erase', '/v1/erasures', { key, json: { sessionId: 'conf-erase' } });
    assert.deepEqual(report.artifactsDeleted, [doomedId]);
    assert.equal((await expect(200, 'getArtifact', `/v1/artifacts/${doomedId}`, { key })).deleted.reason, 'erasure');
    // An erased execution is still explained: the recorded decisions, its inputs said to be erased.
    const erasedExplained = await expect(200, 'explainExecution', `/v1/executions/${doomed.executionId}/explain`, { key });
    assert.ok(erasedExplained.artifacts.length > 0);
    for (const a of erasedExplained.artifacts) {
      assert.equal(a.inputs, null);
      assert.match(a.note, /inputs were erased/);
    }
    await expect(409, 'holdArtifact', `/v1/artifacts/${doomedId}/hold`, { key, json: { reason: 'too late' } });
    await expect(400, 'erase', '/v1/erasures', { key, json: { subject: { key: 'a b', value: 'x' } } });
    await expect(413, 'erase', '/v1/erasures', { key, json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'erase', '/v1/erasures', { key, body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('erase', '/v1/erasures', { json: { sessionId: 'x' } });

    // Policy changes: the candidate is given in the files' shape.
    const candidate = { solution: { name: 'next', materialization_policy: { workflow: 'discard' } } };
    const diff = await expect(200, 'diffPolicy', '/v1/admin/policy/diff', { key: ADMIN_KEY, json: { ...candidate, since: '1d', tenantId: 'conformance-a' } });
    assert.ok(diff.moves.some((m: any) => m.tenantId === 'conformance-a' && m.resultType === 'workflow' && m.from === 'persist' && m.to === 'discard' && m.count > 0));
    await expect(400, 'diffPolicy', '/v1/admin/policy/diff', { key: ADMIN_KEY, json: { since: 'a while' } });
    await expect(400, 'diffPolicy', '/v1/admin/policy/diff', { key: ADMIN_KEY, json: { solution: { materialization_policy: { workflow: 'keep' } } } });
    await expect(413, 'diffPolicy', '/v1/admin/policy/diff', { key: ADMIN_KEY, json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'diffPolicy', '/v1/admin/policy/diff', { key: ADMIN_KEY, body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('diffPolicy', '/v1/admin/policy/diff', { json: candidate });
    const applied = await expect(200, 'applyPolicy', '/v1/admin/policy/apply', { key: ADMIN_KEY, json: { platform: { governance: [] } } });
    assert.equal(applied.retroactive, false);
    await expect(400, 'applyPolicy', '/v1/admin/policy/apply', { key: ADMIN_KEY, json: { platform: { tenants: { acme: 'acme.yaml' } } } });
    await expect(413, 'applyPolicy', '/v1/admin/policy/apply', { key: ADMIN_KEY, json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'applyPolicy', '/v1/admin/policy/apply', { key: ADMIN_KEY, body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('applyPolicy', '/v1/admin/policy/apply', { json: {} });

    const swept = await expect(200, 'sweep', '/v1/admin/sweep', { key: ADMIN_KEY });
    assert.deepEqual(swept.failures, []);
    await expect(400, 'sweep', '/v1/admin/sweep', { key: ADMIN_KEY, json: { dryRun: true } });
    await expect(413, 'sweep', '/v1/admin/sweep', { key: ADMIN_KEY, json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'sweep', '/v1/admin/sweep', { key: ADMIN_KEY, body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('sweep', '/v1/admin/sweep');
  });

  test('checkpoints: listThreadCheckpoints (two pages), explainCheckpoint, holdThread, releaseThread', async () => {
    const saver = new SymphainyCheckpointSaver(server.runtime, { tenantId: 'conformance-a' });
    const first = { ...emptyCheckpoint(), id: uuid6(-3) };
    const config = await saver.put({ configurable: { thread_id: 'conf-thread' } }, first, { source: 'input', step: -1, parents: {} }, {});
    await saver.put(config, { ...emptyCheckpoint(), id: uuid6(-3) }, { source: 'loop', step: 0, parents: {} }, {});
    const thread = '/v1/checkpoints/threads/conf-thread';

    const page1 = await expect(200, 'listThreadCheckpoints', `${thread}?limit=1`, { key });
    assert.equal(page1.items.length, 1);
    const page2 = await expect(200, 'listThreadCheckpoints', `${thread}?limit=1&cursor=${encodeURIComponent(page1.nextCursor)}`, { key });
    assert.equal(page2.items[0].checkpointId, first.id);
    await expect(400, 'listThreadCheckpoints', `${thread}?cursor=not-a-cursor`, { key });
    await expect(404, 'listThreadCheckpoints', thread, { key: otherKey });
    await authErrors('listThreadCheckpoints', thread);

    const explained = await expect(200, 'explainCheckpoint', `${thread}/${first.id}/explain`, { key });
    assert.equal(explained.chain.length, 5);
    await expect(400, 'explainCheckpoint', `${thread}/.x/explain`, { key });
    await expect(404, 'explainCheckpoint', `${thread}/${first.id}/explain`, { key: otherKey });
    await authErrors('explainCheckpoint', `${thread}/${first.id}/explain`);

    const held = await expect(200, 'holdThread', `${thread}/hold`, { key, json: { reason: 'case 2' } });
    assert.equal(held.legalHold.reason, 'case 2');
    await expect(400, 'holdThread', `${thread}/hold`, { key, json: { reason: '' } });
    await expect(404, 'holdThread', `${thread}/hold`, { key: otherKey, json: { reason: 'x' } });
    await expect(413, 'holdThread', `${thread}/hold`, { key, json: { reason: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'holdThread', `${thread}/hold`, { key, body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('holdThread', `${thread}/hold`, { json: { reason: 'x' } });
    assert.equal((await expect(200, 'releaseThread', `${thread}/hold`, { key })).legalHold, null);
    await expect(409, 'releaseThread', `${thread}/hold`, { key });
    await expect(400, 'releaseThread', '/v1/checkpoints/threads/a%20b/hold', { key });
    await expect(404, 'releaseThread', `${thread}/hold`, { key: otherKey });
    await expect(413, 'releaseThread', `${thread}/hold`, { key, json: { pad: 'x'.repeat(1024 * 1024 + 10) } });
    await expect(415, 'releaseThread', `${thread}/hold`, { key, body: '<x/>', headers: { 'content-type': 'application/xml' } });
    await authErrors('releaseThread', `${thread}/hold`);
  });

  test('health, readiness, metrics', async () => {
    assert.deepEqual(await expect(200, 'health', '/healthz'), { status: 'ok' });
    assert.equal((await expect(200, 'ready', '/readyz')).status, 'ready');
    const metrics = await expect(200, 'metrics', '/metrics', { key: ADMIN_KEY });
    assert.match(metrics, /^# (HELP|TYPE) /m);
    await authErrors('metrics', '/metrics');
    // No route ignores a query parameter it does not take, public ones included.
    await expect(400, 'health', '/healthz?verbose=1');
    await expect(400, 'ready', '/readyz?verbose=1');
    await expect(400, 'metrics', '/metrics?name=x', { key: ADMIN_KEY });
  });

  test('readyz: 503 once the store stops answering', async () => {
    const broken = await startTestServer();
    try {
      await broken.db.close();
      const res = await fetch(`${broken.url}/readyz`);
      const text = await res.text();
      assert.equal(res.status, 503, text);
      assert.deepEqual(spec.violations('ready', res.status, res.headers, text), []);
      assertProblem(503, text, 'ready');
      provoked.add('ready 503');
    } finally {
      await broken.close();
    }
  });

  test('an unknown route or method is a 404 problem document', async () => {
    for (const [method, path] of [['GET', '/v1/nothing'], ['PUT', '/v1/intents'], ['DELETE', '/v1/executions'], ['GET', '/v1/executions/a/b/c']]) {
      const res = await server.call(path!, { method: method!, key });
      const text = await res.text();
      assert.equal(res.status, 404, text);
      assert.deepEqual(spec.problemViolations(404, res.headers, text), []);
      assertProblem(404, text);
    }
  });
});

test('every operation and every documented response was checked', () => {
  const documented = new Set([...spec.operations.values()].flatMap((op) => Object.keys(op.responses).map((s) => `${op.operationId} ${s}`)));
  const operations = new Set([...provoked].map((p) => p.split(' ')[0]!));
  assert.deepEqual([...operations].sort(), [...spec.operations.keys()].sort(), 'operations exercised = operations documented');
  const missing = [...documented].filter((d) => !provoked.has(d) && !(d in NOT_PROVOKED));
  assert.deepEqual(missing, [], 'documented responses no test provoked (provoke them, or list them in NOT_PROVOKED with the reason)');
  const undocumented = [...provoked].filter((p) => !documented.has(p));
  assert.deepEqual(undocumented, []);
  for (const d of Object.keys(NOT_PROVOKED)) assert.ok(documented.has(d), `NOT_PROVOKED lists '${d}', which the document does not`);
});

test('every error code answered above has one status, the one docs/errors.md gives it', async () => {
  const documented = await documentedCodes();
  assert.ok(answered.size >= 8, `codes answered: ${[...answered.keys()].join(', ')}`);
  const faults: string[] = [];
  for (const [code, statuses] of answered) {
    const seen = [...statuses].map(([status, ops]) => `${status} (${[...ops].slice(0, 3).join(', ')})`);
    if (statuses.size > 1) faults.push(`${code} answered with ${statuses.size} statuses: ${seen.join('; ')}`);
    const row = documented.get(code);
    if (!row) faults.push(`${code} is not in docs/errors.md`);
    else if (!statuses.has(row.status) || statuses.size > 1) faults.push(`${code}: docs/errors.md says ${row.status}, answered ${seen.join('; ')}`);
  }
  assert.deepEqual(faults, []);
});
