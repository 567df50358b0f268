/**
 * The CLI's free text goes through the runtime API, so a string the store
 * cannot keep (a JSON `\u0000` in --params or --data, a YAML "\0" in a
 * --config file) is refused with its code and exact path, exit 2 — never a
 * raw database error with exit 1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function cli(args: string[], dataDir: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/symphainy.js'), '--data-dir', dataDir, ...args], { cwd: root }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }));
  });
}

describe('symphainy refuses unstorable text by its path', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-cli-unstorable-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('run --params, executions signal --data and run --config', async () => {
    const data = join(dir, 'data');
    let r = await cli(['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--params', '{"sop_text":"1. a\\u0000b"}'], data);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /error \[SYM_ERR_INVALID_INTENT\]: .*parameters\.sop_text contains a NUL character/);
    r = await cli(['executions', 'signal', 'some-execution', 'go', '--data', '{"note":["ok","a\\ud800"]}'], data);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /error \[SYM_ERR_INVALID_REQUEST\]: data\.note\[1\] contains an unpaired UTF-16 surrogate/);
    const config = join(dir, 'nul.yaml');
    await writeFile(config, 'name: "a\\0b"\nmaterialization_policy:\n  workflow: persist\n');
    r = await cli(['run', 'journey.sop_to_workflow', '--tenant', 'acme', '--params', '{"sop_text":"1. a"}', '--config', config], data);
    assert.equal(r.code, 2, r.out);
    assert.ok(r.out.includes(`${config}:1: name: contains a NUL character`), r.out);
    assert.match(r.out, /SYM_ERR_POLICY_CONFIG/);
    assert.doesNotMatch(r.out, /unsupported Unicode escape|invalid byte sequence|\n\s+at /);
  });
});
