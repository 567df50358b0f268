import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { attr, startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.ts';

// The command configures span export from the standard variables alone, or refuses them naming the variable.

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, '--data-dir', dataDir, ...args], { cwd: root, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

let receiver: OtlpReceiver;
let dir: string;
let dataDir: string;
before(async () => {
  receiver = await startOtlpReceiver();
  dir = await mkdtemp(join(tmpdir(), 'symphainy-otel-cli-'));
  dataDir = join(dir, 'data');
});
after(async () => {
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

const RUN = ['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--session', 's1', '--params-file', 'examples/sop_to_workflow.json', '--json'];

test('symphainy run with OTEL_TRACES_EXPORTER=otlp exports the execution\'s spans to the OTLP endpoint before it exits', async () => {
  const r = await cli(RUN, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'cli-test' });
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { executionId: string };
  const root = receiver.spans().find((s) => s.name === 'execute journey.sop_to_workflow');
  assert.ok(root, `spans received: ${receiver.spans().map((s) => s.name).join(', ')}`);
  assert.equal(attr(root.attributes, 'symphainy.execution.id'), result.executionId);
  assert.deepEqual([...new Set(receiver.serviceNames())], ['cli-test']);
});

test('an unsupported exporter or an unparsable endpoint stops the command with an error naming the variable', async () => {
  // The message lists what the command accepts, and only that, before anything opens.
  for (const value of ['zipkin', 'jaeger', 'console,otlp']) {
    const exporter = await cli(RUN, { OTEL_TRACES_EXPORTER: value });
    assert.equal(exporter.code, 2, exporter.stderr);
    assert.match(exporter.stderr, new RegExp(`^error \\[SYM_ERR_CONFIG\\]: env OTEL_TRACES_EXPORTER: must be a comma-separated list of otlp, none, got "${value}"`));
    assert.doesNotMatch(exporter.stderr.split(' (')[0]!, /zipkin, console, none/);
  }
  const endpoint = await cli(RUN, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318' });
  assert.notEqual(endpoint.code, 0);
  assert.match(endpoint.stderr, /env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/);
  assert.doesNotMatch(endpoint.stderr, /\n\s+at .*:\d+:\d+/, 'no stack trace');
});

test('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL other than http/json is refused like the general one', async () => {
  const r = await cli(RUN, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /SYM_ERR_CONFIG.*env OTEL_EXPORTER_OTLP_TRACES_PROTOCOL/);
});

test('OTEL_TRACES_EXPORTER=none with a junk OTLP endpoint runs: the endpoint is unused, as the OpenTelemetry SDKs treat it', async () => {
  const r = await cli(RUN, { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /"status":\s*"completed"/);
});

test('a collector that cannot be reached loses spans, not the result: the run prints it, exits 0 and warns naming the URL', async () => {
  // Port 9 (discard) on loopback: nothing listens there on these machines.
  const r = await cli(RUN, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /"status":\s*"completed"/);
  assert.match(r.stderr, /warning: spans were not exported to http:\/\/127\.0\.0\.1:9\/v1\/traces/);
  assert.doesNotMatch(r.stderr, /\n\s+at .*:\d+:\d+/, 'no stack trace');
});
