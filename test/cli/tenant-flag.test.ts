/**
 * A tenant id given to the CLI is checked at start by the one tenant-id
 * rule (src/tenants/tenant-registry.ts): every command taking `--tenant`
 * (and the tenant arguments of `tenants`, and `SYMPHAINY_TENANT` of `mcp`)
 * refuses an invalid one with exit 2 naming the flag, before it opens a
 * store — never a command that starts and then fails on every call.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli/main.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'symphainy-tenant-flag-'));
});
after(() => rm(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stderr: string;
}

/** Runs the CLI with a data dir that must stay uncreated; stdin closed (mcp would read it). */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, SYMPHAINY_TENANT: '', ...env }, timeout: 120_000 },
      (_err, _stdout, stderr) => resolve({ code: child.exitCode, stderr }));
    child.stdin?.end();
  });
}

function leaves(cmd: Command, path: string[] = []): [string[], Command][] {
  return cmd.commands.flatMap((c) => {
    const p = [...path, c.name()];
    return c.commands.length > 0 ? leaves(c, p) : [[p, c] as [string[], Command]];
  });
}

/** Every command with a --tenant flag, with placeholders for its arguments and other required flags. */
const WITH_TENANT = leaves(buildProgram())
  .filter(([, c]) => (c as unknown as { options: Option[] }).options.some((o) => o.long === '--tenant'))
  .map(([path, c]) => [
    ...path,
    ...c.registeredArguments.filter((a) => a.required).map(() => 'x1'),
    ...(c as unknown as { options: Option[] }).options.filter((o) => o.mandatory && o.long !== '--tenant').flatMap((o) => [o.long!, 'x1']),
  ]);

const INVALID = ['../bad', '*', 'symphainy:platform', '.hidden', ''];

describe('an invalid --tenant is refused at start', { concurrency: 2 }, () => {
  test('the walk finds the commands (a check of the walk itself)', () => {
    const names = WITH_TENANT.map((a) => a.slice(0, 2).join(' '));
    for (const n of ['run x1', 'mcp', 'usage', 'erase', 'executions list', 'keys rotate', 'demo']) assert.ok(names.some((x) => x.startsWith(n)), n);
  });

  for (const args of WITH_TENANT) {
    test(`symphainy ${args.join(' ')} --tenant ../bad`, async () => {
      const dataDir = join(dir, `data-${args.join('-')}`);
      const r = await cli(['--data-dir', dataDir, ...args, '--tenant', '../bad']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^error \[SYM_ERR_CONFIG\]: --tenant: tenant id "\.\.\/bad" is not a valid id \(letters, digits, \. _ - : @; at most 128; not starting with 'symphainy:'\)\n$/);
      assert.equal(existsSync(dataDir), false, 'refused before the store was opened');
    });
  }

  test('symphainy mcp: each kind of invalid tenant id, from the flag or SYMPHAINY_TENANT, and an invalid --session', async () => {
    for (const tenant of INVALID) {
      const r = await cli(['--data-dir', join(dir, 'mcp-data'), 'mcp', '--tenant', tenant]);
      assert.equal(r.code, 2, `${tenant}: ${r.stderr}`);
      assert.match(r.stderr, tenant === '' ? /--tenant/ : /^error \[SYM_ERR_CONFIG\]: --tenant: tenant id /, tenant);
    }
    const env = await cli(['--data-dir', join(dir, 'mcp-data'), 'mcp'], { SYMPHAINY_TENANT: 'symphainy:platform' });
    assert.equal(env.code, 2, env.stderr);
    assert.match(env.stderr, /^error \[SYM_ERR_CONFIG\]: env SYMPHAINY_TENANT: tenant id "symphainy:platform" is not a valid id/);
    const session = await cli(['--data-dir', join(dir, 'mcp-data'), 'mcp', '--tenant', 'acme', '--session', '../x']);
    assert.equal(session.code, 2, session.stderr);
    assert.match(session.stderr, /^error \[SYM_ERR_CONFIG\]: --session: "\.\.\/x" is not a valid session id/);
    assert.equal(existsSync(join(dir, 'mcp-data')), false);
  });

  test('symphainy tenants add-key and keys: the tenant argument, by the same rule', async () => {
    for (const sub of ['add-key', 'keys']) {
      const dataDir = join(dir, `tenants-${sub}`);
      const r = await cli(['--data-dir', dataDir, 'tenants', sub, 'symphainy:platform']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /tenant id "symphainy:platform" is not a valid id/);
      assert.equal(existsSync(dataDir), false);
    }
  });
});
