import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError, defineRealm } from '../../src/index.ts';
import { IntentRegistry } from '../../src/realm/intent-registry.ts';
import { argumentPath, callMcpTool, mcpToolName, mcpTools } from '../../src/mcp/tools.ts';
import { createMemoryRuntime } from '../../src/testing/index.ts';

// Intent types as MCP tools, without a transport: names, schemas, and what a call returns.

const handler = () => ({ artifacts: {} });

function registry(...realms: Parameters<typeof defineRealm>[0][]): IntentRegistry {
  const r = new IntentRegistry();
  for (const realm of realms) r.register(defineRealm(realm));
  return r;
}

test('tool names: the dot becomes __; two intent types sharing a name are refused naming both', () => {
  assert.equal(mcpToolName('journey.sop_to_workflow'), 'journey__sop_to_workflow');
  const tools = mcpTools(registry({ name: 'a', intents: { x: { handler } } }, { name: 'b-c', intents: { y_z: { handler } } }).list());
  assert.deepEqual([...tools.keys()], ['a__x', 'b-c__y_z']);
  assert.deepEqual([...tools.values()].map((t) => t.intentType), ['a.x', 'b-c.y_z']);
  assert.throws(
    () => mcpTools(registry({ name: 'a__b', intents: { c: { handler } } }, { name: 'a', intents: { b__c: { handler } } }).list()),
    (err: unknown) => err instanceof ConfigError && /^intent types '(a\.b__c|a__b\.c)' and '(a\.b__c|a__b\.c)' both become the MCP tool 'a__b__c'/.test(err.message) && err.message.includes('a.b__c') && err.message.includes('a__b.c'),
  );
});

test('input schemas: a Zod object as JSON Schema plus _session; another validator or a non-object gives an open object', () => {
  const tools = mcpTools(registry({
    name: 'r',
    intents: {
      zod: { params: z.strictObject({ n: z.number().int().default(1), s: z.string() }), handler },
      custom: { params: { parse: (x: unknown) => x }, handler },
      union: { params: z.union([z.string(), z.number()]), handler },
      none: { handler },
    },
  }).list());
  const zod = tools.get('r__zod')!.inputSchema;
  assert.equal(zod.type, 'object');
  assert.equal(zod.additionalProperties, false);
  assert.deepEqual(zod.required, ['s']); // io: input — a defaulted field is optional to a caller
  assert.deepEqual(Object.keys(zod.properties!), ['n', 's', '_session']);
  for (const name of ['r__custom', 'r__union', 'r__none']) {
    assert.deepEqual(tools.get(name)!.inputSchema, { type: 'object', properties: { _session: tools.get('r__zod')!.inputSchema.properties!._session } }, name);
  }
  assert.match(tools.get('r__none')!.description, /^Runs the intent r\.none/);
});

test('a call whose execution fails is a tool error carrying the recorded execution', async () => {
  const runtime = await createMemoryRuntime({
    realms: [defineRealm({ name: 'r', intents: { boom: { handler: () => { throw new Error('the handler broke'); } } } })],
  });
  try {
    const tool = mcpTools(runtime.intents()).get('r__boom')!;
    const result = await callMcpTool({ runtime, tenantId: 't1' }, tool, { _session: 's' });
    assert.equal(result.isError, true);
    const structured = result.structuredContent as { status: string; executionId: string; sessionId: string; error: { message: string } };
    assert.equal(structured.status, 'failed');
    assert.equal(structured.sessionId, 's');
    assert.match(structured.error.message, /the handler broke/);
    assert.equal((await runtime.getExecution(structured.executionId, { tenantId: 't1' })).status, 'failed');
  } finally {
    await runtime.close();
  }
});

test('a refused call names what the caller sent: the argument, never the intent field it becomes', async () => {
  assert.deepEqual(['parameters.sop_text', 'parameters.a.b', 'parameters', 'sessionId'].map(argumentPath), ['sop_text', 'a.b', 'arguments', '_session']);
  const runtime = await createMemoryRuntime({
    realms: [defineRealm({ name: 'r', intents: { typed: { params: z.strictObject({ n: z.number() }), handler } } })],
  });
  try {
    const tool = mcpTools(runtime.intents()).get('r__typed')!;
    const errorOf = async (args: Record<string, unknown>) =>
      (await callMcpTool({ runtime, tenantId: 't1' }, tool, args)).structuredContent.error as { code: string; message: string; issues: { path: string }[] };
    const session = await errorOf({ n: 1, _session: '../x' });
    assert.equal(session.code, 'SYM_ERR_INVALID_INTENT');
    assert.deepEqual(session.issues.map((i) => i.path), ['_session']);
    assert.match(session.message, /^invalid arguments for tool 'r__typed': _session: "\.\.\/x" is not a valid id/);
    assert.doesNotMatch(session.message, /sessionId/);
    const param = await errorOf({ n: 'one' });
    assert.deepEqual(param.issues.map((i) => i.path), ['n']);
    assert.match(param.message, /^invalid arguments for tool 'r__typed': n: /);
    assert.doesNotMatch(param.message, /parameters/);
  } finally {
    await runtime.close();
  }
});
