import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createRuntime } from '../../src/index.ts';
import { modelRealm } from './model-realm.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/symphainy.js'), ...args], { cwd: root }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

let dir: string;
let executionId: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'symphainy-usage-cli-'));
  const rt = await createRuntime({ dataDir: join(dir, 'data'), realms: [modelRealm().realm], logger: pino({ level: 'silent' }) });
  try {
    const r = await rt.execute({ intentType: 'model.call', tenantId: 'acme', sessionId: 's', parameters: { calls: [
      { model: 'small', inputTokens: 100, outputTokens: 20, costUsd: 0.5 },
      { model: 'large', inputTokens: 1000, outputTokens: 300, costUsd: 0.25 },
    ] } });
    executionId = r.executionId;
    await rt.execute({ intentType: 'model.call', tenantId: 'zeta', sessionId: 's', parameters: { calls: [{ model: 'small', inputTokens: 1, outputTokens: 1 }] } });
  } finally {
    await rt.close();
  }
});
after(() => rm(dir, { recursive: true, force: true }));

test('symphainy usage: per tenant, per execution, every tenant; JSON or a table', async () => {
  const acme = await cli(['--data-dir', join(dir, 'data'), 'usage', '--tenant', 'acme', '--since', 'today', '--json']);
  assert.equal(acme.code, 0, acme.stderr);
  const summary = JSON.parse(acme.stdout);
  assert.deepEqual(summary.totals, { inputTokens: 1100, outputTokens: 320, totalTokens: 1420, costUsd: 0.75, calls: 2 });

  const one = JSON.parse((await cli(['--data-dir', join(dir, 'data'), 'usage', '--execution', executionId, '--json'])).stdout);
  assert.equal(one.totals.calls, 2);

  const all = await cli(['--data-dir', join(dir, 'data'), 'usage']);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /large\s+1\s+1000\s+300\s+1300\s+0\.250000/);
  assert.match(all.stdout, /\(all\)\s+3\s+1101\s+321\s+1422\s+0\.750000/);

  const bad = await cli(['--data-dir', join(dir, 'data'), 'usage', '--since', 'last week']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /SYM_ERR_CONFIG\]: --since must be a window \(e\.g\. 7d, 12h\), 'today' or an ISO 8601 time \(e\.g\. 2026-01-31T00:00:00Z\), got "last week"/);
  // A window: the usage recorded in the last 7 days (all of it, just recorded).
  const week = await cli(['--data-dir', join(dir, 'data'), 'usage', '--since', '7d', '--json']);
  assert.equal(week.code, 0, week.stderr);
  assert.equal((JSON.parse(week.stdout) as { totals: { calls: number } }).totals.calls, 3);
});
