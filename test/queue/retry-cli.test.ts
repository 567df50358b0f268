/** `symphainy executions list --status dead` and `executions retry ID` over an embedded data dir. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRuntime, defineRealm, WalRecordType } from '../../src/index.ts';
import { silentLogger } from '../support/test-runtime.ts';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/symphainy.js');

function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, '--data-dir', dataDir, ...args], { cwd: root }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

test('executions list --status dead shows a dead execution; executions retry re-queues it, recorded with the operator', { timeout: 400_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-retry-cli-'));
  try {
    const failing = defineRealm({ name: 'broken', intents: { go: { handler: () => { throw new Error('always'); } } } });
    const rt = await createRuntime({ dataDir: dir, realms: [failing], logger: silentLogger, retryPolicy: { maximumAttempts: 1 } });
    const s = await rt.submit({ intentType: 'broken.go', tenantId: 'acme', sessionId: 's' });
    rt.startWorker({ pollIntervalMs: 20 });
    assert.equal((await rt.waitForExecution(s.executionId, { tenantId: 'acme' }, { timeoutMs: 30_000 })).status, 'dead');
    await rt.close();

    const listed = await cli(dir, 'executions', 'list', '--status', 'dead', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).map((e: { executionId: string }) => e.executionId), [s.executionId]);

    const retried = await cli(dir, 'executions', 'retry', s.executionId);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, new RegExp(`execution ${s.executionId} of tenant 'acme' is queued again \\(after 1 attempts\\)`));
    const again = await cli(dir, 'executions', 'retry', s.executionId);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /error \[SYM_ERR_CONFLICT\]: execution .* is queued; only dead or failed executions can be retried/);
    const missing = await cli(dir, 'executions', 'retry', 'no-such-execution');
    assert.match(missing.stderr, /error \[SYM_ERR_NOT_FOUND\]/);

    const check = await createRuntime({ dataDir: dir, realms: [failing], logger: silentLogger });
    try {
      assert.equal((await check.getExecution(s.executionId, { tenantId: 'acme' })).status, 'queued');
      const wal = await check.listWal({ tenantId: 'acme', executionId: s.executionId });
      const record = wal.find((r) => r.recordType === WalRecordType.STATE_TRANSITION && r.payload.from === 'dead' && r.payload.to === 'queued');
      assert.match(String(record?.payload.requestedBy), /^cli:.+@.+/);
    } finally {
      await check.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
