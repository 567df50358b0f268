import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, createRuntime } from '../../src/index.ts';
import { resolveBackendSettings } from '../../src/runtime/backends.ts';
import { loadRuntimeConfig, parseRuntimeConfigYaml } from '../../src/runtime/runtime-config.ts';
import { silentLogger } from '../support/test-runtime.ts';

describe('runtime config file', () => {
  test('reads every key, durations in milliseconds', () => {
    const c = parseRuntimeConfigYaml(
      [
        'database_url: postgres://127.0.0.1/app',
        'artifacts: s3://bucket/prefix',
        's3_endpoint: http://127.0.0.1:9000',
        'inline_max_bytes: 64KB',
        'cache: redis://127.0.0.1:6379',
        'events: nats://127.0.0.1:4222',
        'data_dir: ./state',
        'realm_timeout: 2m',
        'worker:',
        '  concurrency: 16',
        '  lease: 45s',
        '  poll_interval: 2',
      ].join('\n'),
      'rt.yaml',
    );
    assert.deepEqual(
      { ...c },
      {
        source: 'rt.yaml', databaseUrl: 'postgres://127.0.0.1/app', artifacts: 's3://bucket/prefix', s3Endpoint: 'http://127.0.0.1:9000',
        inlineMaxBytes: 65_536, cache: 'redis://127.0.0.1:6379', events: 'nats://127.0.0.1:4222', dataDir: './state', realmTimeoutMs: 120_000,
        worker: { concurrency: 16, leaseMs: 45_000, pollIntervalMs: 2000 },
      },
    );
    assert.deepEqual({ ...parseRuntimeConfigYaml('', 'empty.yaml') }, { source: 'empty.yaml' });
  });

  test('the http section: port, host, admin key and limits (sizes with units)', () => {
    const c = parseRuntimeConfigYaml(
      ['http:', '  port: 8080', '  host: 0.0.0.0', `  admin_key: ${'a'.repeat(32)}`, '  limits:', '    body: 512kb', '    parameter_depth: 8',
       '    rendering: 2mb', '    page_size: 100'].join('\n'),
      'rt.yaml',
    );
    assert.deepEqual(c.http, {
      port: 8080, host: '0.0.0.0', adminKey: 'a'.repeat(32),
      limits: { bodyBytes: 512 * 1024, parameterDepth: 8, renderingBytes: 2 * 1024 * 1024, pageSize: 100 },
    });
    assert.throws(() => parseRuntimeConfigYaml('http:\n  limits:\n    body: 1 tb\n', 'rt.yaml'),
      (err: unknown) => err instanceof ConfigError && /rt\.yaml:3: http\.limits\.body: expected a size/.test(err.message));
    assert.throws(() => parseRuntimeConfigYaml('http:\n  admin_key: short\n', 'rt.yaml'),
      (err: unknown) => err instanceof ConfigError && /rt\.yaml:2: http\.admin_key: must be at least 32 characters/.test(err.message));
    assert.throws(() => parseRuntimeConfigYaml('http:\n  limits:\n    bodyy: 1\n', 'rt.yaml'),
      (err: unknown) => err instanceof ConfigError && /^rt\.yaml:3: http\.limits\.bodyy: unknown key, did you mean body\? \(known: body, parameter_depth, rendering, page_size\)$/.test(err.message));
  });

  test('gc_grace: a duration, as seconds; a bad one names the line and the key', () => {
    assert.equal(parseRuntimeConfigYaml('gc_grace: 30m\n', 'rt.yaml').gcGraceSeconds, 1800);
    assert.throws(() => parseRuntimeConfigYaml('gc_grace: later\n', 'rt.yaml'),
      (err: unknown) => err instanceof ConfigError && /rt\.yaml:1: gc_grace: expected a duration/.test(err.message));
  });

  test('inline_max_bytes: a size; a bad one names the line and the key', () => {
    assert.equal(parseRuntimeConfigYaml('inline_max_bytes: 0\n', 'rt.yaml').inlineMaxBytes, 0);
    assert.throws(() => parseRuntimeConfigYaml('cache: redis://x\ninline_max_bytes: lots\n', 'rt.yaml'),
      (err: unknown) => err instanceof ConfigError && /rt\.yaml:2: inline_max_bytes: /.test(err.message));
  });

  test('group_commit and retry_policy: each problem once, in the file\'s words, naming the field', () => {
    const problems = (yaml: string) => {
      try {
        parseRuntimeConfigYaml(yaml, 'rt.yaml');
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return err.message.split('\n');
      }
    };
    assert.deepEqual(problems('group_commit: { foo: 1 }\n'), ['rt.yaml:1: group_commit.foo: unknown key (known: max_batch, max_wait_ms, max_concurrent_batches)']);
    assert.deepEqual(problems('group_commit: { max_batch: 1e20 }\n'), ['rt.yaml:1: group_commit.max_batch: must be a positive integer, got 100000000000000000000']);
    assert.deepEqual(problems('group_commit: true\n'), ['rt.yaml:1: group_commit: must be false or a mapping of max_batch, max_wait_ms, max_concurrent_batches']);
    assert.deepEqual(problems('worker:\n  concurrency: 1e20\n'), ['rt.yaml:2: worker.concurrency: must be an integer from 1 to 1024, got 100000000000000000000']);
    assert.deepEqual(problems('retry_policy: { backoff_coefficient: .inf }\n'), ['rt.yaml:1: retry_policy.backoff_coefficient: must be a finite number, got Infinity']);
    assert.deepEqual(problems('group_commit: false\n'), []);
  });

  test('problems name the file, the line and the key', () => {
    const text = ['cache: redis://x', 'databse_url: postgres://x/y', 'worker:', '  concurrency: -2', '  lease: soon'].join('\n');
    assert.throws(() => parseRuntimeConfigYaml(text, 'rt.yaml'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const lines = err.message.split('\n');
      assert.match(lines[0]!, /^rt\.yaml:2: databse_url: unknown key, did you mean database_url\? \(known: data_dir, database_url,/);
      assert.match(lines[1]!, /^rt\.yaml:4: worker\.concurrency: /);
      assert.match(lines[2]!, /^rt\.yaml:5: worker\.lease: .*soon/);
      return true;
    });
    assert.throws(() => parseRuntimeConfigYaml('cache: [unclosed', 'bad.yaml'), /^ConfigError: bad\.yaml:1: invalid YAML/);
    // A lease the runtime would refuse is refused in the file, with its line.
    assert.throws(() => parseRuntimeConfigYaml('worker: { lease: 200ms }', 'rt.yaml'), /^ConfigError: rt\.yaml:1: worker\.lease: must be at least 300ms/);
  });

  test('a missing file is named', async () => {
    await assert.rejects(loadRuntimeConfig('/nonexistent/rt.yaml'), /\/nonexistent\/rt\.yaml: runtime config file not found/);
  });

  test('precedence per key: option (flag) > environment > file', () => {
    const file = parseRuntimeConfigYaml('cache: redis://file\nevents: nats://file\nartifacts: /from/file', 'rt.yaml');
    const env = { SYMPHAINY_CACHE: 'redis://env', SYMPHAINY_EVENTS: 'nats://env' };
    const s = resolveBackendSettings({ cache: 'redis://flag' }, file, env);
    assert.equal(s.cache, 'redis://flag');
    assert.equal(s.events, 'nats://env');
    assert.equal(s.artifacts, '/from/file');
    assert.equal(s.databaseUrl, undefined);
  });

  test('createRuntime takes the file (a bad one fails before anything is opened); bad backend values are ConfigErrors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symphainy-rtconfig-'));
    try {
      const file = join(dir, 'rt.yaml');
      await writeFile(file, `data_dir: ${join(dir, 'data')}\nartifacts: ${join(dir, 'blobs')}\n`);
      const rt = await createRuntime({ runtimeConfig: file, logger: silentLogger });
      assert.equal(rt.dataDir, join(dir, 'data'));
      await rt.close();
      await writeFile(file, 'cache: memcached://x\n');
      await assert.rejects(createRuntime({ runtimeConfig: file, memory: true, logger: silentLogger }), (err: unknown) =>
        err instanceof ConfigError && err.message === `${file}:1: cache: must be redis://host:port, rediss://host:port or 'embedded', got "memcached://x"`);
      await assert.rejects(createRuntime({ artifacts: 'ftp://x/y', memory: true, logger: silentLogger }), (err: unknown) =>
        err instanceof ConfigError && err.message === 'option artifacts: must be s3://bucket/prefix or a directory, got "ftp://x/y"');
      await assert.rejects(createRuntime({ artifacts: 's3://Bad_Bucket!', memory: true, logger: silentLogger }), ConfigError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
