import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ANY_TENANT, createRuntime } from '../../src/index.ts';
import { root } from '../faults/worker-supervisor.ts';
import { skipUnlessPostgres } from '../support/services.ts';
import { freshServerDb, silentLogger, TEST_DRIVER, type ServerTestDb } from '../support/test-runtime.ts';
import { until } from './helpers.ts';

/**
 * A process SIGKILLed between two durable steps: after a worker's takeover
 * (PostgreSQL) or `run` again on the embedded store after the restart, the
 * step that completed before the kill does not run again (its runs are
 * counted in a file the kill cannot undo) and the execution completes once.
 */

const bin = join(root, 'bin/symphainy.js');
const realmFile = join(root, 'test/fixtures/steps-realm.mjs');
const serverSkip = TEST_DRIVER === 'postgres' ? await skipUnlessPostgres() : 'runs under the PostgreSQL driver';

function cli(args: string[], stepLog: string) {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SYMPHAINY_LOG_LEVEL: 'error', SYMPHAINY_STEP_LOG: stepLog },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, exited };
}

async function stepRuns(stepLog: string): Promise<string[]> {
  return (await readFile(stepLog, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);
}

describe('a process SIGKILLed between durable steps', { timeout: 300_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-steps-kill-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a worker: after the takeover the completed step does not run again, and the execution completes once', { skip: serverSkip }, async () => {
    const db: ServerTestDb = await freshServerDb();
    const stepLog = join(dir, 'worker.log');
    const realm = (await import(realmFile)).default;
    const runtime = await createRuntime({ db, realms: [realm], logger: silentLogger });
    try {
      const s = await runtime.submit({ intentType: 'steps.pair', tenantId: 'acme', sessionId: 's', parameters: {} });
      const store = ['--database-url', db.url];
      const first = cli([...store, 'worker', '--realm', realmFile, '--poll-interval', '50ms', '--lease', '2s'], stepLog);
      await until('the first step ran and the handler stopped between the steps', () => existsSync(`${stepLog}.between`), 60_000);
      first.child.kill('SIGKILL');
      await first.exited;
      assert.deepEqual(await stepRuns(stepLog), ['first']);
      const second = cli([...store, 'worker', '--realm', realmFile, '--poll-interval', '50ms', '--lease', '2s'], stepLog);
      const e = await runtime.waitForExecution(s.executionId, { tenantId: 'acme' }, { timeoutMs: 120_000 });
      second.child.kill('SIGTERM');
      await second.exited;
      assert.equal(e.status, 'completed');
      assert.deepEqual(await stepRuns(stepLog), ['first', 'second'], 'each step ran once');
      const completions = await db.scoped(ANY_TENANT).query<{ n: string | number }>(
        `SELECT count(*) AS n FROM symphainy.wal WHERE execution_id = $1 AND payload->>'to' = 'completed'`, [s.executionId]);
      assert.equal(Number(completions[0]!.n), 1);
    } finally {
      await runtime.close();
      await db.close();
    }
  });

  test('embedded `run`: run again after the restart, the completed step does not run again', { skip: TEST_DRIVER === 'postgres' ? 'the embedded store only' : false }, async () => {
    const stepLog = join(dir, 'run.log');
    const args = ['--data-dir', join(dir, 'data'), 'run', 'steps.pair', '--tenant', 'acme', '--realm', realmFile, '--intent-id', 'pair-1', '--params', '{}', '--json'];
    const first = cli(args, stepLog);
    await until('the first step ran and the handler stopped between the steps', () => existsSync(`${stepLog}.between`), 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    assert.deepEqual(await stepRuns(stepLog), ['first']);
    const again = await cli(args, stepLog).exited;
    assert.equal(again.code, 0, again.stderr);
    const result = JSON.parse(again.stdout) as { status: string; events: { eventType: string; payload: unknown }[] };
    assert.equal(result.status, 'completed');
    assert.deepEqual(await stepRuns(stepLog), ['first', 'second'], 'each step ran once');
    assert.deepEqual(result.events.find((ev) => ev.eventType === 'pair.done')?.payload, { first: { at: 'first' }, second: { at: 'second' } });
  });
});
