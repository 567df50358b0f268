/**
 * `GET /v1/executions?since=&until=`: a date alone means its midnight UTC, a
 * date-time needs a zone, and a window that cannot hold anything (since not
 * before until) is a 400 naming both — never a 200 with an empty page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/http-server.ts';
import { TEST_DRIVER } from '../support/test-runtime.ts';
import { expectProblem, ok, postSop } from './api-helpers.ts';

describe(`the executions list's time window (${TEST_DRIVER})`, () => {
  let server: TestServer;
  let key: string;
  before(async () => {
    server = await startTestServer();
    key = await server.tenant('acme');
    await ok(await postSop(server, key));
  });
  after(() => server?.close());

  const list = (query: string) => server.call(`/v1/executions?${query}`, { key });

  it('a date alone is midnight UTC; a date-time with a zone is normalized', async () => {
    assert.equal((await ok(await list('since=2020-01-01'))).items.length, 1);
    assert.equal((await ok(await list('until=2020-01-01'))).items.length, 0);
    assert.equal((await ok(await list('since=2020-01-01T00:00:00%2B02:00&until=2999-12-31'))).items.length, 1);
  });

  it('since not before until is a 400 naming both', async () => {
    for (const q of ['since=2030-01-01&until=2020-01-01', 'since=2020-01-01T00:00:00Z&until=2020-01-01', 'since=2021-06-01T12:00:00Z&until=2021-06-01T11:59:59Z']) {
      const p = await expectProblem(await list(q), 400, { code: 'SYM_ERR_INVALID_REQUEST', field: 'since' });
      assert.deepEqual(p.errors!.map((e) => [e.in, e.field]), [['query', 'since'], ['query', 'until']], q);
      assert.match(p.detail, /since.*until/);
    }
  });

  it('anything else names the accepted forms', async () => {
    for (const q of ['since=yesterday', 'since=2020-01-01T00:00:00', 'until=2020-13-01', 'since=0000-01-01', 'since=2020-01-01T00:00:00Z%00']) {
      const p = await expectProblem(await list(q), 400, { code: 'SYM_ERR_INVALID_REQUEST' });
      assert.match(p.detail, /a date \(2026-01-31, midnight UTC\) or a date-time with a zone \(2026-01-31T12:00:00Z/, q);
    }
  });
});
