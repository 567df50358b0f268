import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { TEST_DRIVER } from '../support/test-runtime.ts';

// LangGraph's official checkpoint saver suite, run through the validation package's `validate`
// export in vitest (its own CLI runner does not start in this version), as a child process.

const root = fileURLToPath(new URL('../../', import.meta.url));

interface VitestReport {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
}

test(`SymphainyCheckpointSaver passes @langchain/langgraph-checkpoint-validation (${TEST_DRIVER})`, { timeout: 300_000 }, async () => {
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
    execFile(
      process.execPath,
      [fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url)), 'run', 'test/langgraph/validation/saver.spec.ts',
        '--globals', '--reporter=json', '--no-color', '--pool=forks', '--maxWorkers=1'],
      { cwd: root, env: { ...process.env, CI: 'true' }, maxBuffer: 256 * 1024 * 1024 },
      (err, out, errOut) => resolve({ stdout: out, stderr: errOut, code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 }),
    );
  });
  const start = stdout.indexOf('{');
  assert.ok(start >= 0, `vitest printed no report (exit ${code})\n${stderr.slice(-4000)}`);
  const report = JSON.parse(stdout.slice(start)) as VitestReport;
  const failed = report.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed'));
  assert.deepEqual(
    failed.map((f) => `${f.fullName}: ${f.failureMessages.join('\n').slice(0, 600)}`),
    [],
    `${failed.length} of ${report.numTotalTests} validation tests failed`,
  );
  assert.equal(code, 0, stderr.slice(-4000));
  // The suite really ran: hundreds of cases, none failed.
  assert.ok(report.numPassedTests > 100, `only ${report.numPassedTests} tests passed`);
  assert.equal(report.numFailedTests, 0);
});
