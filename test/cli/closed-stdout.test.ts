/**
 * Every command exits quietly when its reader stops reading
 * (`symphainy … | head -1`): exit code 0, nothing on stderr, no stack trace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/symphainy.js');

/** Runs the CLI with its stdout pipe closed before the first byte is read; resolves with the exit code and stderr. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SYMPHAINY_') || k === 'SYMPHAINY_KEY_DIR' || k === 'SYMPHAINY_KEK') env[k] = v; // the run's shared key store stays
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...env, SYMPHAINY_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.destroy(); // the reader is gone: every write gets EPIPE
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

describe('a closed stdout', { timeout: 300_000, concurrency: true }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-epipe-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const commands: [string, (dir: string) => string[]][] = [
    ['--help', () => ['--help']],
    ['policy show', () => ['policy', 'show', '--config', 'config/mvp_materialization_policy.yaml']],
    ['policy validate', () => ['policy', 'validate', 'config/mvp_materialization_policy.yaml']],
    ['policy diff', (d) => ['policy', 'diff', '--config', 'config/mvp_materialization_policy.yaml', '--data-dir', join(d, 'diff')]],
    ['demo', (d) => ['demo', '--data-dir', join(d, 'demo')]],
    ['run', (d) => ['run', 'journey.sop_to_workflow', '--tenant', 't', '--params', '{"sop_text":"1. a"}', '--data-dir', join(d, 'run')]],
  ];
  for (const [name, args] of commands) {
    test(`symphainy ${name}: exit 0, quiet`, async () => {
      const r = await withClosedStdout(args(dir));
      assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /, 'no EPIPE stack trace');
      assert.equal(r.code, 0, r.stderr);
    });
  }
});
