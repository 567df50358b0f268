/**
 * Every route is as strict as every other: an unknown query parameter, or a
 * body field a route does not take, is a 400 naming it (no route ignores
 * what it was sent); every client error names what is wrong in `errors[]`
 * (the field, header or query parameter; empty when nothing in particular
 * is); and a request whose credentials are ambiguous is refused.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { usageSince } from '../../src/execution/usage-since.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/http-server.ts';
import { expectProblem, ok } from './api-helpers.ts';

let server: TestServer;
let key: string;
let doc: { paths: Record<string, Record<string, { operationId: string; security?: unknown[]; requestBody?: unknown }>> };

before(async () => {
  server = await startTestServer();
  key = await server.tenant('strict-a');
  doc = (await (await server.call('/openapi.json')).json()) as typeof doc;
});
after(() => server?.close());

/** A value each path parameter accepts, so the request gets as far as its query and body. */
const PATH_SAMPLES: Record<string, string> = {
  id: 'exe_sample', name: 'publish', rendering: 'markdown', sessionId: 's1', tenantId: 'strict-a', keyId: '0000000000000000',
  threadId: 'thread-1', checkpointId: 'cp-1',
  cacheId: `cache_${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`,
};

interface Operation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly key: string | null;
  readonly takesBody: boolean;
}

function operations(): Operation[] {
  const out: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
        assert.ok(PATH_SAMPLES[name], `no sample value for path parameter '${name}' (${op.operationId})`);
        return PATH_SAMPLES[name]!;
      });
      const security = op.security as { adminKey?: unknown }[] | undefined;
      const access = security === undefined ? 'tenant' : security.length === 0 ? 'public' : 'admin';
      out.push({
        operationId: op.operationId, method: method.toUpperCase(), path, takesBody: op.requestBody !== undefined,
        key: access === 'public' ? null : access === 'admin' ? ADMIN_KEY : key,
      });
    }
  }
  return out;
}

/** Calls and reads the whole answer; an event stream answers with headers first, so it is cut once they are in. */
async function send(path: string, init: RequestInit & { key?: string | null; json?: unknown }): Promise<{ status: number; text: string; res: Response }> {
  const abort = new AbortController();
  const res = await server.call(path, { ...init, signal: abort.signal });
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    abort.abort();
    return { status: res.status, text: '', res };
  }
  return { status: res.status, text: await res.text(), res };
}

function problemOf(text: string): { code: string; errors?: { in: string; field: string; message: string }[] } {
  return JSON.parse(text) as { code: string; errors?: { in: string; field: string; message: string }[] };
}

describe('unknown query parameters and body fields', () => {
  test('every operation refuses an unknown query parameter with a 400 naming it', async () => {
    const faults: string[] = [];
    for (const op of operations()) {
      const { status, text } = await send(`${op.path}?no_such_param=1`, {
        method: op.method, key: op.key, ...(op.takesBody ? { json: {} } : {}),
      });
      const named = status === 400 && problemOf(text).errors?.some((e) => e.in === 'query' && e.field === 'no_such_param');
      if (!named) faults.push(`${op.operationId} ${op.method} ${op.path}: ${status} ${text.slice(0, 200)}`);
    }
    assert.deepEqual(faults, []);
  });

  test('every operation that takes no body refuses a field sent in one, naming it; an empty object or no body is fine', async () => {
    const faults: string[] = [];
    for (const op of operations().filter((o) => !o.takesBody && o.method !== 'GET')) {
      const { status, text } = await send(op.path, { method: op.method, key: op.key, json: { no_such_field: 1 } });
      const named = status === 400 && problemOf(text).errors?.some((e) => e.in === 'body' && e.field === 'no_such_field');
      if (!named) faults.push(`${op.operationId} ${op.method} ${op.path}: ${status} ${text.slice(0, 200)}`);
      for (const init of [{ json: {} }, {}]) {
        const plain = await send(op.path, { method: op.method, key: op.key, ...init });
        if (plain.status === 400) faults.push(`${op.operationId} ${JSON.stringify(init)}: 400 ${plain.text.slice(0, 200)}`);
      }
    }
    assert.deepEqual(faults, []);
  });

  test('the routes the walk found lenient: /v1/approvals, /v1/events, /v1/wal/verify, /v1/policy, POST /v1/admin/sweep', async () => {
    for (const bad of ['limit=-1', 'limit=abc']) {
      await expectProblem(await server.call(`/v1/approvals?${bad}`, { key }), 400, { code: 'SYM_ERR_INVALID_REQUEST', field: 'limit' });
    }
    await expectProblem(await server.call('/v1/events?from=0', { key }), 400, { field: 'from' });
    await expectProblem(await server.call('/v1/wal/verify?tenant=other', { key }), 400, { field: 'tenant' });
    await expectProblem(await server.call('/v1/policy?solutionId=x', { key }), 400, { field: 'solutionId' });
    const sweep = await expectProblem(await server.call('/v1/admin/sweep', { method: 'POST', key: ADMIN_KEY, json: { dryRun: true } }), 400, { field: 'dryRun' });
    assert.match(sweep.detail, /dryRun/);
    assert.deepEqual((await ok(await server.call('/v1/admin/sweep', { method: 'POST', key: ADMIN_KEY }))).failures, []);
  });
});

describe('errors[] in every client error', () => {
  test('GET /v1/usage takes the forms `symphainy usage --since` takes, and a bad one names the query parameter', async () => {
    for (const since of ['7d', '12h', '90m', 'today', '2026-01-31T00:00:00Z']) {
      await ok(await server.call(`/v1/usage?since=${encodeURIComponent(since)}`, { key }));
    }
    const bad = await expectProblem(await server.call('/v1/usage?since=soon', { key }), 400, { code: 'SYM_ERR_INVALID_REQUEST', field: 'since' });
    assert.equal(bad.errors![0]!.in, 'query');
    // One parser, one message: the CLI's flag and the route's parameter say the same.
    assert.throws(() => usageSince('soon'), (err: Error) => bad.detail.endsWith(err.message));
  });

  test('an invalid policy candidate names the body field of each problem', async () => {
    const p = await expectProblem(
      await server.call('/v1/admin/policy/diff', { method: 'POST', key: ADMIN_KEY, json: { solution: { name: 'x', materialization_policy: { workflow: 'keep' } } } }),
      400, { code: 'SYM_ERR_POLICY_CONFIG', field: 'solution.materialization_policy.workflow' },
    );
    assert.ok(p.errors!.every((e) => e.in === 'body'));
    const platform = await expectProblem(
      await server.call('/v1/admin/policy/apply', { method: 'POST', key: ADMIN_KEY, json: { platform: { governance: [{ id: 'r', match: {}, decision: 'hoard' }] } } }),
      400, { code: 'SYM_ERR_POLICY_CONFIG' },
    );
    assert.ok(platform.errors!.some((e) => e.field.startsWith('platform.governance[0]')), JSON.stringify(platform.errors));
    await expectProblem(
      await server.call('/v1/admin/policy/diff', { method: 'POST', key: ADMIN_KEY, json: { solution: 'not a mapping' } }),
      400, { field: 'solution' },
    );
  });

  test('a tenant id no tenant can have (symphainy:platform) is a 400 naming tenantId wherever one is given', async () => {
    await expectProblem(await server.call('/v1/admin/tenants', { method: 'POST', key: ADMIN_KEY, json: { tenantId: 'symphainy:platform' } }), 400, { field: 'tenantId' });
    for (const method of ['GET', 'POST']) {
      const p = await expectProblem(await server.call('/v1/admin/tenants/symphainy:platform/keys', { method, key: ADMIN_KEY }), 400, { field: 'tenantId' });
      assert.equal(p.errors![0]!.in, 'path');
    }
    await expectProblem(await server.call('/v1/admin/policy/diff', { method: 'POST', key: ADMIN_KEY, json: { tenantId: 'symphainy:platform' } }), 400, { field: 'tenantId' });
  });

  test('the 403s of the admin key on a tenant route name the header to fix; a tenant key on an admin route names Authorization', async () => {
    for (const headers of [{}, { 'symphainy-tenant': 'no-such-tenant' }, { 'symphainy-tenant': 'symphainy:platform' }] as Record<string, string>[]) {
      const p = await expectProblem(await server.call('/v1/approvals', { key: ADMIN_KEY, headers }), 403, { code: 'SYM_ERR_FORBIDDEN', field: 'Symphainy-Tenant' });
      assert.equal(p.errors![0]!.in, 'header');
    }
    await expectProblem(await server.call('/v1/admin/tenants', { key }), 403, { field: 'Authorization' });
  });

  test('answers with nothing in particular to name carry an empty errors[]', async () => {
    for (const res of [await server.call('/v1/executions/exe_none', { key }), await server.call('/v1/nowhere', { key })]) {
      const p = await expectProblem(res, 404);
      assert.deepEqual(p.errors, []);
    }
  });
});

describe('ambiguous credentials', () => {
  /** Sends raw HTTP/1.1 (fetch would fold two headers of one name into one). */
  function raw(lines: string[], body = ''): Promise<{ status: number; body: string }> {
    const url = new URL(server.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.end(`${lines.join('\r\n')}\r\nConnection: close\r\n\r\n${body}`));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString('utf8')));
      socket.on('error', reject);
      socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]), body: data.slice(data.indexOf('\r\n\r\n') + 4) }));
    });
  }

  test('two Authorization headers are a 400 naming the header, whichever key comes first', async () => {
    for (const [first, second] of [[key, 'sym_0123456789abcdef_x'], ['sym_0123456789abcdef_x', key], [key, key], [ADMIN_KEY, key]]) {
      const r = await raw(['GET /v1/approvals HTTP/1.1', 'Host: x', `Authorization: Bearer ${first}`, `Authorization: Bearer ${second}`]);
      assert.equal(r.status, 400, r.body);
      const body = JSON.parse(r.body.replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, '')) as { code: string; detail: string; errors: { in: string; field: string }[] };
      assert.equal(body.code, 'SYM_ERR_INVALID_REQUEST');
      assert.deepEqual(body.errors.map((e) => [e.in, e.field]), [['header', 'Authorization']]);
      assert.match(body.detail, /Authorization/);
    }
    // One header is as before.
    assert.equal((await raw(['GET /v1/approvals HTTP/1.1', 'Host: x', `Authorization: Bearer ${key}`])).status, 200);
  });

  test('two Content-Type headers are a 400 naming the header (Node would keep the first silently)', async () => {
    const body = '{}';
    const r = await raw(['POST /v1/admin/sweep HTTP/1.1', 'Host: x', `Authorization: Bearer ${ADMIN_KEY}`, 'Content-Type: application/json',
      'Content-Type: text/plain', `Content-Length: ${body.length}`], body);
    assert.equal(r.status, 400, r.body);
    assert.match(r.body, /"field":"Content-Type"/);
  });

  test('every other header the API reads is refused when sent twice, naming it (Node would join or drop the copies)', async () => {
    for (const [name, a, b] of [['Idempotency-Key', 'k-1', 'k-2'], ['Symphainy-Tenant', 'strict-a', 'other'], ['Last-Event-ID', 'x', 'y'],
      ['traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203332-01']]) {
      const r = await raw(['GET /v1/approvals HTTP/1.1', 'Host: x', `Authorization: Bearer ${key}`, `${name}: ${a}`, `${name}: ${b}`]);
      assert.equal(r.status, 400, `${name}: ${r.body}`);
      assert.match(r.body, new RegExp(`"field":"${name}"`), name);
    }
  });
});
