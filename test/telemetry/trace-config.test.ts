import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileMaterializationPolicy, ConfigError, formatExplanation, parseSolutionConfig, parseSolutionConfigYaml, PolicyConfigError } from '../../src/index.ts';
import { compileRuntimeOptions } from '../../src/options/index.ts';
import { formatTraceparent, parseTraceparent } from '../../src/telemetry/trace-context.ts';
import { checkSpanExporters, SPAN_EXPORTERS, startTracing } from '../../src/telemetry/start-tracing.ts';
import { OPTION_SPECS, OTEL_TRACES_EXPORTERS } from '../../src/options/runtime-option-specs.ts';
import { CONTENT_ATTRIBUTE_MAX, contentAttribute, usageAttributes } from '../../src/telemetry/execution-spans.ts';

test('span export is off unless OTEL_TRACES_EXPORTER says otlp; traces go to the endpoint\'s /v1/traces unless the traces endpoint is given', () => {
  assert.deepEqual({ ...compileRuntimeOptions({ env: {} }).telemetry }, {
    tracesExporter: 'none', endpoint: undefined, tracesEndpoint: undefined, protocol: 'http/json', tracesProtocol: undefined, serviceName: 'symphainy',
  });
  const t = compileRuntimeOptions({
    env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/t', OTEL_SERVICE_NAME: 'api' },
  }).telemetry;
  assert.equal(t.tracesExporter, 'otlp');
  assert.equal(t.endpoint, 'https://collector:4318');
  assert.equal(t.tracesEndpoint, 'http://c:4318/t');
  assert.equal(t.serviceName, 'api');
});

test('an unsupported exporter or protocol, or an endpoint that is no http(s) URL, is a ConfigError naming the variable', () => {
  const refused = (env: Record<string, string>) => {
    try {
      compileRuntimeOptions({ env });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    assert.fail(`accepted ${JSON.stringify(env)}`);
  };
  // The runtime options take every standard exporter (an embedding application's SDK may use it): the message lists them.
  assert.equal(refused({ OTEL_TRACES_EXPORTER: 'otpl' }), 'env OTEL_TRACES_EXPORTER: must be a comma-separated list of otlp, zipkin, console, none, got "otpl"');
  const otlp = { OTEL_TRACES_EXPORTER: 'otlp' };
  assert.equal(refused({ ...otlp, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), 'env OTEL_EXPORTER_OTLP_PROTOCOL: must be one of http/json, got "grpc"');
  assert.match(refused({ ...otlp, OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }), /^env OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/);
  assert.match(refused({ ...otlp, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://exa mple' }), /^env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/);
});

test('a standard exporter this runtime cannot send to passes the options (an embedding app\'s SDK may use it) but stops startTracing, its message listing exactly what it takes', async () => {
  const telemetry = compileRuntimeOptions({ env: { OTEL_TRACES_EXPORTER: 'zipkin, console' } }).telemetry;
  assert.equal(telemetry.tracesExporter, 'zipkin,console');
  await assert.rejects(startTracing(telemetry), (err: unknown) => err instanceof ConfigError
    && err.message === `env OTEL_TRACES_EXPORTER: must be a comma-separated list of ${SPAN_EXPORTERS.join(', ')}, got "zipkin,console" (symphainy exports spans over OTLP/HTTP with JSON; zipkin, console are for an embedding application's own SDK)`);
  assert.deepEqual([...SPAN_EXPORTERS], ['otlp', 'none']);
  // What the message lists is what is accepted: each word alone passes.
  for (const word of SPAN_EXPORTERS) checkSpanExporters(word);
  for (const word of OTEL_TRACES_EXPORTERS) assert.equal(compileRuntimeOptions({ env: { OTEL_TRACES_EXPORTER: word } }).telemetry.tracesExporter, word);
  // none (alone or listed) is off: nothing registered, nothing to load.
  assert.equal((await startTracing(compileRuntimeOptions({ env: { OTEL_TRACES_EXPORTER: 'none' } }).telemetry)).url, null);
});

test('every options message that lists the accepted values lists exactly them: each listed word passes, an unlisted one is refused', () => {
  for (const spec of OPTION_SPECS) {
    const probe = spec.kind.text.safeParse('no-such-word-zz');
    if (probe.success) continue;
    const listed = /must be (?:one of|a comma-separated list of) (.+), got /.exec(probe.error.issues[0]!.message)?.[1];
    if (!listed) continue;
    for (const word of listed.split(', ')) assert.ok(spec.kind.text.safeParse(word).success, `${spec.name}: '${word}' is listed but refused`);
  }
});

test('with no otlp exporter the OTLP variables are unused, so not read: a junk endpoint or protocol does not stop a start', async () => {
  const env = {
    OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'nonsense',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
  };
  for (const exporter of ['none', '', 'zipkin']) {
    const t = compileRuntimeOptions({ env: { ...env, OTEL_TRACES_EXPORTER: exporter } }).telemetry;
    assert.equal(t.endpoint, undefined, exporter);
    assert.equal(t.tracesEndpoint, undefined, exporter);
  }
  assert.equal((await startTracing(compileRuntimeOptions({ env }).telemetry)).url, null);
  // With otlp they are read, and refused as before.
  assert.throws(() => compileRuntimeOptions({ env: { ...env, OTEL_TRACES_EXPORTER: 'otlp' } }), (err: Error) =>
    /env OTEL_EXPORTER_OTLP_ENDPOINT: must be an http/.test(err.message) && /env OTEL_EXPORTER_OTLP_PROTOCOL: must be one of http\/json/.test(err.message));
});

test('trace: include is validated in the solution config, carried in the decision and shown by explain', () => {
  assert.throws(
    () => parseSolutionConfigYaml('materialization_policy:\n  note: { decision: persist, trace: yes }\n', 'p.yaml'),
    (err: unknown) => err instanceof PolicyConfigError
      && /^p\.yaml:2: materialization_policy\.note\.trace: expected 'include' \(content of this type enters traces; leave it out to keep content out\), got "yes"$/m.test(err.message),
  );
  const policy = compileMaterializationPolicy({ solution: parseSolutionConfig({ materialization_policy: { note: { decision: 'cache', trace: 'include' }, sop: 'persist' } }) });
  assert.equal(policy.evaluate({ resultType: 'note' }).trace, 'include');
  assert.equal(policy.evaluate({ resultType: 'sop' }).trace, undefined, 'no content in traces unless the entry says so');
  assert.equal(policy.evaluate({ resultType: 'workflow' }).trace, undefined);
  assert.match(formatExplanation(policy.explain({ resultType: 'note' })).split('\n')[0]!, /content enters traces \(trace: include\)$/);
  // It is part of the policy: the version changes with it.
  const without = compileMaterializationPolicy({ solution: parseSolutionConfig({ materialization_policy: { note: 'cache', sop: 'persist' } }) });
  assert.notEqual(policy.version, without.version);
});

test('a governance rule may say trace: include too; the rule that decides says whether content enters traces', () => {
  assert.throws(
    () => compileMaterializationPolicy({ governance: [{ id: 'r', match: {}, decision: 'cache', trace: 'always' } as never] }),
    (err: unknown) => err instanceof PolicyConfigError && /rules\[0\] \('r'\): trace: expected 'include'/.test(err.message),
  );
  const policy = compileMaterializationPolicy({
    governance: [{ id: 'visuals-traced', match: { resultType: ['visual'] }, decision: 'cache', trace: 'include' }],
    solution: parseSolutionConfig({ materialization_policy: { visual: { decision: 'persist', trace: 'include' }, sop: { decision: 'persist', trace: 'include' } } }),
  });
  assert.equal(policy.evaluate({ resultType: 'visual' }).ruleId, 'visuals-traced');
  assert.equal(policy.evaluate({ resultType: 'visual' }).trace, 'include');
  const untraced = compileMaterializationPolicy({
    governance: [{ id: 'sop-cached', match: { resultType: ['sop'] }, decision: 'cache' }],
    solution: parseSolutionConfig({ materialization_policy: { sop: { decision: 'persist', trace: 'include' } } }),
  });
  // The governance rule decides, and it does not let content in: the config entry below it does not either.
  assert.equal(untraced.evaluate({ resultType: 'sop' }).trace, undefined);
});

test('a traceparent is read as the W3C Trace Context says: malformed, version ff or all-zero ids are ignored', () => {
  const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const parsed = parseTraceparent(header);
  assert.deepEqual(parsed, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true });
  assert.equal(formatTraceparent(parsed!), header);
  for (const bad of [
    'nonsense', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    `${header}-extra`,
  ]) assert.equal(parseTraceparent(bad), null, bad);
  // A later version may append fields.
  assert.equal(parseTraceparent(`01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later`)?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
});

test('content let into a trace: the semantic payload and text renderings as JSON, binary renderings left out, cut at 16 KiB', () => {
  const text = (name: string, contentType: string, value: string) => ({ name, contentType, bytes: new TextEncoder().encode(value) });
  const small = JSON.parse(contentAttribute({
    semanticPayload: { steps: 3 },
    renderings: [text('markdown', 'text/markdown', '# hi'), text('json', 'application/json', '{"a":1}'), { name: 'png', contentType: 'image/png', bytes: new Uint8Array([137, 80]) }],
  }));
  assert.deepEqual(small, { semanticPayload: { steps: 3 }, renderings: { markdown: '# hi', json: '{"a":1}' } });
  const big = contentAttribute({ semanticPayload: null, renderings: [text('markdown', 'text/markdown', 'x'.repeat(40_000))] });
  assert.equal(big.length, CONTENT_ATTRIBUTE_MAX + '…(cut)'.length);
  assert.ok(big.endsWith('…(cut)'));
});

test('GenAI attributes of a usage record: the provider only when the model name says it', () => {
  assert.deepEqual(usageAttributes({ model: 'gpt-4o-mini', inputTokens: 1, outputTokens: 2 }), {
    'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 1, 'gen_ai.usage.output_tokens': 2,
  });
  assert.equal(usageAttributes({ model: 'anthropic/claude-haiku', inputTokens: 1, outputTokens: 2, costUsd: 0.5 })['gen_ai.provider.name'], 'anthropic');
});
