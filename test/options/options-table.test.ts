import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { OPTION_SPECS, optionsTable, RUNTIME_OPTION_NAMES } from '../../src/options/index.ts';
import { defaultOf } from '../../src/options/options-table.ts';
import type { RuntimeOptions } from '../../src/runtime/runtime-options.ts';

describe('the options table', () => {
  test('the README holds exactly the table generated from the option specs', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('| setting | flag | environment | runtime config key |');
    assert.ok(start >= 0, 'the README has an options table');
    const end = readme.indexOf('\n\n', start);
    assert.equal(readme.slice(start, end), optionsTable(), 'README options table is stale: paste optionsTable() from src/options');
  });

  test('every createRuntime option is known to the compile step (and nothing else)', () => {
    // Fails to type-check when RuntimeOptions gains or loses a field this list does not.
    const fields: Record<keyof RuntimeOptions, true> = {
      dataDir: true, memory: true, realms: true, solutionConfig: true, governance: true, platformPolicy: true, realmTimeoutMs: true,
      logger: true, runtimeConfig: true, databaseUrl: true, poolSize: true, statementTimeoutMs: true, connectTimeoutMs: true,
      startupWaitMs: true, groupCommit: true, db: true, artifacts: true, s3Endpoint: true, inlineMaxBytes: true, blobStore: true,
      cache: true, events: true, eventSinks: true, relayPollIntervalMs: true, now: true, sweepIntervalSeconds: true,
      gcGraceSeconds: true, cachePurgeIntervalSeconds: true, lockWaitMs: true, retryPolicy: true, leaseMs: true, faults: true,
      encryption: true, keyDir: true, keyProvider: true,
    };
    assert.deepEqual([...RUNTIME_OPTION_NAMES], Object.keys(fields).sort());
  });

  test('defaults are shown from the values, in the units of the option names', () => {
    const shown = Object.fromEntries(OPTION_SPECS.map((s) => [s.name, defaultOf(s)]));
    assert.equal(shown['database.statementTimeoutMs'], '30s');
    assert.equal(shown['cachePurgeIntervalSeconds'], '1m');
    assert.equal(shown['http.limits.renderingBytes'], '32 MiB');
    assert.equal(shown['http.timeouts.idleSocketMs'], 'none');
    assert.equal(shown['worker.concurrency'], '4');
    assert.equal(shown['dataDir'], '`./.symphainy`');
    // Options whose default is decided at run time say what happens.
    for (const s of OPTION_SPECS) if (s.default === undefined) assert.ok(s.defaultText, `${s.name} says what its default does`);
  });
});
