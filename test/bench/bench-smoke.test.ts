import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `npm run bench -- --smoke` runs every part of the bench tiny and writes a
 * results file with every section. Only completion and shape are checked,
 * never a timing. A part whose service (PostgreSQL, Redis) is unreachable is
 * skipped by the bench with a visible note outside CI; with CI=true the
 * bench fails instead, and so does this test.
 */
test('the bench smoke run completes and writes every section', { timeout: 600_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'symphainy-bench-smoke-'));
  const out = join(dir, 'results.json');
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', 'bench/run.ts', '--smoke', '--out', out], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stdout, stderr }));
    });
    for (const line of stderr.split('\n')) if (line.startsWith('# SKIPPING')) process.stderr.write(`\n${line}\n`);
    assert.equal(code, 0, `bench smoke run failed:\n${stderr.slice(-3000)}`);
    assert.match(stdout, /\| measure \| value \| baseline \| ratio \| target \| met\? \|/);

    const results = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(results.mode, 'smoke');
    assert.equal(typeof results.date, 'string');
    assert.equal(typeof results.machine.cpus, 'number');
    assert.equal(typeof results.machine.node, 'string');
    const s = results.sections;
    const sections = {
      'executions.pglite': s.executions?.pglite,
      'executions.postgres': s.executions?.postgres,
      'encryption.pglite': s.encryption?.pglite,
      'encryption.postgres': s.encryption?.postgres,
      'rawFloor.pglite': s.rawFloor?.pglite,
      'rawFloor.postgres': s.rawFloor?.postgres,
      dbos: s.dbos,
      policy: s.policy,
      artifacts: s.artifacts,
      'cacheMemory.embedded': s.cacheMemory?.embedded,
      'cacheMemory.redis': s.cacheMemory?.redis,
    };
    for (const [name, section] of Object.entries(sections)) {
      assert.ok(section, `section ${name} is missing`);
      assert.ok(['measured', 'skipped'].includes(section.status), `section ${name}: ${section.status} ${section.reason ?? ''}`);
      if (section.status === 'skipped') process.stderr.write(`\n# SKIPPING bench section ${name}: ${section.reason}\n`);
    }
    // Parts that need no service always run.
    for (const name of ['executions.pglite', 'rawFloor.pglite', 'policy', 'artifacts', 'cacheMemory.embedded'] as const) {
      assert.equal(sections[name].status, 'measured', `section ${name} was not measured`);
    }
    assert.ok(Array.isArray(results.table) && results.table.length > 0, 'the table rows are in the results');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
