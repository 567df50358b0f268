import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The MCP SDK is an optional peer: the command and the HTTP server load it only to serve MCP, and
// without it `symphainy mcp` fails with SYM_ERR_MISSING_PACKAGE naming what to install.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const hide = join(root, 'test', 'mcp', 'fixtures', 'hide-mcp-sdk.mjs');

function node(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', hide, ...args], { cwd: root, env: { ...process.env, SYMPHAINY_LOG_LEVEL: 'warn' } }, (_err, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

test('without @modelcontextprotocol/sdk: the CLI and the HTTP server load, `symphainy mcp` names the package to install', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-mcp-nosdk-'));
  try {
    const help = await node(['bin/symphainy.js', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /\bmcp\b/);

    const http = await node(['--import', 'tsx', '-e', "const m = await import('./src/http/server.ts'); console.log(typeof m.createHttpServer)"]);
    assert.equal(http.stdout.trim(), 'function', http.stderr);

    const mcp = await node(['bin/symphainy.js', '--data-dir', join(dir, 'data'), 'mcp', '--tenant', 'acme']);
    assert.equal(mcp.code, 1);
    assert.equal(
      mcp.stderr,
      "error [SYM_ERR_MISSING_PACKAGE]: symphainy mcp needs the optional package '@modelcontextprotocol/sdk', which is not installed: npm install @modelcontextprotocol/sdk\n",
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
