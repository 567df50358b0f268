import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { review } from '../support/review-realm.ts';
import { exampleRealms } from '../../src/examples/index.ts';
import { parseSolutionConfig } from '../../src/policy/solution-config.ts';
import { expectProblem, ok, SOP } from './api-helpers.ts';
import { DocumentedResponses } from './documented-responses.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/http-server.ts';
import { createHttpServer } from '../../src/http/server.ts';
import { silentLogger } from '../support/test-runtime.ts';
import { example } from '../runtime/helpers.ts';


/** The routes the operator console reads, each checked against its documented responses and tenant isolation. */
describe('console routes: steps, lineage, retention due, the active policy, since/until, Symphainy-Tenant', () => {
  let s: TestServer;
  let acme: string;
  let globex: string;
  let doc: DocumentedResponses;
  /** Calls, and checks the answer against the OpenAPI document (status, content type, schema). */
  const call = async (operationId: string, path: string, init: Parameters<TestServer['call']>[1] = {}) => {
    const res = await s.call(path, init);
    const body = await res.clone().text();
    assert.deepEqual(doc.violations(operationId, res.status, res.headers, body), [], `${operationId} ${res.status}: ${body}`);
    return res;
  };
  const admin = (tenant?: string) => ({ key: ADMIN_KEY, headers: (tenant ? { 'symphainy-tenant': tenant } : {}) as Record<string, string> });

  before(async () => {
    s = await startTestServer({
      runtime: {
        realms: [...exampleRealms, review],
        solutionConfig: parseSolutionConfig({
          name: 'console-test',
          materialization_policy: { workflow: { decision: 'persist', retention: '3d' }, sop: 'persist', visual: 'persist', step: 'persist' },
        }, 'inline'),
      },
    });
    acme = await s.tenant('acme');
    globex = await s.tenant('globex');
    doc = new DocumentedResponses(await ok(await s.call('/openapi.json')));
  });
  after(() => s.close());

  test('steps: the journal of a waiting approval, for its tenant only; the admin key reads it for the tenant it names', async () => {
    const run = await s.runtime.execute({ intentType: 'review.publish', tenantId: 'acme', sessionId: 's', parameters: { key: 'p1' } });
    assert.equal(run.status, 'waiting');
    const path = `/v1/executions/${run.executionId}/steps`;
    const steps = await ok(await call('listSteps', path, { key: acme }));
    assert.deepEqual(steps.items.map((x: any) => [x.seq, x.kind, x.name, x.status]), [[0, 'step', 'draft', 'done'], [1, 'approval', 'publish', 'waiting']]);
    assert.deepEqual(steps.items[0].result, { title: 'post p1' });
    await expectProblem(await call('listSteps', path, { key: globex }), 404, { code: 'SYM_ERR_NOT_FOUND' });
    await expectProblem(await call('listSteps', path, admin('globex')), 404, { code: 'SYM_ERR_NOT_FOUND' });
    assert.deepEqual(await ok(await call('listSteps', path, admin('acme'))), steps);
    await expectProblem(await call('listSteps', path, admin()), 403, { code: 'SYM_ERR_FORBIDDEN' });
    const unknown = await expectProblem(await call('listSteps', path, admin('nobody')), 403, { code: 'SYM_ERR_FORBIDDEN' });
    assert.match(unknown.detail, /Symphainy-Tenant names no registered tenant/);
    // A tenant key's tenant is its own: the header cannot widen it.
    await expectProblem(await call('listSteps', path, { key: globex, headers: { 'symphainy-tenant': 'acme' } }), 404);
    // The operator's decision is recorded as the operator's.
    const decided = await ok(await s.call(`/v1/executions/${run.executionId}/approvals/publish`, {
      ...admin('acme'), method: 'POST', json: { decision: 'approve', reason: 'checked' },
    }));
    assert.equal(decided.by, 'operator');
  });

  test('lineage: the artifacts an execution read and those it produced; another tenant sees neither', async () => {
    const first = await ok(await s.call('/v1/intents', {
      key: acme, method: 'POST', json: { intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: SOP } },
    }));
    const workflowId = first.artifacts.find((a: any) => a.key === 'workflow').artifactId;
    const second = await ok(await s.call('/v1/intents', {
      key: acme, method: 'POST',
      json: { intentType: 'journey.workflow_to_sop', sessionId: 's', parameters: { ...(await example('workflow_to_sop')), workflow_artifact_id: workflowId } },
    }));
    const lineage = await ok(await call('getLineage', `/v1/executions/${second.executionId}/lineage`, { key: acme }));
    assert.equal(lineage.execution.executionId, second.executionId);
    assert.deepEqual(lineage.inputs.map((a: any) => a.artifactId), [workflowId]);
    assert.ok(lineage.outputs.some((a: any) => a.artifactKey === 'sop' && a.lineage.inputArtifactIds.includes(workflowId)));
    await expectProblem(await call('getLineage', `/v1/executions/${second.executionId}/lineage`, { key: globex }), 404);
    // globex naming acme's artifact in its parameters gets no lineage to it.
    const foreign = await ok(await s.call('/v1/intents', {
      key: globex, method: 'POST',
      json: { intentType: 'journey.workflow_to_sop', sessionId: 's', parameters: { ...(await example('workflow_to_sop')), workflow_artifact_id: workflowId } },
    }));
    const theirs = await ok(await call('getLineage', `/v1/executions/${foreign.executionId}/lineage`, { key: globex }));
    assert.deepEqual(theirs.inputs, []);
    assert.ok(theirs.outputs.every((a: any) => a.tenantId === 'globex'));
  });

  test('retention due: artifacts whose retention ends within the window, this tenant only; a bad window is a 400 naming it', async () => {
    await ok(await s.call('/v1/intents', {
      key: acme, method: 'POST', json: { intentType: 'journey.sop_to_workflow', sessionId: 'r', parameters: { sop_text: SOP } },
    }));
    const due = await ok(await call('listRetentionDue', '/v1/retention/due?within=4d', { key: acme }));
    assert.ok(due.items.length > 0);
    assert.ok(due.items.every((a: any) => a.tenantId === 'acme' && a.resultType === 'workflow' && a.retainUntil !== null));
    assert.deepEqual((await ok(await call('listRetentionDue', '/v1/retention/due?within=1d', { key: acme }))).items, []);
    assert.deepEqual((await ok(await call('listRetentionDue', '/v1/retention/due?within=4d', { key: globex }))).items
      .filter((a: any) => a.tenantId !== 'globex'), []);
    await expectProblem(await call('listRetentionDue', '/v1/retention/due?within=soon', { key: acme }), 400, { field: 'within' });
  });

  test('the active policy: its version and rules, as explain uses them', async () => {
    const policy = await ok(await call('getPolicy', '/v1/policy', { key: acme }));
    assert.equal(policy.tenantId, 'acme');
    assert.equal(policy.version, s.runtime.resolver.resolve('acme').version);
    assert.deepEqual(policy.layers.solution.materializationPolicy.workflow, { decision: 'persist', retentionSeconds: 3 * 86_400 });
    assert.ok(policy.layers.platform.persists.includes('intent'));
    await expectProblem(await call('getPolicy', '/v1/policy', { key: ADMIN_KEY }), 403);
  });

  test('a server whose console is not built answers /console with a 404 naming the build command', async () => {
    const app = await createHttpServer(s.runtime, { logger: silentLogger, consoleDir: '/nonexistent/console' });
    try {
      const res = await app.inject({ method: 'GET', url: '/console' });
      assert.equal(res.statusCode, 404);
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
      assert.match(res.json().detail, /the console is not built: run `npm run build:console`/);
    } finally {
      await app.close();
    }
  });

  test('since/until narrow the executions list to a time range; a bad instant is a 400 naming it', async () => {
    const all = await ok(await call('listExecutions', '/v1/executions?limit=100', { key: acme }));
    assert.ok(all.items.length >= 3);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    assert.deepEqual((await ok(await call('listExecutions', `/v1/executions?since=${future}`, { key: acme }))).items, []);
    const oldest = all.items[all.items.length - 1];
    const at = oldest.submittedAt ?? oldest.startedAt;
    const until = await ok(await call('listExecutions', `/v1/executions?until=${encodeURIComponent(at)}&limit=100`, { key: acme }));
    assert.deepEqual(until.items, []);
    const since = await ok(await call('listExecutions', `/v1/executions?since=${encodeURIComponent(at)}&limit=100`, { key: acme }));
    assert.equal(since.items.length, all.items.length);
    await expectProblem(await call('listExecutions', '/v1/executions?since=yesterday', { key: acme }), 400, { field: 'since' });
  });
});
