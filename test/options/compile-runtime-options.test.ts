import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, createRuntime } from '../../src/index.ts';
import { compileRuntimeOptions, parseRuntimeConfigYaml } from '../../src/options/index.ts';
import { silentLogger } from '../support/test-runtime.ts';

/** The message of the ConfigError `fn` throws (fails when it throws something else or nothing). */
function problems(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'SYM_ERR_CONFIG');
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

const exists = (path: string) => access(path).then(() => true, () => false);

describe('compileRuntimeOptions', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-options-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('createRuntime refuses every bad option at once, before the data dir exists', async () => {
    const dataDir = join(dir, 'never-created');
    await assert.rejects(
      createRuntime({ dataDir, logger: silentLogger, sweepIntervalSeconds: -1, poolSize: -3, relayPollIntervalMs: -5 }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.message, [
          'option poolSize: must be an integer from 1 to 1000, got -3',
          'option sweepIntervalSeconds: expected a duration like 200ms, 30s, 15m, 1h or 7d (or seconds), got -1',
          'option relayPollIntervalMs: expected a duration like 200ms, 30s, 15m, 1h or 7d (or milliseconds), got -5',
        ].join('\n'));
        return true;
      },
    );
    assert.equal(await exists(dataDir), false, 'nothing was created');
  });

  test('a bad runtime config file and bad options are reported together, the file with its lines', async () => {
    const file = join(dir, 'rt.yaml');
    await writeFile(file, ['cache: memcached://x', 'worker:', '  lease: 100ms', 'databse_url: postgres://x/y'].join('\n'));
    const dataDir = join(dir, 'also-never-created');
    await assert.rejects(createRuntime({ dataDir, runtimeConfig: file, lockWaitMs: 1.5, logger: silentLogger }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, [
        `${file}:1: cache: must be redis://host:port, rediss://host:port or 'embedded', got "memcached://x"`,
        `${file}:3: worker.lease: must be at least 300ms`,
        `${file}:4: databse_url: unknown key, did you mean database_url? (known: data_dir, database_url, artifacts, s3_endpoint, ` +
          'inline_max_bytes, cache, events, realm_timeout, gc_grace, platform_policy, group_commit, database, drain_timeout, ' +
          'retry_policy, worker, http)',
        'option lockWaitMs: must be an integer of 0 or more, got 1.5',
      ].join('\n'));
      return true;
    });
    assert.equal(await exists(dataDir), false);
    await assert.rejects(createRuntime({ runtimeConfig: join(dir, 'missing.yaml'), poolSize: 0, logger: silentLogger }), (err: unknown) =>
      err instanceof ConfigError && err.message ===
        `${join(dir, 'missing.yaml')}: runtime config file not found\noption poolSize: must be an integer from 1 to 1000, got 0`);
  });

  test('each problem names its source: option, flag, environment variable, file and line', () => {
    const message = problems(() => compileRuntimeOptions({
      flags: { '--port': 70_000, '--data-dir': ' ', '--concurrency': '0' },
      options: { poolsize: 4, realmTimeoutMs: 2.5, groupCommit: { maxBatch: 0, maxwait: 1 }, memory: 'yes' },
      env: { SYMPHAINY_STATEMENT_TIMEOUT: 'soon', SYMPHAINY_DATABSE_URL: 'postgres://x/y', SYMPHAINY_LOG_LEVEL: 'loud', SYMPHAINY_TEST_DRIVER: 'postgres' },
      file: { path: 'rt.yaml', text: 'http:\n  timeouts: { headers: 40s, request: 30s }\n' },
    }));
    assert.equal(message, [
      'option poolsize: unknown option, did you mean poolSize?',
      'env SYMPHAINY_DATABSE_URL: unknown variable, did you mean SYMPHAINY_DATABASE_URL?',
      'flag --data-dir: must not be empty',
      'option memory: must be true or false, got "yes"',
      'env SYMPHAINY_STATEMENT_TIMEOUT: expected a duration like 200ms, 30s, 15m, 1h or 7d (or seconds), got "soon"',
      'env SYMPHAINY_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      'option realmTimeoutMs: 2.5 is finer than a millisecond; expected a duration like 200ms, 30s, 15m, 1h or 7d (or milliseconds)',
      'flag --concurrency: must be an integer from 1 to 1024, got 0',
      'flag --port: must be an integer from 0 to 65535, got 70000',
      'rt.yaml: http.timeouts.headers: the headers timeout (40000 ms) must not exceed the request timeout (30000 ms)',
      'option groupCommit.maxBatch: must be a positive integer, got 0',
      'option groupCommit.maxwait: unknown field, did you mean maxWaitMs?',
    ].join('\n'));
  });

  test('memory beside a data dir is refused, naming both sources', () => {
    assert.equal(problems(() => compileRuntimeOptions({ options: { memory: true, dataDir: '/tmp/x' } })),
      'option dataDir: is set but memory is on (option memory); an in-memory runtime keeps nothing in a data dir, drop one of them');
    assert.equal(problems(() => compileRuntimeOptions({ options: { memory: true }, flags: { '--data-dir': '/tmp/x' } })),
      'flag --data-dir: is set but memory is on (option memory); an in-memory runtime keeps nothing in a data dir, drop one of them');
    // memory alone, a data dir alone, or memory with a database server (blobs in a temporary folder) are fine.
    assert.equal(compileRuntimeOptions({ options: { memory: true } }).memory, true);
    assert.equal(compileRuntimeOptions({ options: { dataDir: '/tmp/x' } }).memory, false);
    assert.equal(compileRuntimeOptions({ options: { memory: true, databaseUrl: 'postgres://127.0.0.1/x' } }).memory, true);
  });

  test('the whole kind: NaN, infinity, fractions, zero, negatives and wrong types are refused', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ poolSize: Number.NaN }, 'option poolSize: must be an integer from 1 to 1000, got NaN'],
      [{ poolSize: 2.5 }, 'option poolSize: must be an integer from 1 to 1000, got 2.5'],
      [{ poolSize: '10' }, 'option poolSize: must be an integer from 1 to 1000, got "10"'],
      [{ inlineMaxBytes: -1 }, 'option inlineMaxBytes: must be an integer of 0 or more, got -1'],
      [{ gcGraceSeconds: Number.POSITIVE_INFINITY }, 'option gcGraceSeconds: must be a number of seconds from 0 to 3153600000, got Infinity'],
      [{ cachePurgeIntervalSeconds: 0 }, 'option cachePurgeIntervalSeconds: expected a duration like 200ms, 30s, 15m, 1h or 7d (or seconds), got 0'],
      [{ statementTimeoutMs: 0 }, 'option statementTimeoutMs: expected a duration like 200ms, 30s, 15m, 1h or 7d (or milliseconds), got 0'],
      [{ leaseMs: 299 }, 'option leaseMs: 299 is shorter than the minimum of 300ms'],
      [{ databaseUrl: 'mysql://user:secret@host/db' }, 'option databaseUrl: must be a postgres:// URL, got "mysql://***@host/db"'],
      [{ s3Endpoint: 'http://127.0.0.1:9000' }, 'option s3Endpoint: is set but artifacts is not an s3:// URL'],
      [{ realms: 'notes' }, 'option realms: must be a list of realms, got "notes"'],
      [{ now: new Date(0) }, 'option now: must be a function returning a Date, got an object'],
      [{ groupCommit: true }, 'option groupCommit: must be an object or false, got true'],
      [{ retryPolicy: { maximumAttempts: 0 } }, 'option retryPolicy.maximumAttempts must be a whole number from 1 to 2147483647, got 0'],
    ];
    for (const [options, expected] of cases) assert.equal(problems(() => compileRuntimeOptions({ options })), expected, JSON.stringify(options));
    // 0 is "none" where the option says so.
    assert.equal(compileRuntimeOptions({ options: { startupWaitMs: 0, inlineMaxBytes: 0, gcGraceSeconds: 0, lockWaitMs: 0 } }).database.startupWaitMs, 0);
  });

  test('defaults are filled in and the result is deep-frozen', () => {
    const o = compileRuntimeOptions({});
    assert.equal(o.dataDir, resolve('.symphainy'));
    assert.deepEqual(
      { poolSize: o.poolSize, database: o.database, realmTimeoutMs: o.realmTimeoutMs, leaseMs: o.leaseMs, inlineMaxBytes: o.inlineMaxBytes,
        cachePurgeIntervalSeconds: o.cachePurgeIntervalSeconds, lockWaitMs: o.lockWaitMs, gcGraceSeconds: o.gcGraceSeconds,
        sweepIntervalSeconds: o.sweepIntervalSeconds, relayPollIntervalMs: o.relayPollIntervalMs, drainTimeoutMs: o.drainTimeoutMs,
        worker: o.worker, groupCommit: o.groupCommit, logLevel: o.logLevel },
      { poolSize: 10, database: { statementTimeoutMs: 30_000, connectTimeoutMs: 5000, startupWaitMs: 30_000 }, realmTimeoutMs: 30_000,
        leaseMs: 30_000, inlineMaxBytes: 16_384, cachePurgeIntervalSeconds: 60, lockWaitMs: 15_000, gcGraceSeconds: 3600,
        sweepIntervalSeconds: undefined, relayPollIntervalMs: undefined, drainTimeoutMs: 35_000,
        worker: { concurrency: 4, pollIntervalMs: 1000 }, groupCommit: { maxBatch: 128, maxWaitMs: 0, maxConcurrentBatches: 4 }, logLevel: 'warn' },
    );
    assert.deepEqual(o.http, {
      port: 7070, host: '127.0.0.1', adminKey: undefined, maxConnections: 1024,
      limits: { bodyBytes: 1_048_576, parameterDepth: 32, renderingBytes: 33_554_432, pageSize: 500 },
      timeouts: { headersMs: 15_000, requestMs: 30_000, keepAliveMs: 72_000, idleSocketMs: 0 },
    });
    assert.equal(o.retryPolicy.maximumAttempts, 5);
    for (const part of [o, o.database, o.http, o.http.limits, o.http.timeouts, o.worker, o.groupCommit, o.retryPolicy, o.retryPolicy.nonRetryableErrorCodes]) {
      assert.ok(Object.isFrozen(part));
    }
    assert.throws(() => {
      (o.http.limits as { bodyBytes: number }).bodyBytes = 1;
    }, TypeError);
  });

  test('per key: flag > option > environment > file > default; durations in text are read in the option unit', () => {
    const file = parseRuntimeConfigYaml('data_dir: /from/file\ncache: redis://file\nevents: nats://file\nrealm_timeout: 2m\ndatabase: { connect_timeout: 7s }\n', 'rt.yaml');
    const o = compileRuntimeOptions({
      flags: { '--data-dir': '/from/flag', '--drain-timeout': 9000 },
      options: { dataDir: '/from/option', cache: 'redis://option' },
      env: { SYMPHAINY_CACHE: 'redis://env', SYMPHAINY_EVENTS: 'nats://env', SYMPHAINY_STATEMENT_TIMEOUT: '1.5s', SYMPHAINY_DATABASE_WAIT: '0' },
      file,
    });
    assert.deepEqual(
      [o.dataDir, o.cache, o.events, o.realmTimeoutMs, o.database, o.drainTimeoutMs],
      ['/from/flag', 'redis://option', 'nats://env', 120_000, { statementTimeoutMs: 1500, connectTimeoutMs: 7000, startupWaitMs: 0 }, 9000],
    );
    // The drain default follows the realm timeout it waits for.
    assert.equal(compileRuntimeOptions({ file }).drainTimeoutMs, 125_000);
  });

  test('runtime.options are the compiled options, frozen', async () => {
    const runtime = await createRuntime({ memory: true, logger: silentLogger, poolSize: 3, realmTimeoutMs: 1234 });
    try {
      assert.equal(runtime.options.realmTimeoutMs, 1234);
      assert.equal(runtime.options.poolSize, 3);
      assert.ok(Object.isFrozen(runtime.options));
    } finally {
      await runtime.close();
    }
  });
});

test('a message listing the forms an option takes lists each one it accepts (cache: redis://, rediss://, embedded)', () => {
  for (const cache of ['redis://h:6379', 'rediss://h:6380', 'embedded']) {
    assert.equal(compileRuntimeOptions({ env: { SYMPHAINY_CACHE: cache } }).cache, cache);
  }
  assert.throws(() => compileRuntimeOptions({ env: { SYMPHAINY_CACHE: 'memcached://x' } }),
    (err: Error) => err.message === `env SYMPHAINY_CACHE: must be redis://host:port, rediss://host:port or 'embedded', got "memcached://x"`);
});
