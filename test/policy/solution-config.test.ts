import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { PolicyConfigError } from '../../src/errors/index.ts';
import { loadRuntimeConfig } from '../../src/options/runtime-config-file.ts';
import { loadPlatformPolicy } from '../../src/policy/platform-policy.ts';
import {
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_POLICY,
  loadSolutionConfig,
  MVP_POLICY_OVERRIDE,
  parseSolutionConfig,
  parseSolutionConfigYaml,
  PLATFORM_NATIVE_TYPES,
} from '../../src/policy/index.ts';

const MVP_FILE = fileURLToPath(new URL('../../config/mvp_materialization_policy.yaml', import.meta.url));
const DERIVED_TYPES = Object.keys(DEFAULT_POLICY).filter((t) => !PLATFORM_NATIVE_TYPES.has(t));

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'symphainy-policy-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileCount = 0;
async function writeConfig(text: string): Promise<string> {
  const file = join(dir, `config-${++fileCount}.yaml`);
  await writeFile(file, text);
  return file;
}

/** Loads `text` from a temp file and returns the PolicyConfigError it must raise. */
async function loadError(text: string): Promise<{ file: string; err: PolicyConfigError }> {
  const file = await writeConfig(text);
  try {
    await loadSolutionConfig(file);
  } catch (err) {
    assert.ok(err instanceof PolicyConfigError, `expected PolicyConfigError, got ${String(err)}`);
    assert.equal(err.code, 'SYM_ERR_POLICY_CONFIG');
    assert.equal(err.file, file);
    assert.ok(err.message.startsWith(file), `message should start with the file: ${err.message}`);
    return { file, err };
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('loadSolutionConfig', () => {
  it('loads the shipped MVP override: every derived type persists', async () => {
    const config = await loadSolutionConfig(MVP_FILE);
    assert.equal(config.source, MVP_FILE);
    assert.equal(config.cacheTtlSeconds, DEFAULT_CACHE_TTL_SECONDS);
    assert.ok(DERIVED_TYPES.length >= 7);
    for (const type of DERIVED_TYPES) {
      assert.deepEqual(config.materializationPolicy[type], { decision: 'persist' }, type);
    }
  });

  it('the shipped YAML and the exported MVP_POLICY_OVERRIDE say the same (they cannot drift apart)', async () => {
    const config = await loadSolutionConfig(MVP_FILE);
    const derived = Object.fromEntries(
      Object.entries(config.materializationPolicy)
        .filter(([type]) => !PLATFORM_NATIVE_TYPES.has(type))
        .map(([type, rule]) => [type, rule.decision]),
    );
    assert.deepEqual(derived, { ...MVP_POLICY_OVERRIDE });
  });

  it('reads name, cache_ttl and both entry forms', async () => {
    const file = await writeConfig(
      'name: mvp\ncache_ttl: 30m\nmaterialization_policy:\n  workflow: persist\n  visual: { decision: cache, cache_ttl: 10m }\n  sop:\n    decision: cache\n  chart: discard\n',
    );
    const config = await loadSolutionConfig(file);
    assert.deepEqual(config, {
      source: file,
      name: 'mvp',
      cacheTtlSeconds: 1800,
      materializationPolicy: {
        workflow: { decision: 'persist' },
        visual: { decision: 'cache', cacheTtlSeconds: 600 },
        sop: { decision: 'cache' },
        chart: { decision: 'discard' },
      },
    });
  });

  it('returns a deep-frozen config', async () => {
    const config = await loadSolutionConfig(
      await writeConfig('materialization_policy:\n  visual: { decision: cache, cache_ttl: 10m }\n'),
    );
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.materializationPolicy));
    assert.ok(Object.isFrozen(config.materializationPolicy.visual));
    assert.throws(() => {
      (config.materializationPolicy as Record<string, unknown>).workflow = { decision: 'persist' };
    }, TypeError);
  });

  it('treats an empty file, or one with only comments, as no overrides', async () => {
    for (const text of ['', '# nothing here yet\n\n# still nothing\n', 'materialization_policy:\n  # workflow: persist\n']) {
      const config = await loadSolutionConfig(await writeConfig(text));
      assert.deepEqual(config.materializationPolicy, {}, JSON.stringify(text));
      assert.equal(config.cacheTtlSeconds, DEFAULT_CACHE_TTL_SECONDS);
    }
  });

  it('names a missing file', async () => {
    const file = join(dir, 'does-not-exist.yaml');
    await assert.rejects(loadSolutionConfig(file), (err: unknown) => {
      assert.ok(err instanceof PolicyConfigError);
      assert.equal(err.file, file);
      assert.equal(err.message, `${file}: solution config file not found`);
      return true;
    });
  });

  it('names a directory given as the file, and every config kind says it the same way', async () => {
    await assert.rejects(loadSolutionConfig(dir), (err: unknown) => {
      assert.ok(err instanceof PolicyConfigError);
      assert.equal(err.message, `${dir}: is a directory; expected a solution config file`);
      return true;
    });
    await assert.rejects(loadPlatformPolicy(dir), new RegExp(`: ${escape(dir)}: is a directory; expected a platform policy file$`));
    await assert.rejects(loadRuntimeConfig(dir), new RegExp(`: ${escape(dir)}: is a directory; expected a runtime config file$`));
  });
});

describe('invalid solution config files', () => {
  it('reports a YAML syntax error with line and column', async () => {
    const { file, err } = await loadError('name: mvp\nmaterialization_policy: [persist\n');
    assert.match(err.message, new RegExp(`^${escape(file)}:3:1: invalid YAML: `));
  });

  it('reports duplicate keys as invalid YAML at the second key', async () => {
    const { file, err } = await loadError('materialization_policy:\n  workflow: persist\n  workflow: discard\n');
    assert.match(err.message, new RegExp(`^${escape(file)}:3:3: invalid YAML: Map keys must be unique`));
  });

  it('rejects a top level that is a list', async () => {
    const { file, err } = await loadError('- workflow\n- persist\n');
    assert.equal(
      err.message,
      `${file}:1: expected a mapping at the top level (with keys name, cache_ttl, materialization_policy), got ["workflow","persist"]`,
    );
  });

  it('rejects a top level that is a scalar', async () => {
    const { file, err } = await loadError('# a comment\npersist\n');
    assert.match(err.message, new RegExp(`^${escape(file)}:2: expected a mapping at the top level .*got "persist"$`));
  });

  it('names an unknown top-level key and its line', async () => {
    const { file, err } = await loadError('name: mvp\nmaterialisation_policy:\n  workflow: persist\n');
    assert.equal(
      err.message,
      `${file}:2: unknown key 'materialisation_policy' (expected one of: name, cache_ttl, materialization_policy)`,
    );
  });

  it('rejects a materialization_policy that is not a mapping', async () => {
    const { file, err } = await loadError('name: mvp\n\nmaterialization_policy:\n  - workflow\n');
    assert.equal(
      err.message,
      `${file}:3: materialization_policy: expected a mapping of result type to decision (persist, cache or discard), got ["workflow"]`,
    );
  });

  it('rejects a badly spelled result type', async () => {
    const { file, err } = await loadError('materialization_policy:\n  workflow: persist\n  Work-Flow: persist\n');
    assert.equal(
      err.message,
      `${file}:3: materialization_policy: invalid result type 'Work-Flow' (expected lower-case letters, digits and '_', starting with a letter)`,
    );
  });

  it('names an unknown decision word', async () => {
    const { file, err } = await loadError('materialization_policy:\n  sop: persist\n  workflow: persit\n');
    assert.equal(
      err.message,
      `${file}:3: materialization_policy.workflow: unknown decision 'persit' (expected persist, cache or discard)`,
    );
  });

  it('names an unknown key in the object form', async () => {
    const { file, err } = await loadError('materialization_policy:\n  visual:\n    decision: cache\n    ttl: 10m\n');
    assert.equal(
      err.message,
      `${file}:4: materialization_policy.visual: unknown key 'ttl' (expected one of: decision, cache_ttl, retention, promote, keep_latest, trace)`,
    );
  });

  it('requires decision in the object form', async () => {
    const { file, err } = await loadError('materialization_policy:\n  visual: { cache_ttl: 10m }\n');
    assert.equal(
      err.message,
      `${file}:2: materialization_policy.visual: missing key 'decision' (expected persist, cache or discard)`,
    );
  });

  it('allows cache_ttl only with decision cache', async () => {
    const { file, err } = await loadError('materialization_policy:\n  visual: { decision: persist, cache_ttl: 10m }\n');
    assert.equal(
      err.message,
      `${file}:2: materialization_policy.visual.cache_ttl: only allowed with decision 'cache' (this entry's decision is 'persist')`,
    );
  });

  it('rejects a bad per-type cache_ttl', async () => {
    const { file, err } = await loadError('materialization_policy:\n  visual:\n    decision: cache\n    cache_ttl: soon\n');
    assert.equal(
      err.message,
      `${file}:4: materialization_policy.visual.cache_ttl: expected a duration like 30s, 15m, 1h or 7d (or seconds), got "soon"`,
    );
  });

  for (const type of PLATFORM_NATIVE_TYPES) {
    for (const decision of ['discard', 'cache']) {
      it(`refuses to make platform-native '${type}' ${decision}`, async () => {
        const { file, err } = await loadError(`name: mvp\nmaterialization_policy:\n  ${type}: ${decision}\n`);
        assert.equal(
          err.message,
          `${file}:3: materialization_policy.${type}: '${decision}' is not allowed: '${type}' is a platform-native record and is always persisted`,
        );
      });
    }
  }

  it('refuses a platform-native type in the object form too', async () => {
    const { file, err } = await loadError('materialization_policy:\n  journey: { decision: cache, cache_ttl: 1m }\n');
    assert.equal(
      err.message,
      `${file}:2: materialization_policy.journey: 'cache' is not allowed: 'journey' is a platform-native record and is always persisted`,
    );
  });

  it('names key and value for wrong types', async () => {
    const cases: [string, number, string][] = [
      ['cache_ttl: true\n', 1, 'cache_ttl: expected a duration like 30s, 15m, 1h or 7d (or seconds), got true'],
      ['cache_ttl: 0\n', 1, 'cache_ttl: expected a duration like 30s, 15m, 1h or 7d (or seconds), got 0'],
      ['name: [1]\n', 1, 'name: expected a non-empty string, got [1]'],
      ['name: 7\n', 1, 'name: expected a non-empty string, got 7'],
      [
        'materialization_policy:\n  workflow: 3\n',
        2,
        'materialization_policy.workflow: expected persist, cache or discard (or a mapping with decision, cache_ttl, retention, promote, keep_latest, trace), got 3',
      ],
      [
        'materialization_policy:\n  workflow:\n',
        2,
        'materialization_policy.workflow: expected persist, cache or discard (or a mapping with decision, cache_ttl, retention, promote, keep_latest, trace), got null',
      ],
      [
        'materialization_policy:\n  workflow: { decision: true }\n',
        2,
        'materialization_policy.workflow.decision: expected persist, cache or discard, got true',
      ],
    ];
    for (const [text, line, message] of cases) {
      const { file, err } = await loadError(text);
      assert.equal(err.message, `${file}:${line}: ${message}`);
    }
  });

  it('reports every problem, one per line, in file order', async () => {
    const { file, err } = await loadError(
      [
        'materialization_policy:', // 1
        '  workflow: persit', // 2
        '  intent: discard', // 3
        '  visual: { decision: persist, cache_ttl: 5m }', // 4
        'name: [1]', // 5
        'cache_ttl: never', // 6
        'extra: 1', // 7
        '',
      ].join('\n'),
    );
    const lines = err.message.split('\n');
    assert.deepEqual(
      lines.map((l) => l.slice(file.length).split(':')[1]),
      ['2', '3', '4', '5', '6', '7'],
    );
    for (const l of lines) assert.ok(l.startsWith(`${file}:`), l);
    assert.match(lines[0]!, /workflow: unknown decision 'persit'/);
    assert.match(lines[1]!, /intent: 'discard' is not allowed/);
    assert.match(lines[2]!, /visual\.cache_ttl: only allowed with decision 'cache'/);
    assert.match(lines[3]!, /name: expected a non-empty string, got \[1\]/);
    assert.match(lines[4]!, /cache_ttl: expected a duration .* got "never"/);
    assert.match(lines[5]!, /unknown key 'extra'/);
  });
});

describe('parseSolutionConfig (plain objects)', () => {
  it('accepts the YAML shape as an object', () => {
    const config = parseSolutionConfig({ name: 'x', cache_ttl: 60, materialization_policy: { visual: 'cache' } });
    assert.deepEqual(config, {
      source: 'inline',
      name: 'x',
      cacheTtlSeconds: 60,
      materializationPolicy: { visual: { decision: 'cache' } },
    });
    assert.ok(Object.isFrozen(config.materializationPolicy.visual));
  });

  it('gives the same messages without line numbers', () => {
    assert.throws(() => parseSolutionConfig({ materialization_policy: { workflow: 'persit' } }), {
      name: 'PolicyConfigError',
      message: "inline: materialization_policy.workflow: unknown decision 'persit' (expected persist, cache or discard)",
    });
    assert.throws(() => parseSolutionConfig({ materialization_policy: { intent: 'discard' } }, 'tenant-42'), {
      message:
        "tenant-42: materialization_policy.intent: 'discard' is not allowed: 'intent' is a platform-native record and is always persisted",
    });
    assert.throws(() => parseSolutionConfig([]), { message: /^inline: expected a mapping at the top level/ });
  });

  it('treats null and undefined as an empty config', () => {
    assert.deepEqual(parseSolutionConfig(undefined).materializationPolicy, {});
    assert.deepEqual(parseSolutionConfig(null).materializationPolicy, {});
  });

  it('accepts result types that collide with Object.prototype names', () => {
    const config = parseSolutionConfig({ materialization_policy: { constructor: 'persist' } });
    assert.deepEqual(config.materializationPolicy.constructor, { decision: 'persist' });
  });
});

describe('parseSolutionConfigYaml', () => {
  it('names the file it was given, without reading it', () => {
    assert.throws(() => parseSolutionConfigYaml('x: 1\n', 'tenant.yaml'), {
      message: "tenant.yaml:1: unknown key 'x' (expected one of: name, cache_ttl, materialization_policy)",
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
