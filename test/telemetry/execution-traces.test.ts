import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { compileRuntimeOptions } from '../../src/options/index.ts';
import { defineRealm, parseSolutionConfig, type ExecutionContext } from '../../src/index.ts';
import { startTracing, type Tracing } from '../../src/telemetry/start-tracing.ts';
import { traceLogFields } from '../../src/telemetry/execution-spans.ts';
import { callMcpTool, mcpTools } from '../../src/mcp/tools.ts';
import { ok } from '../http/api-helpers.ts';
import { startTestServer, type TestServer } from '../support/http-server.ts';
import { testRuntime } from '../support/test-runtime.ts';
import { attr, startOtlpReceiver, type OtlpReceiver, type OtlpSpan } from './otlp-receiver.ts';

// Distinctive content: none of it may reach a span unless the policy says `trace: include`.
const PARAM_MARKER = 'param-marker-7f3a0c';
const STEP_MARKER = 'step-marker-44d0e1';
const RESULT_MARKER = 'result-marker-91c2b8';

/** `traced.write`: a durable step, a model call's usage, one `note` artifact carrying the markers. */
const realm = defineRealm({
  name: 'traced',
  intents: {
    write: {
      handler: async (params: unknown, ctx: ExecutionContext) => {
        const draft = await ctx.step('draft', () => ({ text: `${STEP_MARKER} for ${(params as { secret: string }).secret}` }));
        await ctx.recordUsage({ model: 'openai/gpt-4o-mini', inputTokens: 12, outputTokens: 34 });
        return {
          artifacts: {
            note: { resultType: 'note', semanticPayload: { summary: RESULT_MARKER }, renderings: { markdown: `# ${RESULT_MARKER}\n${draft.text.length}` } },
          },
        };
      },
    },
  },
});

const INCLUDE_NOTES = parseSolutionConfig({ name: 'traced', materialization_policy: { note: { decision: 'persist', trace: 'include' } } });

let receiver: OtlpReceiver;
let tracing: Tracing;
before(async () => {
  receiver = await startOtlpReceiver();
  // The CLI's way: the standard variables, compiled with the other options.
  const options = compileRuntimeOptions({
    env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'symphainy-test' },
  });
  tracing = await startTracing(options.telemetry);
});
after(async () => {
  await tracing.shutdown();
  await receiver.close();
});

const newTraceparent = () => {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
};

/** The spans of one trace, exported so far. */
async function traceSpans(traceId: string): Promise<OtlpSpan[]> {
  await tracing.flush();
  return receiver.spans().filter((s) => s.traceId === traceId);
}

function one(spans: OtlpSpan[], name: string): OtlpSpan {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `one span '${name}' expected, got ${found.length} among ${spans.map((s) => s.name).join(', ')}`);
  return found[0]!;
}

async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<{ s: TestServer; key: string }> {
  const s = await startTestServer({ runtime: { realms: [realm], ...options.runtime } });
  return { s, key: await s.tenant('acme') };
}

function post(s: TestServer, key: string, traceparent: string, sessionId: string, query = '') {
  return s.call(`/v1/intents${query}`, {
    method: 'POST', key, headers: { traceparent },
    json: { intentType: 'traced.write', sessionId, parameters: { secret: PARAM_MARKER } },
  });
}

test('an HTTP execution joins the caller\'s traceparent: its stages are child spans, model usage has GenAI attributes, and no content is in any span by default', async () => {
  const { s, key } = await server();
  try {
    const caller = newTraceparent();
    const result = await ok(await post(s, key, caller.header, 's-default'));
    assert.equal(result.status, 'completed');
    const record = await ok(await s.call(`/v1/executions/${result.executionId}`, { key }));
    assert.equal(record.traceId, caller.traceId, 'the execution records the trace it joined');

    const spans = await traceSpans(caller.traceId);
    const root = one(spans, 'execute traced.write');
    assert.equal(root.parentSpanId, caller.spanId, "the execution span is the caller's span's child");
    assert.equal(attr(root.attributes, 'symphainy.execution.id'), result.executionId);
    assert.equal(attr(root.attributes, 'symphainy.intent.type'), 'traced.write');
    assert.equal(attr(root.attributes, 'symphainy.tenant.id'), 'acme');
    assert.equal(attr(root.attributes, 'symphainy.execution.status'), 'completed');
    for (const name of ['accept', 'record', 'handler traced.write', 'materialize', 'commit']) {
      assert.equal(one(spans, name).parentSpanId, root.spanId, `${name} is a stage of the execution`);
    }
    const handler = one(spans, 'handler traced.write');
    assert.equal(one(spans, 'step draft').parentSpanId, handler.spanId);
    const usage = one(spans, 'usage openai/gpt-4o-mini');
    assert.equal(usage.parentSpanId, handler.spanId);
    assert.equal(attr(usage.attributes, 'gen_ai.request.model'), 'openai/gpt-4o-mini');
    assert.equal(attr(usage.attributes, 'gen_ai.provider.name'), 'openai');
    assert.equal(attr(usage.attributes, 'gen_ai.usage.input_tokens'), 12);
    assert.equal(attr(usage.attributes, 'gen_ai.usage.output_tokens'), 34);
    const decision = one(spans, 'materialize').events?.find((e) => e.name === 'symphainy.decision');
    assert.equal(attr(decision?.attributes, 'symphainy.artifact.key'), 'note');
    assert.equal(attr(decision?.attributes, 'symphainy.decision'), 'discard');
    assert.equal(attr(decision?.attributes, 'symphainy.decision.layer'), 'fallback');
    assert.deepEqual([...new Set(receiver.serviceNames())], ['symphainy-test']);

    for (const body of receiver.bodies) {
      for (const marker of [PARAM_MARKER, STEP_MARKER, RESULT_MARKER]) assert.ok(!body.includes(marker), `${marker} leaked into an exported span`);
    }
    // Nothing carried content: erasure has no trace to name.
    const report = await s.runtime.erase({ tenantId: 'acme', sessionId: 's-default' });
    assert.deepEqual(report.executions, [result.executionId]);
    assert.deepEqual(report.traceIdsWithContent, []);
  } finally {
    await s.close();
  }
});

test('trace: include lets a result type\'s content into its trace (never parameters or step results), and erasure names that trace', async () => {
  const { s, key } = await server({ runtime: { solutionConfig: INCLUDE_NOTES } });
  try {
    const caller = newTraceparent();
    const result = await ok(await post(s, key, caller.header, 's-include'));
    assert.equal(result.artifacts[0].decision, 'persist');
    const spans = await traceSpans(caller.traceId);
    const root = one(spans, 'execute traced.write');
    const content = root.events?.find((e) => e.name === 'symphainy.artifact');
    assert.equal(attr(content?.attributes, 'symphainy.artifact.key'), 'note');
    const carried = JSON.parse(String(attr(content?.attributes, 'symphainy.artifact.content')));
    assert.deepEqual(carried.semanticPayload, { summary: RESULT_MARKER });
    assert.match(carried.renderings.markdown, new RegExp(RESULT_MARKER));
    // Only that event carries it; parameters and step results stay out even so.
    const mentions = spans.filter((sp) => JSON.stringify(sp).includes(RESULT_MARKER));
    assert.deepEqual(mentions.map((sp) => sp.name), ['execute traced.write']);
    for (const body of receiver.bodies) {
      assert.ok(!body.includes(PARAM_MARKER), 'parameters leaked into a span');
      assert.ok(!body.includes(STEP_MARKER), 'a step result leaked into a span');
    }

    // The decision record says so.
    const journey = await s.runtime.listWal({ tenantId: 'acme', executionId: result.executionId });
    const decided = journey.find((w) => w.recordType === 'governance_decision');
    assert.equal((decided?.payload as { trace?: string }).trace, 'include');

    // The runtime cannot delete spans from the backend: erasure names the trace to purge there.
    const report = await s.runtime.erase({ tenantId: 'acme', sessionId: 's-include' });
    assert.deepEqual(report.executions, [result.executionId]);
    assert.deepEqual(report.traceIdsWithContent, [caller.traceId]);
  } finally {
    await s.close();
  }
});

test('a queued execution keeps its traceparent: the worker that claims it continues the submitter\'s trace', async () => {
  const { s, key } = await server();
  try {
    const caller = newTraceparent();
    const submitted = await ok(await post(s, key, caller.header, 's-queued', '?mode=async'), 202);
    const worker = s.runtime.startWorker({ concurrency: 1, pollIntervalMs: 20 });
    try {
      const done = await s.runtime.waitForExecution(submitted.executionId, { tenantId: 'acme' }, { timeoutMs: 20_000 });
      assert.equal(done.status, 'completed');
      assert.equal(done.traceId, caller.traceId);
    } finally {
      await worker.stop();
    }
    const spans = await traceSpans(caller.traceId);
    const submit = one(spans, 'submit traced.write');
    assert.equal(submit.parentSpanId, caller.spanId);
    const run = one(spans, 'execute traced.write');
    assert.equal(run.parentSpanId, submit.spanId, "the worker's execution span continues from the submit span");
    assert.deepEqual([submit.kind, run.kind], [4, 5], 'producer and consumer (OTLP SPAN_KIND_PRODUCER, SPAN_KIND_CONSUMER)');
    assert.equal(attr(run.attributes, 'symphainy.execution.attempt'), 1);
    assert.equal(one(spans, 'handler traced.write').parentSpanId, run.spanId);
  } finally {
    await s.close();
  }
});

test('a log line inside an execution carries its trace id (the default logger\'s mixin)', async () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  const t = await testRuntime({ realms: [realm], logger: pino({ level: 'debug', mixin: traceLogFields }, sink) });
  try {
    const caller = newTraceparent();
    const r = await t.runtime.execute({ intentType: 'traced.write', tenantId: 'acme', sessionId: 's', parameters: { secret: PARAM_MARKER } }, { traceparent: caller.header });
    const line = lines.find((l) => l.executionId === r.executionId && l.msg === 'execution ended its run');
    assert.ok(line, 'a line for the execution');
    assert.equal(line.trace_id, caller.traceId);
    assert.match(String(line.span_id), /^[0-9a-f]{16}$/);
  } finally {
    await t.close();
  }
});

test('an MCP tool call over HTTP joins the request\'s traceparent', async () => {
  const { s, key } = await server();
  try {
    const caller = newTraceparent();
    const res = await s.call('/mcp', {
      method: 'POST', key,
      headers: { traceparent: caller.header, accept: 'application/json, text/event-stream' },
      json: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'traced__write', arguments: { secret: PARAM_MARKER } } },
    });
    const answer = await ok(res);
    const executionId = answer.result.structuredContent.executionId as string;
    const root = one(await traceSpans(caller.traceId), 'execute traced.write');
    assert.equal(root.parentSpanId, caller.spanId);
    assert.equal(attr(root.attributes, 'symphainy.execution.id'), executionId);
  } finally {
    await s.close();
  }
});

test('an MCP tool call is an execution with its spans', async () => {
  const t = await testRuntime({ realms: [realm] });
  try {
    const tool = mcpTools(t.runtime.intents()).get('traced__write')!;
    const called = await callMcpTool({ runtime: t.runtime, tenantId: 'acme' }, tool, { secret: PARAM_MARKER });
    const executionId = (called.structuredContent as { executionId: string }).executionId;
    const record = await t.runtime.getExecution(executionId, { tenantId: 'acme' });
    assert.match(String(record.traceId), /^[0-9a-f]{32}$/, 'a new trace when the caller sent none');
    const spans = await traceSpans(record.traceId!);
    const root = one(spans, 'execute traced.write');
    assert.equal(root.parentSpanId ?? '', '', 'the root of its own trace');
    assert.equal(attr(root.attributes, 'symphainy.execution.id'), executionId);
    assert.equal(one(spans, 'handler traced.write').parentSpanId, root.spanId);
  } finally {
    await t.close();
  }
});
