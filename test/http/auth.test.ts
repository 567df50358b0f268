/**
 * Who may call what: tenant keys, the admin key, revoked and bad keys on
 * every route; tenant and key administration; and isolation — another
 * tenant's records answer exactly like missing ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseSolutionConfig } from '../../src/index.ts';
import { sha256Hex } from '../../src/tenants/api-key.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/http-server.ts';
import { uid } from '../runtime/helpers.ts';
import { expectProblem, ok, postSop } from './api-helpers.ts';

interface Op {
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI path template. */
  template: string;
  path: (ids: Ids) => string;
  json?: unknown;
  /** What the tenant's key gets. @default 200 */
  success?: number;
}
interface Ids {
  executionId: string;
  artifactId: string;
  tenantId: string;
  keyId: string;
}

const TENANT_ROUTES: Op[] = [
  { method: 'POST', template: '/v1/intents', path: () => '/v1/intents', json: { intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: '1. a' } } },
  { method: 'GET', template: '/v1/executions', path: () => '/v1/executions' },
  { method: 'GET', template: '/v1/executions/{id}', path: (i) => `/v1/executions/${i.executionId}` },
  { method: 'GET', template: '/v1/executions/{id}/journey', path: (i) => `/v1/executions/${i.executionId}/journey` },
  { method: 'GET', template: '/v1/artifacts', path: () => '/v1/artifacts' },
  { method: 'GET', template: '/v1/artifacts/{id}', path: (i) => `/v1/artifacts/${i.artifactId}` },
  { method: 'GET', template: '/v1/artifacts/{id}/content/{rendering}', path: (i) => `/v1/artifacts/${i.artifactId}/content/markdown` },
  { method: 'GET', template: '/v1/cache/{sessionId}', path: () => '/v1/cache/s1' },
  { method: 'POST', template: '/v1/policy/explain', path: () => '/v1/policy/explain', json: { resultType: 'workflow' } },
  { method: 'GET', template: '/v1/events', path: () => '/v1/events' },
  // The execution completed: the key is accepted and the retry refused (only dead or failed ones are re-queued).
  { method: 'POST', template: '/v1/executions/{id}/retry', path: (i) => `/v1/executions/${i.executionId}/retry`, success: 409 },
  { method: 'GET', template: '/v1/executions/{id}/explain', path: (i) => `/v1/executions/${i.executionId}/explain` },
  { method: 'POST', template: '/v1/artifacts/{id}/hold', path: (i) => `/v1/artifacts/${i.artifactId}/hold`, json: { reason: 'audit' } },
  { method: 'DELETE', template: '/v1/artifacts/{id}/hold', path: (i) => `/v1/artifacts/${i.artifactId}/hold` },
  // Nothing is cached under this server's policy: the key is accepted and the entry not found.
  { method: 'POST', template: '/v1/cache-entries/{cacheId}/keep', path: () => `/v1/cache-entries/cache_${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}/keep`, success: 404 },
  { method: 'GET', template: '/v1/wal/verify', path: () => '/v1/wal/verify' },
  { method: 'POST', template: '/v1/erasures', path: () => '/v1/erasures', json: { sessionId: 'nothing-to-erase' } },
  { method: 'GET', template: '/v1/approvals', path: () => '/v1/approvals' },
  // The execution completed: the key is accepted and the decision or signal refused (it waits for nothing).
  { method: 'POST', template: '/v1/executions/{id}/approvals/{name}', path: (i) => `/v1/executions/${i.executionId}/approvals/publish`, json: { decision: 'approve' }, success: 409 },
  { method: 'POST', template: '/v1/executions/{id}/signals/{name}', path: (i) => `/v1/executions/${i.executionId}/signals/go`, json: {}, success: 409 },
  { method: 'GET', template: '/v1/executions/{id}/stream', path: (i) => `/v1/executions/${i.executionId}/stream` },
  { method: 'GET', template: '/v1/usage', path: () => '/v1/usage' },
  { method: 'GET', template: '/v1/executions/{id}/steps', path: (i) => `/v1/executions/${i.executionId}/steps` },
  { method: 'GET', template: '/v1/executions/{id}/lineage', path: (i) => `/v1/executions/${i.executionId}/lineage` },
  { method: 'GET', template: '/v1/retention/due', path: () => '/v1/retention/due' },
  { method: 'GET', template: '/v1/policy', path: () => '/v1/policy' },
  // No LangGraph thread here: the key is accepted and the thread not found.
  { method: 'GET', template: '/v1/checkpoints/threads/{threadId}', path: () => '/v1/checkpoints/threads/no-such-thread', success: 404 },
  { method: 'GET', template: '/v1/checkpoints/threads/{threadId}/{checkpointId}/explain', path: () => '/v1/checkpoints/threads/no-such-thread/cp-1/explain', success: 404 },
  { method: 'POST', template: '/v1/checkpoints/threads/{threadId}/hold', path: () => '/v1/checkpoints/threads/no-such-thread/hold', json: { reason: 'audit' }, success: 404 },
  { method: 'DELETE', template: '/v1/checkpoints/threads/{threadId}/hold', path: () => '/v1/checkpoints/threads/no-such-thread/hold', success: 404 },
];

const ADMIN_ROUTES: Op[] = [
  { method: 'POST', template: '/v1/admin/tenants', path: () => '/v1/admin/tenants', json: { tenantId: 'never-created' } },
  { method: 'GET', template: '/v1/admin/tenants', path: () => '/v1/admin/tenants' },
  { method: 'POST', template: '/v1/admin/tenants/{tenantId}/keys', path: (i) => `/v1/admin/tenants/${i.tenantId}/keys` },
  { method: 'GET', template: '/v1/admin/tenants/{tenantId}/keys', path: (i) => `/v1/admin/tenants/${i.tenantId}/keys` },
  { method: 'DELETE', template: '/v1/admin/keys/{keyId}', path: (i) => `/v1/admin/keys/${i.keyId}` },
  { method: 'GET', template: '/metrics', path: () => '/metrics' },
  { method: 'POST', template: '/v1/admin/sweep', path: () => '/v1/admin/sweep' },
  { method: 'POST', template: '/v1/admin/policy/diff', path: () => '/v1/admin/policy/diff', json: {} },
  { method: 'POST', template: '/v1/admin/policy/apply', path: () => '/v1/admin/policy/apply', json: {} },
];

/** A well-formed key that was never issued. */
const UNKNOWN_KEY = `sym_0123456789abcdef_${'A'.repeat(43)}`;

/** Calls `op`; an event stream is cut off once its status is known. */
async function callOp(server: TestServer, op: Op, ids: Ids, key: string | null): Promise<Response> {
  const abort = new AbortController();
  const res = await server.call(op.path(ids), {
    key,
    method: op.method,
    signal: abort.signal,
    ...(op.json !== undefined ? { json: op.json } : {}),
  });
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    abort.abort();
    return new Response(null, { status: res.status, headers: res.headers });
  }
  return res;
}

async function expectUnauthorized(res: Response): Promise<void> {
  assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="symphainy"');
  await expectProblem(res, 401, { code: 'SYM_ERR_UNAUTHORIZED', field: 'Authorization' });
}

describe('HTTP API: authentication on every route', () => {
  let server: TestServer;
  let key: string;
  let ids: Ids;
  let revokedKey: string;
  before(async () => {
    server = await startTestServer();
    const tenantId = uid('auth');
    key = await server.tenant(tenantId);
    const run = await ok(await postSop(server, key));
    const revoked = await server.runtime.tenants.issueKey(tenantId);
    revokedKey = revoked.apiKey;
    const spare = await server.runtime.tenants.issueKey(tenantId);
    ids = { executionId: run.executionId, artifactId: run.artifacts.find((a: any) => a.key === 'workflow').artifactId, tenantId, keyId: spare.keyId };
    assert.equal((await server.call('/v1/executions', { key: revokedKey })).status, 200, 'works before it is revoked');
    await ok(await server.call(`/v1/admin/keys/${revoked.keyId}`, { key: ADMIN_KEY, method: 'DELETE' }));
  });
  after(() => server?.close());

  test('the route tables here cover every operation of /openapi.json', async () => {
    const doc = await ok(await server.call('/openapi.json'));
    const listed = (ops: Op[]) => ops.map((o) => `${o.method} ${o.template}`).sort();
    const fromDoc = (pred: (op: any) => boolean) =>
      Object.entries(doc.paths as Record<string, Record<string, any>>)
        .flatMap(([path, ops]) => Object.entries(ops).filter(([, op]) => pred(op)).map(([m]) => `${m.toUpperCase()} ${path}`))
        .sort();
    const isAdmin = (op: any) => JSON.stringify(op.security ?? null) === JSON.stringify([{ adminKey: [] }]);
    const isPublic = (op: any) => Array.isArray(op.security) && op.security.length === 0;
    assert.deepEqual(fromDoc((op) => !isAdmin(op) && !isPublic(op)), listed(TENANT_ROUTES));
    assert.deepEqual(fromDoc(isAdmin), listed(ADMIN_ROUTES));
  });

  for (const op of TENANT_ROUTES) {
    test(`${op.method} ${op.template}: no key, a bad key, an unknown or revoked key → 401; the admin key → 403; the tenant's key works`, async () => {
      await expectUnauthorized(await callOp(server, op, ids, null));
      await expectUnauthorized(await callOp(server, op, ids, 'not-a-key'));
      await expectUnauthorized(await callOp(server, op, ids, UNKNOWN_KEY));
      await expectUnauthorized(await callOp(server, op, ids, `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`));
      await expectUnauthorized(await callOp(server, op, ids, revokedKey));
      const basic = await server.call(op.path(ids), { method: op.method, headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
      await expectUnauthorized(basic);
      await expectProblem(await callOp(server, op, ids, ADMIN_KEY), 403, { code: 'SYM_ERR_FORBIDDEN' });
      const res = await callOp(server, op, ids, key);
      assert.equal(res.status, op.success ?? 200, `${op.method} ${op.path(ids)}: ${await res.text()}`);
    });
  }

  for (const op of ADMIN_ROUTES) {
    test(`${op.method} ${op.template}: no key or a bad key → 401; a tenant's key → 403`, async () => {
      await expectUnauthorized(await callOp(server, op, ids, null));
      await expectUnauthorized(await callOp(server, op, ids, 'not-a-key'));
      await expectUnauthorized(await callOp(server, op, ids, `${ADMIN_KEY}x`));
      await expectUnauthorized(await callOp(server, op, ids, revokedKey));
      const p = await expectProblem(await callOp(server, op, ids, key), 403, { code: 'SYM_ERR_FORBIDDEN' });
      assert.match(p.detail, /admin key/);
    });
  }
});

describe('HTTP API: admin routes without an admin key configured', () => {
  let server: TestServer;
  let ids: Ids;
  let key: string;
  before(async () => {
    server = await startTestServer({ http: { adminKey: undefined } });
    const issued = await server.runtime.tenants.create(uid('noadmin'));
    key = issued.apiKey;
    ids = { executionId: 'x', artifactId: 'x', tenantId: issued.tenantId, keyId: issued.keyId };
  });
  after(() => server?.close());

  test('every admin route and /metrics answer 403, whatever key is sent', async () => {
    for (const op of ADMIN_ROUTES) {
      for (const k of [null, key, ADMIN_KEY, 'anything']) {
        const p = await expectProblem(await callOp(server, op, ids, k), 403, { code: 'SYM_ERR_FORBIDDEN' });
        assert.match(p.detail, /no admin key/, `${op.method} ${op.template}`);
      }
    }
    // Nothing was changed: the key still works, no tenant was created.
    await ok(await server.call('/v1/executions', { key }));
    assert.deepEqual((await server.runtime.tenants.list()).map((t) => t.tenantId), [ids.tenantId]);
  });

  test('tenant routes work as usual', async () => {
    assert.equal((await ok(await postSop(server, key))).status, 'completed');
  });

  test('an admin key shorter than 32 characters is refused at start', async () => {
    const { createHttpServer } = await import('../../src/http/server.ts');
    await assert.rejects(createHttpServer(server.runtime, { adminKey: 'short' }), /at least 32 characters/);
  });
});

describe('HTTP API: tenant and key administration', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.close());

  const admin = (path: string, init: { method?: string; json?: unknown } = {}) => server.call(path, { key: ADMIN_KEY, ...init });

  test('create a tenant: 201 with its key, shown once; only a hash of it is stored; the key works', async () => {
    const tenantId = uid('acme');
    const issued = await ok(await admin('/v1/admin/tenants', { method: 'POST', json: { tenantId } }), 201);
    assert.equal(issued.tenantId, tenantId);
    assert.match(issued.keyId, /^[a-f0-9]{16}$/);
    assert.match(issued.apiKey, new RegExp(`^sym_${issued.keyId}_[A-Za-z0-9_-]{43}$`));

    const rows = await server.db.query<Record<string, unknown>>('SELECT * FROM symphainy.api_keys WHERE key_id = $1', [issued.keyId]);
    assert.equal(rows.length, 1);
    const stored = JSON.stringify(rows[0]);
    const secret = issued.apiKey.split('_').slice(2).join('_');
    assert.equal(stored.includes(secret), false, 'the secret is not stored');
    assert.equal(rows[0]!.key_sha256, sha256Hex(issued.apiKey));
    assert.notEqual(rows[0]!.key_sha256, issued.apiKey);

    const run = await ok(await postSop(server, issued.apiKey));
    assert.equal(run.tenantId, tenantId);
  });

  test('a tenant that exists is a 409; an invalid tenant id a 400 naming tenantId', async () => {
    const tenantId = uid('dup');
    await ok(await admin('/v1/admin/tenants', { method: 'POST', json: { tenantId } }), 201);
    await expectProblem(await admin('/v1/admin/tenants', { method: 'POST', json: { tenantId } }), 409, { code: 'SYM_ERR_CONFLICT' });
    for (const bad of ['', '../x', '.hidden', 'a b', 'x'.repeat(129), 7]) {
      await expectProblem(await admin('/v1/admin/tenants', { method: 'POST', json: { tenantId: bad } }), 400, { field: 'tenantId' });
    }
    await expectProblem(await admin('/v1/admin/tenants', { method: 'POST', json: {} }), 400, { field: 'tenantId' });
    await expectProblem(await admin('/v1/admin/tenants', { method: 'POST', json: { tenantId: uid('x'), plan: 'gold' } }), 400, { field: 'plan' });
  });

  test('list tenants; issue another key (both work); list keys without secrets; revoke one (it stops at once, the other works)', async () => {
    const tenantId = uid('rot');
    const first = await ok(await admin('/v1/admin/tenants', { method: 'POST', json: { tenantId } }), 201);
    const second = await ok(await admin(`/v1/admin/tenants/${tenantId}/keys`, { method: 'POST' }), 201);
    assert.equal(second.tenantId, tenantId);
    assert.notEqual(second.keyId, first.keyId);
    assert.notEqual(second.apiKey, first.apiKey);
    for (const k of [first.apiKey, second.apiKey]) await ok(await server.call('/v1/executions', { key: k }));

    const tenants = await ok(await admin('/v1/admin/tenants'));
    const mine = tenants.items.find((t: any) => t.tenantId === tenantId);
    assert.equal(mine.activeKeys, 2);
    assert.ok(!Number.isNaN(Date.parse(mine.createdAt)));

    const keysRes = await admin(`/v1/admin/tenants/${tenantId}/keys`);
    const keysText = await keysRes.clone().text();
    const keys = await ok(keysRes);
    assert.deepEqual(keys.items.map((k: any) => k.keyId).sort(), [first.keyId, second.keyId].sort());
    for (const k of keys.items) {
      assert.deepEqual(Object.keys(k).sort(), ['createdAt', 'keyId', 'revokedAt', 'tenantId']);
      assert.equal(k.revokedAt, null);
    }
    for (const secret of [first.apiKey, second.apiKey, sha256Hex(first.apiKey), sha256Hex(second.apiKey)]) {
      assert.equal(keysText.includes(secret), false, 'no key or hash in the listing');
    }

    const revoked = await ok(await admin(`/v1/admin/keys/${first.keyId}`, { method: 'DELETE' }));
    assert.equal(revoked.keyId, first.keyId);
    assert.equal(revoked.tenantId, tenantId);
    assert.ok(revoked.revokedAt);
    await expectUnauthorized(await server.call('/v1/executions', { key: first.apiKey }));
    await ok(await server.call('/v1/executions', { key: second.apiKey }));
    const after = await ok(await admin(`/v1/admin/tenants/${tenantId}/keys`));
    assert.equal(after.items.find((k: any) => k.keyId === first.keyId).revokedAt, revoked.revokedAt);
    assert.equal((await ok(await admin('/v1/admin/tenants'))).items.find((t: any) => t.tenantId === tenantId).activeKeys, 1);
    // Revoking again keeps the first revocation time.
    assert.equal((await ok(await admin(`/v1/admin/keys/${first.keyId}`, { method: 'DELETE' }))).revokedAt, revoked.revokedAt);
  });

  test('an unknown tenant or key is a 404; a malformed key id a 400', async () => {
    await expectProblem(await admin('/v1/admin/tenants/no-such-tenant/keys', { method: 'POST' }), 404, { code: 'SYM_ERR_NOT_FOUND' });
    await expectProblem(await admin('/v1/admin/tenants/no-such-tenant/keys'), 404, { code: 'SYM_ERR_NOT_FOUND' });
    await expectProblem(await admin('/v1/admin/keys/0123456789abcdef', { method: 'DELETE' }), 404, { code: 'SYM_ERR_NOT_FOUND' });
    await expectProblem(await admin('/v1/admin/keys/not-a-key-id', { method: 'DELETE' }), 400, { field: 'keyId' });
  });
});

describe('HTTP API: tenant isolation', () => {
  let server: TestServer;
  let keyA: string;
  let keyB: string;
  let tenantA: string;
  let tenantB: string;
  let runA: any;
  before(async () => {
    server = await startTestServer({
      runtime: {
        solutionConfig: parseSolutionConfig({ name: 'iso', materialization_policy: { workflow: 'persist', visual: { decision: 'cache', cache_ttl: '1h' } } }),
      },
    });
    tenantA = uid('a');
    tenantB = uid('b');
    keyA = await server.tenant(tenantA);
    keyB = await server.tenant(tenantB);
    runA = await ok(await postSop(server, keyA, { sessionId: 'sess-a' }));
    await ok(await postSop(server, keyB, { sessionId: 'sess-b' }));
    await server.runtime.flushEvents();
  });
  after(() => server?.close());

  /** Status, content type and body of an answer, with `id` replaced so a foreign and a missing id compare equal. */
  async function answer(res: Response, id: string) {
    const body = (await res.text()).split(id).join('<ID>');
    return { status: res.status, type: res.headers.get('content-type'), auth: res.headers.get('www-authenticate'), body };
  }
  const missing = (like: string) => like.replace(/[0-9a-f]/g, '0');

  test("tenant B gets, for A's execution, journey, artifact, rendering, cache session and events, exactly what a missing id gets", async () => {
    const artifactA = runA.artifacts.find((a: any) => a.key === 'workflow').artifactId;
    assert.match(artifactA, /^art_/);
    // A sees its own.
    await ok(await server.call(`/v1/executions/${runA.executionId}`, { key: keyA }));
    assert.equal((await server.call(`/v1/artifacts/${artifactA}/content/markdown`, { key: keyA })).status, 200);
    const cachedA = await ok(await server.call('/v1/cache/sess-a', { key: keyA }));
    assert.equal(cachedA.entries.length, 1);
    const eventsA = await server.runtime.listEvents({ tenantId: tenantA, limit: 100 });
    assert.ok(eventsA.length >= 3);

    const cases: [string, string, (id: string) => string][] = [
      ['execution', runA.executionId, (id) => `/v1/executions/${id}`],
      ['journey', runA.executionId, (id) => `/v1/executions/${id}/journey`],
      ['artifact', artifactA, (id) => `/v1/artifacts/${id}`],
      ['rendering', artifactA, (id) => `/v1/artifacts/${id}/content/markdown`],
      ['cache session', 'sess-a', (id) => `/v1/cache/${id}`],
    ];
    for (const [what, id, path] of cases) {
      const foreign = await answer(await server.call(path(id), { key: keyB }), id);
      const absent = await answer(await server.call(path(missing(id)), { key: keyB }), missing(id));
      assert.deepEqual(foreign, absent, what);
      if (what === 'cache session') assert.deepEqual(JSON.parse(foreign.body), { sessionId: '<ID>', entries: [] });
      else {
        assert.equal(foreign.status, 404, what);
        assert.equal(JSON.parse(foreign.body).code, 'SYM_ERR_NOT_FOUND');
      }
    }
    // Resuming events after one of A's: the same as after an event that does not exist.
    const eventId = eventsA[0]!.eventId;
    const foreign = await answer(await server.call('/v1/events', { key: keyB, headers: { 'last-event-id': eventId } }), eventId);
    const absent = await answer(await server.call('/v1/events', { key: keyB, headers: { 'last-event-id': missing(eventId) } }), missing(eventId));
    assert.deepEqual(foreign, absent);
    assert.equal(foreign.status, 400);
    assert.equal(JSON.parse(foreign.body).errors[0].field, 'Last-Event-ID');
  });

  test("B's lists never include A's items, whatever the filters", async () => {
    const textOf = async (path: string) => {
      const res = await server.call(path, { key: keyB });
      assert.equal(res.status, 200, path);
      return res.text();
    };
    const paths = [
      '/v1/executions', '/v1/artifacts', `/v1/executions?sessionId=sess-a`, `/v1/artifacts?executionId=${runA.executionId}`,
      '/v1/artifacts?sessionId=sess-a', '/v1/artifacts?resultType=workflow', '/v1/executions?intentType=journey.sop_to_workflow',
      '/v1/executions?status=completed&limit=500',
    ];
    for (const path of paths) {
      const text = await textOf(path);
      assert.equal(text.includes(tenantA), false, path);
      assert.equal(text.includes(runA.executionId), false, path);
      for (const item of JSON.parse(text).items) assert.equal(item.tenantId, tenantB, path);
    }
    assert.deepEqual(JSON.parse(await textOf(`/v1/artifacts?executionId=${runA.executionId}`)).items, []);
    assert.deepEqual(JSON.parse(await textOf('/v1/executions?sessionId=sess-a')).items, []);
    // A cursor made from A's newest item narrows B's own list only.
    const pageA = await ok(await server.call('/v1/executions?limit=1', { key: keyA }));
    const viaCursor = await textOf(`/v1/executions?limit=1&cursor=${Buffer.from(JSON.stringify([new Date(Date.now() + 60_000).toISOString(), 'zzz'])).toString('base64url')}`);
    assert.equal(viaCursor.includes(tenantA), false);
    assert.equal(pageA.items[0].tenantId, tenantA);
  });

  test("a tenantId in a body is refused (400 naming it); B's explain is about B", async () => {
    await expectProblem(
      await server.call('/v1/intents', { key: keyB, method: 'POST', json: { tenantId: tenantA, intentType: 'journey.sop_to_workflow', sessionId: 's', parameters: { sop_text: '1. a' } } }),
      400,
      { field: 'tenantId' },
    );
    const x = await ok(await server.call('/v1/policy/explain', { key: keyB, method: 'POST', json: { resultType: 'visual' } }));
    assert.equal(x.input.tenantId, tenantB);
    assert.deepEqual([x.result.decision, x.result.layer], ['cache', 'solution']);
  });
});
