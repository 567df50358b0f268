import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startTestServer, type TestServer } from '../support/http-server.ts';
import { expectProblem, ok, SOP } from '../http/api-helpers.ts';

// The MCP SDK's own client against `/mcp` of the HTTP API (streamable HTTP transport), each
// client authenticated with a tenant's API key: the tenant is the key's, never the arguments'.

let server: TestServer;
let acmeKey: string;
let globexKey: string;

before(async () => {
  server = await startTestServer();
  acmeKey = await server.tenant('acme');
  globexKey = await server.tenant('globex');
});
after(() => server.close());

async function connect(key: string): Promise<Client> {
  const client = new Client({ name: 'symphainy-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

test('each intent type is a tool: dots become __, the input schema is the parameter schema plus _session', async () => {
  const client = await connect(acmeKey);
  try {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.deepEqual(names, server.runtime.intents().map((i) => i.intentType.replace('.', '__')));
    for (const name of names) assert.match(name, /^[A-Za-z0-9_-]+$/);
    const sop = tools.find((t) => t.name === 'journey__sop_to_workflow')!;
    assert.match(sop.description ?? '', /^Parse an SOP text into an ordered workflow/);
    assert.match(sop.description ?? '', /intent journey\.sop_to_workflow/);
    assert.equal(sop.inputSchema.type, 'object');
    const props = sop.inputSchema.properties as Record<string, { type?: string }>;
    assert.equal(props.sop_text?.type, 'string');
    assert.equal(props._session?.type, 'string');
    assert.deepEqual(sop.inputSchema.required, ['sop_text']);
  } finally {
    await client.close();
  }
});

test('a tool call is one execution of the key\'s tenant: status, artifacts with decisions and reasons; another tenant cannot see it', async () => {
  const client = await connect(acmeKey);
  let executionId: string;
  let artifactCount: number;
  try {
    const result = await client.callTool({ name: 'journey__sop_to_workflow', arguments: { sop_text: SOP, _session: 'mcp-s1' } });
    assert.equal(result.isError, false, JSON.stringify(result));
    const structured = result.structuredContent as { executionId: string; status: string; tenantId: string; sessionId: string; intentType: string; artifacts: { decision: string; reason: string }[] };
    assert.equal(structured.status, 'completed');
    assert.equal(structured.tenantId, 'acme');
    assert.equal(structured.sessionId, 'mcp-s1');
    assert.equal(structured.intentType, 'journey.sop_to_workflow');
    assert.ok(structured.artifacts.length > 0);
    for (const a of structured.artifacts) {
      assert.match(a.decision, /^(persist|cache|discard)$/);
      assert.ok(a.reason.length > 0);
    }
    const content = result.content as { type: string; text: string }[];
    assert.equal(content[0]!.type, 'text');
    assert.deepEqual(JSON.parse(content[0]!.text), structured);
    executionId = structured.executionId;
    artifactCount = structured.artifacts.length;
  } finally {
    await client.close();
  }
  // Recorded with its decisions, for acme only.
  const record = await ok(await server.call(`/v1/executions/${executionId}`, { key: acmeKey }));
  assert.equal(record.status, 'completed');
  const explained = await server.runtime.explainExecution(executionId, { tenantId: 'acme' });
  assert.equal(explained.artifacts.length, artifactCount);
  await expectProblem(await server.call(`/v1/executions/${executionId}`, { key: globexKey }), 404);
  assert.deepEqual(await server.runtime.listExecutions({ tenantId: 'globex' }), []);
  // Without _session: the default MCP session.
  const b = await connect(globexKey);
  try {
    const r = await b.callTool({ name: 'journey__sop_to_workflow', arguments: { sop_text: SOP } });
    assert.equal((r.structuredContent as { tenantId: string }).tenantId, 'globex');
    assert.equal((r.structuredContent as { sessionId: string }).sessionId, 'mcp');
  } finally {
    await b.close();
  }
  assert.deepEqual((await server.runtime.listExecutions({ tenantId: 'acme' })).map((e) => e.executionId), [executionId]);
});

test('a bad argument is a tool error naming the field, and nothing is recorded as executed', async () => {
  const executions = async () => (await server.runtime.listExecutions({ tenantId: 'acme', limit: 1000 })).length;
  const walBefore = (await server.runtime.listWal({ tenantId: 'acme' })).length;
  const before = await executions();
  const client = await connect(acmeKey);
  try {
    const bad = await client.callTool({ name: 'journey__sop_to_workflow', arguments: { sop_text: 42 } });
    assert.equal(bad.isError, true);
    const text = (bad.content as { text: string }[])[0]!.text;
    // Named as the caller sent it: the argument, not the runtime's `parameters.sop_text`.
    assert.match(text, /^error \[SYM_ERR_INVALID_INTENT\]: invalid arguments for tool 'journey__sop_to_workflow': sop_text: /);
    assert.doesNotMatch(text, /parameters/);
    assert.equal((bad.structuredContent as { error: { issues: { path: string }[] } }).error.issues[0]!.path, 'sop_text');

    const extra = await client.callTool({ name: 'journey__sop_to_workflow', arguments: { sop_text: SOP, tenantId: 'globex' } });
    assert.equal(extra.isError, true);
    assert.match((extra.content as { text: string }[])[0]!.text, /tenantId/);

    const session = await client.callTool({ name: 'journey__sop_to_workflow', arguments: { sop_text: SOP, _session: 7 } });
    assert.equal(session.isError, true);
    assert.match((session.content as { text: string }[])[0]!.text, /_session: must be a non-empty string \(the session id\), got 7/);

    // A session id the runtime refuses is named as the argument the caller passed, never as sessionId.
    const unsafe = await client.callTool({ name: 'journey__sop_to_workflow', arguments: { sop_text: SOP, _session: '../x' } });
    assert.equal(unsafe.isError, true);
    const unsafeText = (unsafe.content as { text: string }[])[0]!.text;
    assert.match(unsafeText, /_session: "\.\.\/x" is not a valid id/);
    assert.doesNotMatch(unsafeText, /sessionId/);
    assert.deepEqual((unsafe.structuredContent as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path), ['_session']);

    await assert.rejects(client.callTool({ name: 'journey__no_such_intent', arguments: {} }), /unknown tool 'journey__no_such_intent'/);
  } finally {
    await client.close();
  }
  assert.equal(await executions(), before);
  // The WAL keeps each refusal the runtime saw (an audit record, no execution); nothing ran.
  const added = (await server.runtime.listWal({ tenantId: 'acme' })).slice(walBefore);
  assert.deepEqual(added.map((r) => r.recordType), ['intent_rejected', 'intent_rejected']);
});

test('a missing or wrong API key is refused with 401 before any MCP message is read; GET and DELETE answer 405', async () => {
  const init = { method: 'POST', headers: { accept: 'application/json, text/event-stream' }, json: { jsonrpc: '2.0', id: 1, method: 'tools/list' } };
  await expectProblem(await server.call('/mcp', { ...init, key: null }), 401, { code: 'SYM_ERR_UNAUTHORIZED', field: 'Authorization' });
  await expectProblem(await server.call('/mcp', { ...init, key: 'sk_not_a_real_key' }), 401, { code: 'SYM_ERR_UNAUTHORIZED' });
  await assert.rejects(connect('sk_not_a_real_key'));
  // Stateless: no server-to-client stream and no session to end.
  for (const method of ['GET', 'DELETE']) {
    const res = await server.call('/mcp', { method, key: acmeKey, headers: { accept: 'text/event-stream' } });
    await expectProblem(res, 405, { code: 'SYM_ERR_METHOD_NOT_ALLOWED' });
    assert.equal(res.headers.get('allow'), 'POST');
  }
});

/** POSTs a raw body to /mcp as an MCP client would (both media types accepted), with `acmeKey`. */
async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; json: any }> {
  const res = await server.call('/mcp', {
    method: 'POST', key: acmeKey, body,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', json: text ? JSON.parse(text) : null };
}

const call = (params?: unknown, id: unknown = 7) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', ...(params === undefined ? {} : { params }) });

test('JSON that is not a JSON-RPC message, and an empty batch, are Invalid Request (-32600), not a parse error or a 202', async () => {
  for (const body of ['{"a":1}', '[]', '42', '"tools/list"', 'null', '[1]', '{"jsonrpc":"1.0","id":1,"method":"tools/list"}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":3}', '{"jsonrpc":"2.0","id":{},"method":"tools/list"}', '[{"jsonrpc":"2.0","method":"notifications/initialized"},{"b":2}]']) {
    const r = await post(body);
    assert.equal(r.status, 400, body);
    assert.match(r.type, /^application\/json/, body);
    assert.equal(r.json.jsonrpc, '2.0', body);
    assert.equal(r.json.id, null, body);
    assert.equal(r.json.error.code, -32600, `${body}: ${JSON.stringify(r.json)}`);
    assert.match(r.json.error.message, /^Invalid Request: /, body);
    assert.doesNotMatch(r.json.error.message, /\[\s*\{|"code":/, `${body}: a sentence, not an issue dump`);
  }
  // A batch's faulty member is named by its position.
  assert.match((await post('[{"jsonrpc":"2.0","method":"notifications/initialized"},{"b":2}]')).json.error.message, /message 2 of the batch/);
  // Broken JSON is still a parse error of the HTTP API (a problem document naming the body).
  const broken = await server.call('/mcp', { method: 'POST', key: acmeKey, body: '{', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } });
  await expectProblem(broken, 400, { code: 'SYM_ERR_INVALID_REQUEST' });
});

test('tools/call with bad params is Invalid params (-32602) with a readable message, not -32603 Internal error', async () => {
  const cases: [string, RegExp][] = [
    [call({ name: 'journey__sop_to_workflow', arguments: 'sop_text=1' }), /'arguments' must be an object of the tool's arguments, got a string/],
    [call({ name: 'journey__sop_to_workflow', arguments: [1] }), /'arguments' must be an object of the tool's arguments, got a list/],
    [call(), /tools\/call needs params \{ name, arguments \}/],
    [call({ arguments: {} }), /'name' must be the name of a tool/],
    [call({ name: 5 }), /'name' must be the name of a tool/],
  ];
  for (const [body, message] of cases) {
    const r = await post(body);
    assert.equal(r.status, 200, body);
    assert.equal(r.json.id, 7, body);
    assert.equal(r.json.error.code, -32602, `${body}: ${JSON.stringify(r.json)}`);
    assert.match(r.json.error.message, /^Invalid params: /, body);
    assert.match(r.json.error.message, message, body);
    assert.doesNotMatch(r.json.error.message, /\[\s*\{|"code":|"expected":/, `${body}: a sentence, not an issue dump`);
  }
  // The other methods served are checked the same way.
  const list = await post(JSON.stringify({ jsonrpc: '2.0', id: 'l', method: 'tools/list', params: { cursor: 5 } }));
  assert.equal(list.json.error.code, -32602, JSON.stringify(list.json));
  assert.match(list.json.error.message, /^Invalid params: tools\/list: params\.cursor: /);
  // A good call still runs.
  const ran = await post(call({ name: 'journey__sop_to_workflow', arguments: { sop_text: SOP, _session: 'raw-1' } }));
  assert.equal(ran.json.result.isError, false, JSON.stringify(ran.json));
});

test('a traceparent over 512 characters is a 400 on /mcp as on /v1/intents, naming the header', async () => {
  const long = `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-${'x'.repeat(520)}`;
  const res = await server.call('/mcp', {
    method: 'POST', key: acmeKey, json: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    headers: { accept: 'application/json, text/event-stream', traceparent: long },
  });
  await expectProblem(res, 400, { code: 'SYM_ERR_INVALID_REQUEST', field: 'traceparent' });
  const intents = await server.call('/v1/intents', { method: 'POST', key: acmeKey, json: { intentType: 'journey.sop_to_workflow', sessionId: 's' }, headers: { traceparent: long } });
  await expectProblem(intents, 400, { code: 'SYM_ERR_INVALID_REQUEST', field: 'traceparent' });
});
