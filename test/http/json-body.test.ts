import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startTestServer, type TestServer } from '../support/http-server.ts';
import { expectProblem } from './api-helpers.ts';

let server: TestServer;
let key: string;
before(async () => {
  server = await startTestServer();
  key = await server.tenant('acme');
});
after(() => server.close());

const INTENT = { intentType: 'journey.sop_to_workflow', sessionId: 's1', parameters: { sop_text: '1. Receive\n2. Ship' } };

function post(body: string | Uint8Array, headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}/v1/intents`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...headers }, body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]) });
}

async function executionCount(): Promise<number> {
  const page = await (await server.call('/v1/executions?limit=100', { key })).json();
  return page.items.length;
}

test('a compressed body is a 415 naming Content-Encoding, and nothing is executed', async () => {
  const before = await executionCount();
  for (const [encoding, body] of [['gzip', gzipSync(JSON.stringify(INTENT))], ['br', JSON.stringify(INTENT)], ['x-nope', JSON.stringify(INTENT)]] as const) {
    const p = await expectProblem(await post(body, { 'content-type': 'application/json', 'content-encoding': encoding }), 415, {
      code: 'SYM_ERR_UNSUPPORTED_MEDIA_TYPE',
      field: 'Content-Encoding',
    });
    assert.match(p.detail, new RegExp(`'${encoding}'`));
  }
  assert.equal(await executionCount(), before);
  // identity is the absence of a coding.
  assert.equal((await post(JSON.stringify(INTENT), { 'content-type': 'application/json', 'content-encoding': 'identity' })).status, 200);
});

test('a charset other than UTF-8 is a 415 naming Content-Type, even when the bytes happen to be ASCII', async () => {
  const before = await executionCount();
  for (const [charset, body] of [['utf-16', Buffer.from(JSON.stringify(INTENT), 'utf16le')], ['utf-16', JSON.stringify(INTENT)], ['latin1', JSON.stringify(INTENT)]] as const) {
    const p = await expectProblem(await post(body, { 'content-type': `application/json; charset=${charset}` }), 415, { field: 'Content-Type' });
    assert.match(p.detail, new RegExp(`'${charset}'.*UTF-8`));
  }
  assert.equal(await executionCount(), before);
  for (const type of ['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json; charset="utf-8"']) {
    assert.equal((await post(JSON.stringify(INTENT), { 'content-type': type })).status, 200, type);
  }
});

test('a __proto__ key or constructor.prototype anywhere in the body is refused by its path, not called invalid JSON', async () => {
  const cases: [string, string][] = [
    ['{"__proto__":{"polluted":1},"intentType":"journey.sop_to_workflow","parameters":{}}', '__proto__'],
    [`{"intentType":"journey.sop_to_workflow","parameters":{"sop_text":"1. a","nested":[{"__proto__":{"x":1}}]}}`, 'parameters.nested[0].__proto__'],
    ['{"intentType":"journey.sop_to_workflow","parameters":{"constructor":{"prototype":{"x":1}}}}', 'parameters.constructor.prototype'],
  ];
  for (const [body, field] of cases) {
    const p = await expectProblem(await post(body, { 'content-type': 'application/json' }), 400, { code: 'SYM_ERR_INVALID_REQUEST', field });
    assert.doesNotMatch(p.detail, /not valid JSON/);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  // A key merely named constructor is ordinary data: it reaches the parameter schema, which names it.
  const p = await expectProblem(
    await post(JSON.stringify({ ...INTENT, parameters: { ...INTENT.parameters, constructor: 'Ada' } }), { 'content-type': 'application/json' }),
    400,
    { code: 'SYM_ERR_INVALID_INTENT', field: 'parameters' },
  );
  assert.match(p.detail, /Unrecognized key: "constructor"/);
});

test('bytes that are not UTF-8 are a 400, not silently replaced', async () => {
  const before = await executionCount();
  const bad = Buffer.concat([Buffer.from('{"intentType":"journey.sop_to_workflow","sessionId":"s1","parameters":{"sop_text":"1. '), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
  const p = await expectProblem(await post(bad, { 'content-type': 'application/json' }), 400, { code: 'SYM_ERR_INVALID_REQUEST', field: '' });
  assert.match(p.detail, /not valid UTF-8/);
  assert.equal(await executionCount(), before);
});

test('broken JSON still says where it broke, and an empty body asks for an object', async () => {
  const p = await expectProblem(await post('{"intentType":', { 'content-type': 'application/json' }), 400, { field: '' });
  assert.match(p.detail, /not valid JSON: .+/);
  await expectProblem(await post('', { 'content-type': 'application/json' }), 400, { code: 'SYM_ERR_INVALID_REQUEST' });
});
