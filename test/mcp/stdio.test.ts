import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { createRuntime } from '../../src/index.ts';
import { SOP } from '../http/api-helpers.ts';

// `symphainy mcp` as an MCP client starts it: a child process speaking MCP on stdin/stdout, driven
// by the SDK's own client. What it recorded is then read from its data dir.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'symphainy.js');
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'symphainy-mcp-stdio-'));
  // The data dir made (and migrated) once here, not while a client waits for the first answer.
  await (await createRuntime({ dataDir: join(dir, 'data') })).close();
});

/** A loaded machine starts a child runtime slowly: longer than the SDK's 60 s request default. */
const SLOW = { timeout: 300_000 };
after(() => rm(dir, { recursive: true, force: true }));

function stdioTransport(args: string[], env: Record<string, string> = {}): StdioClientTransport {
  return new StdioClientTransport({
    command: process.execPath,
    args: [bin, '--data-dir', join(dir, 'data'), 'mcp', '--config', 'config/mvp_materialization_policy.yaml', ...args],
    cwd: root,
    env: { ...(process.env as Record<string, string>), SYMPHAINY_LOG_LEVEL: 'warn', ...env },
    stderr: 'pipe',
  });
}

/** Waits until the process is gone (the data dir is free again). */
async function exited(pid: number | null): Promise<void> {
  if (pid === null) return;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('symphainy mcp: tools over stdio, each call one execution of --tenant; a bad argument runs nothing', async () => {
  const transport = stdioTransport(['--tenant', 'acme', '--session', 'desk']);
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'symphainy-test', version: '1.0.0' });
  let executionId: string;
  try {
    await client.connect(transport, SLOW);
    const { tools } = await client.listTools(undefined, SLOW);
    const sop = tools.find((t) => t.name === 'journey__sop_to_workflow');
    assert.ok(sop, `tools: ${tools.map((t) => t.name).join(', ')}`);
    assert.equal((sop.inputSchema.properties as Record<string, { type: string }>).sop_text!.type, 'string');

    const done = await client.callTool({ name: 'journey__sop_to_workflow', arguments: { sop_text: SOP } }, undefined, SLOW);
    assert.equal(done.isError, false, JSON.stringify(done));
    const result = done.structuredContent as { executionId: string; status: string; tenantId: string; sessionId: string; artifacts: { decision: string; reason: string }[] };
    assert.equal(result.status, 'completed');
    assert.equal(result.tenantId, 'acme');
    assert.equal(result.sessionId, 'desk');
    assert.ok(result.artifacts.some((a) => a.decision === 'persist' && a.reason.length > 0));
    executionId = result.executionId;

    const bad = await client.callTool({ name: 'journey__sop_to_workflow', arguments: { sop_text: SOP, title: { nested: true } } }, undefined, SLOW);
    assert.equal(bad.isError, true);
    assert.match((bad.content as { text: string }[])[0]!.text, /^error \[SYM_ERR_INVALID_INTENT\]: invalid arguments for tool 'journey__sop_to_workflow': title: /);

    // Arguments that are not an object: Invalid params naming them, over stdio as over HTTP.
    await assert.rejects(
      client.request({ method: 'tools/call', params: { name: 'journey__sop_to_workflow', arguments: 'sop_text' } } as never, CallToolResultSchema, SLOW),
      (err: { code?: number; message: string }) => err.code === -32602 && /'arguments' must be an object of the tool's arguments, got a string/.test(err.message),
    );
  } finally {
    const pid = transport.pid;
    await client.close();
    await exited(pid);
  }
  assert.doesNotMatch(stderr, /\n\s+at /, `no stack trace: ${stderr}`);

  const runtime = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    const executions = await runtime.listExecutions({ tenantId: 'acme' });
    assert.deepEqual(executions.map((e) => [e.executionId, e.status, e.sessionId]), [[executionId, 'completed', 'desk']]);
    const intents = await runtime.listWal({ tenantId: 'acme', recordType: 'intent' });
    assert.equal(intents.length, 1);
    assert.equal((await runtime.verifyWal({ tenantId: 'acme' })).every((r) => r.ok), true);
  } finally {
    await runtime.close();
  }
});

test('symphainy mcp without a tenant refuses to start, naming the flag and the variable', async () => {
  const env = { ...process.env, SYMPHAINY_TENANT: '' };
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [bin, '--data-dir', join(dir, 'none'), 'mcp'], { cwd: root, env }, (_err, _out, err) => resolve({ code: child.exitCode, stderr: err }));
  });
  assert.equal(code, 2);
  assert.match(stderr, /^error \[SYM_ERR_CONFIG\]: mcp needs a tenant: --tenant <id> or SYMPHAINY_TENANT\n$/);
});

test('SYMPHAINY_TENANT gives the tenant when --tenant is absent', async () => {
  const transport = stdioTransport([], { SYMPHAINY_TENANT: 'globex' });
  const client = new Client({ name: 'symphainy-test', version: '1.0.0' });
  try {
    await client.connect(transport, SLOW);
    const r = await client.callTool({ name: 'journey__sop_to_workflow', arguments: { sop_text: SOP } }, undefined, SLOW);
    assert.equal((r.structuredContent as { tenantId: string }).tenantId, 'globex');
    assert.equal((r.structuredContent as { sessionId: string }).sessionId, 'mcp');
  } finally {
    const pid = transport.pid;
    await client.close();
    await exited(pid);
  }
});

test('over stdio, a line that is no JSON or no JSON-RPC message is answered (-32700, -32600) with id null, not dropped', SLOW, async () => {
  const child = spawn(process.execPath, [bin, '--data-dir', join(dir, 'data'), 'mcp', '--tenant', 'acme'], {
    cwd: root, env: { ...process.env, SYMPHAINY_LOG_LEVEL: 'warn' }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  const replies = (n: number) => new Promise<void>((resolve, reject) => {
    const check = () => (lines.length >= n ? resolve() : undefined);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts.filter((l) => l.trim() !== ''));
      check();
    });
    child.once('exit', () => reject(new Error(`exited after ${lines.length} replies`)));
  });
  try {
    const four = replies(4);
    child.stdin.write('{bad json\n{"a":1}\n[]\n{"jsonrpc":"2.0","id":9,"method":"ping"}\n');
    await four;
    const [parse, notRpc, emptyBatch, ping] = lines.map((l) => JSON.parse(l));
    assert.deepEqual([parse.id, parse.error.code], [null, -32700]);
    assert.deepEqual([notRpc.id, notRpc.error.code], [null, -32600]);
    assert.deepEqual([emptyBatch.id, emptyBatch.error.code], [null, -32600]);
    assert.deepEqual(ping, { jsonrpc: '2.0', id: 9, result: {} });
  } finally {
    child.stdin.end();
    await exited(child.pid ?? null);
  }
});
