import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const bin = fileURLToPath(new URL('../../bin/symphainy.js', import.meta.url));

function symphainy(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } }, (err, _out, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr }));
  });
}

describe('command-line flags and environment go through the options compile step', () => {
  test('bad flags, variables and runtime config keys are refused together, named by source, before the data dir is made', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-cli-options-'));
    try {
      const config = join(dir, 'rt.yaml');
      await writeFile(config, 'worker:\n  concurrency: 0\n');
      const dataDir = join(dir, 'data');
      const r = await symphainy(['--data-dir', dataDir, '--cache', 'memcached://x', '--runtime-config', config, 'tenants', 'list'],
        { SYMPHAINY_STATEMENT_TIMEOUT: 'soon', SYMPHAINY_LOG_LEVEL: 'loud' });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, [
        `error [SYM_ERR_CONFIG]: ${config}:2: worker.concurrency: must be an integer from 1 to 1024, got 0`,
        'env SYMPHAINY_STATEMENT_TIMEOUT: expected a duration like 200ms, 30s, 15m, 1h or 7d (or seconds), got "soon"',
        "flag --cache: must be redis://host:port, rediss://host:port or 'embedded', got \"memcached://x\"",
        'env SYMPHAINY_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
        '',
      ].join('\n'));
      await assert.rejects(access(dataDir), 'the data dir was not created');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
