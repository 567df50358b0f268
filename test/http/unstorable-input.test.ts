/**
 * Strings PostgreSQL cannot store — a NUL (U+0000) or an unpaired UTF-16
 * surrogate — in any input of any route are a 400 naming the exact JSON
 * path and where the request carried it (body, query, path), before
 * anything is looked up or stored: never a 500 from the database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/http-server.ts';
import { TEST_DRIVER } from '../support/test-runtime.ts';
import { expectProblem, ok, postSop } from './api-helpers.ts';

/** Each unstorable kind, as a JSON body carries it (escaped: the bytes on the wire are valid UTF-8). */
const BAD = ['a\u0000b', 'a\ud800b', 'a\udc00', '\ud800'];

describe(`unstorable strings in requests are refused by path (${TEST_DRIVER})`, () => {
  let server: TestServer;
  let key: string;
  let artifactId: string;
  let executionId: string;
  before(async () => {
    server = await startTestServer();
    key = await server.tenant('acme');
    const run = await ok(await postSop(server, key));
    executionId = run.executionId;
    artifactId = run.artifacts.find((a: { artifactId?: string }) => a.artifactId).artifactId;
  });
  after(() => server?.close());

  const send = (path: string, json: unknown, as: string | null = key) => server.call(path, { method: 'POST', key: as, json });

  it('POST /v1/erasures: subject.value and subject.key', async () => {
    for (const value of BAD) {
      const p = await expectProblem(await send('/v1/erasures', { subject: { key: 'customer_id', value } }), 400, { code: 'SYM_ERR_INVALID_REQUEST', field: 'subject.value' });
      assert.equal(p.errors![0]!.in, 'body');
      assert.match(p.detail, /subject\.value/);
    }
    await expectProblem(await send('/v1/erasures', { subject: { key: 'customer\u0000', value: 'x' } }), 400, { field: 'subject.key' });
  });

  it('POST /v1/artifacts/:id/hold: the reason; the artifact stays unheld', async () => {
    for (const reason of BAD) {
      const p = await expectProblem(await send(`/v1/artifacts/${artifactId}/hold`, { reason }), 400, { code: 'SYM_ERR_INVALID_REQUEST', field: 'reason' });
      assert.match(p.detail, /NUL|surrogate/);
    }
    const a = await ok(await server.call(`/v1/artifacts/${artifactId}`, { key }));
    assert.equal(a.legalHold, null);
  });

  it('POST /v1/admin/policy/apply and /diff: any string of the candidate, by its path', async () => {
    for (const name of BAD) {
      await expectProblem(await send('/v1/admin/policy/apply', { solution: { name, materialization_policy: { workflow: 'persist' } } }, ADMIN_KEY), 400, {
        code: 'SYM_ERR_INVALID_REQUEST', field: 'solution.name',
      });
    }
    await expectProblem(await send('/v1/admin/policy/apply', { platform: { governance: [{ id: 'g', match: { tenant: ['a\u0000'] }, decision: 'persist' }] } }, ADMIN_KEY), 400, {
      field: 'platform.governance[0].match.tenant[0]',
    });
    await expectProblem(await send('/v1/admin/policy/diff', { solution: { name: 'x', materialization_policy: { 'a\u0000': 'persist' } } }, ADMIN_KEY), 400, {
      field: 'solution.materialization_policy.a\\u0000',
    });
    // The active policy did not change.
    const active = await ok(await server.call('/v1/policy', { key }));
    assert.notEqual(active.solutionName, 'a\u0000b');
  });

  it('POST /v1/intents: the exact parameter path (SYM_ERR_INVALID_INTENT, as the runtime itself answers); nothing runs', async () => {
    const before = (await ok(await server.call('/v1/executions?limit=100', { key }))).items.length;
    for (const text of BAD) {
      const p = await expectProblem(await postSop(server, key, { sopText: `1. ${text}\n2. ship` }), 400, { code: 'SYM_ERR_INVALID_INTENT', field: 'parameters.sop_text' });
      assert.match(p.detail, /parameters\.sop_text/);
    }
    // A key, and a string deep in a list.
    await expectProblem(await send('/v1/intents', { intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: '1. a', ['x\u0000']: 1 } }), 400, {
      code: 'SYM_ERR_INVALID_INTENT', field: 'parameters.x\\u0000',
    });
    await expectProblem(await send('/v1/intents', { intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: '1. a', steps: [{ t: 'ok' }, { t: '\udfff' }] } }), 400, {
      field: 'parameters.steps[1].t',
    });
    assert.equal((await ok(await server.call('/v1/executions?limit=100', { key }))).items.length, before);
  });

  it('signals and approvals: the data, the reason and the name in the path', async () => {
    await expectProblem(await send(`/v1/executions/${executionId}/signals/go`, { data: { note: ['ok', 'a\u0000'] } }), 400, { field: 'data.note[1]' });
    await expectProblem(await send(`/v1/executions/${executionId}/approvals/ok`, { decision: 'approve', reason: 'a\ud800' }), 400, { field: 'reason' });
    const p = await expectProblem(await send(`/v1/executions/${executionId}/signals/a%00b`, {}), 400, { code: 'SYM_ERR_INVALID_REQUEST', field: 'name' });
    assert.equal(p.errors![0]!.in, 'path');
  });

  it('a query parameter', async () => {
    const p = await expectProblem(await server.call('/v1/usage?since=a%00b', { key }), 400, { code: 'SYM_ERR_INVALID_REQUEST', field: 'since' });
    assert.equal(p.errors![0]!.in, 'query');
  });

  it('POST /v1/policy/explain: a tag', async () => {
    await expectProblem(await send('/v1/policy/explain', { resultType: 'workflow', tags: ['ok', 'a\u0000'] }), 400, { field: 'tags[1]' });
  });
});
