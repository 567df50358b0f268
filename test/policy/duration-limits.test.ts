import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ConfigError, PolicyConfigError } from '../../src/errors/index.ts';
import { createRuntime } from '../../src/index.ts';
import { parseDuration, type DurationLimits } from '../../src/policy/duration.ts';
import { loadPolicyResolver } from '../../src/policy/policy-resolver.ts';
import { parseRuntimeConfigYaml } from '../../src/runtime/runtime-config.ts';
import { DatabaseClock } from '../../src/db/database-clock.ts';
import { ADMIN_KEY, startTestServer } from '../support/http-server.ts';
import { freshDb, TEST_DRIVER } from '../support/test-runtime.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const LONGEST = '"99999999999d" is longer than the maximum of 100 years (36500d)';

describe('whatever validates also executes: durations in policy files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symphainy-durations-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const refused = async (name: string, yaml: string, kind: 'solution' | 'platform'): Promise<{ file: string; message: string }> => {
    const file = join(dir, name);
    await writeFile(file, yaml);
    const err = await loadPolicyResolver(kind === 'platform' ? { platform: file } : { solution: file }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PolicyConfigError, `${name} is refused`);
    return { file, message: err.message };
  };

  it('a cache_ttl, a type TTL or retention past 100 years is refused at validation, with FILE:LINE', async () => {
    let r = await refused('ttl.yaml', 'name: s\ncache_ttl: 99999999999d\n', 'solution');
    assert.equal(r.message, `${r.file}:2: cache_ttl: ${LONGEST}`);
    r = await refused('type.yaml', 'materialization_policy:\n  visual: { decision: cache, cache_ttl: 99999999999d }\n', 'solution');
    assert.equal(r.message, `${r.file}:2: materialization_policy.visual.cache_ttl: ${LONGEST}`);
    r = await refused('keep.yaml', 'materialization_policy:\n  workflow:\n    decision: persist\n    retention: 99999999999d\n', 'solution');
    assert.equal(r.message, `${r.file}:4: materialization_policy.workflow.retention: ${LONGEST}`);
  });

  it("a governance rule's ttl or retention and the platform bounds likewise", async () => {
    const r = await refused('platform.yaml', [
      'governance:',
      '  - id: short-lived',
      '    match: { result_type: [visual] }',
      '    decision: cache',
      '    ttl: 99999999999d',
      '  - id: kept',
      '    match: { result_type: [workflow] }',
      '    decision: persist',
      '    retention: 99999999999d',
      'bounds:',
      '  max_retention: 99999999999d',
      '',
    ].join('\n'), 'platform');
    const lines = r.message.split('\n');
    for (const [line, what] of [[5, 'ttl'], [9, 'retention'], [11, 'bounds.max_retention']] as const) {
      assert.ok(lines.some((l) => l.startsWith(`${r.file}:${line}: `) && l.includes(what) && l.endsWith(LONGEST)), `line ${line} (${what}) in:\n${r.message}`);
    }
  });

  it('`policy validate` says so and exits non-zero; 100 years is accepted', async () => {
    const bad = join(dir, 'cli-bad.yaml');
    await writeFile(bad, 'materialization_policy:\n  visual: { decision: cache, cache_ttl: 99999999999d }\n');
    const good = join(dir, 'cli-good.yaml');
    await writeFile(good, 'materialization_policy:\n  visual: { decision: cache, cache_ttl: 36500d }\n  workflow: { decision: persist, retention: 36500d }\n');
    const run = (file: string) => new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, [join(root, 'bin/symphainy.js'), '--data-dir', join(dir, 'data'), 'policy', 'validate', file], { cwd: root }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }));
    });
    const no = await run(bad);
    assert.notEqual(no.code, 0);
    assert.match(no.out, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: materialization_policy\\.visual\\.cache_ttl: "99999999999d" is longer than the maximum of 100 years \\(36500d\\)`));
    assert.match(no.out, /SYM_ERR_POLICY_CONFIG/);
    assert.doesNotMatch(no.out, /\n\s+at /, 'no stack trace');
    const yes = await run(good);
    assert.equal(yes.code, 0, yes.out);
  });

  it('runtime config durations: sub-second poll intervals, timers bounded, FILE:LINE on refusal', () => {
    const c = parseRuntimeConfigYaml('worker:\n  poll_interval: 200ms\n  lease: 0.5\nrealm_timeout: 1.5s\n', 'rt.yaml');
    assert.deepEqual(c.worker, { pollIntervalMs: 200, leaseMs: 500 });
    assert.equal(c.realmTimeoutMs, 1500);
    assert.throws(() => parseRuntimeConfigYaml('worker:\n  concurrency: 2\n  poll_interval: 30d\n', 'rt.yaml'),
      (err: Error) => /rt\.yaml:3/.test(err.message) && /poll_interval/.test(err.message) && err.message.includes('"30d" is longer than the maximum of 24d (the longest timer)'));
  });
});

describe('runtime options given as durations', () => {
  it('are read by the same parser: a timer past 24 days or a zero interval is a ConfigError naming the option', async () => {
    await assert.rejects(createRuntime({ memory: true, realmTimeoutMs: 3e9 }), (err: unknown) =>
      err instanceof ConfigError && err.message === 'option realmTimeoutMs: 3000000000 is longer than the maximum of 24d (the longest timer)');
    await assert.rejects(createRuntime({ memory: true, cachePurgeIntervalSeconds: 0 }), (err: unknown) =>
      err instanceof ConfigError && err.message === 'option cachePurgeIntervalSeconds: expected a duration like 200ms, 30s, 15m, 1h or 7d (or seconds), got 0');
  });
});

describe('HTTP durations', () => {
  it('POST /v1/admin/policy/diff with a `since` past 100 years is a 400 naming the field, not a 500', async () => {
    const server = await startTestServer();
    try {
      const res = await server.call('/v1/admin/policy/diff', { method: 'POST', key: ADMIN_KEY, json: { since: '99999999999d' } });
      assert.equal(res.status, 400);
      const problem = (await res.json()) as { code: string; detail: string; errors: { field: string; message: string }[] };
      assert.equal(problem.code, 'SYM_ERR_INVALID_REQUEST');
      assert.deepEqual(problem.errors.map((e) => [e.field, e.message]), [['since', LONGEST]]);
      assert.equal((await server.call('/v1/admin/policy/diff', { method: 'POST', key: ADMIN_KEY, json: { since: '7d' } })).status, 200);
    } finally {
      await server.close();
    }
  });
});

/** Values in the duration syntax, as strings or bare numbers, most of them within the limits. */
const durationText = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 40_000 }), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w', '')).map(([n, u]) => `${n}${u}`),
  fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }), fc.constantFrom('ms', 's', 'm', 'h', 'd', '')).map(([a, b, u]) => `${a}.${b}${u}`),
  fc.integer({ min: 1, max: 3_200_000_000 }).map(String), // a little past 100 years in seconds, so the edge is tried
  fc.double({ min: 0, max: 4e9, noNaN: true }),
  fc.constantFrom('36500d', '5214w', '3153600000', '876000h', '52560000m'),
);

describe(`every accepted duration can be added to the database's now() (${TEST_DRIVER})`, () => {
  it('property: parse → now() + interval in SQL and the DatabaseClock deadline are valid, equal times', async () => {
    const db = await freshDb();
    const clock = await new DatabaseClock(db).start();
    try {
      const limits: DurationLimits[] = [{}, { subSecond: true }, { subSecond: true, plain: 'ms' }];
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(durationText, fc.constantFrom(...limits), async (value, l) => {
          let seconds: number;
          try {
            seconds = parseDuration(value, l);
          } catch {
            return; // refused: nothing to execute
          }
          accepted++;
          const deadline = clock.deadline(seconds);
          assert.ok(!Number.isNaN(deadline.getTime()));
          const [row] = await db.query<{ sql_ms: number | string; js_ms: number | string }>(
            `SELECT (extract(epoch FROM now() + $1::float8 * interval '1 second') * 1000)::float8 AS sql_ms,
                    (extract(epoch FROM $2::timestamptz) * 1000)::float8 AS js_ms`,
            [seconds, deadline.toISOString()],
          );
          // The deadline the runtime stores is the database's now() plus the duration (within the clock's round trip and drift).
          assert.ok(Math.abs(Number(row!.sql_ms) - Number(row!.js_ms)) < 5_000, `${String(value)}: ${row!.sql_ms} vs ${row!.js_ms}`);
        }),
        { numRuns: 300 },
      );
      assert.ok(accepted > 100, `enough accepted values were tried (${accepted})`);
    } finally {
      clock.stop();
      await db.close();
    }
  });
});
